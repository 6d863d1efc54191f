"""From tracks read from a file to Human3.6M-17 pixel keypoints ready for lifting: conversion,
validity by score, gap filling (:func:`prepare_tracks`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .convert import to_h36m17
from .fill import fill_missing
from .joints import ABSENT
from .params import Arg, ParameterError
from .tracks import Keypoints2D


class NoUsableKeypoints(ParameterError):
    """No frame of a track file holds a joint that can be placed (raised by :func:`prepare_tracks`)."""


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
    (:func:`to_h36m17`, :func:`fill_missing`): joints scored below ``min_score`` count as missing;
    gaps of at most ``max_gap`` frames are interpolated. Raises :class:`ParameterError` (a
    :class:`WsgcnError`) for a bad ``min_score``/``max_gap`` and when nothing is usable."""
    if not math.isfinite(min_score) or min_score < 0:
        raise ParameterError(Arg("min_score"), f" must be a number >= 0, got {min_score}")
    if max_gap < 0:
        raise ParameterError(Arg("max_gap"), f" must be >= 0, got {max_gap}")
    kp, valid, sc = to_h36m17(data.keypoints, data.scores, data.joints, min_score)
    P, T = data.present.shape
    out = np.full((P, T, 17, 2), np.nan)
    flags = np.full((P, T, 17), ABSENT, dtype=np.uint8)
    present = np.zeros((P, T), dtype=bool)
    for p in range(P):
        out[p], flags[p], present[p] = fill_missing(kp[p], valid[p], data.present[p], max_gap)
    dropped = int((data.present & ~present).sum())
    if not present.any():
        raise NoUsableKeypoints(f"{data.path}: no usable keypoints: every joint is missing, NaN, (0, 0) or scored "
                             "below ", Arg("min_score", min_score), f" in all {T} frame(s)")
    return PreparedTracks(keypoints=out, flags=flags, scores=np.where(present[..., None], sc, np.nan),
                          present=present, dropped=dropped)
