"""Filling the missing joints of one person's track: linear interpolation in time over short
gaps, else the mean pose placed on the joints that are known in the frame."""

from __future__ import annotations

import numpy as np

from .joints import ABSENT, INTERPOLATED, MEAN_POSE, MEAN_POSE_H36M17, OBSERVED


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
    _interpolate(kp, valid, present, max_gap, out, flags)
    usable = _place_template(out, flags, present, np.asarray(template, dtype=np.float64))
    out[~usable] = np.nan
    flags[~usable] = ABSENT
    return out, flags, usable


def _interpolate(kp: np.ndarray, valid: np.ndarray, present: np.ndarray, max_gap: int, out: np.ndarray,
                 flags: np.ndarray) -> None:
    """Fill ``out`` (T, J, 2) in place where a joint is missing in a present frame, between the
    nearest earlier and later frames where it was seen (``valid`` (T, J)) if at most ``max_gap``
    frames are missing in between; flag those :data:`INTERPOLATED`."""
    for j in range(kp.shape[1]):
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


def _place_template(out: np.ndarray, flags: np.ndarray, present: np.ndarray, tmpl: np.ndarray) -> np.ndarray:
    """Fill what is still missing in ``out`` (T, J, 2) in place from ``tmpl`` (J, 2), scaled by the
    ratio of bounding-box diagonals and moved onto the bounding-box centre of the frame's known
    joints; flag those :data:`MEAN_POSE`. Returns usable (T,) bool: False for present frames with
    fewer than 2 known joints (or all at one point), where the template cannot be placed."""
    known = present[:, None] & (flags != ABSENT)
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
    return usable
