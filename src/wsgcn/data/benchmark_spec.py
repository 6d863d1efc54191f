"""What a real-motion benchmark is made of (:func:`wsgcn.data.mocap.build_mocap` builds any
:class:`Benchmark`): its takes, split, cameras and licences, and the shape of a converted take.
``mocap`` is :data:`wsgcn.data.mocap.MOCAP`, ``people`` :data:`wsgcn.data.people.PEOPLE`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, NamedTuple, Protocol

import numpy as np


class Converted(NamedTuple):
    """One take converted: ``segments`` (T_i, 17, 3) joints at 50 Hz, metres, z-up world (a
    BVH take: one; a marker take: one per stretch of usable frames), the source frames used, their
    rate [Hz], the fewest frames a kept stretch may have, extra entries of the take's summary."""

    segments: list[np.ndarray]
    source_frames: int
    source_fps: float
    min_frames: int
    extra: dict[str, Any]


class ConvertibleTake(Protocol):
    """A take that is not a BVH :class:`~wsgcn.data.mocap.Take` (the marker takes of
    :mod:`wsgcn.data.people`): the fields of a ``Take`` that the build reads, and its own
    conversion of its verified file."""

    key: str
    source: str
    file: str
    motion: str
    person: str
    subject: str
    licence: str
    validation_subject: str | None

    def convert(self, path: Path, max_seconds: float | None) -> Converted: ...


@dataclass(frozen=True)
class Benchmark:
    """A benchmark: its file ``name`` (``data_3d_<name>.npz``, ...); its ``takes`` (BVH
    :class:`~wsgcn.data.mocap.Take` or :class:`ConvertibleTake`); the subjects of each split;
    the Human3.6M subject whose cameras each subject uses; the licences its takes name; the
    conversion ``version``; ``definitions``, a digest of every table it uses. ``detailed``: the
    summary also records each take's subject and the subjects' frames, and the report prints
    them and each take's licence (``mocap`` keeps the summary it was first built with).
    ``excluded``: captures deliberately left out, and why (for the summary)."""

    name: str
    takes: tuple[Any, ...]
    split: dict[str, list[str]]
    cameras_of: dict[str, str]
    licences: dict[str, str]
    version: int
    definitions: Callable[[], str]
    detailed: bool = False
    excluded: tuple[dict[str, str], ...] = ()
