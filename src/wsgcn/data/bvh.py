"""Motion-capture readers and forward kinematics: BVH (through ``bvhio``) and Acclaim ASF/AMC.

Both readers end in the same :class:`Motion`: per frame, the world position and the world
rotation of every joint, in the file's own units and axes (metres and z-up come later, in
:mod:`wsgcn.data.rigs`).

* BVH: ``bvhio.readAsBvh`` parses the hierarchy, offsets, channels and per-frame local poses
  (it turns each joint's Euler channels, in the joint's own channel order, into a quaternion).
  Forward kinematics is done here, vectorised over frames; ``bvhio``'s own per-frame
  hierarchy evaluation gives the same world positions but is far too slow for 20k frames.
* ASF/AMC: a compact reader of the Acclaim format (CMU's original files). A joint of the
  resulting :class:`Motion` is the *start* of an ASF bone and carries that bone's rotation,
  exactly like a BVH joint carries the rotation that moves its outgoing segment, so BVH files
  converted from ASF map joint for joint (``LeftUpLeg`` <-> ``lfemur``).
"""

from __future__ import annotations

import math
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


# ----------------------------------------------------------------------------- ASF / AMC

@dataclass
class AsfBone:
    """One ASF bone: unit ``direction`` and ``length`` (file units) in the world frame of the
    rest pose, ``axis`` (3, 3) the bone's local frame C, ``dof`` the AMC channel names
    (``rx``, ``ry``, ``rz``, ``tx``, ...), in file order."""

    name: str
    direction: np.ndarray
    length: float
    axis: np.ndarray
    dof: tuple[str, ...]


@dataclass
class AsfSkeleton:
    """A parsed ASF file. ``length_unit``: the ``:units length`` value (CMU: 0.45, meaning
    file lengths are inches / 0.45). ``root_order``: AMC root channel order (``TX``..``RZ``),
    ``root_axis``: the root's rotation order letters."""

    bones: dict[str, AsfBone]
    parent: dict[str, str]  # bone -> parent bone ("root" for the root's children)
    root_order: tuple[str, ...]
    root_axis: str
    length_unit: float
    degrees: bool

    def order(self) -> list[str]:
        """Bones in parents-first order (depth-first from the root)."""
        children: dict[str, list[str]] = {}
        for child, parent in self.parent.items():
            children.setdefault(parent, []).append(child)
        out: list[str] = []
        stack = list(reversed(children.get("root", [])))
        while stack:
            b = stack.pop()
            out.append(b)
            stack.extend(reversed(children.get(b, [])))
        return out


def _euler_matrix(order: str, angles: np.ndarray, degrees: bool) -> np.ndarray:
    """Rotation matrices for Acclaim Euler angles: ``order`` "XYZ" means rotate about x first,
    then y, then z, all about fixed axes: R = Rz Ry Rx (scipy's extrinsic lower-case order)."""
    return Rotation.from_euler(order.lower(), angles, degrees=degrees).as_matrix()


def read_asf(path: str | os.PathLike) -> AsfSkeleton:
    """Parse an Acclaim skeleton file (sections in any order, ``#`` comments allowed)."""
    path = Path(path)
    if not path.is_file():
        raise WsgcnError(f"{path}: file not found")
    section = ""
    units: dict[str, str] = {}
    root: dict[str, list[str]] = {}
    raw_bones: list[dict[str, list[str]]] = []
    current: dict[str, list[str]] | None = None
    last_key = ""
    parent: dict[str, str] = {}
    for lineno, raw in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith(":"):
            tokens = line.split()
            section = tokens[0][1:].lower()
            if section == "units" and len(tokens) > 1:  # ":units" may be followed by values inline
                units[tokens[1]] = tokens[2] if len(tokens) > 2 else ""
            continue
        tokens = line.split()
        if section == "units":
            units[tokens[0]] = tokens[1] if len(tokens) > 1 else ""
        elif section == "root":
            root[tokens[0].lower()] = tokens[1:]
        elif section == "bonedata":
            if tokens[0] == "begin":
                current = {}
            elif tokens[0] == "end":
                if current is None or "name" not in current:
                    raise WsgcnError(f"{path}:{lineno}: bone block without a name")
                raw_bones.append(current)
                current = None
            elif current is None:
                raise WsgcnError(f"{path}:{lineno}: bone data outside begin/end")
            elif tokens[0] in ("id", "name", "direction", "length", "axis", "dof", "limits", "bodymass", "cofmass"):
                last_key = tokens[0]
                current[last_key] = tokens[1:]
            else:  # continuation line (limits)
                current.setdefault(last_key, []).extend(tokens)
        elif section == "hierarchy":
            if tokens[0] in ("begin", "end"):
                continue
            for child in tokens[1:]:
                parent[child] = tokens[0]
    try:
        length_unit = float(units.get("length", "1"))
        bones: dict[str, AsfBone] = {}
        for b in raw_bones:
            name = b["name"][0]
            axis_tokens = b.get("axis", ["0", "0", "0", "XYZ"])
            direction = np.array([float(v) for v in b["direction"]], dtype=np.float64)
            norm = np.linalg.norm(direction)
            bones[name] = AsfBone(
                name=name, direction=direction / norm if norm > 0 else direction,
                length=float(b["length"][0]),
                axis=_euler_matrix(axis_tokens[3], np.array([float(v) for v in axis_tokens[:3]]),
                                   units.get("angle", "deg").lower().startswith("deg")),
                dof=tuple(d.lower() for d in b.get("dof", [])))
        root_order = tuple(t.upper() for t in root["order"])
        root_axis = root.get("axis", ["XYZ"])[0].upper()
    except (KeyError, IndexError, ValueError) as e:
        raise WsgcnError(f"{path}: malformed ASF file ({type(e).__name__}: {e})") from None
    missing = [c for c in parent if c not in bones]
    if missing or not parent:
        raise WsgcnError(f"{path}: hierarchy names unknown bones {missing[:3]}" if missing
                         else f"{path}: ASF file has no hierarchy")
    return AsfSkeleton(bones=bones, parent=parent, root_order=root_order, root_axis=root_axis,
                       length_unit=length_unit, degrees=units.get("angle", "deg").lower().startswith("deg"))


def read_amc(path: str | os.PathLike, skeleton: AsfSkeleton) -> dict[str, np.ndarray]:
    """Parse an AMC motion file: bone name -> (T, n_dof) channel values (file units/degrees);
    ``"root"`` holds the root channels in ``skeleton.root_order``."""
    path = Path(path)
    if not path.is_file():
        raise WsgcnError(f"{path}: file not found")
    frames: list[dict[str, list[float]]] = []
    try:
        for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
            line = raw.strip()
            if not line or line[0] in "#:":
                continue
            tokens = line.split()
            if len(tokens) == 1 and tokens[0].isdigit():
                frames.append({})
            elif frames:
                frames[-1][tokens[0]] = [float(v) for v in tokens[1:]]
    except ValueError as e:
        raise WsgcnError(f"{path}: malformed AMC file ({e})") from None
    if not frames:
        raise WsgcnError(f"{path}: AMC file has no frames")
    out: dict[str, np.ndarray] = {}
    widths = {"root": len(skeleton.root_order), **{n: len(b.dof) for n, b in skeleton.bones.items()}}
    for name, width in widths.items():
        if width == 0:
            continue
        rows = [f.get(name) for f in frames]
        if any(r is None for r in rows):
            if all(r is None for r in rows):
                continue  # bone never animated
            raise WsgcnError(f"{path}: bone {name!r} missing in some frames")
        if any(len(r) != width for r in rows):  # type: ignore[arg-type]
            raise WsgcnError(f"{path}: bone {name!r} must have {width} values per frame")
        out[name] = np.array(rows, dtype=np.float64)
    return out


def asf_motion(skeleton: AsfSkeleton, amc: dict[str, np.ndarray], frame_time: float) -> Motion:
    """Forward kinematics of an ASF/AMC pair -> :class:`Motion` (file units, file axes).

    Joint ``"root"`` is the root; every other joint is the start of the ASF bone of that name,
    with that bone's world rotation ``R = R_parent C M C^-1`` (C from the bone's ``axis``, M
    from its AMC rotation channels applied in dof order about fixed axes); the bone's end is
    ``start + R (length * direction)``. Leaf bones get that vector as their end site."""
    if "root" not in amc:
        raise WsgcnError("AMC motion has no root channels")
    root_values = amc["root"]
    T = root_values.shape[0]
    translation = np.zeros((T, 3))
    angles: list[np.ndarray] = []
    axes = ""
    for i, channel in enumerate(skeleton.root_order):
        kind, axis = channel[0], channel[1].lower()
        if kind == "T":
            translation[:, "xyz".index(axis)] = root_values[:, i]
        elif kind == "R":
            angles.append(root_values[:, i])
            axes += axis
    root_rot = (Rotation.from_euler(axes, np.stack(angles, axis=1), degrees=skeleton.degrees).as_matrix()
                if axes else np.tile(np.eye(3), (T, 1, 1)))

    order = skeleton.order()
    names = ["root"] + order
    parents = [-1] + [names.index(skeleton.parent[b]) if skeleton.parent[b] != "root" else 0 for b in order]
    pos = np.zeros((T, len(names), 3))
    rot = np.zeros((T, len(names), 3, 3))
    pos[:, 0], rot[:, 0] = translation, root_rot
    bone_end = {"root": translation}
    for k, b in enumerate(order, start=1):
        bone = skeleton.bones[b]
        p = skeleton.parent[b]
        motion = np.tile(np.eye(3), (T, 1, 1))
        rot_channels = [i for i, d in enumerate(bone.dof) if d.startswith("r")]
        if rot_channels and b in amc:
            axes = "".join(bone.dof[i][1] for i in rot_channels)
            motion = Rotation.from_euler(axes, amc[b][:, rot_channels], degrees=skeleton.degrees).as_matrix()
        local = bone.axis @ motion @ bone.axis.T
        rot[:, k] = rot[:, parents[k]] @ local
        pos[:, k] = bone_end[p]
        bone_end[b] = pos[:, k] + rot[:, k] @ (bone.direction * bone.length)
    children = set(skeleton.parent.values())
    end_sites = {b: skeleton.bones[b].direction * skeleton.bones[b].length for b in order if b not in children}
    return Motion(names=tuple(names), parents=tuple(parents), positions=pos, rotations=rot,
                  frame_time=frame_time, end_sites=end_sites)


def asf_length_scale(skeleton: AsfSkeleton) -> float:
    """Metres per ASF length unit, for files whose lengths are inches scaled by ``:units length``
    (CMU's convention: ``length 0.45`` -> 1 unit = 0.0254 / 0.45 m)."""
    return 0.0254 / skeleton.length_unit if skeleton.length_unit > 0 else math.nan
