"""2D keypoints from detectors: file formats, joint-format conversions, missing joints.

Everything that turns a 2D detector's output into Human3.6M-17 pixel keypoints lives here
(docs/LIFT.md describes it for users):

* **Joint formats** (one place): COCO-17 (COCO, MMPose/RTMPose, ultralytics, detectron2),
  OpenPose BODY_25 and COCO-18, and the rule from COCO-17 to Human3.6M-17
  (:data:`COCO17_TO_H36M17`).
* **Readers** (:func:`read_keypoints`): COCO results/annotation JSON, MMPose JSON (the
  inferencer's per-image and per-video files and the older demo's ``meta_info``/``instance_info``
  file), OpenPose per-frame JSON (one file or a folder), npz arrays (ultralytics-style COCO-17
  or Human3.6M-17) and CSV. Each returns per-person tracks (:class:`Keypoints2D`).
* **Missing joints** (:func:`fill_missing`): a joint is missing when its score is below
  ``min_score``, its coordinates are NaN/inf, or both are exactly 0 (the "not detected"
  value of OpenPose and ultralytics). Missing joints are filled by linear interpolation in
  time along the person's track (gaps of at most ``max_gap`` frames, between two frames where
  the joint was seen), else by a mean pose (:data:`MEAN_POSE_H36M17`) scaled and moved onto
  the bounding box of the joints that are known in that frame. Each joint is flagged
  (:data:`OBSERVED`, :data:`INTERPOLATED`, :data:`MEAN_POSE`, :data:`ABSENT`).

Nothing here executes code from a file: JSON is parsed as data, npz files load without pickle.
"""

from __future__ import annotations

import csv
import io
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .errors import WsgcnError
from .io import load_npz, natural_key, read_json
from .skeleton import H36M17

# ----------------------------------------------------------------------------- joint formats

COCO17_NAMES: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)
"""The 17 COCO keypoints in COCO order (also MMPose/RTMPose, ultralytics, detectron2)."""

OPENPOSE_BODY25_NAMES: tuple[str, ...] = (
    "Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist", "MidHip",
    "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye", "REar", "LEar",
    "LBigToe", "LSmallToe", "LHeel", "RBigToe", "RSmallToe", "RHeel",
)
"""OpenPose BODY_25 keypoint order."""

OPENPOSE_COCO18_NAMES: tuple[str, ...] = (
    "Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist", "RHip",
    "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye", "REar", "LEar",
)
"""OpenPose COCO-18 keypoint order (the COCO model: COCO-17 plus a Neck, in OpenPose order)."""

_OPENPOSE_FOR_COCO = {
    "nose": "Nose", "left_eye": "LEye", "right_eye": "REye", "left_ear": "LEar", "right_ear": "REar",
    "left_shoulder": "LShoulder", "right_shoulder": "RShoulder", "left_elbow": "LElbow",
    "right_elbow": "RElbow", "left_wrist": "LWrist", "right_wrist": "RWrist", "left_hip": "LHip",
    "right_hip": "RHip", "left_knee": "LKnee", "right_knee": "RKnee", "left_ankle": "LAnkle",
    "right_ankle": "RAnkle",
}

BODY25_TO_COCO17: tuple[int, ...] = tuple(OPENPOSE_BODY25_NAMES.index(_OPENPOSE_FOR_COCO[n]) for n in COCO17_NAMES)
"""Index into BODY_25 of each COCO-17 joint (BODY_25's Neck, MidHip and feet are not used)."""

COCO18_TO_COCO17: tuple[int, ...] = tuple(OPENPOSE_COCO18_NAMES.index(_OPENPOSE_FOR_COCO[n]) for n in COCO17_NAMES)
"""Index into OpenPose COCO-18 of each COCO-17 joint (the Neck is not used)."""

HEAD_EXTENSION = 0.5
"""Head top = c + HEAD_EXTENSION * (c - thorax), c the centre of the visible ears (else eyes,
else the nose): COCO does not mark the top of the head."""

_L = HEAD_EXTENSION


def _head(*face: str) -> tuple[tuple[str, float], ...]:
    w = (1 + _L) / len(face)
    return tuple((n, w) for n in face) + (("left_shoulder", -_L / 2), ("right_shoulder", -_L / 2))


COCO17_TO_H36M17: dict[str, tuple[tuple[tuple[str, float], ...], ...]] = {
    "Hip": ((("left_hip", 0.5), ("right_hip", 0.5)),),
    "RHip": ((("right_hip", 1.0),),),
    "RKnee": ((("right_knee", 1.0),),),
    "RFoot": ((("right_ankle", 1.0),),),
    "LHip": ((("left_hip", 1.0),),),
    "LKnee": ((("left_knee", 1.0),),),
    "LFoot": ((("left_ankle", 1.0),),),
    "Spine": ((("left_hip", 0.25), ("right_hip", 0.25), ("left_shoulder", 0.25), ("right_shoulder", 0.25)),),
    "Thorax": ((("left_shoulder", 0.5), ("right_shoulder", 0.5)),),
    "Neck": ((("nose", 1.0),),),
    "Head": (_head("left_ear", "right_ear"), _head("left_ear"), _head("right_ear"),
             _head("left_eye", "right_eye"), _head("left_eye"), _head("right_eye"), _head("nose")),
    "LShoulder": ((("left_shoulder", 1.0),),),
    "LElbow": ((("left_elbow", 1.0),),),
    "LWrist": ((("left_wrist", 1.0),),),
    "RShoulder": ((("right_shoulder", 1.0),),),
    "RElbow": ((("right_elbow", 1.0),),),
    "RWrist": ((("right_wrist", 1.0),),),
}
"""COCO-17 -> Human3.6M-17, joint by joint: each Human3.6M joint is a weighted sum of COCO
joints; where several recipes are listed, the first one whose COCO joints are all known is used.

* Hip (pelvis) = mid-hips; Thorax = mid-shoulders; Spine = midpoint of pelvis and thorax;
  Neck/Nose = the COCO nose; Head (top) = extrapolated above the ears/eyes (:data:`HEAD_EXTENSION`);
  hips, knees, ankles (Human3.6M "Foot"), shoulders, elbows, wrists are taken as they are.
* Known bias: COCO hips are annotated on the body's outline, lower and wider than Human3.6M's
  mocap hip-joint centres; the head top and the spine are not observed but derived; the nose
  sits in front of Human3.6M's Neck/Nose joint. A model trained on Human3.6M-style 2D sees
  these systematic offsets as input noise (worst on the pelvis width and the head).
"""

# Mean pose for filling joints no frame of the track saw: a person standing upright facing the
# camera, Human3.6M-17 order, x right / y down (image axes), in metres around the pelvis, with
# typical Human3.6M bone lengths. Only its shape matters (it is rescaled per frame).
MEAN_POSE_H36M17: np.ndarray = np.array([
    [0.00, 0.00],  # Hip
    [-0.13, 0.00], [-0.13, 0.45], [-0.13, 0.89],  # RHip, RKnee, RFoot (the person's right: image left)
    [0.13, 0.00], [0.13, 0.45], [0.13, 0.89],  # LHip, LKnee, LFoot
    [0.00, -0.23], [0.00, -0.49], [0.00, -0.60], [0.00, -0.72],  # Spine, Thorax, Neck/Nose, Head
    [0.15, -0.47], [0.18, -0.20], [0.20, 0.05],  # LShoulder, LElbow, LWrist
    [-0.15, -0.47], [-0.18, -0.20], [-0.20, 0.05],  # RShoulder, RElbow, RWrist
])

OBSERVED, INTERPOLATED, MEAN_POSE, ABSENT = 0, 1, 2, 3
"""Per-joint flags: seen by the detector (directly or derived from seen joints); linearly
interpolated in time; filled from the mean pose; the person is not in this frame."""

FLAG_NAMES: dict[int, str] = {OBSERVED: "observed", INTERPOLATED: "interpolated",
                              MEAN_POSE: "mean_pose", ABSENT: "absent"}

JOINT_ORDERS = ("coco17", "h36m17")


def coco17_to_h36m17(keypoints: np.ndarray, valid: np.ndarray, scores: np.ndarray | None = None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Convert COCO-17 to Human3.6M-17 by :data:`COCO17_TO_H36M17`.

    ``keypoints`` (..., 17, 2) pixels, ``valid`` (..., 17) bool, ``scores`` (..., 17) or None.
    Returns (keypoints (..., 17, 2) with NaN where unknown, valid (..., 17), scores (..., 17):
    the lowest score of the COCO joints used, NaN where unknown or no scores were given).
    """
    kp = np.asarray(keypoints, dtype=np.float64)
    valid = np.asarray(valid, dtype=bool)
    if kp.shape[-2:] != (17, 2) or valid.shape != kp.shape[:-1]:
        raise WsgcnError(f"COCO-17 keypoints must be (..., 17, 2) with (..., 17) validity, got {kp.shape} and {valid.shape}")
    sc = np.full(valid.shape, np.nan) if scores is None else np.asarray(scores, dtype=np.float64)
    out = np.full(kp.shape, np.nan)
    out_valid = np.zeros(valid.shape, dtype=bool)
    out_sc = np.full(valid.shape, np.nan)
    for j, name in enumerate(H36M17.names):
        todo = np.ones(valid.shape[:-1], dtype=bool)
        for recipe in COCO17_TO_H36M17[name]:
            idx = [COCO17_NAMES.index(n) for n, _ in recipe]
            w = np.array([wt for _, wt in recipe])
            ok = todo & np.all(valid[..., idx], axis=-1)
            if not ok.any():
                continue
            out[ok, j] = np.einsum("nkc,k->nc", kp[ok][:, idx], w)
            out_sc[ok, j] = np.min(sc[ok][:, idx], axis=-1)
            out_valid[ok, j] = True
            todo &= ~ok
    return out, out_valid, out_sc


# ----------------------------------------------------------------------------- tracks read from files

@dataclass
class Keypoints2D:
    """2D keypoints of P people over T frames, as read from one detector file (or folder).

    ``keypoints`` (P, T, 17, 2) float64 pixels in the order ``joints`` ("coco17" or "h36m17"),
    NaN where the file has nothing; ``scores`` (P, T, 17) float64 confidences, NaN where the
    file gives none; ``present`` (P, T) bool, a detection of person p exists in frame t.
    """

    path: Path
    format: str  # coco | mmpose | openpose | npz | csv
    layout: str  # what the file held, e.g. "OpenPose BODY_25", "COCO results", "MMPose inferencer (video)"
    joints: str  # coco17 | h36m17
    frame_ids: list[str]
    track_ids: list[str]
    keypoints: np.ndarray
    scores: np.ndarray
    present: np.ndarray
    image_size: tuple[int, int] | None = None  # (width, height) px, when the file says
    tracked: bool = False  # people grouped by the file's track ids (else by detection index)
    notes: list[str] = field(default_factory=list)

    @property
    def num_people(self) -> int:
        return int(self.keypoints.shape[0])

    @property
    def num_frames(self) -> int:
        return int(self.keypoints.shape[1])


@dataclass
class _Det:
    track: str | None
    kp: np.ndarray  # (17, 2)
    score: np.ndarray  # (17,)


FORMATS = ("auto", "coco", "mmpose", "openpose", "npz", "csv")


def read_keypoints(path: str | os.PathLike, fmt: str = "auto", joints: str = "auto") -> Keypoints2D:
    """Read 2D keypoints from a detector's output file or folder (see module docstring).

    ``fmt`` one of :data:`FORMATS` (``auto``: from the suffix and the content); ``joints``
    (``auto``, ``coco17``, ``h36m17``) is the joint order of npz/CSV arrays, which do not say
    it themselves (``auto``: the file's ``joint_format`` entry, else recognised from the
    geometry: COCO's eyes and ears sit next to the nose). Bad input raises :class:`WsgcnError`.
    """
    path = Path(path)
    if fmt not in FORMATS:
        raise WsgcnError(f"unknown --format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if joints not in ("auto",) + JOINT_ORDERS:
        raise WsgcnError(f"unknown --joints {joints!r}; expected auto, coco17 or h36m17")
    if not path.exists():
        raise WsgcnError(f"{path}: no such file or folder")
    if fmt in ("coco", "mmpose", "openpose") and joints == "h36m17":
        raise WsgcnError(f"{path}: --joints h36m17 does not apply to {fmt} files (they are COCO-ordered)")
    if path.is_dir():
        if fmt not in ("auto", "openpose", "mmpose"):
            raise WsgcnError(f"{path}: a folder can only hold per-frame OpenPose or MMPose JSON files, not --format {fmt}")
        return _read_folder(path, fmt)
    suffix = path.suffix.lower()
    if fmt == "auto":
        if suffix == ".npz":
            fmt = "npz"
        elif suffix in (".csv", ".txt"):
            fmt = "csv"
        elif suffix == ".json":
            fmt = "json"
        else:
            raise WsgcnError(f"{path}: cannot tell the format from the suffix {suffix or '(none)'!r}; "
                             f"give --format ({', '.join(FORMATS[1:])})")
    if fmt == "npz":
        return _read_npz(path, joints)
    if fmt == "csv":
        return _read_csv(path, joints)
    return _read_json_file(path, fmt)


# ----------------------------------------------------------------------------- helpers

def _numbers(where: str, value: Any, n: int | None, what: str) -> np.ndarray:
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


def _track_id(v: Any) -> str | None:
    """A track id from a file: ints and strings; OpenPose's [-1] / -1 mean 'none'."""
    if isinstance(v, list):
        v = v[0] if len(v) == 1 else None
    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, int):
        return None if v < 0 else str(v)
    if isinstance(v, str) and v.strip():
        return v.strip()
    return None


def _assemble(path: Path, fmt: str, layout: str, frames: list[tuple[str, list[_Det]]],
              image_size: tuple[int, int] | None = None, notes: list[str] | None = None) -> Keypoints2D:
    """Group per-frame detections into tracks: by the file's track ids when every detection
    has one, else by the detection's index within its frame."""
    if not frames:
        raise WsgcnError(f"{path}: no frames")
    dets = [d for _, ds in frames for d in ds]
    if not dets:
        raise WsgcnError(f"{path}: no people detected in any of its {len(frames)} frame(s)")
    tracked = all(d.track is not None for d in dets)
    if tracked:
        tracks = sorted({d.track for d in dets}, key=natural_key)  # type: ignore[arg-type]
        slot = {t: i for i, t in enumerate(tracks)}
    else:
        tracks = [str(i) for i in range(max(len(ds) for _, ds in frames))]
    P, T = len(tracks), len(frames)
    kp = np.full((P, T, 17, 2), np.nan)
    sc = np.full((P, T, 17), np.nan)
    present = np.zeros((P, T), dtype=bool)
    for t, (fid, ds) in enumerate(frames):
        for i, d in enumerate(ds):
            p = slot[d.track] if tracked else i  # type: ignore[index]
            if present[p, t]:
                raise WsgcnError(f"{path}: track id {d.track!r} appears twice in frame {fid!r}")
            kp[p, t], sc[p, t], present[p, t] = d.kp, d.score, True
    return Keypoints2D(path=path, format=fmt, layout=layout, joints="coco17", frame_ids=[f for f, _ in frames],
                       track_ids=tracks, keypoints=kp, scores=sc, present=present, image_size=image_size,
                       tracked=tracked, notes=list(notes or []))


def _check_size(where: str, w: Any, h: Any) -> tuple[int, int]:
    try:
        wf, hf = float(w), float(h)
    except (TypeError, ValueError, OverflowError):
        raise WsgcnError(f"{where}: image width/height must be numbers, got {w!r} x {h!r}") from None
    if not (math.isfinite(wf) and math.isfinite(hf)) or wf <= 0 or hf <= 0 or not wf.is_integer() or not hf.is_integer():
        raise WsgcnError(f"{where}: image size must be positive whole pixels, got {w!r} x {h!r}")
    return int(wf), int(hf)


# ----------------------------------------------------------------------------- JSON formats

def _read_json_file(path: Path, fmt: str) -> Keypoints2D:
    data = read_json(path)
    kind = _json_kind(data)
    want = {"coco": ("coco-results", "coco-annotations"), "mmpose": ("mmpose-video", "mmpose-image", "mmpose-demo"),
            "openpose": ("openpose",)}
    if kind is None:
        raise WsgcnError(f"{path}: unrecognised JSON layout; expected COCO results (a list of {{image_id, keypoints}}), "
                         "COCO annotations, MMPose predictions or an OpenPose frame ({\"people\": [...]})")
    if kind == "empty":
        raise WsgcnError(f"{path}: empty list: no detections (0 people)")
    if fmt != "json" and kind not in want[fmt]:
        raise WsgcnError(f"{path}: this is not a {fmt} file (it looks like {kind})")
    if kind == "coco-results":
        return _coco_results(path, data)
    if kind == "coco-annotations":
        return _coco_annotations(path, data)
    if kind == "openpose":
        return _assemble(path, "openpose", f"OpenPose ({_openpose_kind(path, data)})",
                         [(path.stem, _openpose_people(path, data))])
    return _mmpose(path, data, kind)


def _json_kind(data: Any) -> str | None:
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


def _coco_triplets(where: str, value: Any) -> tuple[np.ndarray, np.ndarray]:
    """COCO keypoints [x1, y1, v1, ...] (51 numbers) -> (17, 2), (17,) (v: score or visibility)."""
    arr = _numbers(where, value, None, "'keypoints'")
    if arr.size != 51:
        raise WsgcnError(f"{where}: 'keypoints' has {arr.size} numbers; expected 51 (17 COCO keypoints as x, y, score)")
    arr = arr.reshape(17, 3)
    return arr[:, :2], arr[:, 2]


def _coco_results(path: Path, data: list) -> Keypoints2D:
    frames: dict[Any, list[_Det]] = {}
    skipped = 0
    for i, e in enumerate(data):
        where = f"{path}: entry {i}"
        if not isinstance(e, dict) or "image_id" not in e or "keypoints" not in e:
            raise WsgcnError(f"{where}: expected an object with 'image_id' and 'keypoints' (COCO results format)")
        if e.get("category_id", 1) != 1:
            skipped += 1
            continue
        img = e["image_id"]
        if not isinstance(img, (int, str)) or isinstance(img, bool):
            raise WsgcnError(f"{where}: 'image_id' must be an integer or a string, got {img!r}")
        kp, sc = _coco_triplets(where, e["keypoints"])
        frames.setdefault(img, []).append(_Det(_track_id(e.get("track_id")), kp, sc))
    if not frames:
        raise WsgcnError(f"{path}: no person entries (category_id 1): 0 people")
    ids = sorted(frames, key=lambda v: (0, v, "") if isinstance(v, int) else (1, 0, natural_key(v)))  # type: ignore[arg-type,return-value]
    notes = [f"ignored {skipped} entries of other categories"] if skipped else []
    return _assemble(path, "coco", "COCO results", [(str(k), frames[k]) for k in ids], notes=notes)


def _coco_annotations(path: Path, data: dict) -> Keypoints2D:
    images, anns = data.get("images"), data.get("annotations")
    if not isinstance(images, list) or not isinstance(anns, list):
        raise WsgcnError(f"{path}: COCO annotations need 'images' and 'annotations' lists")
    sizes, order = set(), []
    for i, im in enumerate(images):
        if not isinstance(im, dict) or "id" not in im:
            raise WsgcnError(f"{path}: images[{i}] must be an object with an 'id'")
        if "width" in im and "height" in im:
            sizes.add(_check_size(f"{path}: images[{i}]", im["width"], im["height"]))
        order.append(im["id"])
    if len(sizes) > 1:
        raise WsgcnError(f"{path}: images of different sizes {sorted(sizes)}; lift one image size at a time")
    frames: dict[Any, list[_Det]] = {k: [] for k in order}
    for i, a in enumerate(anns):
        where = f"{path}: annotations[{i}]"
        if not isinstance(a, dict) or "image_id" not in a or "keypoints" not in a:
            raise WsgcnError(f"{where}: expected an object with 'image_id' and 'keypoints'")
        if a.get("iscrowd", 0) or a.get("num_keypoints", 1) == 0 or a.get("category_id", 1) != 1:
            continue  # crowd regions and people without any labelled keypoint
        if a["image_id"] not in frames:
            raise WsgcnError(f"{where}: image_id {a['image_id']!r} is not in 'images'")
        kp, sc = _coco_triplets(where, a["keypoints"])
        frames[a["image_id"]].append(_Det(_track_id(a.get("track_id")), kp, sc))
    return _assemble(path, "coco", "COCO annotations", [(str(k), v) for k, v in frames.items()],
                     image_size=next(iter(sizes)) if sizes else None)


_MMPOSE_COCO_PREFIX = {17: "COCO-17", 26: "Halpe-26", 133: "COCO-WholeBody-133"}


def _mmpose_instance(where: str, inst: Any, meta_k: int | None) -> _Det:
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
    xy = _numbers(where, [v for p in kps for v in p], 2 * k, "'keypoints'").reshape(k, 2)
    sc = (_numbers(where, inst["keypoint_scores"], k, "'keypoint_scores'") if "keypoint_scores" in inst
          else np.full(k, np.nan))
    return _Det(_track_id(inst.get("track_id")), xy[:17], sc[:17])


def _mmpose(path: Path, data: Any, kind: str) -> Keypoints2D:
    meta_k = None
    if kind == "mmpose-demo":
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
            kind, data = "mmpose-video", info
        else:
            kind, data = "mmpose-image", info
    if kind == "mmpose-video":
        frames = []
        for i, fr in enumerate(data):
            where = f"{path}: frame entry {i}"
            if not isinstance(fr, dict) or not isinstance(fr.get("instances"), list) or "frame_id" not in fr:
                raise WsgcnError(f"{where}: expected {{'frame_id': ..., 'instances': [...]}}")
            frames.append((str(fr["frame_id"]), [_mmpose_instance(f"{where} instance {j}", inst, meta_k)
                                                 for j, inst in enumerate(fr["instances"])]))
        layout = "MMPose predictions (video)"
    else:
        if not data:
            raise WsgcnError(f"{path}: no instances (0 people)")
        frames = [(path.stem, [_mmpose_instance(f"{path}: instance {j}", inst, meta_k) for j, inst in enumerate(data)])]
        layout = "MMPose predictions (image)"
    return _assemble(path, "mmpose", layout, frames)


def _openpose_kind(path: Path, data: dict) -> str:
    people = data.get("people")
    for p in people if isinstance(people, list) else []:
        kp = p.get("pose_keypoints_2d", p.get("pose_keypoints")) if isinstance(p, dict) else None
        if isinstance(kp, list) and kp:
            return "BODY_25" if len(kp) == 75 else "COCO-18" if len(kp) == 54 else f"{len(kp)} numbers"
    return "no people"


def _openpose_people(path: Path, data: Any) -> list[_Det]:
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
        arr = _numbers(where, kp, None, "'pose_keypoints_2d'")
        if arr.size == 0:
            continue  # OpenPose writes empty arrays for parts it did not run
        if arr.size == 75:
            idx = BODY25_TO_COCO17
        elif arr.size == 54:
            idx = COCO18_TO_COCO17
        else:
            raise WsgcnError(f"{where}: 'pose_keypoints_2d' has {arr.size} numbers; expected 75 (BODY_25) or 54 (COCO-18)")
        arr = arr.reshape(-1, 3)[list(idx)]
        out.append(_Det(_track_id(p.get("person_id")), arr[:, :2], arr[:, 2]))
    return out


def _read_folder(path: Path, fmt: str) -> Keypoints2D:
    files = sorted((f for f in path.iterdir() if f.suffix.lower() == ".json" and f.is_file()),
                   key=lambda f: natural_key(f.name))
    if not files:
        raise WsgcnError(f"{path}: folder without .json files")
    frames: list[tuple[str, list[_Det]]] = []
    kinds: set[str] = set()
    for f in files:
        data = read_json(f)
        kind = _json_kind(data)
        if kind == "empty":
            frames.append((f.stem, []))  # an MMPose per-image file of an image without people
            continue
        if kind not in ("openpose", "mmpose-image"):
            raise WsgcnError(f"{f}: not a per-frame OpenPose or MMPose file (found {kind or 'an unknown layout'})")
        if fmt != "auto" and not kind.startswith(fmt):
            raise WsgcnError(f"{f}: not a {fmt} file (it looks like {kind})")
        kinds.add(kind)
        if kind == "openpose":
            kinds.add(f"openpose {_openpose_kind(f, data)}")
            frames.append((f.stem, _openpose_people(f, data)))
        else:
            frames.append((f.stem, [_mmpose_instance(f"{f}: instance {j}", inst, None) for j, inst in enumerate(data)]))
    if len({k.split()[0] for k in kinds}) > 1:
        raise WsgcnError(f"{path}: mixes OpenPose and MMPose files")
    if "openpose" in kinds:
        op = sorted(k[len("openpose "):] for k in kinds if k.startswith("openpose ") and k != "openpose no people")
        return _assemble(path, "openpose", f"OpenPose folder ({', '.join(op) or 'no people'})", frames)
    return _assemble(path, "mmpose", "MMPose predictions (folder of images)", frames)


# ----------------------------------------------------------------------------- arrays

def _scalar_str(a: np.ndarray) -> str | None:
    if a.dtype.kind in "US" and a.size == 1:
        return str(a.reshape(()).item()).strip().lower()
    return None


def _read_npz(path: Path, joints: str) -> Keypoints2D:
    z = load_npz(path)
    if "keypoints" in z:
        key = "keypoints"
    else:
        numeric = [k for k, v in z.items() if v.dtype.kind in "fiu" and v.ndim >= 3]
        if len(numeric) != 1:
            raise WsgcnError(f"{path}: no 'keypoints' array (found {sorted(z) or 'nothing'})")
        key = numeric[0]
    kp = z[key]
    if kp.dtype.kind not in "fiu":
        raise WsgcnError(f"{path}: '{key}' must be numeric, got dtype {kp.dtype}")
    kp = kp.astype(np.float64)
    if kp.ndim == 2 and kp.shape[1] in (34, 51):  # one row per frame, like the CSV
        kp = kp.reshape(len(kp), 17, kp.shape[1] // 17)
    if kp.ndim == 3:
        kp = kp[:, None]
    if kp.ndim != 4 or kp.shape[-1] not in (2, 3):
        raise WsgcnError(f"{path}: '{key}' has shape {kp.shape}; expected (T, 17, 2|3), (T, people, 17, 2|3) or (T, 34|51)")
    if kp.shape[2] != 17:
        raise WsgcnError(f"{path}: '{key}' has {kp.shape[2]} keypoints per person; expected 17 (COCO-17 or Human3.6M-17)")
    T, P = kp.shape[:2]
    if T == 0 or P == 0:
        raise WsgcnError(f"{path}: '{key}' is empty (shape {kp.shape}): 0 people")
    scores = kp[..., 2] if kp.shape[-1] == 3 else np.full(kp.shape[:3], np.nan)
    for sk in ("scores", "keypoint_scores", "conf"):
        if sk in z:
            s = z[sk].astype(np.float64) if z[sk].dtype.kind in "fiu" else None
            if s is None or s.reshape(-1).size != T * P * 17:
                raise WsgcnError(f"{path}: '{sk}' must hold one number per keypoint ({T * P * 17}), got shape {z[sk].shape}")
            scores = s.reshape(T, P, 17)
            break
    xy = kp[..., :2]
    # A slot of a padded (T, P, ...) array is empty when none of its joints has a position.
    has = np.isfinite(xy).all(-1) & ~(xy == 0).all(-1)
    present = has.any(-1)
    if not present.any():
        raise WsgcnError(f"{path}: no keypoints: every position in '{key}' is NaN or (0, 0) (0 people)")
    frame_ids = [str(t) for t in range(T)]
    track_ids, tracked = [str(p) for p in range(P)], False
    if "track_ids" in z:
        tids = z["track_ids"]
        if tids.shape not in ((P,), (T, P)) or tids.dtype.kind not in "iu":
            raise WsgcnError(f"{path}: 'track_ids' must be integers shaped ({P},) or ({T}, {P}), got {tids.dtype} {tids.shape}")
        if tids.ndim == 1:
            track_ids, tracked = [str(int(t)) for t in tids], True
        else:
            frames = [(str(t), [_Det(_track_id(int(tids[t, p])), xy[t, p], scores[t, p]) for p in range(P) if present[t, p]])
                      for t in range(T)]
            res = _assemble(path, "npz", "npz arrays (per-frame track ids)", frames, image_size=_npz_size(path, z))
            res.joints = _joint_order(path, z, joints, res.keypoints, res.present)
            return res
    order = _joint_order(path, z, joints, xy.transpose(1, 0, 2, 3), present.T)
    layout = "npz arrays, ultralytics-style COCO-17" if order == "coco17" else "npz arrays, Human3.6M-17"
    return Keypoints2D(path=path, format="npz", layout=layout, joints=order, frame_ids=frame_ids, track_ids=track_ids,
                       keypoints=np.where(present[..., None, None], xy, np.nan).transpose(1, 0, 2, 3),
                       scores=np.where(present[..., None], scores, np.nan).transpose(1, 0, 2),
                       present=present.T.copy(), image_size=_npz_size(path, z), tracked=tracked)


def _npz_size(path: Path, z: dict[str, np.ndarray]) -> tuple[int, int] | None:
    def vals(k: str) -> list[float]:
        a = z[k]
        if a.dtype.kind not in "fiu":
            raise WsgcnError(f"{path}: '{k}' must be numeric")
        return [float(v) for v in a.reshape(-1)]

    if "image_size" in z:
        v = vals("image_size")
        if len(v) != 2:
            raise WsgcnError(f"{path}: 'image_size' must be (width, height)")
        return _check_size(f"{path}: image_size", v[0], v[1])
    if "orig_shape" in z:  # ultralytics' Results.orig_shape is (height, width)
        v = vals("orig_shape")
        if len(v) < 2:
            raise WsgcnError(f"{path}: 'orig_shape' must be (height, width)")
        return _check_size(f"{path}: orig_shape", v[1], v[0])
    if "width" in z and "height" in z:
        w, h = vals("width"), vals("height")
        if len(w) != 1 or len(h) != 1:
            raise WsgcnError(f"{path}: 'width' and 'height' must be single numbers")
        return _check_size(f"{path}: width/height", w[0], h[0])
    return None


def _read_csv(path: Path, joints: str) -> Keypoints2D:
    if not path.is_file():
        raise WsgcnError(f"{path}: file not found")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise WsgcnError(f"{path}: not UTF-8 text") from None
    try:
        rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    except csv.Error as e:
        raise WsgcnError(f"{path}: not a valid CSV file ({e})") from None
    if rows:
        try:
            [float(c) for c in rows[0] if c.strip()]
        except ValueError:
            rows = rows[1:]  # a header
    if not rows:
        raise WsgcnError(f"{path}: no data rows (0 frames)")
    data = []
    for i, r in enumerate(rows):
        cells = [c.strip() for c in r]
        if len(cells) not in (34, 51):
            raise WsgcnError(f"{path}: data row {i + 1} has {len(cells)} columns; expected 34 (x, y per joint) "
                             f"or 51 (x, y, score per joint) for 17 joints")
        try:
            data.append([float(c) if c else np.nan for c in cells])
        except ValueError:
            raise WsgcnError(f"{path}: data row {i + 1} has a cell that is not a number") from None
    ncol = {len(r) for r in data}
    if len(ncol) > 1:
        raise WsgcnError(f"{path}: rows have different numbers of columns {sorted(ncol)}")
    arr = np.array(data, dtype=np.float64)
    c = 3 if arr.shape[1] == 51 else 2
    arr = arr.reshape(len(arr), 17, c)
    xy = arr[..., :2]
    scores = arr[..., 2] if c == 3 else np.full(arr.shape[:2], np.nan)
    present = (np.isfinite(xy).all(-1) & ~(xy == 0).all(-1)).any(-1)
    if not present.any():
        raise WsgcnError(f"{path}: no keypoints: every position is empty, NaN or (0, 0) (0 people)")
    order = _joint_order(path, {}, joints, xy[None], present[None])
    return Keypoints2D(path=path, format="csv", layout="CSV, " + ("COCO-17" if order == "coco17" else "Human3.6M-17"),
                       joints=order, frame_ids=[str(t) for t in range(len(arr))], track_ids=["0"],
                       keypoints=np.where(present[:, None, None], xy, np.nan)[None],
                       scores=np.where(present[:, None], scores, np.nan)[None], present=present[None].copy())


def guess_joint_order(keypoints: np.ndarray, present: np.ndarray | None = None) -> str | None:
    """Tell COCO-17 from Human3.6M-17 order by the geometry: in COCO order joints 1-4 are the eyes
    and ears, close to joint 0 (the nose); in Human3.6M order they are the right hip, knee, foot
    and left hip, far from joint 0 (the pelvis) once knees or feet are seen.

    ``keypoints`` (..., 17, 2) with NaN or (0, 0) for missing joints. Returns ``"coco17"``,
    ``"h36m17"`` or None when too few frames decide it clearly.
    """
    kp = np.asarray(keypoints, dtype=np.float64).reshape(-1, 17, 2)
    ok = np.isfinite(kp).all(-1) & ~(kp == 0).all(-1)
    if present is not None:
        ok &= np.asarray(present, dtype=bool).reshape(-1)[:, None]
    ratios = []
    for k, m in zip(kp, ok):
        if m.sum() < 8 or not m[0] or m[1:5].sum() < 3:
            continue
        pts = k[m]
        diag = float(np.linalg.norm(pts.max(0) - pts.min(0)))
        if diag <= 0:
            continue
        d = np.linalg.norm(k[1:5][m[1:5]] - k[0], axis=-1)
        ratios.append(d.max() / diag)
    if not ratios:
        return None
    r = float(np.median(ratios))
    if r < 0.15:
        return "coco17"
    if r > 0.25:
        return "h36m17"
    return None


def _joint_order(path: Path, z: dict[str, np.ndarray], joints: str, xy: np.ndarray, present: np.ndarray) -> str:
    if joints != "auto":
        return joints
    if "joint_format" in z:
        s = _scalar_str(z["joint_format"])
        alias = {"coco": "coco17", "coco17": "coco17", "coco-17": "coco17", "h36m": "h36m17", "h36m17": "h36m17",
                 "h36m-17": "h36m17"}
        if s not in alias:
            raise WsgcnError(f"{path}: 'joint_format' must be 'coco17' or 'h36m17', got {z['joint_format']!r}")
        return alias[s]
    order = guess_joint_order(xy, present)
    if order is None:
        raise WsgcnError(f"{path}: cannot tell whether the 17 joints are in COCO or Human3.6M order; "
                         "give --joints coco17 or --joints h36m17")
    return order


# ----------------------------------------------------------------------------- to Human3.6M, missing joints

def valid_mask(keypoints: np.ndarray, scores: np.ndarray | None, min_score: float) -> np.ndarray:
    """(..., J) bool: a joint is usable when its position is finite, not exactly (0, 0) and its
    score (when given: NaN means none) is at least ``min_score``."""
    kp = np.asarray(keypoints, dtype=np.float64)
    ok = np.isfinite(kp).all(-1) & ~(kp == 0).all(-1)
    if scores is not None:
        s = np.asarray(scores, dtype=np.float64)
        ok &= np.isnan(s) | (s >= min_score)
    return ok


def to_h36m17(keypoints: np.ndarray, scores: np.ndarray | None, joints: str, min_score: float
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(..., 17, 2) pixels in ``joints`` order (``coco17``/``h36m17``) -> Human3.6M-17:
    (keypoints with NaN where unknown, valid (..., 17) bool, scores (..., 17))."""
    kp = np.asarray(keypoints, dtype=np.float64)
    sc = np.full(kp.shape[:-1], np.nan) if scores is None else np.asarray(scores, dtype=np.float64)
    ok = valid_mask(kp, sc, min_score)
    if joints == "coco17":
        return coco17_to_h36m17(kp, ok, sc)
    if joints != "h36m17":
        raise WsgcnError(f"unknown joint order {joints!r}; expected 'coco17' or 'h36m17'")
    return np.where(ok[..., None], kp, np.nan), ok, np.where(ok, sc, np.nan)


def fill_missing(keypoints: np.ndarray, valid: np.ndarray, present: np.ndarray | None = None,
                 max_gap: int = 10, template: np.ndarray = MEAN_POSE_H36M17
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fill the missing joints of one person's track.

    ``keypoints`` (T, J, 2) pixels, ``valid`` (T, J) bool (joint seen), ``present`` (T,) bool
    (person detected in the frame; default all). Returns (filled (T, J, 2), flags (T, J) uint8,
    usable (T,) bool):

    1. a missing joint in a present frame is linearly interpolated in time between the nearest
       earlier and later frames where it was seen, if the gap is at most ``max_gap`` frames;
    2. what is still missing is taken from ``template`` (J, 2) (the mean pose), scaled by the
       ratio of bounding-box diagonals and moved onto the bounding-box centre of the joints known
       in that frame (seen or interpolated);
    3. a frame with fewer than 2 known joints (or all at one point) cannot be placed: it is
       dropped (``usable`` False, flags :data:`ABSENT`, NaN positions).
    """
    kp = np.asarray(keypoints, dtype=np.float64)
    T, J = kp.shape[:2]
    valid = np.asarray(valid, dtype=bool) & np.isfinite(kp).all(-1)
    present = np.ones(T, dtype=bool) if present is None else np.asarray(present, dtype=bool)
    valid &= present[:, None]
    out = np.where(valid[..., None], kp, np.nan)
    flags = np.full((T, J), ABSENT, dtype=np.uint8)
    flags[valid] = OBSERVED
    for j in range(J):
        seen = np.flatnonzero(valid[:, j])
        need = np.flatnonzero(present & ~valid[:, j])
        if seen.size < 2 or need.size == 0:
            continue
        pos = np.searchsorted(seen, need)
        inner = (pos > 0) & (pos < seen.size)
        need, pos = need[inner], pos[inner]
        a, b = seen[pos - 1], seen[pos]
        ok = (b - a - 1) <= max_gap
        need, a, b = need[ok], a[ok], b[ok]
        w = ((need - a) / (b - a))[:, None]
        out[need, j] = (1 - w) * kp[a, j] + w * kp[b, j]
        flags[need, j] = INTERPOLATED
    known = present[:, None] & (flags != ABSENT)
    tmpl = np.asarray(template, dtype=np.float64)
    usable = present.copy()
    for t in np.flatnonzero(present & (~known).any(-1)):
        k = known[t]
        if k.sum() < 2:
            usable[t] = False
            continue
        pts, tp = out[t, k], tmpl[k]
        d_obs = np.linalg.norm(pts.max(0) - pts.min(0))
        d_tmp = np.linalg.norm(tp.max(0) - tp.min(0))
        if d_obs <= 1e-9 or d_tmp <= 1e-9:
            usable[t] = False
            continue
        s = d_obs / d_tmp
        shift = (pts.max(0) + pts.min(0)) / 2 - s * (tp.max(0) + tp.min(0)) / 2
        out[t, ~k] = s * tmpl[~k] + shift
        flags[t, ~k] = MEAN_POSE
    out[~usable] = np.nan
    flags[~usable] = ABSENT
    return out, flags, usable


@dataclass
class PreparedTracks:
    """Human3.6M-17 pixel keypoints ready for lifting: ``keypoints`` (P, T, 17, 2) (NaN where the
    person is absent), ``flags`` (P, T, 17) uint8, ``scores`` (P, T, 17), ``present`` (P, T)."""

    keypoints: np.ndarray
    flags: np.ndarray
    scores: np.ndarray
    present: np.ndarray
    dropped: int  # person-frames detected but unusable (fewer than 2 known joints)


def prepare_tracks(data: Keypoints2D, min_score: float = 0.3, max_gap: int = 10) -> PreparedTracks:
    """Convert every track of ``data`` to Human3.6M-17 and fill its missing joints
    (:func:`to_h36m17`, :func:`fill_missing`). Raises :class:`WsgcnError` when nothing is usable."""
    if not math.isfinite(min_score) or min_score < 0:
        raise WsgcnError(f"--min-score must be a number >= 0, got {min_score}")
    if max_gap < 0:
        raise WsgcnError(f"--max-gap must be >= 0, got {max_gap}")
    kp, valid, sc = to_h36m17(data.keypoints, data.scores, data.joints, min_score)
    P, T = data.present.shape
    out = np.full((P, T, 17, 2), np.nan)
    flags = np.full((P, T, 17), ABSENT, dtype=np.uint8)
    present = np.zeros((P, T), dtype=bool)
    for p in range(P):
        out[p], flags[p], present[p] = fill_missing(kp[p], valid[p], data.present[p], max_gap)
    dropped = int((data.present & ~present).sum())
    if not present.any():
        raise WsgcnError(f"{data.path}: no usable keypoints: every joint is missing, NaN, (0, 0) or scored "
                         f"below --min-score {min_score:g} in all {T} frame(s)")
    return PreparedTracks(keypoints=out, flags=flags, scores=np.where(present[..., None], sc, np.nan),
                          present=present, dropped=dropped)


def frames_summary(data: Keypoints2D) -> str:
    """One line describing what was read, e.g. for the CLI."""
    return (f"{data.path}: {data.layout}, {data.num_frames} frame(s), {data.num_people} "
            f"{'tracked people' if data.tracked else 'people (by detection index)'}"
            + "".join(f"; {n}" for n in data.notes))


__all__: Sequence[str] = (
    "COCO17_NAMES", "OPENPOSE_BODY25_NAMES", "OPENPOSE_COCO18_NAMES", "BODY25_TO_COCO17",
    "COCO18_TO_COCO17", "COCO17_TO_H36M17", "HEAD_EXTENSION", "MEAN_POSE_H36M17", "OBSERVED", "INTERPOLATED",
    "MEAN_POSE", "ABSENT", "FLAG_NAMES", "FORMATS", "Keypoints2D", "read_keypoints", "coco17_to_h36m17",
    "guess_joint_order", "valid_mask", "to_h36m17", "fill_missing", "PreparedTracks", "prepare_tracks",
    "frames_summary",
)
