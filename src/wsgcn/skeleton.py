"""Joint sets: names, parents, left/right, the joint groups of the non-local layer.

Two joint sets are used, both subsets of the 32 raw Human3.6M joints:

* ``h36m17`` - the 17 joints used by the community (VideoPose3D order).
* ``h36m16`` - the paper's setting: ``h36m17`` without Neck/Nose (SemGCN order).

Every array in the package that has a joint axis uses one of these orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .errors import WsgcnError

# The 32 joints of the raw Human3.6M D3_Positions files, in file order.
H36M32_NAMES: tuple[str, ...] = (
    "Hip", "RightUpLeg", "RightLeg", "RightFoot", "RightToeBase", "RightToeSite",
    "LeftUpLeg", "LeftLeg", "LeftFoot", "LeftToeBase", "LeftToeSite",
    "Spine", "Spine1", "Neck", "Head", "HeadSite",
    "LeftShoulder", "LeftArm", "LeftForeArm", "LeftHand", "LeftHandThumb", "LeftThumbSite",
    "LeftWristEnd", "LeftWristSite",
    "RightShoulder", "RightArm", "RightForeArm", "RightHand", "RightHandThumb", "RightThumbSite",
    "RightWristEnd", "RightWristSite",
)

# Raw indices kept for the 17-joint set, in the 17-joint order below.
H36M32_TO_17: tuple[int, ...] = (0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27)


@dataclass(frozen=True)
class Skeleton:
    """A joint set: ``names[j]``, ``parents[j]`` (-1 for the root), left/right joints
    and the groups of two joints pooled together by the non-local layer."""

    name: str
    names: tuple[str, ...]
    parents: tuple[int, ...]
    groups: tuple[tuple[int, int], ...]

    @property
    def num_joints(self) -> int:
        return len(self.names)

    @property
    def root(self) -> int:
        return self.parents.index(-1)

    def index(self, name: str) -> int:
        return self.names.index(name)

    @cached_property
    def joints_left(self) -> tuple[int, ...]:
        return tuple(j for j, n in enumerate(self.names) if n.startswith("L"))

    @cached_property
    def joints_right(self) -> tuple[int, ...]:
        return tuple(j for j, n in enumerate(self.names) if n.startswith("R"))

    @cached_property
    def flip_permutation(self) -> tuple[int, ...]:
        """Index permutation that swaps every left joint with its right counterpart."""
        perm = list(range(self.num_joints))
        for j, n in enumerate(self.names):
            if n[0] in "LR" and n[1].isupper():
                other = ("R" if n[0] == "L" else "L") + n[1:]
                perm[j] = self.names.index(other)
        return tuple(perm)

    @cached_property
    def bones(self) -> tuple[tuple[int, int], ...]:
        """(child, parent) pairs, one per non-root joint."""
        return tuple((j, p) for j, p in enumerate(self.parents) if p >= 0)

    def adjacency(self) -> np.ndarray:
        """(J, J) symmetric 0/1 adjacency with self-loops, from the parent links."""
        a = np.eye(self.num_joints, dtype=np.float32)
        for c, p in self.bones:
            a[c, p] = a[p, c] = 1.0
        return a


H36M17 = Skeleton(
    name="h36m17",
    names=("Hip", "RHip", "RKnee", "RFoot", "LHip", "LKnee", "LFoot", "Spine", "Thorax",
           "Neck", "Head", "LShoulder", "LElbow", "LWrist", "RShoulder", "RElbow", "RWrist"),
    parents=(-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15),
    # The 16-joint groups below, on the same joints (our choice: the SemGCN/WS-GCN code has no
    # 17-joint grouping), plus Neck alone (a group of one joint is pooled with itself), so a
    # 17-joint network pools exactly the pairs the original pools and adds one group.
    groups=((2, 3), (5, 6), (1, 4), (0, 7), (8, 10), (15, 16), (12, 13), (11, 14), (9, 9)),
)

H36M16 = Skeleton(
    name="h36m16",
    names=("Hip", "RHip", "RKnee", "RFoot", "LHip", "LKnee", "LFoot", "Spine", "Thorax",
           "Head", "LShoulder", "LElbow", "LWrist", "RShoulder", "RElbow", "RWrist"),
    parents=(-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 8, 10, 11, 8, 13, 14),
    # The 8 groups of the SemGCN/WS-GCN code (docs/METHOD.md §3), in its order: (RKnee, RFoot),
    # (LKnee, LFoot), (RHip, LHip), (Hip, Spine), (Thorax, Head), (RElbow, RWrist),
    # (LElbow, LWrist), (LShoulder, RShoulder). Not all left/right pairs: knees, feet, elbows
    # and wrists are pooled along the limb.
    groups=((2, 3), (5, 6), (1, 4), (0, 7), (8, 9), (14, 15), (11, 12), (10, 13)),
)

# Indices into the 17-joint order that make the 16-joint order.
H36M17_TO_16: tuple[int, ...] = tuple(H36M17.names.index(n) for n in H36M16.names)

SKELETONS: dict[str, Skeleton] = {"h36m17": H36M17, "h36m16": H36M16}


def get_skeleton(name_or_joints: str | int) -> Skeleton:
    """The skeleton for ``"h36m17"``/``"h36m16"`` or a joint count of 17/16."""
    if isinstance(name_or_joints, int):
        name_or_joints = f"h36m{name_or_joints}"
    try:
        return SKELETONS[name_or_joints]
    except KeyError:
        raise WsgcnError(f"unknown joint set {name_or_joints!r}; expected one of {sorted(SKELETONS)}") from None

