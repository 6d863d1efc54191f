"""The ``motions`` benchmark (``wsgcn data build-mocap --benchmark motions``): the ``people``
benchmark unchanged plus the 15 DeepMimic clips of ``pybullet`` 3.2.7 as a second unlabelled
subject, ``unlabelled-deepmimic`` (docs/BENCHMARK.md, "The DeepMimic clips and the `motions`
benchmark").

* Labelled, validation and test subjects, and ``unlabelled-lafan1``, are ``people``'s own takes,
  windows, yaws, cameras and detector seeds: their arrays are equal to ``people``'s (and those
  it shares with ``mocap`` to ``mocap``'s). Only the unlabelled pool grows.
* The clips (:mod:`wsgcn.data.deepmimic`) are real captures retargeted onto one simulated body:
  more motion for the unlabelled pool (runs, kicks, punches, cartwheels, a backflip, crawling,
  rolling, dances, getting up), not another person. Their subject is filmed with Human3.6M S6's
  cameras (S5's film ``unlabelled-lafan1``; S6, the next of Human3.6M's unlabelled-analogue
  subjects S5-S8, keeps the two unlabelled bodies on different camera calibrations, like every
  other subject of the benchmark).

:data:`BENCHMARKS` names every benchmark for the command line (:func:`get_benchmark`).
"""

from __future__ import annotations

import hashlib

from ..errors import WsgcnError
from . import deepmimic
from .deepmimic import DEEPMIMIC_TAKES, UNLABELLED_DEEPMIMIC
from .mocap import MOCAP, Benchmark
from .people import EXCLUDED, LICENCES_PEOPLE, PEOPLE, PEOPLE_CAMERAS_OF, PEOPLE_SPLIT
from .sources import CLIP_SOURCES

NAME = "motions"
VERSION = 1  # bump when the conversion of the DeepMimic clips changes, so old outputs are rebuilt

DEEPMIMIC_CAMERAS = "S6"
"""The Human3.6M subject whose 4 cameras film ``unlabelled-deepmimic``."""

MOTIONS_SPLIT: dict[str, list[str]] = {
    **PEOPLE_SPLIT, "unlabelled": [*PEOPLE_SPLIT["unlabelled"], UNLABELLED_DEEPMIMIC]}
"""``people``'s split with the DeepMimic subject added to the unlabelled subjects."""

MOTIONS_CAMERAS_OF: dict[str, str] = {**PEOPLE_CAMERAS_OF, UNLABELLED_DEEPMIMIC: DEEPMIMIC_CAMERAS}

LICENCES_MOTIONS: dict[str, str] = {
    **LICENCES_PEOPLE, deepmimic.LICENCE: "pybullet 3.2.7 wheel: " + CLIP_SOURCES[deepmimic.SOURCE].licence}


def _definitions_digest() -> str:
    """A short hash of every table the ``motions`` build uses: ``people``'s, the DeepMimic clips,
    their frame layout, URDF scale and joint rules, the split, the cameras and the licences.
    Changes to the code itself must bump VERSION."""
    tables = repr((PEOPLE.definitions(), DEEPMIMIC_TAKES, deepmimic.JOINT_VALUES, deepmimic.URDF_SCALE,
                   deepmimic.HEAD_LINK, deepmimic.RULES, MOTIONS_SPLIT, MOTIONS_CAMERAS_OF, LICENCES_MOTIONS))
    return hashlib.sha256(tables.encode()).hexdigest()[:16]


MOTIONS = Benchmark(NAME, PEOPLE.takes + DEEPMIMIC_TAKES, MOTIONS_SPLIT, MOTIONS_CAMERAS_OF, LICENCES_MOTIONS,
                    VERSION, _definitions_digest, detailed=True, excluded=EXCLUDED)
"""``people`` plus the DeepMimic clips in the unlabelled pool (the same labelled, validation and test data)."""

BENCHMARKS: dict[str, Benchmark] = {b.name: b for b in (MOCAP, PEOPLE, MOTIONS)}
"""Every benchmark ``wsgcn data build-mocap --benchmark NAME`` builds."""


def get_benchmark(name: str) -> Benchmark:
    """The benchmark called ``name`` (``mocap``, ``people`` or ``motions``)."""
    try:
        return BENCHMARKS[name]
    except KeyError:
        raise WsgcnError(f"unknown benchmark {name!r}; known: {sorted(BENCHMARKS)}") from None
