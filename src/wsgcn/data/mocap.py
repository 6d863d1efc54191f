"""The real-motion benchmark: registry-shipped motion capture -> Human3.6M-style dataset files.

Pipeline (docs/BENCHMARK.md explains every choice):

1. fetch and verify the sources (:mod:`wsgcn.data.sources`);
2. parse each BVH take (:mod:`wsgcn.data.bvh`), drop non-motion frames, resample to 50 Hz
   (slerp of joint rotations), forward kinematics, map to the 17 Human3.6M joints in metres in
   a z-up world (:mod:`wsgcn.data.rigs`);
3. cut into windows of about 4 s; recentre each window horizontally on the capture volume's
   centre and turn it by a deterministic yaw (:mod:`wsgcn.data.placement`);
4. view it with 4 cameras that have the real Human3.6M intrinsics and distortion and the
   extrinsics of a Human3.6M subject; drop frames where a joint leaves an image or comes
   closer than 1 m to a camera, keeping the longest valid stretch of each window;
5. write ``data_3d_mocap.npz``, ``data_2d_mocap_gt.npz``, ``data_2d_mocap_noisy.npz`` (a
   simulated detector, :mod:`wsgcn.data.detector`), ``data_cameras_mocap.json``,
   ``data_split_mocap.json`` and ``build_info_mocap.json``. Everything is deterministic; two
   builds give identical bytes. :func:`format_summary` (:mod:`wsgcn.data.mocap_report`) prints
   the build's summary. A :class:`Benchmark` names the takes, split and cameras: :data:`MOCAP`
   here, ``people`` (marker-captured test people) in :mod:`wsgcn.data.people`.
"""

from __future__ import annotations

import hashlib
import time
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from ..camera import Camera, CameraRig, h36m_cameras, save_cameras
from ..errors import WsgcnError
from ..io import ensure_dir, read_json, write_json
from ..skeleton import H36M17
from . import h36m
from .benchmark_spec import Benchmark, Converted, ConvertibleTake
from .bvh import BvhFile, bvh_motion, read_bvh, resample
from .detector import DETECTOR_SIGMA_PX, OUTLIER_PX, OUTLIER_RATE, simulate_detector
from .mocap_report import format_summary  # noqa: F401  (part of this module's interface)
from .placement import MIN_DEPTH, look_at_point, longest_run, place_window, valid_frames, window_yaw
from .rigs import RIGS, map_to_h36m
from .sources import SourceUnavailable, fetch_source, get_source, sha256_file

NAME = "mocap"
BUILD_FORMAT = "wsgcn-mocap-build-1"
BUILD_VERSION = 1  # bump when the conversion changes, so old outputs are rebuilt

FPS = 50.0
WINDOW_SECONDS = 4.0
MIN_SEQUENCE_FRAMES = 25  # shorter valid stretches are dropped (0.5 s)
VALIDATION_EVERY = 5  # every 5th window of the labelled person, starting with the 3rd
VALIDATION_OFFSET = 2
SEED = 20240611

LICENCES = {
    "cmu": "CMU Graphics Lab Motion Capture Database: free for research and commercial use; "
           "acknowledgement requested (\"The data used in this project was obtained from mocap.cs.cmu.edu. "
           "The database was created with funding from NSF EIA-0196217.\")",
    "assimp": "shipped in assimp's test models; the Debian copyright file covers the package as a whole "
              "(Files: *, BSD-3-clause, ASSIMP Development Team) and names no separate origin or licence "
              "for this capture",
    "lafan1": "Ubisoft La Forge LaFAN1: CC BY-NC-ND 4.0 (non-commercial, no derivatives) - built locally "
              "for research; the converted files must never be redistributed",
}


@dataclass(frozen=True)
class Take:
    """One captured take: where it comes from and what role it plays."""

    key: str
    source: str  # key of sources.SOURCES
    file: str  # file name in the source's cache folder
    rig: str  # key of RIGS
    motion: str  # action group of its sequences
    person: str
    subject: str  # benchmark subject its windows go to
    licence: str  # key of LICENCES
    validation_subject: str | None = None  # held-out windows go here


LABELLED, VALIDATION, UNLABELLED, TEST = "labelled-cmu01", "validation-cmu01", "unlabelled-lafan1", "test-boxing"

TAKES: tuple[Take, ...] = (
    Take("cmu-01_01", "assimp-testmodels", "01_01.bvh", "cmu", "jump", "CMU subject 01", LABELLED, "cmu", VALIDATION),
    Take("cmu-01_03", "assimp-testmodels", "01_03.bvh", "cmu", "climb", "CMU subject 01", LABELLED, "cmu", VALIDATION),
    Take("boxing", "assimp-testmodels", "Boxing_Toes.bvh", "boxing", "box", "Boxing_Toes performer", TEST, "assimp"),
    Take("lafan1-test", "bvhtools", "test.bvh", "lafan1", "walk", "LaFAN1 performer(s)", UNLABELLED, "lafan1"),
    Take("lafan1-test2", "bvhtools", "test2.bvh", "lafan1", "dance", "LaFAN1 performer(s)", UNLABELLED, "lafan1"),
)

SPLIT: dict[str, list[str]] = {"labelled": [LABELLED], "unlabelled": [UNLABELLED],
                               "validation": [VALIDATION], "test": [TEST]}
"""Benchmark subjects of each split: the S1 / S5-S8 / validation / S9-S11 analogues."""

CAMERAS_OF: dict[str, str] = {LABELLED: "S1", VALIDATION: "S1", UNLABELLED: "S5", TEST: "S9"}
"""Human3.6M subject whose 4 published cameras (intrinsics and extrinsics) each subject uses."""


@dataclass
class MocapDataset:
    """The benchmark in memory: world 3D (subject -> action -> (T, 17, 3) float32 metres),
    2D per camera ((T, 17, 2) float32 pixels; noisy: (T, 17, 3) with confidence), the cameras,
    the split and the summary."""

    positions_3d: dict[str, dict[str, np.ndarray]]
    positions_2d: dict[str, dict[str, list[np.ndarray]]]
    positions_2d_noisy: dict[str, dict[str, list[np.ndarray]]]
    cameras: CameraRig
    split: dict[str, list[str]]
    summary: dict[str, Any]
    sources: dict[str, dict[str, str]] = field(default_factory=dict)  # source -> file -> sha256
    benchmark: Benchmark | None = None  # None: mocap


# ----------------------------------------------------------------------------- conversion

def convert_take(path: Path, rig_name: str, max_seconds: float | None = None) -> tuple[np.ndarray, int, float]:
    """One BVH take -> ((T, 17, 3) Human3.6M joints at 50 Hz, metres, z-up world, the number of
    source frames used, the source frame rate). The source's own floor and heading are kept."""
    rig = RIGS[rig_name]
    stat = Path(path).stat()
    bvh = _parsed(str(path), stat.st_size, stat.st_mtime_ns)
    stop = None
    if max_seconds is not None:
        stop = rig.skip_frames + max(2, int(round(max_seconds * bvh.fps)) + 1)
    bvh = bvh.frames(rig.skip_frames, stop)
    motion = bvh_motion(resample(bvh, FPS), offset_overrides=rig.offset_overrides)
    return map_to_h36m(motion, rig), bvh.num_frames, bvh.fps


@lru_cache(maxsize=8)
def _parsed(path: str, size: int, mtime_ns: int) -> BvhFile:
    """Parsed BVH files, kept for the process (parsing is most of a build's time); the size
    and modification time in the key make a changed file parse again."""
    return read_bvh(path)


def _subject_cameras(bench: Benchmark) -> CameraRig:
    published = h36m_cameras()
    return {s: published[bench.cameras_of[s]] for s in bench.cameras_of}


def _convert(take: Take | ConvertibleTake, path: Path, max_seconds: float | None) -> Converted:
    """A BVH :class:`Take` through :func:`convert_take` (one segment); any other take by its own
    ``convert``."""
    if isinstance(take, Take):
        world, src_frames, src_fps = convert_take(path, take.rig, max_seconds)
        return Converted([world], src_frames, src_fps, MIN_SEQUENCE_FRAMES, {})
    return take.convert(path, max_seconds)


def assemble_mocap(cache_dir: Path | None = None, max_seconds_per_source: float | None = None,
                   allow_download: bool = True, progress: bool = True,
                   benchmark: Benchmark | None = None) -> MocapDataset:
    """Fetch, convert, place, project and filter every take of ``benchmark`` (default:
    ``mocap``) -> :class:`MocapDataset` (nothing written). ``max_seconds_per_source`` keeps only
    the first seconds of each take (tests). A source that cannot be fetched is left out with a
    note; none at all -> WsgcnError."""
    t0 = time.perf_counter()
    bench = benchmark or MOCAP
    files, notes = _fetch_sources(cache_dir, allow_download, progress, bench)
    cams = _subject_cameras(bench)
    centres = {s: look_at_point(c)[:2] for s, c in cams.items()}
    ds = MocapDataset(positions_3d={}, positions_2d={}, positions_2d_noisy={}, cameras={}, split={}, summary={},
                      benchmark=bench)
    per_take: list[dict[str, Any]] = []
    takes = [t for t in bench.takes if t.source in files]
    for take in tqdm(takes, desc=f"{bench.name} takes", unit="take", disable=not progress):
        conv = _convert(take, files[take.source][take.file], max_seconds_per_source)
        n_windows, kept, stats = 0, 0, {"outside_image": 0, "near_camera": 0, "short_or_split": 0}
        for world in conv.segments:
            n, k, s = _add_windows(ds, take, world, cams, centres, n_windows, conv.min_frames)
            n_windows, kept, stats = n_windows + n, kept + k, {r: stats[r] + s[r] for r in stats}
        frames = int(conv.extra.pop("frames_50hz", sum(len(w) for w in conv.segments)))
        record = {
            "take": take.key, "file": take.file, "source": take.source, "person": take.person,
            "motion": take.motion, "licence": take.licence, "source_fps": conv.source_fps,
            "source_frames": int(conv.source_frames),
            "duration_s": round(frames / FPS, 2), "frames_50hz": frames,
            "windows": n_windows, "kept_frames": int(kept), "dropped_frames": int(frames - kept),
            "dropped": {**stats, **conv.extra.pop("dropped", {})},
        }
        per_take.append({**record, "subject": take.subject, **conv.extra} if bench.detailed else record)

    pos3 = ds.positions_3d
    ds.split = {k: [s for s in v if s in pos3] for k, v in bench.split.items()}
    ds.cameras = {s: cams[s] for s in pos3}
    ds.summary = _summarise(per_take, pos3, ds.split, notes, time.perf_counter() - t0, max_seconds_per_source, bench)
    ds.sources = {name: {p.name: sha256_file(p) for p in sorted(fs.values())} for name, fs in files.items()}
    return ds


def _fetch_sources(cache_dir: Path | None, allow_download: bool, progress: bool,
                   bench: Benchmark) -> tuple[dict[str, dict[str, Path]], list[str]]:
    """The verified files of every source the takes use (source -> file name -> path) and a
    note for each source that could not be fetched; none at all -> WsgcnError."""
    notes: list[str] = []
    files: dict[str, dict[str, Path]] = {}
    for name in sorted({t.source for t in bench.takes}):
        try:
            files[name] = fetch_source(name, cache_dir, allow_download=allow_download, progress=progress)
        except SourceUnavailable as e:
            notes.append(f"source unavailable, built from the others: {e}")
    if not files:
        raise WsgcnError("no motion-capture source could be fetched: " + "; ".join(notes))
    return files, notes


def _add_windows(ds: MocapDataset, take: Take | ConvertibleTake, world: np.ndarray, cams: CameraRig,
                 centres: dict[str, np.ndarray], first_window: int = 0,
                 min_frames: int = MIN_SEQUENCE_FRAMES) -> tuple[int, int, dict[str, int]]:
    """Cut one converted take (or segment of one) into windows of about WINDOW_SECONDS,
    numbered from ``first_window``, place each in front of its subject's cameras, keep its
    longest valid stretch if it has at least ``min_frames`` frames and add it to ``ds`` (3D,
    exact and noisy 2D). Returns (windows, frames kept, frames dropped by reason)."""
    n_windows = max(1, int(round(len(world) / (WINDOW_SECONDS * FPS))))
    stats = {"outside_image": 0, "near_camera": 0, "short_or_split": 0}
    kept = 0
    for w, idx in enumerate(np.array_split(np.arange(len(world)), n_windows), start=first_window):
        subject = take.subject
        if take.validation_subject and w % VALIDATION_EVERY == VALIDATION_OFFSET:
            subject = take.validation_subject
        placed = place_window(world[idx], centres[subject], window_yaw(take.key, w))
        valid, inside, deep = valid_frames(placed, cams[subject])
        start, stop = longest_run(valid)
        if stop - start < min_frames:
            start, stop = 0, 0
        stats["near_camera"] += int(np.sum(~deep))
        stats["outside_image"] += int(np.sum(deep & ~inside))
        stats["short_or_split"] += int(np.sum(valid)) - (stop - start)
        if stop == start:
            continue
        _add_sequence(ds, subject, f"{take.motion} {w}", placed[start:stop], cams[subject])
        kept += stop - start
    return n_windows, kept, stats


def _add_sequence(ds: MocapDataset, subject: str, action: str, placed: np.ndarray, cams: list[Camera]) -> None:
    """One kept stretch -> ``ds``: its 3D (float32) and, projected from that stored 3D, its
    exact and its simulated-detector 2D in each camera."""
    seq = placed.astype(np.float32).astype(np.float64)  # 2D from the stored 3D
    ds.positions_3d.setdefault(subject, {})[action] = seq.astype(np.float32)
    views, views_noisy = [], []
    for c, cam in enumerate(cams):
        kp = cam.project(cam.world_to_camera(seq))
        views.append(kp.astype(np.float32))
        views_noisy.append(simulate_detector(kp, _rng_for(subject, action, c)))
    ds.positions_2d.setdefault(subject, {})[action] = views
    ds.positions_2d_noisy.setdefault(subject, {})[action] = views_noisy


def _rng_for(*parts: object) -> np.random.Generator:
    """The simulated detector's generator for one (subject, action, camera): seeded by name."""
    return np.random.default_rng([SEED, zlib.crc32(":".join(str(p) for p in parts).encode())])


def _summarise(per_take: list[dict[str, Any]], pos3: dict[str, dict[str, np.ndarray]],
               split: dict[str, list[str]], notes: list[str], seconds: float,
               max_seconds: float | None, bench: Benchmark) -> dict[str, Any]:
    def frames(subjects: list[str]) -> int:
        return int(sum(len(a) for s in subjects for a in pos3.get(s, {}).values()))

    splits = {k: {"subjects": v, "sequences": int(sum(len(pos3[s]) for s in v)), "frames": frames(v),
                  "poses": 4 * frames(v)} for k, v in split.items()}
    train = splits["labelled"]["frames"] + splits["unlabelled"]["frames"]
    people = sorted({t["person"] for t in per_take})
    excluded = {"excluded": list(bench.excluded)} if bench.excluded else {}
    return {
        "name": bench.name, "fps": FPS, "cameras_per_subject": 4, "window_seconds": WINDOW_SECONDS,
        "max_seconds_per_source": max_seconds,
        "takes": per_take, "people": people,
        "splits": splits, **(_subjects(bench, pos3) if bench.detailed else {}),
        "labelled_fraction_of_training": round(splits["labelled"]["frames"] / train, 3) if train else 0.0,
        "total_frames": int(sum(t["kept_frames"] for t in per_take)),
        "dropped_frames": int(sum(t["dropped_frames"] for t in per_take)),
        "licences": {k: bench.licences[k] for k in sorted({t["licence"] for t in per_take})},
        **excluded,
        "notes": notes,
        "seconds": round(seconds, 1),
    }


def _subjects(bench: Benchmark, pos3: dict[str, dict[str, np.ndarray]]) -> dict[str, Any]:
    """``{"subjects": subject -> people, motions, sequences, frames}`` of a detailed summary."""
    people: dict[str, set[str]] = {}
    for t in bench.takes:
        for s in (t.subject, t.validation_subject):
            if s:
                people.setdefault(s, set()).add(t.person)
    return {"subjects": {
        s: {"people": sorted(people.get(s, ())), "motions": sorted({h36m.action_group(a) for a in acts}),
            "sequences": len(acts), "frames": int(sum(len(x) for x in acts.values()))}
        for s, acts in pos3.items()}}


# ----------------------------------------------------------------------------- writing

def output_files(out_dir: Path, name: str = NAME) -> dict[str, Path]:
    """The files of benchmark ``name`` in ``out_dir`` by role."""
    return {
        "3d": out_dir / f"data_3d_{name}.npz",
        "2d_gt": out_dir / f"data_2d_{name}_gt.npz",
        "2d_noisy": out_dir / f"data_2d_{name}_noisy.npz",
        "cameras": out_dir / f"data_cameras_{name}.json",
        "split": out_dir / f"data_split_{name}.json",
    }


def build_info_path(out_dir: Path, name: str = NAME) -> Path:
    """``build_info_<name>.json`` in ``out_dir``."""
    return out_dir / f"build_info_{name}.json"


def _definitions_digest() -> str:
    """A short hash of every table the conversion uses (rigs, takes, split, cameras, detector
    model, licences), so that changing any of them makes old outputs out of date. Changes to
    the code itself must bump BUILD_VERSION."""
    tables = repr((sorted(RIGS.items()), TAKES, SPLIT, CAMERAS_OF, DETECTOR_SIGMA_PX, OUTLIER_PX, LICENCES))
    return hashlib.sha256(tables.encode()).hexdigest()[:16]


MOCAP = Benchmark(NAME, TAKES, SPLIT, CAMERAS_OF, LICENCES, BUILD_VERSION, _definitions_digest)
"""The real-motion benchmark as first built (the results table runs on it)."""


def _parameters(max_seconds: float | None, bench: Benchmark = MOCAP) -> dict[str, Any]:
    return {"version": bench.version, "definitions": bench.definitions(), "fps": FPS, "window_seconds": WINDOW_SECONDS,
            "min_sequence_frames": MIN_SEQUENCE_FRAMES, "min_depth_m": MIN_DEPTH, "seed": SEED,
            "outlier_rate": OUTLIER_RATE, "max_seconds_per_source": max_seconds,
            "cameras_of": bench.cameras_of}


def write_mocap(ds: MocapDataset, out_dir: Path, max_seconds_per_source: float | None = None) -> dict[str, Path]:
    """Write the dataset files of ``ds``'s benchmark and its ``build_info_<name>.json`` into
    ``out_dir`` (atomically)."""
    out_dir = Path(out_dir)
    ensure_dir(out_dir)
    bench = ds.benchmark or MOCAP
    paths = output_files(out_dir, bench.name)
    metadata = {"layout_name": "h36m", "num_joints": H36M17.num_joints,
                "keypoints_symmetry": [list(H36M17.joints_left), list(H36M17.joints_right)]}
    h36m.write_positions_3d(paths["3d"], ds.positions_3d)
    h36m.write_positions_2d(paths["2d_gt"], ds.positions_2d, metadata)
    h36m.write_positions_2d(paths["2d_noisy"], ds.positions_2d_noisy,
                            {**metadata, "source": "noisy: simulated detector (see docs/BENCHMARK.md)"})
    save_cameras(paths["cameras"], ds.cameras,
                 note="Human3.6M intrinsics and distortion; extrinsics of the Human3.6M subject named in "
                      f"build_info_{bench.name}.json (cameras_of)")
    write_json(paths["split"], ds.split)
    info = {
        "format": BUILD_FORMAT,
        "parameters": _parameters(max_seconds_per_source, bench),
        "sources": {name: {"package": get_source(name).package, "version": get_source(name).version,
                           "kind": get_source(name).kind, "files": files}
                    for name, files in ds.sources.items()},
        "outputs": {p.name: sha256_file(p) for p in paths.values()},
        # without the wall-clock time, so that two builds write identical files
        "summary": {k: v for k, v in ds.summary.items() if k != "seconds"},
    }
    write_json(build_info_path(out_dir, bench.name), info)
    return paths


def _up_to_date(out_dir: Path, max_seconds: float | None, bench: Benchmark) -> dict[str, Any] | None:
    """The recorded summary if ``out_dir`` holds a complete build of ``bench`` with these
    parameters and sources whose outputs still match their recorded checksums; else None."""
    path = build_info_path(out_dir, bench.name)
    if not path.is_file():
        return None
    try:
        info = read_json(path)
    except WsgcnError:
        return None
    if not isinstance(info, dict) or info.get("format") != BUILD_FORMAT:
        return None
    if info.get("parameters") != _parameters(max_seconds, bench):
        return None
    expected = {s: {f.name: f.sha256 for f in get_source(s).files} for s in {t.source for t in bench.takes}}
    recorded = {s: v.get("files") for s, v in (info.get("sources") or {}).items()}
    if recorded != expected:
        return None  # a source was missing last time, or a different version
    outputs = info.get("outputs") or {}
    for p in output_files(out_dir, bench.name).values():
        if outputs.get(p.name) is None or not p.is_file() or sha256_file(p) != outputs[p.name]:
            return None
    summary = info.get("summary")
    return summary if isinstance(summary, dict) else None


def build_mocap(out_dir: Path, cache_dir: Path | None = None, force: bool = False, progress: bool = True,
                *, max_seconds_per_source: float | None = None, allow_download: bool = True,
                benchmark: Benchmark | None = None) -> dict[str, Any]:
    """Build a real-motion benchmark (default ``mocap``; ``people``:
    :data:`wsgcn.data.people.PEOPLE`) into ``out_dir`` and return its summary.

    Skips the work (summary ``"up_to_date": True``) when ``out_dir`` already holds the outputs
    of a complete build with the same parameters and verified sources, unless ``force``.
    Sources that could not be fetched are listed in ``summary["notes"]`` (one line each, printed
    by :func:`format_summary`).
    """
    out_dir = Path(out_dir)
    bench = benchmark or MOCAP
    if not force:
        summary = _up_to_date(out_dir, max_seconds_per_source, bench)
        if summary is not None:
            return {**summary, "up_to_date": True, "out_dir": str(out_dir)}
    t0 = time.perf_counter()
    ds = assemble_mocap(cache_dir, max_seconds_per_source, allow_download, progress, bench)
    write_mocap(ds, out_dir, max_seconds_per_source)
    return {**ds.summary, "seconds": round(time.perf_counter() - t0, 1), "up_to_date": False,
            "out_dir": str(out_dir)}
