"""OpenPose JSON: one frame per file (``{"people": [{"pose_keypoints_2d": [...]}, ...]}``), BODY_25
or COCO-18, read as one file or a folder of them (``--write_json``); kept as COCO-17."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import WsgcnError
from .folder import folder_frames
from .joints import BODY25_TO_COCO17, COCO18_TO_COCO17
from .jsondoc import OPENPOSE_KINDS, check_kind, numbers
from .probe import Probe
from .tracks import Detection, Keypoints2D, assemble, track_id


def sniff_openpose(probe: Probe) -> bool:
    """An OpenPose frame (``.json``), or a folder of them (files of images without people may be ``[]``)."""
    if probe.is_dir:
        return probe.folder_kinds == OPENPOSE_KINDS
    return probe.suffix == ".json" and probe.json_kind in OPENPOSE_KINDS


def read_openpose(probe: Probe, joints: str) -> Keypoints2D:
    """One OpenPose frame file, or a folder of them (``joints``: unused, OpenPose is COCO-ordered)."""
    path = probe.path
    if probe.is_dir:
        frames = folder_frames(probe, "openpose", OPENPOSE_KINDS, openpose_people)
        labels = sorted({openpose_kind(f.doc) for f in probe.folder if f.kind == "openpose"} - {"no people"})
        return assemble(path, "openpose", f"OpenPose folder ({', '.join(labels) or 'no people'})", frames)
    check_kind(path, probe.json_kind, "openpose", OPENPOSE_KINDS)
    layout = f"OpenPose ({openpose_kind(probe.json)})"
    return assemble(path, "openpose", layout, [(path.stem, openpose_people(path, probe.json))])


def openpose_kind(data: dict) -> str:
    """The model that wrote an OpenPose frame, by its first person: "BODY_25", "COCO-18", "no people"..."""
    people = data.get("people")
    for p in people if isinstance(people, list) else []:
        kp = p.get("pose_keypoints_2d", p.get("pose_keypoints")) if isinstance(p, dict) else None
        if isinstance(kp, list) and kp:
            return "BODY_25" if len(kp) == 75 else "COCO-18" if len(kp) == 54 else f"{len(kp)} numbers"
    return "no people"


def openpose_people(path: Path, data: Any) -> list[Detection]:
    """The people of one OpenPose frame ``data`` (parsed from ``path``), as COCO-17 detections."""
    if not isinstance(data, dict) or not isinstance(data.get("people"), list):
        raise WsgcnError(f"{path}: expected an OpenPose frame: an object with a 'people' list")
    out = []
    for i, p in enumerate(data["people"]):
        where = f"{path}: people[{i}]"
        if not isinstance(p, dict):
            raise WsgcnError(f"{where}: expected an object with 'pose_keypoints_2d'")
        kp = p.get("pose_keypoints_2d", p.get("pose_keypoints"))
        if kp is None:
            raise WsgcnError(f"{where}: no 'pose_keypoints_2d'")
        arr = numbers(where, kp, None, "'pose_keypoints_2d'")
        if arr.size == 0:
            continue  # OpenPose writes empty arrays for parts it did not run
        if arr.size == 75:
            idx = BODY25_TO_COCO17
        elif arr.size == 54:
            idx = COCO18_TO_COCO17
        else:
            raise WsgcnError(f"{where}: 'pose_keypoints_2d' has {arr.size} numbers; expected 75 (BODY_25) or 54 (COCO-18)")
        arr = arr.reshape(-1, 3)[list(idx)]
        out.append(Detection(track_id(p.get("person_id")), arr[:, :2], arr[:, 2]))
    return out
