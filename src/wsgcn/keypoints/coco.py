"""COCO keypoint JSON: results files (``[{image_id, keypoints, ...}]``: detectron2, MMPose's
CocoMetric, ...) and annotation files (``{images, annotations}``), COCO-17 in COCO order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..errors import WsgcnError
from ..io import natural_key
from .jsondoc import COCO_KINDS, check_kind, numbers
from .probe import Probe
from .tracks import Detection, Keypoints2D, assemble, check_size, track_id


def sniff_coco(probe: Probe) -> bool:
    """A COCO results or annotations ``.json`` file."""
    return not probe.is_dir and probe.suffix == ".json" and probe.json_kind in COCO_KINDS


def read_coco(probe: Probe, joints: str) -> Keypoints2D:
    """A COCO results or annotations file (``joints``: unused, COCO files are COCO-ordered)."""
    kind = check_kind(probe.path, probe.json_kind, "coco", COCO_KINDS)
    if kind == "coco-results":
        return _coco_results(probe.path, probe.json)
    return _coco_annotations(probe.path, probe.json)


def _coco_triplets(where: str, value: Any) -> tuple[np.ndarray, np.ndarray]:
    """COCO keypoints [x1, y1, v1, ...] (51 numbers) -> (17, 2), (17,) (v: score or visibility)."""
    arr = numbers(where, value, None, "'keypoints'")
    if arr.size != 51:
        raise WsgcnError(f"{where}: 'keypoints' has {arr.size} numbers; expected 51 (17 COCO keypoints as x, y, score)")
    arr = arr.reshape(17, 3)
    return arr[:, :2], arr[:, 2]


def _coco_results(path: Path, data: list) -> Keypoints2D:
    """COCO results: one entry per detected person, grouped into frames by ``image_id``."""
    frames: dict[Any, list[Detection]] = {}
    skipped = 0
    for i, e in enumerate(data):
        where = f"{path}: entry {i}"
        if not isinstance(e, dict) or "image_id" not in e or "keypoints" not in e:
            raise WsgcnError(f"{where}: expected an object with 'image_id' and 'keypoints' (COCO results format)")
        if e.get("category_id", 1) != 1:
            skipped += 1
            continue
        img = _image_id(where, "image_id", e["image_id"])
        kp, sc = _coco_triplets(where, e["keypoints"])
        frames.setdefault(img, []).append(Detection(track_id(e.get("track_id")), kp, sc))
    if not frames:
        raise WsgcnError(f"{path}: no person entries (category_id 1): 0 people")
    ids = sorted(frames, key=lambda v: (0, v, "") if isinstance(v, int) else (1, 0, natural_key(v)))  # type: ignore[arg-type,return-value]
    notes = [f"ignored {skipped} entries of other categories"] if skipped else []
    return assemble(path, "coco", "COCO results", [(str(k), frames[k]) for k in ids], notes=notes)


def _image_id(where: str, key: str, value: Any) -> int | str:
    """An image id: an integer or a string (a list or an object would break the frame lookup)."""
    if not isinstance(value, (int, str)) or isinstance(value, bool):
        raise WsgcnError(f"{where}: {key!r} must be an integer or a string, got {value!r}")
    return value


def _coco_annotations(path: Path, data: dict) -> Keypoints2D:
    """COCO annotations: one frame per entry of ``images`` (in file order), with its image size."""
    images, anns = data.get("images"), data.get("annotations")
    if not isinstance(images, list) or not isinstance(anns, list):
        raise WsgcnError(f"{path}: COCO annotations need 'images' and 'annotations' lists")
    sizes, order = set(), []
    for i, im in enumerate(images):
        if not isinstance(im, dict) or "id" not in im:
            raise WsgcnError(f"{path}: images[{i}] must be an object with an 'id'")
        if "width" in im and "height" in im:
            sizes.add(check_size(f"{path}: images[{i}]", im["width"], im["height"]))
        order.append(_image_id(f"{path}: images[{i}]", "id", im["id"]))
    if len(sizes) > 1:
        raise WsgcnError(f"{path}: images of different sizes {sorted(sizes)}; lift one image size at a time")
    frames: dict[Any, list[Detection]] = {k: [] for k in order}
    for i, a in enumerate(anns):
        where = f"{path}: annotations[{i}]"
        if not isinstance(a, dict) or "image_id" not in a or "keypoints" not in a:
            raise WsgcnError(f"{where}: expected an object with 'image_id' and 'keypoints'")
        if a.get("iscrowd", 0) or a.get("num_keypoints", 1) == 0 or a.get("category_id", 1) != 1:
            continue  # crowd regions and people without any labelled keypoint
        img = _image_id(where, "image_id", a["image_id"])
        if img not in frames:
            raise WsgcnError(f"{where}: image_id {img!r} is not in 'images'")
        kp, sc = _coco_triplets(where, a["keypoints"])
        frames[img].append(Detection(track_id(a.get("track_id")), kp, sc))
    return assemble(path, "coco", "COCO annotations", [(str(k), v) for k, v in frames.items()],
                    image_size=next(iter(sizes)) if sizes else None)

