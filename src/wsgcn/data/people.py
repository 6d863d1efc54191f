"""The ``people`` benchmark (``wsgcn data build-mocap --benchmark people``): the ``mocap``
benchmark with three more test people, whose joints are computed from their markers
(docs/BENCHMARK.md, "The people benchmark").

* Labelled (CMU subject 01), validation (its held-out windows), unlabelled (LaFAN1) and the
  boxer (``test-boxing``) are ``mocap``'s own takes, windows, yaws, cameras and detector seeds:
  their arrays are equal to ``mocap``'s, so both benchmarks train on the same data.
* ``test-nick`` (dart's ``nick_freeform_001.c3d``, free-form moves), ``test-sehoon`` (dart's
  ``squat.c3d``) and ``test-thomas`` (assimp's ``ThomasFechten.csm``, fencing): the 17 joints
  from the markers (:mod:`wsgcn.data.joint_centres`); frames where a needed marker is missing
  for more than 0.1 s, or a bone jumps, are dropped (:func:`~wsgcn.data.joint_centres.consistent_frames`);
  every bone then gets its take-median length (:func:`~wsgcn.data.joint_centres.fit_constant_bones`,
  as Human3.6M's skeleton fitted to Vicon markers); each stretch of kept frames is resampled to
  50 Hz by linear interpolation and goes through ``mocap``'s placement, cameras (Human3.6M S11's)
  and detector simulation.
* The treadmill capture (gaitalytics) is left out: its protocol gives 9 of the 17 joints.

:data:`BENCHMARKS` names ``mocap`` and ``people``; the command line's list, ``motions`` included,
is :data:`wsgcn.data.motions.BENCHMARKS`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import WsgcnError
from ..skeleton import H36M17
from . import joint_centres, markers
from .joint_centres import consistent_frames, derive_joints, fit_constant_bones
from .marker_takes import MARKER_TAKES, MarkerTake
from .markers import read_markers
from .mocap import CAMERAS_OF, FPS, LABELLED, LICENCES, MOCAP, SPLIT, TAKES, TEST, UNLABELLED, VALIDATION
from .mocap import Benchmark, Converted
from .sources import MARKER_SOURCES

NAME = "people"
VERSION = 1  # bump when the conversion of the marker takes changes, so old outputs are rebuilt

MARKER_MIN_FRAMES = 5
"""Fewest 50 Hz frames (0.1 s) a stretch of a marker take's usable frames needs to be kept: the
lifter is single-frame, so short stretches are test poses like any other, but one or two
frames left between long marker dropouts are not trusted (they are counted as dropped)."""

TEST_NICK, TEST_SEHOON, TEST_THOMAS = "test-nick", "test-sehoon", "test-thomas"


@dataclass(frozen=True)
class MarkerRole:
    """A capture of :data:`~wsgcn.data.marker_takes.MARKER_TAKES` (``key``) as a take of this
    benchmark: the benchmark ``subject`` its windows go to and its ``licence`` (a key of
    :data:`LICENCES`). Motion, person, source and file are the capture's."""

    key: str
    subject: str
    licence: str
    validation_subject: str | None = None

    @property
    def capture(self) -> MarkerTake:
        return next(t for t in MARKER_TAKES if t.key == self.key)

    @property
    def source(self) -> str:
        return self.capture.source

    @property
    def file(self) -> str:
        return self.capture.file

    @property
    def motion(self) -> str:
        return self.capture.motion

    @property
    def person(self) -> str:
        return self.capture.person

    def convert(self, path: Path, max_seconds: float | None) -> Converted:
        """The capture at ``path`` -> its 50 Hz stretches (:func:`convert_marker_take`)."""
        return convert_marker_take(path, self.capture.marker_set, max_seconds)


MARKER_ROLES: tuple[MarkerRole, ...] = (
    MarkerRole("dart-nick", TEST_NICK, "dart"),
    MarkerRole("dart-squat", TEST_SEHOON, "dart"),
    MarkerRole("csm-fencing", TEST_THOMAS, "assimp-csm"),
)

PEOPLE_SPLIT: dict[str, list[str]] = {
    **SPLIT, "test": [TEST, TEST_NICK, TEST_SEHOON, TEST_THOMAS]}
"""``mocap``'s split with the three marker-captured people added to the test subjects."""

PEOPLE_CAMERAS_OF: dict[str, str] = {**CAMERAS_OF, TEST_NICK: "S11", TEST_SEHOON: "S11", TEST_THOMAS: "S11"}
"""``mocap``'s cameras; the new test people are filmed with the other Human3.6M test subject's (S11)."""

LICENCES_PEOPLE: dict[str, str] = {
    **LICENCES,
    "dart": "dart-doc " + MARKER_SOURCES["dart-doc"].licence,
    "assimp-csm": MARKER_SOURCES["assimp-testmodels-csm"].licence,
}

EXCLUDED: tuple[dict[str, str], ...] = (
    {"take": "gait-treadmill", "file": "treadmill_events.c3d", "person": "SI02", "motion": "walk",
     "reason": "lower-limb and trunk markers only: 9 of the 17 joints (no arms, no head)"},
)


def _stretches(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of every stretch of True in a (T,) bool mask."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def resample_stretch(x: np.ndarray, start: int, rate: float, fps: float = FPS) -> np.ndarray:
    """Source frames ``start ... start + len(x) - 1`` (``x``: (n, J, 3) metres, at ``rate`` Hz)
    -> the frames of the take's ``fps`` grid (times k / fps from the take's first frame) that lie
    inside the stretch, (m, J, 3), by linear interpolation between the two nearest source frames."""
    stop = start + len(x)
    first = int(np.ceil(start * fps / rate - 1e-9))
    last = int(np.floor((stop - 1) * fps / rate + 1e-9))
    s = np.arange(first, last + 1) * rate / fps - start  # source index inside the stretch
    i0 = np.clip(np.floor(s + 1e-9).astype(int), 0, len(x) - 1)
    i1 = np.minimum(i0 + 1, len(x) - 1)
    w = np.clip(s - i0, 0.0, 1.0)[:, None, None]
    return x[i0] * (1.0 - w) + x[i1] * w


def convert_marker_take(path: Path, marker_set: str, max_seconds: float | None = None) -> Converted:
    """One marker capture -> :class:`~wsgcn.data.mocap.Converted`: the 50 Hz stretches of its
    usable frames ((T_i, 17, 3) metres, z-up world, constant bones), its source frames (the
    first ``max_seconds`` only, if given) and rate, and the counts for the summary (source
    frames dropped because a marker was missing, a bone jumped, or in a too short stretch; 50 Hz
    frames without joints). A marker set without all 17 joints is an error."""
    trial = read_markers(path)
    derived = derive_joints(trial, marker_set)
    lacking = [n for n in H36M17.names if n not in derived.available]
    if lacking:
        raise WsgcnError(f"{Path(path).name}: marker set {marker_set!r} gives no {lacking}: not a full-body take")
    usable, _ = consistent_frames(derived)
    fitted = fit_constant_bones(derived.joints, derived.available, usable)
    n = trial.num_frames
    if max_seconds is not None:
        n = min(n, int(round(max_seconds * trial.rate)) + 1)
    segments, short = [], 0
    for start, stop in _stretches(usable[:n]):
        seg = resample_stretch(fitted[start:stop], start, trial.rate)
        if len(seg) < MARKER_MIN_FRAMES:
            short += stop - start
            continue
        segments.append(seg)
    grid = int(np.floor((n - 1) * FPS / trial.rate + 1e-9)) + 1  # 50 Hz frames over the used span
    valid = derived.valid[:n]
    extra = {
        "frames_50hz": grid, "dropped": {"no_joints": grid - int(sum(len(s) for s in segments))},
        "marker_set": marker_set, "joints": "markers, constant bones (fit_constant_bones)",
        "source_dropped": {"marker_missing": int(np.sum(~valid)), "inconsistent": int(np.sum(valid & ~usable[:n])),
                           "short_stretch": short},
    }
    return Converted(segments, n, float(trial.rate), MARKER_MIN_FRAMES, extra)


def _definitions_digest() -> str:
    """A short hash of every table the ``people`` build uses: ``mocap``'s, the marker takes and
    their roles, the marker sets and every constant of the joint-centre rules, the split, the
    cameras, the licences and the exclusions. Changes to the code itself must bump VERSION."""
    constants = sorted((k, repr(v)) for mod in (joint_centres, markers) for k, v in vars(mod).items()
                       if k.isupper() and isinstance(v, (int, float, str, tuple, dict)))
    tables = repr((MOCAP.definitions(), MARKER_ROLES, MARKER_TAKES, constants, MARKER_MIN_FRAMES,
                   PEOPLE_SPLIT, PEOPLE_CAMERAS_OF, LICENCES_PEOPLE, EXCLUDED))
    return hashlib.sha256(tables.encode()).hexdigest()[:16]


PEOPLE = Benchmark(NAME, TAKES + MARKER_ROLES, PEOPLE_SPLIT, PEOPLE_CAMERAS_OF, LICENCES_PEOPLE, VERSION,
                   _definitions_digest, detailed=True, excluded=EXCLUDED)
"""``mocap`` plus three test people captured with markers (6 people, 4 of them in test)."""

BENCHMARKS: dict[str, Benchmark] = {MOCAP.name: MOCAP, PEOPLE.name: PEOPLE}
"""``mocap`` and ``people`` (every benchmark of ``wsgcn data build-mocap --benchmark NAME``:
:data:`wsgcn.data.motions.BENCHMARKS`)."""


def get_benchmark(name: str) -> Benchmark:
    """The benchmark called ``name`` (``mocap`` or ``people``)."""
    try:
        return BENCHMARKS[name]
    except KeyError:
        raise WsgcnError(f"unknown benchmark {name!r}; known: {sorted(BENCHMARKS)}") from None
