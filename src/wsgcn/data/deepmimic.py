"""The DeepMimic motion clips of ``pybullet`` 3.2.7 as takes of a benchmark (the unlabelled
subject ``unlabelled-deepmimic`` of ``motions``, :mod:`wsgcn.data.motions`).

Each clip (``pybullet_data/data/motions/humanoid3d_<motion>.txt``) is JSON,
``{"Loop": ..., "Frames": [[duration, 43 more values], ...]}``: per key frame its duration [s],
the root (pelvis) position [m] and orientation, then the local rotation of each joint of the
DeepMimic humanoid (``pybullet_data/humanoid/humanoid.urdf``, y up). The clips are real captures
retargeted onto that one simulated body. The facts below were read in the wheel (never copied):
the value layout in ``pybullet_envs/deep_mimic/env/humanoid_pose_interpolator.py`` (``Slerp``:
quaternions stored w, x, y, z, turned into pybullet's x, y, z, w; spherical joints slerped, the
knee and elbow angles and the root position interpolated linearly), the joint order and the URDF
scale 0.25 in ``humanoid_stable_pd.py`` (``loadURDF(..., globalScaling=0.25)``, joints chest,
neck, right hip, knee, ankle, shoulder, elbow, then the left ones), y up in
``pybullet_deep_mimic_env.py`` (gravity (0, -9.8, 0), the ground plane at y = 0).

Pipeline: :func:`read_clip` (a malformed file -> one-line :class:`~wsgcn.errors.WsgcnError`),
:func:`resample_clip` to 50 Hz (slerp of every rotation, linear root position and knee/elbow
angles: what pybullet's own interpolator does between key frames), :func:`humanoid_motion`
(forward kinematics of :func:`read_humanoid`'s body, metres, y up), then the joint rules of
:func:`humanoid_rig` through :func:`wsgcn.data.rigs.map_to_h36m` (docs/BENCHMARK.md, "The
DeepMimic clips and the `motions` benchmark": the layout, the body, the rules and the checks).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from ..errors import WsgcnError
from .benchmark_spec import Converted
from .bvh import Motion, forward_kinematics, nominal_fps
from .mocap import FPS, MIN_SEQUENCE_FRAMES
from .rigs import Rig, RigPoint, map_to_h36m

SOURCE = "pybullet-deepmimic"
"""The key of :data:`wsgcn.data.sources.CLIP_SOURCES` holding the clips and the URDF."""
URDF = "humanoid.urdf"
CLIP_PREFIX, CLIP_SUFFIX = "humanoid3d_", ".txt"
MOTIONS = ("walk", "run", "jump", "kick", "spinkick", "punch", "spin", "cartwheel", "backflip", "crawl",
           "roll", "dance_a", "dance_b", "getup_facedown", "getup_faceup")
"""The 15 clips of the humanoid (file ``humanoid3d_<motion>.txt``); the motion is the file's name."""

URDF_SCALE = 0.25
"""Metres per URDF length unit: humanoid_stable_pd.py loads the URDF with ``globalScaling=0.25``."""

VALUES_PER_FRAME = 44
ROOT_POSITION = 1  # values 1-3: root position [m], y up
ROOT_ROTATION = 4  # values 4-7: root orientation, quaternion w, x, y, z
JOINT_VALUES: tuple[tuple[str, int, int], ...] = (
    ("chest", 8, 4), ("neck", 12, 4), ("right_hip", 16, 4), ("right_knee", 20, 1), ("right_ankle", 21, 4),
    ("right_shoulder", 25, 4), ("right_elbow", 29, 1), ("left_hip", 30, 4), ("left_knee", 34, 1),
    ("left_ankle", 35, 4), ("left_shoulder", 39, 4), ("left_elbow", 43, 1))
"""(URDF joint, first value, number of values) per joint in a frame: 4 = a spherical joint's local
rotation (quaternion w, x, y, z), 1 = a revolute joint's angle [rad] (humanoid_pose_interpolator.py)."""

HEAD_LINK = "neck"
"""The URDF link that is neck and head in one (no head joint): its collision sphere is the head."""


@dataclass(frozen=True)
class Clip:
    """A DeepMimic clip: ``times`` (n,) seconds of each key frame from the first, ``root`` (n, 3)
    root position [m, y up], ``rotations`` (n, 9, 4) quaternions x, y, z, w (unit) of the root
    orientation then the 8 spherical joints, ``angles`` (n, 4) revolute angles [rad] (knees,
    elbows), in the order of :data:`JOINT_VALUES`; ``loop`` the file's ``Loop`` entry."""

    times: np.ndarray
    root: np.ndarray
    rotations: np.ndarray
    angles: np.ndarray
    loop: str

    @property
    def num_frames(self) -> int:
        return int(self.times.shape[0])

    @property
    def fps(self) -> float:
        """The clip's nominal key-frame rate [Hz] (from its median key-frame duration)."""
        return nominal_fps(float(np.median(np.diff(self.times))))

    def first(self, n: int) -> "Clip":
        """The clip's first ``n`` key frames."""
        return Clip(self.times[:n], self.root[:n], self.rotations[:n], self.angles[:n], self.loop)


SPHERICAL = tuple(name for name, _, size in JOINT_VALUES if size == 4)
REVOLUTE = tuple(name for name, _, size in JOINT_VALUES if size == 1)


def _frames(path: Path) -> tuple[np.ndarray, str]:
    """The ``Frames`` of a clip file as an (n, 44) float array, and its ``Loop`` entry; anything
    else is an error."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        why = f"{type(e).__name__}: {e}".replace("\n", " ")
        raise WsgcnError(f"{path}: not a readable DeepMimic clip ({why})") from None
    frames = doc.get("Frames") if isinstance(doc, dict) else None
    if not isinstance(frames, list) or len(frames) < 2:
        raise WsgcnError(f"{path}: a DeepMimic clip needs a 'Frames' list of at least 2 frames")
    for i, f in enumerate(frames):
        if not isinstance(f, list):
            raise WsgcnError(f"{path}: frame {i} is not a list of {VALUES_PER_FRAME} values")
        if len(f) != VALUES_PER_FRAME:
            raise WsgcnError(f"{path}: frame {i} has {len(f)} values, expected {VALUES_PER_FRAME}")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in f):
            raise WsgcnError(f"{path}: frame {i} holds a value that is not a number")
    x = np.asarray(frames, dtype=np.float64)
    if not np.isfinite(x).all():
        raise WsgcnError(f"{path}: frame {int(np.flatnonzero(~np.isfinite(x).all(axis=1))[0])} holds NaN or infinity")
    return x, str(doc.get("Loop", ""))


def read_clip(path: Path) -> Clip:
    """Parse one clip file (layout: :data:`JOINT_VALUES`). Quaternions are normalised (some
    clips store norms of 0.58-1.12; a quaternion's rotation does not depend on its norm); a
    zero quaternion, a key frame duration <= 0 (but the last, which is unused), fewer than 2
    frames or a frame of the wrong length is a :class:`WsgcnError` naming the file."""
    x, loop = _frames(path)
    durations = x[:-1, 0]
    if (durations <= 0).any():
        raise WsgcnError(f"{path}: frame {int(np.flatnonzero(durations <= 0)[0])} has a duration <= 0 s")
    starts = [ROOT_ROTATION] + [first for _, first, size in JOINT_VALUES if size == 4]
    wxyz = np.stack([x[:, s:s + 4] for s in starts], axis=1)  # (n, 9, 4)
    norms = np.linalg.norm(wxyz, axis=-1)
    if (norms < 1e-6).any():
        frame, joint = (int(v[0]) for v in np.nonzero(norms < 1e-6))
        raise WsgcnError(f"{path}: frame {frame}: the quaternion of {(['root'] + list(SPHERICAL))[joint]} is zero")
    xyzw = np.concatenate([wxyz[..., 1:], wxyz[..., :1]], axis=-1) / norms[..., None]
    angles = np.stack([x[:, first] for _, first, size in JOINT_VALUES if size == 1], axis=1)
    times = np.concatenate([[0.0], np.cumsum(durations)])
    return Clip(times, x[:, ROOT_POSITION:ROOT_POSITION + 3].copy(), xyzw, angles, loop)


def resample_clip(clip: Clip, fps: float = FPS) -> Clip:
    """The clip at ``fps`` over its whole duration: output frame k at k / fps s from the first
    key frame (the last at or before the last key frame), between the two key frames around it
    (their own, possibly uneven, times): rotations by slerp along the shortest arc, the root
    position and the knee and elbow angles linearly. Forward kinematics of the result keeps every
    bone length exactly."""
    t = clip.times
    n_out = int(np.floor(t[-1] * fps + 1e-9)) + 1
    s = np.arange(n_out) / fps
    i0 = np.clip(np.searchsorted(t, s + 1e-9, side="right") - 1, 0, len(t) - 2)
    a = np.clip((s - t[i0]) / (t[i0 + 1] - t[i0]), 0.0, 1.0)
    J = clip.rotations.shape[1]
    r0 = Rotation.from_quat(clip.rotations[i0].reshape(-1, 4))
    r1 = Rotation.from_quat(clip.rotations[i0 + 1].reshape(-1, 4))
    step = (r0.inv() * r1).as_rotvec() * np.repeat(a, J)[:, None]  # shortest arc, scaled
    rot = (r0 * Rotation.from_rotvec(step)).as_quat().reshape(n_out, J, 4)

    def lerp(v: np.ndarray) -> np.ndarray:
        return v[i0] * (1 - a)[:, None] + v[i0 + 1] * a[:, None]

    return Clip(s, lerp(clip.root), rot, lerp(clip.angles), clip.loop)


@dataclass(frozen=True)
class Humanoid:
    """The DeepMimic body from its URDF, in metres: ``names`` of the joints, the root first and
    every parent before its children (a joint's frame is its child link's frame); ``parents``;
    ``kinds`` (``root``, ``spherical``, ``revolute``, ``fixed``); ``origins`` (J, 3) each
    joint's position in its parent's frame; ``axes`` (J, 3) a revolute joint's axis;
    ``head_centre`` and ``head_radius``: the head sphere of :data:`HEAD_LINK` (its centre on
    the link's +y axis at that distance from the neck joint)."""

    names: tuple[str, ...]
    parents: tuple[int, ...]
    kinds: tuple[str, ...]
    origins: np.ndarray
    axes: np.ndarray
    head_centre: float
    head_radius: float


def _xyz(el: ET.Element | None, attr: str, default: str = "0 0 0") -> np.ndarray:
    text = el.get(attr, default) if el is not None else default
    return np.array([float(v) for v in text.split()], dtype=np.float64)


def _head_sphere(root: ET.Element, path: Path) -> tuple[float, float]:
    """(centre, radius) [m] of :data:`HEAD_LINK`'s collision sphere, its centre on the link's y axis."""
    link = root.find(f"link[@name='{HEAD_LINK}']")
    sphere = link.find("collision/geometry/sphere") if link is not None else None
    if link is None or sphere is None:
        raise WsgcnError(f"{path}: no collision sphere on link {HEAD_LINK!r} (the head)")
    centre = _xyz(link.find("collision/origin"), "xyz")
    if abs(centre[0]) > 1e-9 or abs(centre[2]) > 1e-9:
        raise WsgcnError(f"{path}: the head sphere is not on the {HEAD_LINK} link's y axis")
    return float(centre[1]) * URDF_SCALE, float(sphere.get("radius", "nan")) * URDF_SCALE


def read_humanoid(path: Path) -> Humanoid:
    """Parse the humanoid's URDF (joint origins with no rotation; lengths x :data:`URDF_SCALE`;
    kept per file, size and modification time). The root is the link ``root``, fixed to
    ``base`` at its origin: the clip's root position and orientation are its frame's. A missing
    joint, a rotated joint frame or an unknown joint type is a :class:`WsgcnError`."""
    stat = Path(path).stat()
    return _read_humanoid(str(path), stat.st_size, stat.st_mtime_ns)


def _urdf_joints(root: ET.Element, path: str) -> dict[str, tuple[str, str, np.ndarray, np.ndarray]]:
    """Child link -> (joint type, parent link, origin [m], unit axis) of every URDF joint; a
    joint must be named after its child link and have an unrotated frame."""
    out: dict[str, tuple[str, str, np.ndarray, np.ndarray]] = {}
    for j in root.findall("joint"):
        parent, child, origin = j.find("parent"), j.find("child"), j.find("origin")
        link = child.get("link", "") if child is not None else ""
        if link != j.get("name") or parent is None or np.any(_xyz(origin, "rpy")):
            raise WsgcnError(f"{path}: joint {j.get('name')!r} is not named after its child link, has no "
                             "parent or has a rotated frame (rpy): not supported")
        if j.get("type") not in ("spherical", "revolute", "fixed"):
            raise WsgcnError(f"{path}: joint {link!r} has the unsupported type {j.get('type')!r}")
        axis = _xyz(j.find("axis"), "xyz", "1 0 0")
        if axis.shape != (3,) or not np.linalg.norm(axis) > 0:
            raise ValueError(f"joint {link!r}: axis {axis.tolist()} is not a 3D direction")
        out[link] = (str(j.get("type")), parent.get("link", ""), _xyz(origin, "xyz") * URDF_SCALE,
                     axis / np.linalg.norm(axis))
    return out


@lru_cache(maxsize=4)
def _read_humanoid(path: str, size: int, mtime_ns: int) -> Humanoid:
    try:  # pybullet's humanoid.urdf ends with a NUL byte after </robot>, which XML forbids
        root = ET.fromstring(Path(path).read_bytes().rstrip(b"\0"))
        joints = _urdf_joints(root, path)
    except (OSError, ET.ParseError, ValueError) as e:
        raise WsgcnError(f"{path}: not a readable URDF ({e})") from None
    base = joints.pop("root", None)
    if base is None or base[0] != "fixed" or np.any(base[2]):
        raise WsgcnError(f"{path}: the link 'root' must be fixed to the base at its origin")
    names, parents, kinds, origins, axes = ["root"], [-1], ["root"], [np.zeros(3)], [np.zeros(3)]
    while joints:  # parents before children
        ready = [link for link, (_, parent, _, _) in joints.items() if parent in names]
        if not ready:
            raise WsgcnError(f"{path}: links {sorted(joints)} are not attached to the root")
        for link in ready:
            kind, parent, origin, axis = joints.pop(link)
            names.append(link)
            parents.append(names.index(parent))
            kinds.append(kind)
            origins.append(origin)
            axes.append(axis)
    lacking = [n for n in [n for n, _, _ in JOINT_VALUES] + ["right_wrist", "left_wrist"] if n not in names]
    if lacking:
        raise WsgcnError(f"{path}: the humanoid lacks the joints {lacking}")
    try:
        head = _head_sphere(root, Path(path))
    except ValueError as e:
        raise WsgcnError(f"{path}: not a readable URDF ({e})") from None
    return Humanoid(tuple(names), tuple(parents), tuple(kinds), np.array(origins), np.array(axes), *head)


def humanoid_motion(clip: Clip, body: Humanoid) -> Motion:
    """Forward kinematics of ``clip`` on ``body``: a :class:`~wsgcn.data.bvh.Motion` of the
    URDF joints (world positions (T, J, 3) [m] and rotations (T, J, 3, 3), y up). A joint's
    frame is its parent's, moved by its origin and turned by its local rotation: a spherical
    joint's quaternion, a revolute joint's angle about its axis, none for a fixed joint."""
    T, J = clip.num_frames, len(body.names)
    local_p = np.broadcast_to(body.origins, (T, J, 3)).copy()
    local_p[:, 0] = clip.root
    local_r = np.broadcast_to(np.eye(3), (T, J, 3, 3)).copy()
    local_r[:, 0] = Rotation.from_quat(clip.rotations[:, 0]).as_matrix()
    for k, name in enumerate(SPHERICAL):
        j = _joint(body, name, "spherical")
        local_r[:, j] = Rotation.from_quat(clip.rotations[:, 1 + k]).as_matrix()
    for k, name in enumerate(REVOLUTE):
        j = _joint(body, name, "revolute")
        local_r[:, j] = Rotation.from_rotvec(clip.angles[:, k, None] * body.axes[j]).as_matrix()
    pos, rot = forward_kinematics(body.parents, local_p, local_r)
    return Motion(names=body.names, parents=body.parents, positions=pos, rotations=rot,
                  frame_time=float(np.median(np.diff(clip.times))))


def _joint(body: Humanoid, name: str, kind: str) -> int:
    """Index of joint ``name`` in ``body``, which must be of ``kind``."""
    j = body.names.index(name)
    if body.kinds[j] != kind:
        raise WsgcnError(f"humanoid joint {name!r} is {body.kinds[j]}, the clips give it a {kind} value")
    return j


def humanoid_rig(body: Humanoid) -> Rig:
    """The joint rules of the DeepMimic humanoid (docs/BENCHMARK.md, "From the humanoid to the 17
    Human3.6M joints"), metres, y up. Its neck and head are one link without a head joint: Human3.6M's "Neck/Nose"
    (the top of the neck) is the head sphere's centre, the head top the sphere's top, both on
    the link's +y axis (the axis from the neck joint through the head)."""
    def p(joint: str, up: float = 0.0) -> tuple[RigPoint, ...]:
        return (RigPoint(joint, (0.0, up, 0.0)),)

    points = {"Hip": (RigPoint("left_hip"), RigPoint("right_hip")),
              "Spine": p("chest"), "Thorax": p(HEAD_LINK),
              "Neck": p(HEAD_LINK, body.head_centre), "Head": p(HEAD_LINK, body.head_centre + body.head_radius)}
    for side, word in (("L", "left"), ("R", "right")):
        for ours, theirs in (("Hip", "hip"), ("Knee", "knee"), ("Foot", "ankle"),
                             ("Shoulder", "shoulder"), ("Elbow", "elbow"), ("Wrist", "wrist")):
            points[side + ours] = p(f"{word}_{theirs}")
    return Rig(name="deepmimic", description="DeepMimic humanoid (pybullet humanoid.urdf x 0.25)",
               unit=1.0, up="y", points=points)


RULES: tuple[tuple[str, str], ...] = (
    ("Hip", "midpoint of left_hip, right_hip"), ("R/L Hip", "right/left_hip"), ("R/L Knee", "right/left_knee"),
    ("R/L Foot", "right/left_ankle"), ("Spine", "chest"), ("Thorax", "neck joint"),
    ("Neck", "neck link +y, head sphere centre"), ("Head", "neck link +y, head sphere top"),
    ("L/R Shoulder", "left/right_shoulder"), ("L/R Elbow", "left/right_elbow"), ("L/R Wrist", "left/right_wrist"))
"""The rules of :func:`humanoid_rig` in words (for the benchmark's definitions digest)."""


def clip_joints(clip: Clip, body: Humanoid) -> np.ndarray:
    """(T, 17, 3) Human3.6M joints [m, z-up world] of a clip (resampled or not)."""
    return map_to_h36m(humanoid_motion(clip, body), humanoid_rig(body))


def convert_clip(path: Path, max_seconds: float | None = None) -> Converted:
    """One clip -> :class:`~wsgcn.data.benchmark_spec.Converted`: the 50 Hz Human3.6M joints
    (one segment, metres, z-up world; the clip's own floor and heading), its key frames used (the
    first ``max_seconds`` only, if given) and its rate. The body is the source's
    :data:`URDF`, next to the clip."""
    clip = read_clip(path)
    if max_seconds is not None:
        clip = clip.first(max(2, int(np.searchsorted(clip.times, max_seconds + 1e-9, side="right"))))
    body = read_humanoid(Path(path).parent / URDF)
    return Converted([clip_joints(resample_clip(clip), body)], clip.num_frames, clip.fps, MIN_SEQUENCE_FRAMES, {})


UNLABELLED_DEEPMIMIC = "unlabelled-deepmimic"
PERSON = "DeepMimic humanoid (retargeted captures)"
LICENCE = "deepmimic"


@dataclass(frozen=True)
class DeepMimicTake:
    """One clip as a take (a :class:`~wsgcn.data.benchmark_spec.ConvertibleTake`) of the
    unlabelled subject :data:`UNLABELLED_DEEPMIMIC`; ``motion`` is the clip's name."""

    motion: str
    subject: str = UNLABELLED_DEEPMIMIC
    person: str = PERSON
    licence: str = LICENCE
    source: str = SOURCE
    validation_subject: str | None = None

    @property
    def key(self) -> str:
        return f"deepmimic-{self.motion}"

    @property
    def file(self) -> str:
        return f"{CLIP_PREFIX}{self.motion}{CLIP_SUFFIX}"

    def convert(self, path: Path, max_seconds: float | None) -> Converted:
        """The clip at ``path`` -> its 50 Hz joints (:func:`convert_clip`)."""
        return convert_clip(path, max_seconds)


DEEPMIMIC_TAKES: tuple[DeepMimicTake, ...] = tuple(DeepMimicTake(m) for m in MOTIONS)
