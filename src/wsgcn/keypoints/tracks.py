"""Per-person tracks as read from a detector file (:class:`Keypoints2D`) and the helpers every
reader shares: grouping per-frame detections into tracks, track ids, image sizes."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import WsgcnError
from ..io import natural_key


@dataclass
class Keypoints2D:
    """2D keypoints of P people over T frames, as read from one detector file (or folder).

    ``keypoints`` (P, T, 17, 2) float64 pixels in the order ``joints`` ("coco17" or "h36m17"),
    NaN where the file has nothing; ``scores`` (P, T, 17) float64 confidences, NaN where the
    file gives none; ``present`` (P, T) bool, a detection of person p exists in frame t.
    """

    path: Path
    format: str  # the reader's name in wsgcn.keypoints.formats.READERS: coco | mmpose | openpose | npz | csv
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
        """P, the number of tracks."""
        return int(self.keypoints.shape[0])

    @property
    def num_frames(self) -> int:
        """T, the number of frames."""
        return int(self.keypoints.shape[1])


@dataclass
class Detection:
    """One person in one frame: ``track`` id (None: the file gives none), ``kp`` (17, 2) COCO-17
    pixels, ``score`` (17,) confidences (NaN: none)."""

    track: str | None
    kp: np.ndarray  # (17, 2)
    score: np.ndarray  # (17,)


def track_id(v: Any) -> str | None:
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


def assemble(path: Path, fmt: str, layout: str, frames: list[tuple[str, list[Detection]]],
             image_size: tuple[int, int] | None = None, notes: list[str] | None = None) -> Keypoints2D:
    """Group per-frame detections ``frames`` [(frame id, detections)] into tracks: by the file's
    track ids when every detection has one, else by the detection's index within its frame."""
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


def check_size(where: str, w: Any, h: Any) -> tuple[int, int]:
    """An image size from a file as (width, height) whole pixels; ``where`` prefixes the error."""
    try:
        wf, hf = float(w), float(h)
    except (TypeError, ValueError, OverflowError):
        raise WsgcnError(f"{where}: image width/height must be numbers, got {w!r} x {h!r}") from None
    if not (math.isfinite(wf) and math.isfinite(hf)) or wf <= 0 or hf <= 0 or not wf.is_integer() or not hf.is_integer():
        raise WsgcnError(f"{where}: image size must be positive whole pixels, got {w!r} x {h!r}")
    return int(wf), int(hf)


def frames_summary(data: Keypoints2D) -> str:
    """One line describing what was read, e.g. for the CLI."""
    return (f"{data.path}: {data.layout}, {data.num_frames} frame(s), {data.num_people} "
            f"{'tracked people' if data.tracked else 'people (by detection index)'}"
            + "".join(f"; {n}" for n in data.notes))

