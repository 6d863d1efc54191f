"""Human3.6M and custom multi-camera datasets in the community's VideoPose3D-style npz files.

Files in a data folder (docs/DATA.md):

* ``data_3d_<name>.npz``: key ``positions_3d``, a pickled dict subject -> action -> (T, J, 3)
  float32 world coordinates in metres (Human3.6M: the 32 raw joints).
* ``data_2d_<name>_<source>.npz``: key ``positions_2d``, dict subject -> action -> list (one per
  camera) of (T, J, 2) pixels, optionally (T, J, 3) with a confidence column; key ``metadata``
  with ``num_joints`` and ``keypoints_symmetry``. J is 32 (raw), 17, or 16 (the 17 joints
  without Neck/Nose, in the ``h36m16`` order: the stacked-hourglass detections and the
  original code's prepared 2D).
* ``data_cameras_<name>.json``: the cameras (:func:`wsgcn.camera.load_cameras`); optional for
  Human3.6M, whose published cameras are built in.

The npz files hold pickled Python objects; they are only read from the data folder the user
names (``allow_pickle=True`` is used for these known dataset files and nowhere else).
:func:`wsgcn.data.h36m_prepare.prepare_h36m` converts the original Human3.6M D3_Positions CDF
files into these files.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence as SequenceABC
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..camera import Camera, CameraRig, h36m_cameras, load_cameras
from ..errors import WsgcnError
from ..io import load_npz, natural_key, write_npz
from ..skeleton import H36M16, H36M17, H36M17_TO_16, H36M32_TO_17

H36M_SUBJECTS: dict[str, list[str]] = {
    "labelled": ["S1"],
    "unlabelled": ["S5", "S6", "S7", "S8"],
    "test": ["S9", "S11"],
}
"""The paper's split: S1 has 3D labels, S5-S8 only 2D, S9/S11 are the test subjects."""

H36M_ACTIONS: tuple[str, ...] = (
    "Directions", "Discussion", "Eating", "Greeting", "Phoning", "TakingPhoto", "Posing",
    "Purchases", "Sitting", "SittingDown", "Smoking", "Waiting", "WalkingDog", "Walking",
    "WalkTogether",
)
"""The 15 Human3.6M actions, by their canonical names."""

# Lower-case, separator-free spelling -> canonical action name (the file names of the
# original archive and the community's npz files use "Photo"/"TakingPhoto" and
# "WalkDog"/"WalkingDog" for the same actions).
_ACTION_CANON: dict[str, str] = {a.lower(): a for a in H36M_ACTIONS} | {
    "photo": "TakingPhoto",
    "walkdog": "WalkingDog",
}

RAW_JOINTS = 32
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


# ----------------------------------------------------------------------------- small helpers

def natural_sorted(items: Iterable[str]) -> list[str]:
    return sorted(items, key=natural_key)


def _check_name(kind: str, value: str) -> None:
    """Dataset/source names become file names: keep them plain (no folders, no dot-files)."""
    if not isinstance(value, str) or not _SAFE_NAME.match(value):
        raise WsgcnError(f"invalid {kind} {value!r}: use letters, digits, '_', '-', '.' or '+' only")


def action_group(action: str) -> str:
    """The action's base name for per-action reporting.

    Human3.6M names lose their sub-action number (``"Walking 1"``, ``"Eating_2"``) and are
    canonicalised (``"Photo"`` -> ``"TakingPhoto"``, ``"WalkDog 1"`` -> ``"WalkingDog"``).
    Other datasets' names are cut at the first space (``"jump 3"`` -> ``"jump"``).
    """
    name = action.strip()
    base = re.sub(r"[\s_-]*\d+$", "", name)
    canon = _ACTION_CANON.get(re.sub(r"[\s_-]", "", base).lower())
    if canon is not None:
        return canon
    return name.split()[0] if name else action


# ----------------------------------------------------------------------------- validation

def _unwrap_object(path: Path, key: str, value: np.ndarray) -> Any:
    """The Python object stored by ``np.savez`` as a 0-d object array."""
    if not isinstance(value, np.ndarray) or value.dtype != object or value.shape != ():
        raise WsgcnError(f"{path}: key {key!r} must hold a pickled dict (got an array of shape "
                         f"{getattr(value, 'shape', '?')} and dtype {getattr(value, 'dtype', '?')})")
    return value.item()


def _check_array(where: str, a: Any, channels: tuple[int, ...]) -> np.ndarray:
    """A (T, J, C) finite numeric array with C in ``channels``, as float32."""
    if not isinstance(a, np.ndarray) or a.dtype.kind not in "fiu":
        raise WsgcnError(f"{where} is not a numeric array (got {type(a).__name__})")
    want = "(T, J, " + " or ".join(str(c) for c in channels) + ")"
    if a.ndim != 3 or a.shape[-1] not in channels or a.shape[1] == 0:
        raise WsgcnError(f"{where} has shape {a.shape}, expected {want}")
    if not np.all(np.isfinite(a)):
        raise WsgcnError(f"{where} contains NaN or infinite values")
    return a.astype(np.float32, copy=False)


def _check_nested(label: str, key: str, obj: Any) -> list[tuple[str, Mapping[Any, Any]]]:
    """``obj`` must be a non-empty dict subject -> non-empty dict action -> value."""
    if not isinstance(obj, Mapping) or not obj:
        raise WsgcnError(f"{label}: {key} must be a non-empty dict subject -> action -> data")
    out = []
    for subject, actions in obj.items():
        if not isinstance(subject, str):
            raise WsgcnError(f"{label}: {key} has a non-string subject key {subject!r}")
        if not isinstance(actions, Mapping) or not actions:
            raise WsgcnError(f"{label}: {key}[{subject!r}] must be a non-empty dict action -> data")
        for action in actions:
            if not isinstance(action, str):
                raise WsgcnError(f"{label}: {key}[{subject!r}] has a non-string action key {action!r}")
        out.append((subject, actions))
    return out


def _validate_3d(label: str, obj: Any) -> dict[str, dict[str, np.ndarray]]:
    out: dict[str, dict[str, np.ndarray]] = {}
    joints: int | None = None
    for subject, actions in _check_nested(label, "positions_3d", obj):
        out[str(subject)] = {}
        for action, arr in actions.items():
            where = f"{label}: positions_3d[{subject!r}][{action!r}]"
            a = _check_array(where, arr, (3,))
            if joints is None:
                joints = a.shape[1]
            elif a.shape[1] != joints:
                raise WsgcnError(f"{where} has {a.shape[1]} joints, other sequences have {joints}")
            out[str(subject)][str(action)] = a
    return out


def _validate_metadata(label: str, meta: Any) -> dict[str, Any]:
    if not isinstance(meta, Mapping):
        raise WsgcnError(f"{label}: metadata must be a dict with 'num_joints' and 'keypoints_symmetry'")
    for key in ("num_joints", "keypoints_symmetry"):
        if key not in meta:
            raise WsgcnError(f"{label}: metadata is missing {key!r}")
    n = meta["num_joints"]
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
        raise WsgcnError(f"{label}: metadata 'num_joints' must be a positive integer, got {' '.join(repr(n).split())[:60]}")
    sym = meta["keypoints_symmetry"]
    try:
        left, right = ([int(j) for j in side] for side in sym)
    except (TypeError, ValueError):
        raise WsgcnError(f"{label}: metadata 'keypoints_symmetry' must be [left joints, right joints]") from None
    if len(left) != len(right) or any(not 0 <= j < n for j in left + right):
        raise WsgcnError(f"{label}: metadata 'keypoints_symmetry' must be two lists of equal length "
                         f"of joint indices below {n}")
    out = dict(meta)
    out["num_joints"] = int(n)
    out["keypoints_symmetry"] = [left, right]
    return out


def _validate_2d(label: str, obj: Any, meta: Mapping[str, Any]) -> dict[str, dict[str, list[np.ndarray]]]:
    out: dict[str, dict[str, list[np.ndarray]]] = {}
    for subject, actions in _check_nested(label, "positions_2d", obj):
        out[str(subject)] = {}
        for action, views in actions.items():
            where = f"{label}: positions_2d[{subject!r}][{action!r}]"
            if isinstance(views, np.ndarray) and views.dtype == object and views.ndim == 1:
                views = list(views)
            if not isinstance(views, (list, tuple)) or not views:
                raise WsgcnError(f"{where} must be a non-empty list with one (T, J, 2) array per camera")
            arrays = [_check_array(f"{where}[{c}]", v, (2, 3)) for c, v in enumerate(views)]
            for c, a in enumerate(arrays):
                if a.shape[1] != meta["num_joints"]:
                    raise WsgcnError(f"{where}[{c}] has {a.shape[1]} joints, metadata says {meta['num_joints']}")
            out[str(subject)][str(action)] = arrays
    return out


# ----------------------------------------------------------------------------- npz files

def _load_dataset_npz(path: Path) -> dict[str, np.ndarray]:
    """Load a known dataset npz (pickled dicts inside). Only zip archives are opened: NumPy
    would otherwise try to unpickle any other file as a whole."""
    if path.is_file() and not zipfile.is_zipfile(path):
        raise WsgcnError(f"{path}: not a valid npz file (not a zip archive)")
    try:
        return load_npz(path, allow_pickle=True)  # known dataset file in the user's data folder
    except WsgcnError:
        raise
    except Exception as e:  # a damaged pickle inside the archive fails in many ways
        raise WsgcnError(f"{path}: not a valid dataset npz file ({type(e).__name__}: {e})") from None


def read_positions_3d(path: str | Path) -> dict[str, dict[str, np.ndarray]]:
    """Read ``data_3d_<name>.npz``: subject -> action -> (T, J, 3) float32 world metres."""
    path = Path(path)
    z = _load_dataset_npz(path)
    if "positions_3d" not in z:
        raise WsgcnError(f"{path}: missing key 'positions_3d' (keys: {sorted(z)})")
    return _validate_3d(str(path), _unwrap_object(path, "positions_3d", z["positions_3d"]))


def read_positions_2d(path: str | Path) -> tuple[dict[str, dict[str, list[np.ndarray]]], dict[str, Any]]:
    """Read ``data_2d_<name>_<source>.npz``.

    Returns (positions, metadata): subject -> action -> list per camera of (T, J, 2) or
    (T, J, 3) float32 pixels (third column: confidence), and the metadata dict
    (``num_joints``, ``keypoints_symmetry`` = [left joints, right joints], ...).
    """
    path = Path(path)
    z = _load_dataset_npz(path)
    for key in ("positions_2d", "metadata"):
        if key not in z:
            raise WsgcnError(f"{path}: missing key {key!r} (keys: {sorted(z)})")
    meta = _validate_metadata(str(path), _unwrap_object(path, "metadata", z["metadata"]))
    positions = _validate_2d(str(path), _unwrap_object(path, "positions_2d", z["positions_2d"]), meta)
    return positions, meta


def write_positions_3d(path: str | Path, positions: Mapping[str, Mapping[str, np.ndarray]]) -> None:
    """Atomically write ``data_3d_<name>.npz`` (subject -> action -> (T, J, 3) world metres),
    readable with ``np.load(path, allow_pickle=True)['positions_3d'].item()``."""
    clean = _validate_3d(f"{path} (writing)", positions)
    write_npz(path, positions_3d=clean)


def write_positions_2d(path: str | Path, positions: Mapping[str, Mapping[str, SequenceABC[np.ndarray]]],
                       metadata: Mapping[str, Any]) -> None:
    """Atomically write ``data_2d_<name>_<source>.npz`` (subject -> action -> list per camera of
    (T, J, 2|3) pixels, plus ``metadata``), readable by VideoPose3D's own loader."""
    label = f"{path} (writing)"
    meta = _validate_metadata(label, metadata)
    clean = _validate_2d(label, positions, meta)
    write_npz(path, positions_2d=clean, metadata=meta)


# ----------------------------------------------------------------------------- cameras

def cameras_path(data_dir: str | Path, name: str) -> Path:
    """``<data_dir>/data_cameras_<name>.json``."""
    _check_name("dataset name", name)
    return Path(data_dir) / f"data_cameras_{name}.json"


def load_rig(data_dir: str | Path, name: str) -> CameraRig:
    """The cameras of dataset ``name``: ``data_cameras_<name>.json`` in ``data_dir``; for
    ``"h36m"`` the built-in published cameras when that file does not exist."""
    path = cameras_path(data_dir, name)
    if path.is_file():
        return load_cameras(path)
    if name == "h36m":
        return h36m_cameras()
    raise WsgcnError(f"{path}: cameras file not found (datasets other than Human3.6M keep their "
                     "cameras beside the npz files; see docs/DATA.md)")


# ----------------------------------------------------------------------------- sequences

@dataclass
class Sequence:
    """One subject/action seen by one camera, in that camera's frame.

    ``pose_3d`` (T, 17, 3) float32 root-relative metres (pelvis = 0); ``root`` (T, 3) float32
    camera-frame pelvis position in metres; ``keypoints_2d`` (T, 17, 2) float32 pixels;
    ``confidence`` (T, 17) float32 or None.

    ``missing_2d`` names the 17-joint joints that the 2D file does not have (``("Neck",)`` for
    a 16-joint file); their ``keypoints_2d`` are NaN and their confidence 0, so they can only
    be used through a joint set without them (``build_poseset`` refuses otherwise).
    ``keypoints_file`` is the 2D file, for messages. ``first_frame`` is the recording frame of
    the first row (0; a time split's tail starts later): with the subject, the action and the
    frame it names the instant the synchronised cameras of a sequence share.
    """

    subject: str
    action: str
    camera: int
    camera_params: Camera
    pose_3d: np.ndarray
    root: np.ndarray
    keypoints_2d: np.ndarray
    confidence: np.ndarray | None = None
    missing_2d: tuple[str, ...] = ()
    keypoints_file: str = ""
    first_frame: int = 0

    @property
    def num_frames(self) -> int:
        return int(self.pose_3d.shape[0])


def _to_17(label: str, a: np.ndarray) -> np.ndarray:
    """(T, 32|17, C) -> (T, 17, C) in the 17-joint order."""
    j = a.shape[1]
    if j == RAW_JOINTS:
        return a[:, list(H36M32_TO_17)]
    if j == H36M17.num_joints:
        return a
    raise WsgcnError(f"{label} has {j} joints; expected {RAW_JOINTS} (raw Human3.6M) or {H36M17.num_joints}")


_MISSING_16 = tuple(n for n in H36M17.names if n not in H36M16.names)  # ("Neck",)


def _2d_to_17(label: str, a: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    """2D (T, 32|17|16, 2|3) -> ((T, 17, 2|3) in the 17-joint order, names of the joints the
    file lacks). A 16-joint file (``h36m16`` order) gets NaN keypoints and confidence 0 in
    the Neck slot."""
    j = a.shape[1]
    if j not in (RAW_JOINTS, H36M17.num_joints, H36M16.num_joints):
        raise WsgcnError(f"{label} has {j} joints; expected {RAW_JOINTS} (raw Human3.6M), "
                         f"{H36M17.num_joints} (Human3.6M-17) or {H36M16.num_joints} "
                         "(Human3.6M-17 without Neck/Nose)")
    if j != H36M16.num_joints:
        return _to_17(label, a), ()
    out = np.full((a.shape[0], H36M17.num_joints, a.shape[2]), np.nan, dtype=np.float32)
    out[:, list(H36M17_TO_16)] = a
    if a.shape[2] == 3:
        out[:, [H36M17.index(n) for n in _MISSING_16], 2] = 0.0
    return out, _MISSING_16


@dataclass
class DataFiles:
    """The 3D file, the 2D file of one source and the cameras of a dataset, read and checked
    once (:func:`open_data`); :meth:`sequences` assembles the sequences of any subjects."""

    path_3d: Path
    path_2d: Path
    positions_3d: dict[str, dict[str, np.ndarray]]
    positions_2d: dict[str, dict[str, list[np.ndarray]]]
    rig: CameraRig
    rig_label: str

    def subjects(self) -> list[str]:
        """Every subject of the 3D file, in natural order."""
        return natural_sorted(self.positions_3d)

    def sequences(self, subjects: Iterable[str] | None = None) -> list[Sequence]:
        """One :class:`Sequence` per subject, action and camera of ``subjects`` (default: all);
        see :func:`load_sequences`."""
        p3, p2, pos3, pos2, rig = self.path_3d, self.path_2d, self.positions_3d, self.positions_2d, self.rig
        available = self.subjects()
        if subjects is None:
            wanted = available
        else:
            requested = [subjects] if isinstance(subjects, str) else list(subjects)
            unknown = [s for s in requested if s not in pos3]
            if unknown:
                raise WsgcnError(f"{p3}: unknown subject(s) {unknown}; available: {available}")
            wanted = natural_sorted(set(requested))
        out: list[Sequence] = []
        for s in wanted:
            if s not in pos2:
                raise WsgcnError(f"{p2}: subject {s!r} is missing (it is in {p3.name})")
            if s not in rig:
                raise WsgcnError(f"{self.rig_label}: no cameras for subject {s!r} (cameras for: {natural_sorted(rig)})")
            # Every 3D action needs its 2D. 2D-only actions are left out, as VideoPose3D's loader
            # does: detector files may cover videos whose 3D the community files drop (S11 Directions).
            only3 = sorted(set(pos3[s]) - set(pos2[s]))
            if only3:
                raise WsgcnError(f"{p2}: subject {s!r} lacks action(s) {only3} that {p3.name} has")
            for a in sorted(pos3[s]):
                out.extend(self._views(s, a))
        return out

    def _views(self, s: str, a: str) -> list[Sequence]:
        p3, p2, cams, views = self.path_3d, self.path_2d, self.rig[s], self.positions_2d[s][a]
        if len(views) != len(cams):
            raise WsgcnError(f"{p2}: {s} {a!r} has {len(views)} camera views but {self.rig_label} "
                             f"has {len(cams)} cameras for {s}")
        world = _to_17(f"{p3}: positions_3d[{s!r}][{a!r}]", self.positions_3d[s][a]).astype(np.float64)
        out = []
        for c, cam in enumerate(cams):
            kp, missing = _2d_to_17(f"{p2}: positions_2d[{s!r}][{a!r}][{c}]", views[c])
            t = min(len(world), len(kp))
            if t == 0:
                continue
            pts = cam.world_to_camera(world[:t])  # (T, 17, 3) camera frame, metres
            root = pts[:, 0]
            out.append(Sequence(
                subject=s, action=a, camera=c, camera_params=cam,
                pose_3d=(pts - root[:, None]).astype(np.float32),
                root=root.astype(np.float32),
                keypoints_2d=np.ascontiguousarray(kp[:t, :, :2], dtype=np.float32),
                confidence=np.ascontiguousarray(kp[:t, :, 2], dtype=np.float32) if kp.shape[2] == 3 else None,
                missing_2d=missing, keypoints_file=str(p2),
            ))
        return out


def open_data(data_dir: str | Path, name: str, source: str) -> DataFiles:
    """Read and check ``data_3d_<name>.npz``, ``data_2d_<name>_<source>.npz`` and the cameras
    in ``data_dir`` (once per run: every split is assembled from the result)."""
    data_dir = Path(data_dir)
    _check_name("dataset name", name)
    _check_name("2D source", source)
    if not data_dir.is_dir():
        raise WsgcnError(f"{data_dir}: data folder not found")
    p3 = data_dir / f"data_3d_{name}.npz"
    p2 = data_dir / f"data_2d_{name}_{source}.npz"
    pos3 = read_positions_3d(p3)
    pos2, _ = read_positions_2d(p2)
    rig = load_rig(data_dir, name)
    cam_file = cameras_path(data_dir, name)
    return DataFiles(p3, p2, pos3, pos2, rig, str(cam_file) if cam_file.is_file() else "built-in Human3.6M cameras")


def load_sequences(data_dir: str | Path, name: str, source: str,
                   subjects: Iterable[str] | None = None) -> list[Sequence]:
    """Read ``data_3d_<name>.npz``, ``data_2d_<name>_<source>.npz`` and the cameras from
    ``data_dir`` and return one :class:`Sequence` per subject, action and camera.

    ``subjects`` defaults to every subject of the 3D file. Sequences come in natural subject
    order (S1, S5, ..., S11), sorted actions, camera index. Every 3D action must have 2D for
    every camera of the rig; actions only in the 2D file are ignored. When the 2D and 3D frame
    counts differ the longer one is cut to the shorter (detector files sometimes carry extra
    frames); a view left without frames is skipped. A 16-joint 2D file (no Neck/Nose) gives
    sequences with ``missing_2d == ("Neck",)`` and NaN in that slot of ``keypoints_2d``.
    Reading several subject lists of one dataset: :func:`open_data` once, then
    :meth:`DataFiles.sequences`.
    """
    return open_data(data_dir, name, source).sequences(subjects)
