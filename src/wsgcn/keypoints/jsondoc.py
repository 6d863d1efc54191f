"""JSON documents from detectors: which layout a parsed document has, and numbers read out of it.

:func:`json_kind` labels a document by its shape alone; the labels are grouped by the reader
that owns them (:data:`COCO_KINDS`, :data:`MMPOSE_KINDS`, :data:`OPENPOSE_KINDS`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..errors import WsgcnError

COCO_KINDS = frozenset({"coco-results", "coco-annotations"})
MMPOSE_KINDS = frozenset({"mmpose-video", "mmpose-image", "mmpose-demo"})
OPENPOSE_KINDS = frozenset({"openpose"})
PER_FRAME_KINDS = frozenset({"openpose", "mmpose-image"})
"""The layouts a folder of per-frame files may hold (besides ``"empty"``: ``[]``, no people)."""


def json_kind(data: Any) -> str | None:
    """The layout of a parsed JSON document: ``"openpose"``, ``"mmpose-demo"``, ``"mmpose-video"``,
    ``"mmpose-image"``, ``"coco-results"``, ``"coco-annotations"``, ``"empty"`` (``[]``) or None."""
    if isinstance(data, dict):
        if "people" in data:
            return "openpose"
        if "instance_info" in data:
            return "mmpose-demo"
        if "annotations" in data:
            return "coco-annotations"
        return None
    if isinstance(data, list):
        if not data:
            return "empty"
        first = data[0]
        if isinstance(first, dict):
            if "image_id" in first and "keypoints" in first:
                return "coco-results"
            if "instances" in first and "frame_id" in first:
                return "mmpose-video"
            if "keypoints" in first and "keypoint_scores" in first:
                return "mmpose-image"
    return None



def numbers(where: str, value: Any, n: int | None, what: str) -> np.ndarray:
    """A flat list of numbers (None -> NaN) as float64, of length ``n`` when given."""
    if not isinstance(value, list):
        raise WsgcnError(f"{where}: {what} must be a list of numbers, got {type(value).__name__}")
    try:
        arr = np.array([np.nan if v is None else v for v in value], dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise WsgcnError(f"{where}: {what} must be a list of numbers") from None
    if arr.ndim != 1:
        raise WsgcnError(f"{where}: {what} must be a flat list of numbers")
    if n is not None and arr.size != n:
        raise WsgcnError(f"{where}: {what} has {arr.size} numbers; expected {n}")
    return arr


def layout_error(path: Path, kind: str | None, name: str | None = None) -> WsgcnError:
    """The error for a JSON file of layout ``kind`` that the reader ``name`` (None: any) cannot take."""
    if kind == "empty":
        return WsgcnError(f"{path}: empty list: no detections (0 people)")
    if kind is None or name is None:
        return WsgcnError(f"{path}: unrecognised JSON layout; expected COCO results (a list of {{image_id, keypoints}}), "
                          "COCO annotations, MMPose predictions or an OpenPose frame ({\"people\": [...]})")
    return WsgcnError(f"{path}: this is not a {name} file (it looks like {kind})")


def check_kind(path: Path, kind: str | None, name: str, kinds: frozenset[str]) -> str:
    """``kind`` when it is one of the reader ``name``'s ``kinds``, else raise :func:`layout_error`."""
    if kind not in kinds:
        raise layout_error(path, kind, name)
    return kind  # type: ignore[return-value]
