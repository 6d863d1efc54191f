"""Which joint order an npz/CSV array holds (COCO-17 or Human3.6M-17): the caller's ``joints``,
the file's own ``joint_format`` entry, else recognised from the geometry."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import WsgcnError
from .convert import valid_mask
from .joints import JOINT_ORDER_ALIASES
from .params import Arg, ParameterError


def guess_joint_order(keypoints: np.ndarray, present: np.ndarray | None = None) -> str | None:
    """Tell COCO-17 from Human3.6M-17 order by the geometry: in COCO order joints 1-4 are the eyes
    and ears, close to joint 0 (the nose); in Human3.6M order they are the right hip, knee, foot
    and left hip, far from joint 0 (the pelvis) once knees or feet are seen.

    ``keypoints`` (..., 17, 2) with NaN or (0, 0) for missing joints. Returns ``"coco17"``,
    ``"h36m17"`` or None when too few frames decide it clearly.
    """
    kp = np.asarray(keypoints, dtype=np.float64).reshape(-1, 17, 2)
    ok = valid_mask(kp, None, 0.0)
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


def _scalar_str(a: np.ndarray) -> str | None:
    if a.dtype.kind in "US" and a.size == 1:
        return str(a.reshape(()).item()).strip().lower()
    return None


def resolve_joint_order(path: Path, joints: str, declared: np.ndarray | None, xy: np.ndarray,
                        present: np.ndarray) -> str:
    """The joint order of the array ``xy`` (..., 17, 2) read from ``path``: ``joints`` unless
    ``"auto"``, else the file's ``joint_format`` entry ``declared`` (None: none), else
    :func:`guess_joint_order` over the frames where ``present`` (...)."""
    if joints != "auto":
        return joints
    if declared is not None:
        s = _scalar_str(declared)
        if s not in JOINT_ORDER_ALIASES:
            raise WsgcnError(f"{path}: 'joint_format' must be 'coco17' or 'h36m17', got {declared!r}")
        return JOINT_ORDER_ALIASES[s]
    order = guess_joint_order(xy, present)
    if order is None:
        raise ParameterError(f"{path}: cannot tell whether the 17 joints are in COCO or Human3.6M order; give ",
                             Arg("joints", "coco17"), " or ", Arg("joints", "h36m17"))
    return order
