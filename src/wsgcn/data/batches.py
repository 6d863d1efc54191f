"""Normalised tensors in memory and index batches: the only thing the training loop sees.

A :class:`PoseSet` holds one row per (frame, camera): normalised 2D input, root-relative
camera-frame 3D target, the root position kept aside, the normalised intrinsics and the rotation
of the row's camera, and which instant and camera the row is (its view group: the rows of one
instant seen by synchronised cameras, :mod:`wsgcn.data.views`). Batches are index tensors into
it (no per-sample Python): :class:`IndexStream` draws rows, :class:`GroupStream` whole view groups.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence as Seq

import numpy as np
import torch

from ..errors import WsgcnError
from ..codec import encode, select
from ..skeleton import Skeleton
from .views import view_group_ids


@dataclass
class PoseSet:
    """Rows of poses; every tensor has the row axis first.

    inputs (N, J, 2) normalised screen units; targets (N, J, 3) metres, root-relative,
    camera frame; root (N, 3) metres, camera frame; intrinsics (N, 9) normalised;
    action (N,) index into ``actions``; subject (N,) index into ``subjects``;
    camera (N,) int64 camera index within the subject's rig; frame (N,) int64 frame of the
    recording; rotation (N, 3, 3) float32 the camera's world -> camera rotation R (calibration,
    not a label: x_cam = R (x_world - C)); group (N,) int64 view group, the rows of one instant
    (subject, action, frame) seen by >= 2 synchronised cameras share it, -1 for a single-view row."""

    inputs: torch.Tensor
    targets: torch.Tensor
    root: torch.Tensor
    intrinsics: torch.Tensor
    action: torch.Tensor
    subject: torch.Tensor
    actions: list[str]
    subjects: list[str]
    camera: torch.Tensor
    frame: torch.Tensor
    rotation: torch.Tensor
    group: torch.Tensor

    def __len__(self) -> int:
        return int(self.inputs.shape[0])

    def take(self, idx: torch.Tensor) -> "PoseSet":
        return PoseSet(self.inputs[idx], self.targets[idx], self.root[idx], self.intrinsics[idx],
                       self.action[idx], self.subject[idx], self.actions, self.subjects,
                       self.camera[idx], self.frame[idx], self.rotation[idx], self.group[idx])

    def to(self, device: torch.device) -> "PoseSet":
        """The same rows with every tensor on ``device``."""
        return PoseSet(self.inputs.to(device), self.targets.to(device), self.root.to(device),
                       self.intrinsics.to(device), self.action.to(device), self.subject.to(device),
                       self.actions, self.subjects, self.camera.to(device), self.frame.to(device),
                       self.rotation.to(device), self.group.to(device))

    @property
    def action_names(self) -> list[str]:
        """Per-row action name, (N,)."""
        return [self.actions[i] for i in self.action.tolist()]


def empty_like_joints(num_joints: int) -> PoseSet:
    z = torch.zeros
    i = lambda: torch.zeros(0, dtype=torch.long)  # noqa: E731
    return PoseSet(z(0, num_joints, 2), z(0, num_joints, 3), z(0, 3), z(0, 9), i(), i(), [], [],
                   i(), i(), z(0, 3, 3), i())


def build_poseset(sequences: Seq, skeleton: Skeleton, stride: int = 1,
                  action_key=lambda s: s.action) -> PoseSet:
    """Flatten sequences (``wsgcn.data.h36m.Sequence``) into a :class:`PoseSet`, keeping
    every ``stride``-th frame and the joints of ``skeleton``. ``action_key`` maps a sequence
    to the action name used for per-action reporting. Rows keep their camera, recording frame
    and camera rotation, and the rows of one instant their view group (:func:`_view_columns`).

    A sequence whose 2D file lacks joints of ``skeleton`` (``missing_2d``: a 16-joint file used
    with the 17-joint set) is refused with one line naming the file; no NaN input can pass."""
    for s in sequences:
        missing = [n for n in getattr(s, "missing_2d", ()) if n in skeleton.names]
        if missing:
            where = getattr(s, "keypoints_file", "") or "2D keypoints"
            raise WsgcnError(f"{where}: 16-joint 2D keypoints (no Neck/Nose) need data.joints: 16 "
                             f"(joint set {skeleton.name} uses {', '.join(missing)})")
    if not sequences:
        return empty_like_joints(skeleton.num_joints)
    inputs, targets, roots, intr, act, subj, used = [], [], [], [], [], [], []
    actions: list[str] = []
    subjects: list[str] = []
    for s in sequences:
        sl = slice(None, None, stride)
        cam = s.camera_params
        x = encode(s.keypoints_2d[sl], cam.res_w, cam.res_h, skeleton)
        n = x.shape[0]
        if n == 0:
            continue
        if not np.isfinite(x).all():
            where = getattr(s, "keypoints_file", "") or "2D keypoints"
            raise WsgcnError(f"{where}: non-finite 2D input for {s.subject} {s.action!r} camera {s.camera}")
        inputs.append(x)
        used.append(s)
        targets.append(select(np.asarray(s.pose_3d[sl]), skeleton).astype(np.float32))
        roots.append(np.asarray(s.root[sl], dtype=np.float32))
        intr.append(np.broadcast_to(cam.normalized_intrinsics.astype(np.float32), (n, 9)))
        a = action_key(s)
        if a not in actions:
            actions.append(a)
        if s.subject not in subjects:
            subjects.append(s.subject)
        act.append(np.full(n, actions.index(a), dtype=np.int64))
        subj.append(np.full(n, subjects.index(s.subject), dtype=np.int64))
    if not inputs:
        return empty_like_joints(skeleton.num_joints)
    cat = lambda xs: torch.from_numpy(np.ascontiguousarray(np.concatenate(xs)))  # noqa: E731
    return PoseSet(cat(inputs), cat(targets), cat(roots), cat(intr), cat(act), cat(subj), actions, subjects,
                   *_view_columns(used, stride))


def _view_columns(sequences: Seq, stride: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Camera (N,), recording frame (N,), camera rotation (N, 3, 3) float32 and view group (N,)
    of the rows :func:`build_poseset` stacks from ``sequences`` (each non-empty at ``stride``).
    The instant of a row is (subject, raw action name, frame); ``Sequence.first_frame`` is the
    recording frame of a sequence's first row (non-zero for a tail cut by :func:`split_tail`)."""
    first = [int(getattr(s, "first_frame", 0)) for s in sequences]
    lengths = [len(s.keypoints_2d) for s in sequences]
    frames = [f + np.arange(n, dtype=np.int64)[::stride] for f, n in zip(first, lengths)]
    group = view_group_ids([(s.subject, s.action) for s in sequences], first, lengths, frames)
    camera = np.concatenate([np.full(len(fr), s.camera, dtype=np.int64) for s, fr in zip(sequences, frames)])
    rot = np.concatenate([np.broadcast_to(np.asarray(s.camera_params.rotation, dtype=np.float32), (len(fr), 3, 3))
                          for s, fr in zip(sequences, frames)])
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a))  # noqa: E731
    return t(camera), t(np.concatenate(frames)), t(rot), t(group)


def concat_posesets(a: PoseSet, b: PoseSet) -> PoseSet:
    """Rows of ``a`` then rows of ``b`` (action and subject names merged)."""
    if len(b) == 0:
        return a
    if len(a) == 0:
        return b
    actions = a.actions + [x for x in b.actions if x not in a.actions]
    subjects = a.subjects + [x for x in b.subjects if x not in a.subjects]
    amap = torch.tensor([actions.index(x) for x in b.actions], dtype=torch.long)
    smap = torch.tensor([subjects.index(x) for x in b.subjects], dtype=torch.long)
    shift = int(a.group.max()) + 1 if len(a) and int(a.group.max()) >= 0 else 0  # b's groups after a's
    return PoseSet(torch.cat([a.inputs, b.inputs]), torch.cat([a.targets, b.targets]), torch.cat([a.root, b.root]),
                   torch.cat([a.intrinsics, b.intrinsics]), torch.cat([a.action, amap[b.action]]),
                   torch.cat([a.subject, smap[b.subject]]), actions, subjects, torch.cat([a.camera, b.camera]),
                   torch.cat([a.frame, b.frame]), torch.cat([a.rotation, b.rotation]),
                   torch.cat([a.group, torch.where(b.group >= 0, b.group + shift, b.group)]))


def split_tail(sequences: Seq, fraction: float) -> tuple[list, list]:
    """Split every sequence in time: the first ``1 - fraction`` of its frames and the last
    ``fraction`` (a contiguous tail, so held-out frames are not neighbours of training frames
    except at one boundary). Returns (head sequences, tail sequences)."""
    import dataclasses

    head, tail = [], []
    for s in sequences:
        T = len(s.keypoints_2d)
        cut = int(round(T * (1.0 - fraction)))
        fields = ("pose_3d", "root", "keypoints_2d", "confidence")
        h = {f: (getattr(s, f)[:cut] if getattr(s, f) is not None else None) for f in fields}
        t = {f: (getattr(s, f)[cut:] if getattr(s, f) is not None else None) for f in fields}
        if cut > 0:
            head.append(dataclasses.replace(s, **h))
        if cut < T:
            tail.append(dataclasses.replace(s, **t, first_frame=getattr(s, "first_frame", 0) + cut))
    return head, tail


class IndexStream:
    """Endless shuffled index batches over ``n`` rows, reshuffled at every pass, driven by
    its own ``torch.Generator`` so that the sequence is reproducible and resumable."""

    def __init__(self, n: int, batch_size: int, generator: torch.Generator):
        self.n, self.batch_size, self.generator = n, batch_size, generator
        self._perm = torch.empty(0, dtype=torch.long)
        self._pos = 0

    def batches_per_pass(self) -> int:
        return max(1, self.n // self.batch_size)

    def next(self) -> torch.Tensor:
        """The next batch of indices. Only full batches are drawn (the incomplete rest of a
        pass is dropped, so BatchNorm never sees a tiny batch), unless ``n < batch_size``,
        where every batch is the whole set."""
        if self._pos + min(self.batch_size, self.n) > len(self._perm):
            self._perm = torch.randperm(self.n, generator=self.generator)
            self._pos = 0
        idx = self._perm[self._pos:self._pos + self.batch_size]
        self._pos += self.batch_size
        return idx

    def state(self) -> dict[str, torch.Tensor]:
        return {"perm": self._perm.clone(), "pos": torch.tensor(self._pos)}

    def load_state(self, st: dict[str, torch.Tensor]) -> None:
        """Continue from :meth:`state`; a clear error when the saved permutation is not over this
        stream's ``n`` rows (instants), i.e. the run resumes with other data or batch layout."""
        perm = st["perm"]
        if len(perm) not in (0, self.n):
            what = "instants (view groups)" if isinstance(self, GroupStream) else "rows"
            raise WsgcnError(f"resume: the saved batch stream draws from {len(perm)} entries, this run's from {self.n} "
                             f"{what}: the data, the batch size or the batch layout (train.multiview_weight 0 or "
                             "not) changed since the run started; resume with the run's own settings")
        self._perm = perm.clone()
        self._pos = int(st["pos"])


class GroupStream(IndexStream):
    """Endless shuffled batches of whole view groups: each batch samples ``batch_size // V``
    instants of the (G, V) ``table`` (:func:`complete_groups`), without replacement within a
    pass, and returns all their views, (k * V,) row indices.

    With ``world`` processes the rows are interleaved so that the ``rank::world`` share every
    rank keeps (:meth:`wsgcn.distributed.DistContext.shard`) holds whole groups: rank r gets the
    instants r, r + world, ... of the batch (``batch_size // V`` must then be a multiple of
    ``world``). With one process a batch is group after group. The random draws are those of an
    :class:`IndexStream` over the G instants (state and resume alike)."""

    def __init__(self, table: torch.Tensor, batch_size: int, generator: torch.Generator, world: int = 1):
        if table.dim() != 2 or table.shape[0] == 0 or table.shape[1] < 2:
            raise ValueError(f"a GroupStream needs a (G, V >= 2) table of view groups, got {tuple(table.shape)}")
        self.table, self.views, self.world = table, int(table.shape[1]), world
        super().__init__(int(table.shape[0]), max(1, batch_size // self.views), generator)

    def next(self) -> torch.Tensor:
        """The rows of the next batch of instants, (k * V,) (see the class docstring)."""
        rows = self.table[super().next()]  # (k, V)
        if self.world == 1:
            return rows.reshape(-1)
        k = rows.shape[0] - rows.shape[0] % self.world
        per = rows[:k].reshape(k // self.world, self.world, self.views)  # [j, r]: rank r's j-th instant
        return per.permute(0, 2, 1).reshape(-1)  # position (j * V + v) * world + r
