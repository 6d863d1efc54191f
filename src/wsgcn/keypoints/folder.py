"""Folders of per-frame JSON files (OpenPose ``--write_json``, the MMPose inferencer's per-image
predictions): one frame per file, in natural file-name order."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ..errors import WsgcnError
from .jsondoc import PER_FRAME_KINDS
from .probe import Probe
from .tracks import Detection


def not_per_frame(path: Path, kind: str | None) -> WsgcnError:
    """The error for a file in a folder that is not a per-frame OpenPose or MMPose file."""
    return WsgcnError(f"{path}: not a per-frame OpenPose or MMPose file (found {kind or 'an unknown layout'})")


def folder_frames(probe: Probe, name: str, kinds: frozenset[str],
                  people: Callable[[Path, Any], list[Detection]]) -> list[tuple[str, list[Detection]]]:
    """[(file stem, detections)] for every file of the folder ``probe``, each of a layout in
    ``kinds`` (the reader ``name``'s) or ``[]``; ``people(file, doc)`` reads one file's people."""
    frames: list[tuple[str, list[Detection]]] = []
    for f in probe.folder:
        if f.kind == "empty":
            frames.append((f.path.stem, []))  # an MMPose per-image file of an image without people
            continue
        if f.kind not in PER_FRAME_KINDS:
            raise not_per_frame(f.path, f.kind)
        if f.kind not in kinds:
            raise WsgcnError(f"{f.path}: not a {name} file (it looks like {f.kind})")
        frames.append((f.path.stem, people(f.path, f.doc)))
    return frames


def folder_problem(probe: Probe) -> WsgcnError:
    """Why no reader takes the folder ``probe``: a file of another layout, or a mix of layouts."""
    for f in probe.folder:
        if f.kind != "empty" and f.kind not in PER_FRAME_KINDS:
            return not_per_frame(f.path, f.kind)
    return WsgcnError(f"{probe.path}: mixes OpenPose and MMPose files")
