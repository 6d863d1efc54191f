"""Human3.6M preparation: the original D3_Positions CDF files (folders or ``.tgz`` archives)
to the npz files of :mod:`wsgcn.data.h36m` (``wsgcn data prepare-h36m``)."""

from __future__ import annotations

import re
import tarfile
import tempfile
import zlib
from collections.abc import Sequence as SequenceABC
from dataclasses import dataclass
from pathlib import Path, PurePath, PurePosixPath
from typing import Any

import numpy as np
from tqdm import tqdm

from ..errors import WsgcnError
from ..io import natural_key
from ..skeleton import H36M17, H36M32_TO_17
from .h36m import RAW_JOINTS, load_rig, natural_sorted, write_positions_2d, write_positions_3d

_TAR_SUFFIXES = (".tgz", ".tar.gz", ".tar")
SUBJECT_RE = re.compile(r"^S\d+$")


@dataclass
class _CdfFile:
    subject: str | None
    action: str
    label: str  # for messages: the file, or "archive.tgz:member"
    path: Path


def _subject_of(parts: SequenceABC[str]) -> str | None:
    """The nearest folder named like a subject (``S1``, ``S11``) above a CDF file."""
    for part in reversed(parts):
        if SUBJECT_RE.match(part):
            return part
    return None


def _is_d3_cdf(p: PurePath) -> bool:
    return p.suffix.lower() == ".cdf" and p.parent.name == "D3_Positions" and not p.name.startswith(".")


def _is_tar_name(p: Path) -> bool:
    return p.name.lower().endswith(_TAR_SUFFIXES)


def _cdfs_in_tar(archive: Path, tmp: Path, index: int) -> list[_CdfFile]:
    """Copy the D3_Positions CDF members of a tar archive into ``tmp`` under neutral names
    (member names are never used as paths; nothing is executed)."""
    found = []
    try:
        with tarfile.open(archive, "r:*") as tf:
            for k, member in enumerate(tf):
                pp = PurePosixPath(member.name)
                if not member.isfile() or not _is_d3_cdf(pp):
                    continue
                f = tf.extractfile(member)
                if f is None:
                    continue
                dest = tmp / f"{index}_{k}.cdf"
                dest.write_bytes(f.read())
                found.append(_CdfFile(_subject_of(pp.parts[:-1]), pp.stem, f"{archive}:{member.name}", dest))
    except (tarfile.TarError, EOFError, zlib.error, OSError) as e:
        raise WsgcnError(f"{archive}: not a readable tar archive ({type(e).__name__}: {e})") from None
    return found


def _find_cdfs(archive: Path, tmp: Path) -> list[_CdfFile]:
    if archive.is_file():
        if _is_tar_name(archive):
            return _cdfs_in_tar(archive, tmp, 0)
        if archive.suffix.lower() == ".cdf":
            p = archive.resolve()
            return [_CdfFile(_subject_of(p.parts[:-1]), p.stem, str(archive), archive)]
        raise WsgcnError(f"{archive}: expected a folder, a .tgz archive or a .cdf file")
    found = []
    for p in sorted(archive.rglob("*.cdf")):
        if p.is_file() and _is_d3_cdf(p):
            found.append(_CdfFile(_subject_of(p.resolve().parts[:-1]), p.stem, str(p), p))
    tars = sorted(p for p in archive.rglob("*") if p.is_file() and _is_tar_name(p))
    for i, t in enumerate(tars):
        found.extend(_cdfs_in_tar(t, tmp, i))
    return found


def _read_pose_cdf(path: Path, label: str) -> np.ndarray:
    """Variable ``Pose`` of a D3_Positions CDF ((1, T, 96) or (T, 96), millimetres) as
    (T, 32, 3) float32 metres."""
    import cdflib

    try:
        cdf = cdflib.CDF(Path(path).absolute())  # a local path, never a URL
        info = cdf.cdf_info()
        names = list(info.zVariables) + list(info.rVariables)
        if "Pose" not in names:
            raise WsgcnError(f"{label}: no 'Pose' variable in this CDF file (variables: {names})")
        data = np.asarray(cdf.varget("Pose"), dtype=np.float64)
        del cdf  # closes the file handle
    except WsgcnError:
        raise
    except Exception as e:  # cdflib reports a damaged file with many exception types
        raise WsgcnError(f"{label}: not a readable CDF file ({type(e).__name__}: {e})") from None
    if data.size == 0 or data.shape[-1] != 3 * RAW_JOINTS:
        raise WsgcnError(f"{label}: 'Pose' has shape {data.shape}, expected (1, T, 96) or (T, 96)")
    if not np.all(np.isfinite(data)):
        raise WsgcnError(f"{label}: 'Pose' contains NaN or infinite values")
    return (data.reshape(-1, RAW_JOINTS, 3) / 1000.0).astype(np.float32)


def _select(found: list[_CdfFile], subjects: set[str], notes: list[str]) -> dict[tuple[str, str], _CdfFile]:
    """The CDF files to convert, by (subject, action): those of a subject in ``subjects`` (the
    ones with cameras), without S11 "Directions" and without duplicates; appends a note to
    ``notes`` for each file or subject left out."""
    todo: dict[tuple[str, str], _CdfFile] = {}
    skipped_subjects: set[str] = set()
    for item in found:
        if item.subject is None:
            notes.append(f"{item.label}: no subject folder (S1, S5, ...) above it, skipped")
        elif item.subject not in subjects:
            skipped_subjects.add(item.subject)
        elif item.subject == "S11" and item.action == "Directions":
            notes.append(f"{item.label}: S11 'Directions' skipped (corrupted video in Human3.6M)")
        elif (item.subject, item.action) in todo:
            notes.append(f"{item.label}: duplicate of {todo[item.subject, item.action].label}, skipped")
        else:
            todo[item.subject, item.action] = item
    for s in natural_sorted(skipped_subjects):
        notes.append(f"{s}: no published cameras for this subject, skipped")
    return todo


def prepare_h36m(archive: Path, out_dir: Path, progress: bool = True) -> dict[str, Any]:
    """Convert the original Human3.6M D3_Positions CDF files to ``data_3d_h36m.npz`` (32 joints,
    world metres) and ``data_2d_h36m_gt.npz`` (17 joints, pixels, projected with each subject's
    cameras) in ``out_dir``.

    ``archive``: a folder holding extracted ``S*/MyPoseFeatures/D3_Positions/*.cdf`` trees and/or
    ``Poses_D3_Positions_S*.tgz`` files (or one such .tgz). Subjects without cameras (S2-S4) are
    skipped, and so is S11 "Directions" (corrupted video; left out of the community's files too).
    Returns a summary: ``subjects``, ``actions`` (sequences), ``frames``, ``per_subject``,
    ``files`` written and ``notes`` on what was skipped.
    """
    archive, out_dir = Path(archive), Path(out_dir)
    if not archive.exists():
        raise WsgcnError(f"{archive}: Human3.6M archive not found")
    rig = load_rig(out_dir, "h36m")
    notes: list[str] = []
    pos3: dict[str, dict[str, np.ndarray]] = {}
    pos2: dict[str, dict[str, list[np.ndarray]]] = {}
    with tempfile.TemporaryDirectory(prefix="wsgcn-h36m-") as tmp:
        found = _find_cdfs(archive, Path(tmp))
        if not found:
            raise WsgcnError(f"{archive}: no Human3.6M D3_Positions CDF files found (expected "
                             "S*/MyPoseFeatures/D3_Positions/*.cdf or Poses_D3_Positions_S*.tgz)")
        todo = _select(found, set(rig), notes)
        if not todo:
            raise WsgcnError(f"{archive}: no CDF files of a subject with cameras ({natural_sorted(rig)})")
        keys = sorted(todo, key=lambda k: (natural_key(k[0]), k[1]))
        for s, a in tqdm(keys, desc="Human3.6M CDF", unit="file", disable=not progress):
            world = _read_pose_cdf(todo[s, a].path, todo[s, a].label)
            joints = world[:, list(H36M32_TO_17)].astype(np.float64)
            pos3.setdefault(s, {})[a] = world
            pos2.setdefault(s, {})[a] = [cam.project(cam.world_to_camera(joints)).astype(np.float32)
                                         for cam in rig[s]]
    out3, out2 = out_dir / "data_3d_h36m.npz", out_dir / "data_2d_h36m_gt.npz"
    metadata = {"layout_name": "h36m", "num_joints": H36M17.num_joints,
                "keypoints_symmetry": [list(H36M17.joints_left), list(H36M17.joints_right)]}
    write_positions_3d(out3, pos3)
    write_positions_2d(out2, pos2, metadata)
    per_subject = {s: {"actions": len(pos3[s]), "frames": int(sum(len(v) for v in pos3[s].values()))}
                   for s in pos3}
    return {
        "subjects": list(pos3),
        "actions": sum(v["actions"] for v in per_subject.values()),
        "frames": sum(v["frames"] for v in per_subject.values()),
        "per_subject": per_subject,
        "files": [str(out3), str(out2)],
        "notes": notes,
    }
