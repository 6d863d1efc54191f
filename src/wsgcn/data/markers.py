"""Marker-based motion capture: reading C3D and Vicon CSM files, and filling short gaps.

A :class:`MarkerTrial` holds the trajectories of the labelled markers of one capture, in metres
in the file's own axes (the z-up world comes later, in :mod:`wsgcn.data.joint_centres`), with
NaN where a marker was not seen.

* **C3D** (binary, the biomechanics standard) is parsed with the ``c3d`` package (py-c3d, pure
  Python, numpy only). Labels lose their ``Subject:`` prefix; a point is missing where its
  residual is negative (the C3D convention) or all three coordinates are exactly 0; the length
  unit is ``POINT:UNITS``. A file that holds fewer frames than its header declares (truncated)
  is an error, not a shorter take.
* **CSM** (Vicon's character-studio marker text format): ``$Name value`` header lines
  (``$Actor``, ``$FirstFrame``, ``$LastFrame``, ``$Rate``), ``$Order`` followed by the marker
  names on the next line, ``$Points`` followed by one row per frame, ``frame x y z x y z ...``
  in millimetres, a missing marker written as the single word ``DROPOUT`` in place of its
  three numbers.

:func:`fill_gaps` interpolates short gaps (cubic spline through the marker's seen frames; gaps
at the start or the end are never extrapolated) and leaves longer ones missing.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.interpolate import CubicSpline

from ..errors import WsgcnError

UNIT_METRES = {"mm": 1e-3, "cm": 1e-2, "m": 1.0}
"""Metres per length unit named in a C3D file's ``POINT:UNITS``."""

MAX_GAP_SECONDS = 0.1
"""Gaps of at most this long (in seconds, rounded down to whole frames) are interpolated."""


@dataclass
class MarkerTrial:
    """One marker capture.

    ``labels`` the M marker names (without a subject prefix); ``positions`` (T, M, 3) float64
    metres in the file's axes, NaN where missing; ``rate`` frames per second; ``subject`` the
    performer's name as the file gives it ('' if none); ``declared_frames`` the frame count of
    the file's header."""

    labels: tuple[str, ...]
    positions: np.ndarray
    rate: float
    subject: str
    declared_frames: int

    @property
    def num_frames(self) -> int:
        return int(self.positions.shape[0])

    def index(self, name: str) -> int:
        try:
            return self.labels.index(name)
        except ValueError:
            raise WsgcnError(f"marker {name!r} not in the capture ({len(self.labels)} markers)") from None

    def marker(self, name: str) -> np.ndarray:
        """(T, 3) trajectory of one marker, metres, NaN where missing."""
        return self.positions[:, self.index(name)]

    def seen(self) -> np.ndarray:
        """(T, M) bool: where each marker has a position."""
        return ~np.isnan(self.positions).any(axis=-1)


def read_markers(path: str | os.PathLike) -> MarkerTrial:
    """Read a ``.c3d`` or ``.csm`` file (by its suffix) -> :class:`MarkerTrial`."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".c3d":
        return read_c3d(path)
    if suffix == ".csm":
        return read_csm(path)
    raise WsgcnError(f"{path}: unknown marker file type {suffix!r} (expected .c3d or .csm)")


# ----------------------------------------------------------------------------- C3D

def _c3d_string(reader: object, key: str) -> str:
    param = reader.get(key)  # type: ignore[attr-defined]
    return param.string_value.strip() if param is not None else ""


def _c3d_labels(reader: object) -> tuple[list[str], str]:
    """Marker labels without their ``Subject:`` prefix, and the subject named by the prefixes
    (else by ``SUBJECTS:NAMES``)."""
    raw = [str(s).strip() for s in reader.point_labels]  # type: ignore[attr-defined]
    prefixes = {s.split(":", 1)[0] for s in raw if ":" in s}
    labels = [s.split(":", 1)[1] if ":" in s else s for s in raw]
    subject = prefixes.pop() if len(prefixes) == 1 else _c3d_string(reader, "SUBJECTS:NAMES")
    return labels, subject


def read_c3d(path: str | os.PathLike) -> MarkerTrial:
    """Read the 3D points of a C3D file -> :class:`MarkerTrial` (metres, file axes)."""
    import c3d  # only where needed

    path = Path(path)
    if not path.is_file():
        raise WsgcnError(f"{path}: file not found")
    try:
        with open(path, "rb") as fh, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # py-c3d warns about optional parameters it lacks
            reader = c3d.Reader(fh)
            labels, subject = _c3d_labels(reader)
            units = _c3d_string(reader, "POINT:UNITS") or "mm"
            rate = float(reader.point_rate)
            declared = int(reader.last_frame) - int(reader.first_frame) + 1
            frames = [points[:, :4].astype(np.float64) for _, points, _ in reader.read_frames()]
    except WsgcnError:
        raise
    except Exception as e:  # py-c3d raises struct, value, key and assertion errors on bad input
        raise WsgcnError(f"{path}: not a readable C3D file ({type(e).__name__}: {e})") from None
    if units not in UNIT_METRES:
        raise WsgcnError(f"{path}: unknown C3D length unit {units!r}")
    if not rate > 0 or not labels:
        raise WsgcnError(f"{path}: C3D file has no point rate or no point labels")
    if len(frames) < declared or declared <= 0:
        raise WsgcnError(f"{path}: C3D file declares {declared} frames but holds {len(frames)} (truncated?)")
    data = np.stack(frames[:declared])  # (T, M, 4): x, y, z, residual
    if data.shape[1] != len(labels):
        raise WsgcnError(f"{path}: {data.shape[1]} points per frame but {len(labels)} labels")
    xyz = data[..., :3] * UNIT_METRES[units]
    missing = (data[..., 3] < 0) | np.all(data[..., :3] == 0, axis=-1) | ~np.isfinite(xyz).all(axis=-1)
    xyz[missing] = np.nan
    return MarkerTrial(labels=tuple(labels), positions=xyz, rate=rate, subject=subject, declared_frames=declared)


# ----------------------------------------------------------------------------- CSM

def _csm_header(lines: list[str], path: Path) -> tuple[dict[str, str], list[str], int]:
    """Header fields (``$Name value``), the marker order, and the index of the first point row."""
    fields: dict[str, str] = {}
    order: list[str] = []
    for i, line in enumerate(lines):
        text = line.strip()
        if not text.startswith("$"):
            continue
        key, _, value = text[1:].partition(" ")
        if key == "Order":
            order = lines[i + 1].split() if i + 1 < len(lines) else []
        elif key == "Points":
            return fields, order, i + 1
        else:
            fields[key] = value.strip()
    raise WsgcnError(f"{path}: not a CSM file (no $Points section)")


def _csm_row(tokens: list[str], n_markers: int) -> np.ndarray:
    """(M, 3) millimetres of one point row's tokens after the frame number; NaN for DROPOUT."""
    out = np.full((n_markers, 3), np.nan)
    k = 0
    for m in range(n_markers):
        if k >= len(tokens):
            raise ValueError(f"{n_markers - m} of {n_markers} markers missing")
        if tokens[k].upper() == "DROPOUT":
            k += 1
            continue
        if len(tokens) < k + 3:
            raise ValueError(f"marker {m + 1} has fewer than 3 coordinates")
        out[m] = [float(t) for t in tokens[k:k + 3]]
        k += 3
    if k != len(tokens):
        raise ValueError(f"{len(tokens) - k} values more than {n_markers} markers")
    return out


def read_csm(path: str | os.PathLike) -> MarkerTrial:
    """Read a Vicon CSM text file -> :class:`MarkerTrial` (metres, file axes)."""
    path = Path(path)
    if not path.is_file():
        raise WsgcnError(f"{path}: file not found")
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    fields, order, start = _csm_header(lines, path)
    try:
        rate = float(fields["Rate"])
        first, last = int(fields["FirstFrame"]), int(fields["LastFrame"])
    except (KeyError, ValueError) as e:
        raise WsgcnError(f"{path}: CSM header lacks a valid $Rate, $FirstFrame or $LastFrame ({e})") from None
    if not order or not rate > 0:
        raise WsgcnError(f"{path}: CSM file has no marker $Order or no positive $Rate")
    rows = [ln.split() for ln in lines[start:] if ln.strip()]
    declared = last - first + 1
    if len(rows) != declared:
        raise WsgcnError(f"{path}: CSM file declares {declared} frames but holds {len(rows)} point rows")
    frames = np.empty((declared, len(order), 3))
    for t, row in enumerate(rows):
        try:
            if int(row[0]) != first + t:
                raise ValueError(f"frame number {row[0]}, expected {first + t}")
            frames[t] = _csm_row(row[1:], len(order))
        except ValueError as e:
            raise WsgcnError(f"{path}: bad CSM point row {start + t + 1} ({e})") from None
    return MarkerTrial(labels=tuple(order), positions=frames * 1e-3, rate=rate,
                       subject=fields.get("Actor", ""), declared_frames=declared)


# ----------------------------------------------------------------------------- gaps

def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of every stretch of True in a (T,) bool mask."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def fill_gaps(trial: MarkerTrial, max_gap_seconds: float = MAX_GAP_SECONDS) -> tuple[MarkerTrial, dict[str, int]]:
    """A copy of ``trial`` with every interior gap of at most ``max_gap_seconds`` (whole frames:
    ``floor(max_gap_seconds * rate)``) filled by a cubic spline through the marker's seen
    frames; longer gaps and gaps at either end stay NaN. Also returns the number of frames
    filled per marker (markers with none left out)."""
    max_frames = int(np.floor(max_gap_seconds * trial.rate + 1e-9))
    out = trial.positions.copy()
    seen = trial.seen()
    t = np.arange(trial.num_frames, dtype=np.float64)
    filled: dict[str, int] = {}
    for m, name in enumerate(trial.labels):
        ok = seen[:, m]
        if ok.all() or ok.sum() < 4:
            continue
        todo = [(a, b) for a, b in _runs(~ok) if a > 0 and b < trial.num_frames and b - a <= max_frames]
        if not todo:
            continue
        spline = CubicSpline(t[ok], out[ok, m])
        for a, b in todo:
            out[a:b, m] = spline(t[a:b])
        filled[name] = int(sum(b - a for a, b in todo))
    return MarkerTrial(labels=trial.labels, positions=out, rate=trial.rate, subject=trial.subject,
                       declared_frames=trial.declared_frames), filled
