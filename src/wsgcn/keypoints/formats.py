"""Reading a detector's keypoint file or folder: the one table of readers, and dispatch over it.

:data:`READERS` lists every input format in detection order. With ``fmt="auto"`` each entry's
``sniff`` is asked in turn and the first that recognises the input reads it; an explicit ``fmt``
picks the entry of that name. :data:`FORMATS`, the accepted ``fmt`` values, is ``"auto"`` plus
the entries' names.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..errors import WsgcnError
from .coco import read_coco, sniff_coco
from .csvfile import read_csv, sniff_csv
from .folder import folder_problem
from .joints import JOINT_ORDERS
from .jsondoc import layout_error
from .mmpose import read_mmpose, sniff_mmpose
from .npzfile import read_npz, sniff_npz
from .openpose import read_openpose, sniff_openpose
from .params import Arg, ParameterError, check_choice
from .probe import Probe
from .tracks import Keypoints2D

_ORDER_NAMES = {"coco17": "COCO", "h36m17": "Human3.6M"}


@dataclass(frozen=True)
class Reader:
    """One input format.

    ``sniff(probe)``: whether an input is in this format (asked for ``fmt="auto"``);
    ``read(probe, joints)``: read it; ``joint_orders``: the joint orders its files can hold (what
    ``joints`` may name besides ``"auto"``); ``folders``: it also reads a folder of per-frame files.
    """

    name: str
    sniff: Callable[[Probe], bool]
    read: Callable[[Probe, str], Keypoints2D]
    joint_orders: tuple[str, ...] = ("coco17",)
    folders: bool = False


READERS: tuple[Reader, ...] = (
    Reader("coco", sniff_coco, read_coco),
    Reader("mmpose", sniff_mmpose, read_mmpose, folders=True),
    Reader("openpose", sniff_openpose, read_openpose, folders=True),
    Reader("npz", sniff_npz, read_npz, joint_orders=JOINT_ORDERS),
    Reader("csv", sniff_csv, read_csv, joint_orders=JOINT_ORDERS),
)
"""Every input format, in the order ``fmt="auto"`` tries them."""

FORMATS: tuple[str, ...] = ("auto",) + tuple(r.name for r in READERS)


def read_keypoints(path: str | os.PathLike, fmt: str = "auto", joints: str = "auto") -> Keypoints2D:
    """Read 2D keypoints from a detector's output file or folder.

    ``fmt`` one of :data:`FORMATS` (``auto``: from the suffix and the content); ``joints``
    (``auto``, ``coco17``, ``h36m17``) is the joint order of npz/CSV arrays, which do not say
    it themselves (``auto``: the file's ``joint_format`` entry, else recognised from the
    geometry: COCO's eyes and ears sit next to the nose). Bad input raises :class:`WsgcnError`
    (:class:`ParameterError` where the message names ``fmt`` or ``joints``).
    """
    path = Path(path)
    check_choice("fmt", fmt, FORMATS)
    check_choice("joints", joints, ("auto",) + JOINT_ORDERS)
    if not path.exists():
        raise WsgcnError(f"{path}: no such file or folder")
    probe = Probe(path)
    reader = detect(probe) if fmt == "auto" else _named(probe, fmt, joints)
    return reader.read(probe, joints)


def detect(probe: Probe) -> Reader:
    """The first entry of :data:`READERS` whose ``sniff`` recognises ``probe``; else raise why none does."""
    for reader in READERS:
        if reader.sniff(probe):
            return reader
    raise _undetected(probe)


def _named(probe: Probe, fmt: str, joints: str) -> Reader:
    """The entry named ``fmt``, once ``joints`` and a folder input are known to fit it."""
    reader = next(r for r in READERS if r.name == fmt)
    if joints not in ("auto",) + reader.joint_orders:
        ordered = "/".join(_ORDER_NAMES[o] for o in reader.joint_orders)
        raise ParameterError(f"{probe.path}: ", Arg("joints", joints),
                             f" does not apply to {fmt} files (they are {ordered}-ordered)")
    if probe.is_dir and not reader.folders:
        raise ParameterError(f"{probe.path}: a folder can only hold per-frame OpenPose or MMPose JSON files, not ",
                             Arg("fmt", fmt))
    return reader


def _undetected(probe: Probe) -> WsgcnError:
    """Why no entry recognises ``probe``."""
    if probe.is_dir:
        return folder_problem(probe)
    if probe.suffix == ".json":
        return layout_error(probe.path, probe.json_kind)
    return ParameterError(f"{probe.path}: cannot tell the format from the suffix {probe.suffix or '(none)'!r}; give ",
                          Arg("fmt"), f" ({', '.join(FORMATS[1:])})")
