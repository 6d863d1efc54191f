"""npz arrays: ultralytics-style COCO-17 (``np.stack([r.keypoints.data for r in results])``) or
Human3.6M-17 keypoints, (T, 17, 2|3), (T, people, 17, 2|3) or (T, 34|51), loaded without pickle."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import WsgcnError
from ..io import load_npz
from .convert import valid_mask
from .order import resolve_joint_order
from .probe import Probe
from .tracks import Detection, Keypoints2D, assemble, check_size, track_id


def sniff_npz(probe: Probe) -> bool:
    """A ``.npz`` file."""
    return not probe.is_dir and probe.suffix == ".npz"


def _keypoint_array(path: Path, z: dict[str, np.ndarray]) -> tuple[str, np.ndarray]:
    """(name, float64 (T, P, 17, 2|3)) of the keypoint array: 'keypoints', else the only numeric
    array of 3 or more dimensions."""
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
    return key, kp


def _scores(path: Path, z: dict[str, np.ndarray], kp: np.ndarray) -> np.ndarray:
    """(T, P, 17) scores: a 'scores'/'keypoint_scores'/'conf' array, else kp's third column, else NaN."""
    T, P = kp.shape[:2]
    scores = kp[..., 2] if kp.shape[-1] == 3 else np.full(kp.shape[:3], np.nan)
    for sk in ("scores", "keypoint_scores", "conf"):
        if sk in z:
            s = z[sk].astype(np.float64) if z[sk].dtype.kind in "fiu" else None
            if s is None or s.reshape(-1).size != T * P * 17:
                raise WsgcnError(f"{path}: '{sk}' must hold one number per keypoint ({T * P * 17}), got shape {z[sk].shape}")
            scores = s.reshape(T, P, 17)
            break
    return scores


def _per_frame_tracks(path: Path, z: dict[str, np.ndarray], joints: str, xy: np.ndarray, scores: np.ndarray,
                      present: np.ndarray, tids: np.ndarray) -> Keypoints2D:
    """Tracks from per-frame track ids ``tids`` (T, P): slot p of frame t is track ``tids[t, p]``."""
    T, P = present.shape
    frames = [(str(t), [Detection(track_id(int(tids[t, p])), xy[t, p], scores[t, p])
                        for p in range(P) if present[t, p]]) for t in range(T)]
    res = assemble(path, "npz", "npz arrays (per-frame track ids)", frames, image_size=_npz_size(path, z))
    res.joints = resolve_joint_order(path, joints, z.get("joint_format"), res.keypoints, res.present)
    return res


def read_npz(probe: Probe, joints: str) -> Keypoints2D:
    """An npz file of keypoints in the order ``joints`` (``auto``: its 'joint_format', else guessed).

    A slot of a padded (T, P, ...) array is empty (person absent) when none of its joints has a position.
    """
    path = probe.path
    z = load_npz(path)
    key, kp = _keypoint_array(path, z)
    T, P = kp.shape[:2]
    scores = _scores(path, z, kp)
    xy = kp[..., :2]
    present = valid_mask(xy, None, 0.0).any(-1)
    if not present.any():
        raise WsgcnError(f"{path}: no keypoints: every position in '{key}' is NaN or (0, 0) (0 people)")
    track_ids, tracked = [str(p) for p in range(P)], False
    if "track_ids" in z:
        tids = z["track_ids"]
        if tids.shape not in ((P,), (T, P)) or tids.dtype.kind not in "iu":
            raise WsgcnError(f"{path}: 'track_ids' must be integers shaped ({P},) or ({T}, {P}), got {tids.dtype} {tids.shape}")
        if tids.ndim == 2:
            return _per_frame_tracks(path, z, joints, xy, scores, present, tids)
        track_ids, tracked = [str(int(t)) for t in tids], True
    order = resolve_joint_order(path, joints, z.get("joint_format"), xy.transpose(1, 0, 2, 3), present.T)
    layout = "npz arrays, ultralytics-style COCO-17" if order == "coco17" else "npz arrays, Human3.6M-17"
    return Keypoints2D(path=path, format="npz", layout=layout, joints=order, frame_ids=[str(t) for t in range(T)],
                       track_ids=track_ids,
                       keypoints=np.where(present[..., None, None], xy, np.nan).transpose(1, 0, 2, 3),
                       scores=np.where(present[..., None], scores, np.nan).transpose(1, 0, 2),
                       present=present.T.copy(), image_size=_npz_size(path, z), tracked=tracked)


def _npz_size(path: Path, z: dict[str, np.ndarray]) -> tuple[int, int] | None:
    """(width, height) pixels from 'image_size', ultralytics' 'orig_shape' or 'width'/'height'; else None."""
    def vals(k: str) -> list[float]:
        a = z[k]
        if a.dtype.kind not in "fiu":
            raise WsgcnError(f"{path}: '{k}' must be numeric")
        return [float(v) for v in a.reshape(-1)]

    if "image_size" in z:
        v = vals("image_size")
        if len(v) != 2:
            raise WsgcnError(f"{path}: 'image_size' must be (width, height)")
        return check_size(f"{path}: image_size", v[0], v[1])
    if "orig_shape" in z:  # ultralytics' Results.orig_shape is (height, width)
        v = vals("orig_shape")
        if len(v) < 2:
            raise WsgcnError(f"{path}: 'orig_shape' must be (height, width)")
        return check_size(f"{path}: orig_shape", v[1], v[0])
    if "width" in z and "height" in z:
        w, h = vals("width"), vals("height")
        if len(w) != 1 or len(h) != 1:
            raise WsgcnError(f"{path}: 'width' and 'height' must be single numbers")
        return check_size(f"{path}: width/height", w[0], h[0])
    return None
