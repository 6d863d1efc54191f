"""From each source skeleton to the 17 Human3.6M joints, in metres and a z-up world.

A :class:`Rig` says, for one source skeleton, how to read it (length unit, up axis, frames
to skip, offset corrections) and where each of the 17 joints lies: every joint is the mean of
one or two :class:`RigPoint`, a point fixed in a source joint's frame. Points fixed in a joint
frame move rigidly with that joint, so every bone of the mapped skeleton keeps its length
(the derived joints included). The rules are listed joint by joint in docs/BENCHMARK.md.

World axes: the sources are y-up; the benchmark world is Human3.6M's (z-up, metres). The
conversion is the proper rotation ``(x, y, z) -> (x, -z, y)`` (+90 degrees about x), never a
mirror, so left stays left.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import WsgcnError
from ..skeleton import H36M17
from .bvh import Motion

# +90 degrees about x: y-up -> z-up. det = +1 (a rotation, not a reflection).
Y_UP_TO_Z_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])

INCH = 0.0254
CMU_UNIT = INCH / 0.45
"""Metres per CMU length unit: CMU's ASF files say ``:units length 0.45`` (lengths are
inches divided by 0.45); the cgspeed BVH conversion keeps those units."""

LAFAN1_HEAD_TOP = 0.13
"""Metres from LaFAN1's head joint (top of the neck) to the head top: its end site is empty."""


@dataclass(frozen=True)
class RigPoint:
    """A point fixed in a source joint's frame: ``offset`` in metres along the joint's local
    axes (source axes), or the joint's end site when ``end_site`` is set."""

    joint: str
    offset: tuple[float, float, float] = (0.0, 0.0, 0.0)
    end_site: bool = False


@dataclass(frozen=True)
class Rig:
    """How one source skeleton maps to the 17 Human3.6M joints.

    ``unit`` metres per file length unit; ``up`` the file's up axis; ``skip_frames`` leading
    frames that are not motion (a T-pose); ``offset_overrides`` corrected OFFSETs (file units);
    ``points[name]`` one or two :class:`RigPoint` (two: their midpoint) per Human3.6M joint.
    """

    name: str
    description: str
    unit: float
    up: str
    points: dict[str, tuple[RigPoint, ...]]
    skip_frames: int = 0
    offset_overrides: dict[str, tuple[float, float, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = [n for n in H36M17.names if n not in self.points]
        if missing:
            raise WsgcnError(f"rig {self.name!r} lacks Human3.6M joints {missing}")


def _p(joint: str, *offset: float) -> tuple[RigPoint, ...]:
    return (RigPoint(joint, tuple(offset) if offset else (0.0, 0.0, 0.0)),)  # type: ignore[arg-type]


def _mid(a: str, b: str) -> tuple[RigPoint, ...]:
    return (RigPoint(a), RigPoint(b))


def _end(joint: str) -> tuple[RigPoint, ...]:
    return (RigPoint(joint, end_site=True),)


def _limbs(hip: str, knee: str, ankle: str, shoulder: str, elbow: str, wrist: str) -> dict[str, tuple[RigPoint, ...]]:
    """The 12 limb joints from the source's names with a ``{side}`` placeholder."""
    out: dict[str, tuple[RigPoint, ...]] = {}
    for side, word in (("L", "Left"), ("R", "Right")):
        for ours, theirs in (("Hip", hip), ("Knee", knee), ("Foot", ankle),
                             ("Shoulder", shoulder), ("Elbow", elbow), ("Wrist", wrist)):
            out[side + ours] = _p(theirs.format(side=word))
    return out


# Thorax is the root of the shoulder girdle, the midpoint of the two clavicle joints (as in
# Human3.6M's skeleton, whose clavicles start at its thorax joint): the shoulders then keep a
# fixed distance from it however the clavicles turn.
# Human3.6M's "Neck/Nose" joint is the head joint of its own skeleton: the top of the neck
# (skull base), the point the head turns about; it projects near the nose and mouth in
# frontal views, hence the community's name. Every rig maps it to its own head joint.

# CMU subject 01 (cgspeed BVH conversion).
# The conversion drops the ASF "thorax" segment (Spine1 -> neck base, 2.06488 units along
# (0.019782, 0.999531, 0.0233827) in 01.asf): Neck and both clavicles sit at Spine1 with zero
# offset. Restoring that offset makes every joint agree with the original ASF/AMC capture
# to a few micrometres (tests/data/test_mocap.py), so the torso has its real length.
_CMU_THORAX = tuple(float(v) * 2.06488 for v in (0.019782, 0.999531, 0.0233827))
CMU = Rig(
    name="cmu",
    description="CMU 31-joint skeleton (cgspeed BVH conversion), subject 01",
    unit=CMU_UNIT, up="y", skip_frames=1,  # frame 0 is a T-pose added by the conversion
    offset_overrides={"Neck": _CMU_THORAX, "LeftShoulder": _CMU_THORAX, "RightShoulder": _CMU_THORAX},
    points={
        "Hip": _mid("LeftUpLeg", "RightUpLeg"),
        **_limbs("{side}UpLeg", "{side}Leg", "{side}Foot", "{side}Arm", "{side}ForeArm", "{side}Hand"),
        "Spine": _p("Spine"),
        "Thorax": _mid("LeftShoulder", "RightShoulder"),  # = the restored Neck joint
        "Neck": _p("Head"),
        "Head": _end("Head"),
    },
)

# Boxing_Toes.bvh (assimp test models): 21 joints, centimetres.
BOXING = Rig(
    name="boxing",
    description="21-joint BVH skeleton of assimp's Boxing_Toes.bvh",
    unit=0.01, up="y",
    points={
        "Hip": _mid("LeftHip", "RightHip"),
        **_limbs("{side}Hip", "{side}Knee", "{side}Ankle", "{side}Shoulder", "{side}Elbow", "{side}Wrist"),
        "Spine": _p("Chest"),
        "Thorax": _mid("LeftCollar", "RightCollar"),  # the same point as its Neck joint
        "Neck": _p("Head"),
        "Head": _end("Head"),
    },
)

# LaFAN1 22-joint skeleton, centimetres. Every bone lies along its joint's local +x in the
# rest pose. The head's end site has zero length, so the head top is placed
# LAFAN1_HEAD_TOP along the head's local +x, i.e. continuing the neck -> head direction.
LAFAN1 = Rig(
    name="lafan1",
    description="LaFAN1 22-joint skeleton (Ubisoft La Forge)",
    unit=0.01, up="y",
    points={
        "Hip": _mid("LeftUpLeg", "RightUpLeg"),
        **_limbs("{side}UpLeg", "{side}Leg", "{side}Foot", "{side}Arm", "{side}ForeArm", "{side}Hand"),
        "Spine": _p("Spine1"),
        "Thorax": _mid("LeftShoulder", "RightShoulder"),
        "Neck": _p("Head"),
        "Head": _p("Head", LAFAN1_HEAD_TOP, 0.0, 0.0),
    },
)

RIGS: dict[str, Rig] = {r.name: r for r in (CMU, BOXING, LAFAN1)}


def world_axes(rig: Rig) -> np.ndarray:
    """(3, 3) proper rotation from the rig's file axes to the z-up world."""
    if rig.up == "y":
        return Y_UP_TO_Z_UP
    if rig.up == "z":
        return np.eye(3)
    raise WsgcnError(f"rig {rig.name!r}: unsupported up axis {rig.up!r}")


def to_world(rig: Rig, points: np.ndarray) -> np.ndarray:
    """(..., 3) points in file units and axes -> (..., 3) metres in the z-up world."""
    return (np.asarray(points, dtype=np.float64) * rig.unit) @ world_axes(rig).T


def map_to_h36m(motion: Motion, rig: Rig) -> np.ndarray:
    """(T, 17, 3) Human3.6M joints in metres, z-up world, from a source :class:`Motion`."""
    out = np.empty((motion.num_frames, H36M17.num_joints, 3))
    for j, name in enumerate(H36M17.names):
        pts = []
        for pt in rig.points[name]:
            if pt.end_site:
                if pt.joint not in motion.end_sites:
                    raise WsgcnError(f"rig {rig.name!r}: joint {pt.joint!r} has no end site")
                offset = motion.end_sites[pt.joint]
            else:
                offset = np.asarray(pt.offset, dtype=np.float64) / rig.unit
            pts.append(motion.point(pt.joint, offset if np.any(offset) else None))
        out[:, j] = np.mean(pts, axis=0)
    return to_world(rig, out)
