"""MMPose JSON: the inferencer's per-video (``[{frame_id, instances}]``) and per-image
(``[{keypoints, keypoint_scores}]``) files, a folder of per-image files, and the older demo's
``{meta_info, instance_info}`` file. COCO-ordered body models only (COCO-17, Halpe-26,
COCO-WholeBody-133: their first 17 keypoints are COCO's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..errors import WsgcnError
from .folder import folder_frames
from .joints import COCO17_NAMES
from .jsondoc import MMPOSE_KINDS, check_kind, numbers
from .probe import Probe
from .tracks import Detection, Keypoints2D, assemble, track_id

_MMPOSE_COCO_PREFIX = {17: "COCO-17", 26: "Halpe-26", 133: "COCO-WholeBody-133"}


def _mmpose_instance(where: str, inst: Any, meta_k: int | None) -> Detection:
    """One MMPose instance: its first 17 keypoints (COCO's) and their scores."""
    if not isinstance(inst, dict) or "keypoints" not in inst:
        raise WsgcnError(f"{where}: expected an object with 'keypoints' and 'keypoint_scores' (MMPose instance)")
    kps = inst["keypoints"]
    if not isinstance(kps, list) or not all(isinstance(p, list) for p in kps):
        raise WsgcnError(f"{where}: 'keypoints' must be a list of [x, y] pairs")
    if any(len(p) != 2 for p in kps):
        raise WsgcnError(f"{where}: 'keypoints' must be [x, y] pairs (3D predictions are not 2D input)")
    k = len(kps)
    if k not in _MMPOSE_COCO_PREFIX or (meta_k is not None and k != meta_k):
        raise WsgcnError(f"{where}: {k} keypoints; expected a COCO-ordered body model "
                         f"(17 COCO, 26 Halpe or 133 COCO-WholeBody keypoints)")
    xy = numbers(where, [v for p in kps for v in p], 2 * k, "'keypoints'").reshape(k, 2)
    sc = (numbers(where, inst["keypoint_scores"], k, "'keypoint_scores'") if "keypoint_scores" in inst
          else np.full(k, np.nan))
    return Detection(track_id(inst.get("track_id")), xy[:17], sc[:17])



def _people(where: str, instances: list, meta_k: int | None) -> list[Detection]:
    """The people of one image/frame: its MMPose ``instances``; ``where`` prefixes errors."""
    return [_mmpose_instance(f"{where} instance {j}", inst, meta_k) for j, inst in enumerate(instances)]


def image_people(path: Path, instances: Any, meta_k: int | None = None) -> list[Detection]:
    """The people of one image: a list of MMPose instances read from ``path``."""
    return _people(f"{path}:", instances, meta_k)


def _demo_contents(path: Path, data: dict) -> tuple[str, Any, int | None]:
    """The demo file's ``instance_info`` as (layout kind, content, keypoint count of meta_info or None)."""
    meta_k = None
    meta = data.get("meta_info") or {}
    names = meta.get("keypoint_id2name") if isinstance(meta, dict) else None
    if isinstance(names, dict):
        got = [names.get(str(i), names.get(i)) for i in range(min(17, len(names)))]  # type: ignore[call-overload]
        if got != list(COCO17_NAMES):
            raise WsgcnError(f"{path}: meta_info keypoints {got[:5]}... are not COCO-ordered "
                             f"({meta.get('dataset_name', 'unknown dataset')})")
        meta_k = len(names)
    info = data["instance_info"]
    if not isinstance(info, list):
        raise WsgcnError(f"{path}: 'instance_info' must be a list")
    if info and isinstance(info[0], dict) and "instances" in info[0]:
        return "mmpose-video", info, meta_k
    return "mmpose-image", info, meta_k


def _video_frames(path: Path, data: list, meta_k: int | None) -> list[tuple[str, list[Detection]]]:
    """[(frame id, people)] of a per-video file: ``[{frame_id, instances}, ...]``."""
    frames = []
    for i, fr in enumerate(data):
        where = f"{path}: frame entry {i}"
        if not isinstance(fr, dict) or not isinstance(fr.get("instances"), list) or "frame_id" not in fr:
            raise WsgcnError(f"{where}: expected {{'frame_id': ..., 'instances': [...]}}")
        frames.append((str(fr["frame_id"]), _people(where, fr["instances"], meta_k)))
    return frames


def sniff_mmpose(probe: Probe) -> bool:
    """An MMPose ``.json`` file, or a folder of per-image files (also one whose images have no people)."""
    if probe.is_dir:
        return probe.folder_kinds <= {"mmpose-image"}
    return probe.suffix == ".json" and probe.json_kind in MMPOSE_KINDS


def read_mmpose(probe: Probe, joints: str) -> Keypoints2D:
    """An MMPose file or folder of per-image files (``joints``: unused, MMPose here is COCO-ordered)."""
    path = probe.path
    if probe.is_dir:
        frames = folder_frames(probe, "mmpose", frozenset({"mmpose-image"}), image_people)
        return assemble(path, "mmpose", "MMPose predictions (folder of images)", frames)
    kind, data, meta_k = check_kind(path, probe.json_kind, "mmpose", MMPOSE_KINDS), probe.json, None
    if kind == "mmpose-demo":
        kind, data, meta_k = _demo_contents(path, data)
    if kind == "mmpose-video":
        return assemble(path, "mmpose", "MMPose predictions (video)", _video_frames(path, data, meta_k))
    if not data:
        raise WsgcnError(f"{path}: no instances (0 people)")
    return assemble(path, "mmpose", "MMPose predictions (image)", [(path.stem, image_people(path, data, meta_k))])
