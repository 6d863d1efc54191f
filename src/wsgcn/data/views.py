"""Synchronised views of one instant (docs/METHOD.md §5 "Multi-view consistency", §7 "Batch layout").

A multi-camera dataset films every instant (subject, action, frame) from several calibrated,
synchronised cameras; a :class:`~wsgcn.data.batches.PoseSet` row is one (instant, camera). This
module gives the rows of one instant a common *view group* id and turns the ids into a table of
complete groups (:class:`wsgcn.data.batches.GroupStream` draws batches of whole groups).

Synchronisation: the cameras of a sequence are taken to start at the same instant (frame 0 of
every camera is one instant, as in the VideoPose3D files of Human3.6M, where the 4 cameras of
S5-S8 have the same frame count). Where the counts differ, only the common prefix (frames below
the shortest camera's count) is grouped; the rest are single-view rows (group -1).
"""

from __future__ import annotations

from collections.abc import Sequence as Seq

import numpy as np
import torch


def view_group_ids(keys: Seq[tuple[str, str]], first: Seq[int], lengths: Seq[int], frames: Seq[np.ndarray]) -> np.ndarray:
    """Group id per row, (N,) int64: rows of one instant seen by >= 2 cameras share an id
    (0, 1, ...); every other row gets -1.

    One entry per camera sequence, in the order its rows are stacked: ``keys`` (subject, action),
    ``first`` the sequence's first frame in the original recording, ``lengths`` its frame count
    and ``frames`` (n,) the recording frame of each of its rows (after the stride). The frames
    ``[max first, min(first + length))`` of a (subject, action) are its synchronised prefix."""
    lo: dict[tuple[str, str], int] = {}
    hi: dict[tuple[str, str], int] = {}
    for k, f, n in zip(keys, first, lengths):
        lo[k] = max(lo.get(k, f), f)
        hi[k] = min(hi.get(k, f + n), f + n)
    index = {k: i for i, k in enumerate(dict.fromkeys(keys))}
    if not frames:
        return np.zeros(0, dtype=np.int64)
    span = max(max(hi.values()), 0) + 1
    code = []
    for k, fr in zip(keys, frames):
        inside = (fr >= lo[k]) & (fr < hi[k])
        code.append(np.where(inside, index[k] * span + fr, -1).astype(np.int64))
    code_all = np.concatenate(code)
    out = np.full(len(code_all), -1, dtype=np.int64)
    valid = code_all >= 0
    if valid.any():
        _, inv, counts = np.unique(code_all[valid], return_inverse=True, return_counts=True)
        inv = inv.reshape(-1)
        multi = counts >= 2  # an instant only one camera sees is a single-view row
        renumber = np.cumsum(multi) - 1
        out[valid] = np.where(multi[inv], renumber[inv], -1)
    return out


def complete_groups(group: torch.Tensor) -> tuple[torch.Tensor, int]:
    """The complete view groups of ``group`` (N,) ids: a (G, V) int64 table of row indices, one
    row per instant, its views in row order (camera order), V the largest group size; and the
    number of rows left out (single-view rows and rows of groups with fewer than V views).
    An empty (0, 0) table when no instant has 2 views."""
    group = group.detach().cpu().long()
    rows = torch.nonzero(group >= 0).reshape(-1)
    if len(rows) == 0:
        return torch.zeros(0, 0, dtype=torch.long), int(group.numel())
    _, inv, counts = torch.unique(group[rows], return_inverse=True, return_counts=True)
    views = int(counts.max())
    order = torch.argsort(inv, stable=True)  # grouped, rows of a group in row order
    rows, inv = rows[order], inv[order]
    keep = counts[inv] == views
    table = rows[keep].reshape(-1, views)
    return table, int(group.numel()) - int(table.numel())
