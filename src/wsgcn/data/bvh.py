"""Motion-capture reading and forward kinematics: BVH files, parsed through ``bvhio``.

A parsed :class:`BvhFile` becomes a :class:`Motion`: per frame, the world position and the
world rotation of every joint, in the file's own units and axes (metres and z-up come later,
in :mod:`wsgcn.data.rigs`). ``bvhio.readAsBvh`` parses the hierarchy, offsets, channels and
per-frame local poses (it turns each joint's Euler channels, in the joint's own channel order,
into a quaternion). Forward kinematics is done here, vectorised over frames; ``bvhio``'s own
per-frame hierarchy evaluation gives the same world positions but is far too slow for 20k
frames. (A reader of CMU's original ASF/AMC files, used only to cross-check the CMU BVH
conversion, lives in the tests: tests/asf_amc.py.)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from ..errors import WsgcnError


# ----------------------------------------------------------------------------- data

@dataclass
class Motion:
    """World joint poses of a capture, in the source's units and axes.

    ``positions`` (T, J, 3), ``rotations`` (T, J, 3, 3) world rotation of each joint's frame
    (acting on column vectors: ``world = rotations @ local``), ``end_sites`` maps a leaf
    joint to its end-site offset (3,) in that joint's frame.
    """

    names: tuple[str, ...]
    parents: tuple[int, ...]
    positions: np.ndarray
    rotations: np.ndarray
    frame_time: float
    end_sites: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def num_frames(self) -> int:
        return int(self.positions.shape[0])

    @property
    def fps(self) -> float:
        return 1.0 / self.frame_time

    def index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise WsgcnError(f"joint {name!r} not in the capture's skeleton ({len(self.names)} joints)") from None

    def point(self, joint: str, offset: np.ndarray | None = None) -> np.ndarray:
        """(T, 3) world position of the point at ``offset`` (3,) in ``joint``'s local frame."""
        j = self.index(joint)
        if offset is None:
            return self.positions[:, j]
        return self.positions[:, j] + self.rotations[:, j] @ np.asarray(offset, dtype=np.float64)


@dataclass
class BvhFile:
    """A parsed BVH file. ``local_positions`` (T, J, 3): each joint's translation in its
    parent's frame (the OFFSET, or the position channels where the joint has them);
    ``local_rotations`` (T, J, 4): quaternions (x, y, z, w) from the rotation channels."""

    names: tuple[str, ...]
    parents: tuple[int, ...]
    channels: tuple[tuple[str, ...], ...]
    offsets: np.ndarray  # (J, 3)
    local_positions: np.ndarray  # (T, J, 3)
    local_rotations: np.ndarray  # (T, J, 4)
    frame_time: float
    end_sites: dict[str, np.ndarray]

    @property
    def num_frames(self) -> int:
        return int(self.local_positions.shape[0])

    @property
    def fps(self) -> float:
        return nominal_fps(self.frame_time)

    def frames(self, start: int, stop: int | None = None) -> "BvhFile":
        """The same file restricted to frames ``start:stop``."""
        return replace(self, local_positions=self.local_positions[start:stop],
                       local_rotations=self.local_rotations[start:stop])


def nominal_fps(frame_time: float) -> float:
    """Frames per second from a frame time, snapped to the integer rate it was written from
    (``0.0083333`` -> 120, ``0.033333`` -> 30)."""
    fps = 1.0 / frame_time
    return float(round(fps)) if abs(fps - round(fps)) < 1e-3 * fps else fps


def resample(bvh: BvhFile, fps: float) -> BvhFile:
    """Resample a BVH motion to ``fps`` over its whole duration: local rotations by slerp,
    local translations linearly, between the two nearest source frames. Forward kinematics
    of the result keeps every bone length exactly (unlike interpolating joint positions)."""
    src_fps = bvh.fps
    T = bvh.num_frames
    if T < 2:
        raise WsgcnError("cannot resample a motion of fewer than 2 frames")
    n_out = int(np.floor((T - 1) / src_fps * fps + 1e-9)) + 1
    u = np.arange(n_out) * (src_fps / fps)  # fractional source frame index of each output frame
    i0 = np.minimum(np.floor(u + 1e-9).astype(np.int64), T - 2)
    a = np.clip(u - i0, 0.0, 1.0)
    J = bvh.local_positions.shape[1]
    lp = bvh.local_positions[i0] * (1 - a)[:, None, None] + bvh.local_positions[i0 + 1] * a[:, None, None]
    r0 = Rotation.from_quat(bvh.local_rotations[i0].reshape(-1, 4))
    r1 = Rotation.from_quat(bvh.local_rotations[i0 + 1].reshape(-1, 4))
    step = (r0.inv() * r1).as_rotvec() * np.repeat(a, J)[:, None]  # shortest arc, scaled
    lr = (r0 * Rotation.from_rotvec(step)).as_quat().reshape(n_out, J, 4)
    return replace(bvh, local_positions=lp, local_rotations=lr, frame_time=1.0 / fps)


# ----------------------------------------------------------------------------- BVH

def read_bvh(path: str | os.PathLike) -> BvhFile:
    """Parse a BVH file with ``bvhio`` into arrays (file units, file axes)."""
    import bvhio  # heavy import, only where needed

    path = Path(path)
    if not path.is_file():
        raise WsgcnError(f"{path}: file not found")
    _precheck_bvh(path)
    try:
        container = bvhio.readAsBvh(str(path))
    except (SyntaxError, ValueError, IndexError) as e:
        raise WsgcnError(f"{path}: not a readable BVH file ({type(e).__name__}: {e})") from None
    if container.FrameCount <= 0 or not container.FrameTime or container.FrameTime <= 0:
        raise WsgcnError(f"{path}: BVH file has no motion frames or no frame time")

    names: list[str] = []
    parents: list[int] = []
    channels: list[tuple[str, ...]] = []
    offsets: list[list[float]] = []
    positions: list[np.ndarray] = []
    rotations: list[np.ndarray] = []
    end_sites: dict[str, np.ndarray] = {}

    stack = [(container.Root, -1)]
    while stack:  # depth-first, children in file order: parents always come first
        joint, parent = stack.pop()
        index = len(names)
        names.append(joint.Name)
        parents.append(parent)
        channels.append(tuple(joint.Channels))
        offsets.append([joint.Offset.x, joint.Offset.y, joint.Offset.z])
        keys = joint.Keyframes
        positions.append(np.array([(k.Position.x, k.Position.y, k.Position.z) for k in keys], dtype=np.float64))
        rotations.append(np.array([(k.Rotation.x, k.Rotation.y, k.Rotation.z, k.Rotation.w) for k in keys],
                                  dtype=np.float64))
        if not joint.Children:
            end_sites[joint.Name] = np.array([joint.EndSite.x, joint.EndSite.y, joint.EndSite.z], dtype=np.float64)
        stack.extend((child, index) for child in reversed(joint.Children))

    if len(set(names)) != len(names):
        raise WsgcnError(f"{path}: BVH joint names are not unique")
    frames = {len(p) for p in positions}
    if frames != {container.FrameCount}:
        raise WsgcnError(f"{path}: motion data does not match the declared {container.FrameCount} frames")
    return BvhFile(names=tuple(names), parents=tuple(parents), channels=tuple(channels),
                   offsets=np.array(offsets, dtype=np.float64),
                   local_positions=np.stack(positions, axis=1), local_rotations=np.stack(rotations, axis=1),
                   frame_time=float(container.FrameTime), end_sites=end_sites)


def _precheck_bvh(path: Path) -> None:
    """Structural checks that bvhio's reader relies on (it loops forever at an unexpected end
    of file): balanced braces before ``MOTION``, a ``Frames:`` count and at least that many
    motion lines."""
    text = path.read_text(encoding="utf-8", errors="replace")
    head, sep, motion = text.partition("MOTION")
    if not sep or not head.lstrip().startswith("HIERARCHY"):
        raise WsgcnError(f"{path}: not a BVH file (needs a HIERARCHY and a MOTION section)")
    if head.count("{") != head.count("}") or head.count("{") == 0:
        raise WsgcnError(f"{path}: unbalanced braces in the BVH hierarchy")
    lines = [ln.strip() for ln in motion.splitlines() if ln.strip()]
    if len(lines) < 2 or not lines[0].startswith("Frames:") or not lines[1].startswith("Frame Time:"):
        raise WsgcnError(f"{path}: BVH MOTION section must start with 'Frames:' and 'Frame Time:'")
    try:
        declared = int(lines[0].split()[1])
    except (IndexError, ValueError):
        raise WsgcnError(f"{path}: unreadable BVH frame count {lines[0]!r}") from None
    if len(lines) - 2 < declared:
        raise WsgcnError(f"{path}: BVH declares {declared} frames but holds {len(lines) - 2} motion lines")


def forward_kinematics(parents: tuple[int, ...], local_positions: np.ndarray,
                       local_rotations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World positions (T, J, 3) and rotations (T, J, 3, 3) from local translations (T, J, 3)
    and local rotations, either quaternions (T, J, 4) x, y, z, w or matrices (T, J, 3, 3).

    ``world_R[j] = world_R[parent] @ local_R[j]``, ``world_p[j] = world_p[parent] +
    world_R[parent] @ local_p[j]``; ``parents`` must list every parent before its children.
    """
    lp = np.asarray(local_positions, dtype=np.float64)
    T, J = lp.shape[:2]
    if local_rotations.shape[-1] == 4:
        lr = Rotation.from_quat(local_rotations.reshape(-1, 4)).as_matrix().reshape(T, J, 3, 3)
    else:
        lr = np.asarray(local_rotations, dtype=np.float64)
    world_r = np.empty_like(lr)
    world_p = np.empty_like(lp)
    for j, p in enumerate(parents):
        if p < 0:
            world_r[:, j] = lr[:, j]
            world_p[:, j] = lp[:, j]
        else:
            if p >= j:
                raise WsgcnError("skeleton joints are not ordered parents-first")
            world_r[:, j] = world_r[:, p] @ lr[:, j]
            world_p[:, j] = world_p[:, p] + np.einsum("tij,tj->ti", world_r[:, p], lp[:, j])
    return world_p, world_r


def bvh_motion(bvh: BvhFile, offset_overrides: dict[str, tuple[float, float, float]] | None = None) -> Motion:
    """Forward kinematics of a parsed BVH file -> :class:`Motion` (file units and axes).

    ``offset_overrides`` replaces the OFFSET of joints without position channels (a rig
    correction, see :mod:`wsgcn.data.rigs`).
    """
    lp = bvh.local_positions.copy()
    for name, offset in (offset_overrides or {}).items():
        if name not in bvh.names:
            raise WsgcnError(f"cannot override the offset of {name!r}: no such joint")
        j = bvh.names.index(name)
        if any(c.endswith("position") for c in bvh.channels[j]):
            raise WsgcnError(f"cannot override the offset of {name!r}: it has position channels")
        lp[:, j] = np.asarray(offset, dtype=np.float64)
    pos, rot = forward_kinematics(bvh.parents, lp, bvh.local_rotations)
    return Motion(names=bvh.names, parents=bvh.parents, positions=pos, rotations=rot,
                  frame_time=bvh.frame_time, end_sites=dict(bvh.end_sites))
