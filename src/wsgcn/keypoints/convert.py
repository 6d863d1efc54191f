"""Joint-order conversion to Human3.6M-17 pixels, and which joints count as seen.

A joint is usable when its position is finite, not exactly (0, 0) (the "not detected" value of
OpenPose and ultralytics) and its score, when there is one, is at least ``min_score``.
"""

from __future__ import annotations

import numpy as np

from ..errors import WsgcnError
from ..skeleton import H36M17
from .joints import COCO17_NAMES, COCO17_TO_H36M17, JOINT_ORDERS
from .params import check_choice


def valid_mask(keypoints: np.ndarray, scores: np.ndarray | None, min_score: float) -> np.ndarray:
    """(..., J) bool: a joint is usable when its position is finite, not exactly (0, 0) and its
    score (when given: NaN means none) is at least ``min_score``."""
    kp = np.asarray(keypoints, dtype=np.float64)
    ok = np.isfinite(kp).all(-1) & ~(kp == 0).all(-1)
    if scores is not None:
        s = np.asarray(scores, dtype=np.float64)
        ok &= np.isnan(s) | (s >= min_score)
    return ok


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


def to_h36m17(keypoints: np.ndarray, scores: np.ndarray | None, joints: str, min_score: float
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(..., 17, 2) pixels in ``joints`` order (``coco17``/``h36m17``) -> Human3.6M-17:
    (keypoints with NaN where unknown, valid (..., 17) bool, scores (..., 17))."""
    kp = np.asarray(keypoints, dtype=np.float64)
    sc = np.full(kp.shape[:-1], np.nan) if scores is None else np.asarray(scores, dtype=np.float64)
    check_choice("joints", joints, JOINT_ORDERS)
    ok = valid_mask(kp, sc, min_score)
    if joints == "coco17":
        return coco17_to_h36m17(kp, ok, sc)
    return np.where(ok[..., None], kp, np.nan), ok, np.where(ok, sc, np.nan)

