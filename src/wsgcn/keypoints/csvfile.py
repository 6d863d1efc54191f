"""CSV keypoints: one row per frame, one person, 34 (x, y) or 51 (x, y, score) columns for 17
joints in COCO-17 or Human3.6M-17 order; an optional header row; empty cells are missing."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from ..errors import WsgcnError
from .convert import valid_mask
from .order import resolve_joint_order
from .probe import Probe
from .tracks import Keypoints2D


def sniff_csv(probe: Probe) -> bool:
    """A ``.csv`` or ``.txt`` file."""
    return not probe.is_dir and probe.suffix in (".csv", ".txt")


def _rows(path: Path) -> list[list[str]]:
    """The non-blank rows of the file, without a header row (one that is not all numbers)."""
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
    return rows


def _table(path: Path, rows: list[list[str]]) -> np.ndarray:
    """The rows as float64 (T, 17, 2|3): x, y[, score] per joint (NaN for empty cells)."""
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
    return arr.reshape(len(arr), 17, 3 if arr.shape[1] == 51 else 2)


def read_csv(probe: Probe, joints: str) -> Keypoints2D:
    """A CSV file of one person's keypoints in the order ``joints`` (``auto``: guessed)."""
    path = probe.path
    arr = _table(path, _rows(path))
    xy = arr[..., :2]
    scores = arr[..., 2] if arr.shape[-1] == 3 else np.full(arr.shape[:2], np.nan)
    present = valid_mask(xy, None, 0.0).any(-1)
    if not present.any():
        raise WsgcnError(f"{path}: no keypoints: every position is empty, NaN or (0, 0) (0 people)")
    order = resolve_joint_order(path, joints, None, xy[None], present[None])
    return Keypoints2D(path=path, format="csv", layout="CSV, " + ("COCO-17" if order == "coco17" else "Human3.6M-17"),
                       joints=order, frame_ids=[str(t) for t in range(len(arr))], track_ids=["0"],
                       keypoints=np.where(present[:, None, None], xy, np.nan)[None],
                       scores=np.where(present[:, None], scores, np.nan)[None], present=present[None].copy())
