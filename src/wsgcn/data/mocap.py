"""The real-motion benchmark: registry-shipped motion capture -> Human3.6M-style dataset files.

Pipeline (docs/BENCHMARK.md explains every choice):

1. fetch and verify the sources (:mod:`wsgcn.data.sources`);
2. parse each BVH take (:mod:`wsgcn.data.bvh`), drop non-motion frames, resample to 50 Hz
   (slerp of joint rotations), forward kinematics, map to the 17 Human3.6M joints in metres in
   a z-up world (:mod:`wsgcn.data.rigs`);
3. cut into windows of about 4 s; recentre each window horizontally on the capture volume's
   centre and turn it by a deterministic yaw;
4. view it with 4 cameras that have the real Human3.6M intrinsics and distortion and the
   extrinsics of a Human3.6M subject; drop frames where a joint leaves an image or comes
   closer than 1 m to a camera, keeping the longest valid stretch of each window;
5. write ``data_3d_mocap.npz``, ``data_2d_mocap_gt.npz``, ``data_2d_mocap_noisy.npz`` (a
   simulated detector), ``data_cameras_mocap.json``, ``data_split_mocap.json`` and
   ``build_info_mocap.json``. Everything is deterministic; two builds give identical bytes.
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
from .bvh import BvhFile, bvh_motion, read_bvh, resample
from .rigs import RIGS, map_to_h36m
from .sources import SOURCES, SourceUnavailable, fetch_source, sha256_file

NAME = "mocap"
BUILD_FORMAT = "wsgcn-mocap-build-1"
BUILD_VERSION = 1  # bump when the conversion changes, so old outputs are rebuilt

FPS = 50.0
WINDOW_SECONDS = 4.0
MIN_SEQUENCE_FRAMES = 25  # shorter valid stretches are dropped (0.5 s)
MIN_DEPTH = 1.0  # metres in front of every camera
VALIDATION_EVERY = 5  # every 5th window of the labelled person, starting with the 3rd
VALIDATION_OFFSET = 2
SEED = 20240611

# Simulated detector: per-coordinate Gaussian standard deviation in pixels (17-joint order),
# larger at the extremities (wrists, ankles) and the head top than at the torso.
DETECTOR_SIGMA_PX = {
    "Hip": 4.0, "RHip": 5.0, "RKnee": 5.0, "RFoot": 6.5, "LHip": 5.0, "LKnee": 5.0, "LFoot": 6.5,
    "Spine": 4.5, "Thorax": 3.5, "Neck": 3.5, "Head": 5.0,
    "LShoulder": 4.0, "LElbow": 5.5, "LWrist": 7.0, "RShoulder": 4.0, "RElbow": 5.5, "RWrist": 7.0,
}
OUTLIER_RATE = 0.01  # fraction of joints replaced by a gross error
OUTLIER_PX = (20.0, 60.0)  # displacement range of an outlier, pixels

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
    source: str  # key of SOURCES
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


# ----------------------------------------------------------------------------- geometry

def look_at_point(cams: list[Camera]) -> np.ndarray:
    """(3,) the point closest (least squares) to the optical axes of ``cams`` [m]."""
    a, b = np.zeros((3, 3)), np.zeros(3)
    for c in cams:
        d = c.rotation[2]  # optical axis in world coordinates
        p = np.eye(3) - np.outer(d, d)
        a += p
        b += p @ c.position
    return np.linalg.solve(a, b)


def yaw_matrix(angle: float) -> np.ndarray:
    """(3, 3) rotation by ``angle`` radians about the world's vertical (z) axis."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def window_yaw(take: str, window: int) -> float:
    """Deterministic yaw in [0, 2 pi) of one window (a hash of its name, not a random state)."""
    return 2 * np.pi * (zlib.crc32(f"{take}:{window}".encode()) / 2 ** 32)


def place_window(world: np.ndarray, centre_xy: np.ndarray, yaw: float) -> np.ndarray:
    """(T, 17, 3) window -> horizontally recentred so its mean pelvis position is at
    ``centre_xy``, turned by ``yaw`` about the vertical through it; heights unchanged."""
    shift = np.array([*world[:, 0, :2].mean(axis=0), 0.0])
    out = (world - shift) @ yaw_matrix(yaw).T
    out[..., :2] += centre_xy
    return out


def valid_frames(world: np.ndarray, cams: list[Camera]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per frame (T,) bool: every joint inside every image, every joint >= MIN_DEPTH in front
    of every camera; returns (valid, inside, deep). A point also needs the distortion to be
    monotonic there (no fold-over of far off-axis points into the image)."""
    inside = np.ones(world.shape[0], dtype=bool)
    deep = np.ones(world.shape[0], dtype=bool)
    for cam in cams:
        pc = cam.world_to_camera(world)
        z = pc[..., 2]
        deep &= np.all(z >= MIN_DEPTH, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            uv = cam.project(pc)
            xy = pc[..., :2] / z[..., None]
        k = cam.radial_distortion
        r2 = np.sum(xy ** 2, axis=-1)
        monotonic = 1 + 3 * k[0] * r2 + 5 * k[1] * r2 ** 2 + 7 * k[2] * r2 ** 3 > 0
        ok = ((uv[..., 0] >= 0) & (uv[..., 0] < cam.res_w) & (uv[..., 1] >= 0) & (uv[..., 1] < cam.res_h)
              & monotonic & (z > 0))
        inside &= np.all(ok, axis=1)
    return inside & deep, inside, deep


def longest_run(mask: np.ndarray) -> tuple[int, int]:
    """(start, stop) of the longest stretch of True in a (T,) bool mask; (0, 0) if none."""
    best, start = (0, 0), None
    for i, v in enumerate(np.append(mask, False)):
        if v and start is None:
            start = i
        elif not v and start is not None:
            if i - start > best[1] - best[0]:
                best = (start, i)
            start = None
    return best


# ----------------------------------------------------------------------------- detector

def simulate_detector(keypoints: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(T, 17, 2) exact pixels -> (T, 17, 3) noisy pixels + confidence.

    Each joint gets Gaussian noise with its ``DETECTOR_SIGMA_PX`` per coordinate; with
    probability ``OUTLIER_RATE`` a joint is instead displaced by a uniform 20-60 px in a random
    direction. Confidence ``exp(-e^2 / (2 (3 sigma)^2))`` of the displacement e, times a
    uniform 0.9-1.0 jitter, clipped to [0.05, 1]: about 0.9 for ordinary errors, low for outliers.
    """
    T, J, _ = keypoints.shape
    sigma = np.array([DETECTOR_SIGMA_PX[n] for n in H36M17.names])
    noise = rng.normal(size=(T, J, 2)) * sigma[None, :, None]
    outlier = rng.random((T, J)) < OUTLIER_RATE
    angle = rng.uniform(0, 2 * np.pi, size=(T, J))
    length = rng.uniform(*OUTLIER_PX, size=(T, J))
    gross = np.stack([np.cos(angle), np.sin(angle)], axis=-1) * length[..., None]
    disp = np.where(outlier[..., None], gross, noise)
    err = np.linalg.norm(disp, axis=-1)
    conf = np.exp(-err ** 2 / (2 * (3 * sigma[None, :]) ** 2)) * rng.uniform(0.9, 1.0, size=(T, J))
    conf = np.clip(conf, 0.05, 1.0)
    return np.concatenate([keypoints + disp, conf[..., None]], axis=-1).astype(np.float32)


def _rng_for(*parts: object) -> np.random.Generator:
    return np.random.default_rng([SEED, zlib.crc32(":".join(str(p) for p in parts).encode())])


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


def _subject_cameras() -> CameraRig:
    published = h36m_cameras()
    return {s: published[CAMERAS_OF[s]] for s in CAMERAS_OF}


def assemble_mocap(cache_dir: Path | None = None, max_seconds_per_source: float | None = None,
                   allow_download: bool = True, progress: bool = True) -> MocapDataset:
    """Fetch, convert, place, project and filter every take -> :class:`MocapDataset` (nothing
    written). ``max_seconds_per_source`` keeps only the first seconds of each take (tests).
    A source that cannot be fetched is left out with a note; none at all -> WsgcnError."""
    t0 = time.perf_counter()
    notes: list[str] = []
    files: dict[str, dict[str, Path]] = {}
    for name in sorted({t.source for t in TAKES}):
        try:
            files[name] = fetch_source(name, cache_dir, allow_download=allow_download, progress=progress)
        except SourceUnavailable as e:
            notes.append(f"source unavailable, built from the others: {e}")
    if not files:
        raise WsgcnError("no motion-capture source could be fetched: " + "; ".join(notes))

    cams = _subject_cameras()
    centres = {s: look_at_point(c)[:2] for s, c in cams.items()}
    pos3: dict[str, dict[str, np.ndarray]] = {}
    pos2: dict[str, dict[str, list[np.ndarray]]] = {}
    noisy: dict[str, dict[str, list[np.ndarray]]] = {}
    per_take: list[dict[str, Any]] = []
    takes = [t for t in TAKES if t.source in files]
    for take in tqdm(takes, desc="mocap takes", unit="take", disable=not progress):
        path = files[take.source][take.file]
        world, src_frames, src_fps = convert_take(path, take.rig, max_seconds_per_source)
        n_windows = max(1, int(round(len(world) / (WINDOW_SECONDS * FPS))))
        stats = {"outside_image": 0, "near_camera": 0, "short_or_split": 0}
        kept = 0
        for w, idx in enumerate(np.array_split(np.arange(len(world)), n_windows)):
            subject = take.subject
            if take.validation_subject and w % VALIDATION_EVERY == VALIDATION_OFFSET:
                subject = take.validation_subject
            placed = place_window(world[idx], centres[subject], window_yaw(take.key, w))
            valid, inside, deep = valid_frames(placed, cams[subject])
            start, stop = longest_run(valid)
            if stop - start < MIN_SEQUENCE_FRAMES:
                start, stop = 0, 0
            stats["near_camera"] += int(np.sum(~deep))
            stats["outside_image"] += int(np.sum(deep & ~inside))
            stats["short_or_split"] += int(np.sum(valid)) - (stop - start)
            if stop == start:
                continue
            seq = placed[start:stop].astype(np.float32).astype(np.float64)  # 2D from the stored 3D
            action = f"{take.motion} {w}"
            pos3.setdefault(subject, {})[action] = seq.astype(np.float32)
            views, views_noisy = [], []
            for c, cam in enumerate(cams[subject]):
                kp = cam.project(cam.world_to_camera(seq))
                views.append(kp.astype(np.float32))
                views_noisy.append(simulate_detector(kp, _rng_for(subject, action, c)))
            pos2.setdefault(subject, {})[action] = views
            noisy.setdefault(subject, {})[action] = views_noisy
            kept += stop - start
        per_take.append({
            "take": take.key, "file": take.file, "source": take.source, "person": take.person,
            "motion": take.motion, "licence": take.licence, "source_fps": src_fps,
            "source_frames": int(src_frames),
            "duration_s": round(len(world) / FPS, 2), "frames_50hz": int(len(world)),
            "windows": n_windows, "kept_frames": int(kept), "dropped_frames": int(len(world) - kept),
            "dropped": stats,
        })

    split = {k: [s for s in v if s in pos3] for k, v in SPLIT.items()}
    rig = {s: cams[s] for s in pos3}
    summary = _summarise(per_take, pos3, split, notes, time.perf_counter() - t0, max_seconds_per_source)
    sources = {name: {p.name: sha256_file(p) for p in sorted(fs.values())} for name, fs in files.items()}
    return MocapDataset(positions_3d=pos3, positions_2d=pos2, positions_2d_noisy=noisy, cameras=rig,
                        split=split, summary=summary, sources=sources)


def _summarise(per_take: list[dict[str, Any]], pos3: dict[str, dict[str, np.ndarray]],
               split: dict[str, list[str]], notes: list[str], seconds: float,
               max_seconds: float | None) -> dict[str, Any]:
    def frames(subjects: list[str]) -> int:
        return int(sum(len(a) for s in subjects for a in pos3.get(s, {}).values()))

    splits = {k: {"subjects": v, "sequences": int(sum(len(pos3[s]) for s in v)), "frames": frames(v),
                  "poses": 4 * frames(v)} for k, v in split.items()}
    train = splits["labelled"]["frames"] + splits["unlabelled"]["frames"]
    people = sorted({t["person"] for t in per_take})
    return {
        "name": NAME, "fps": FPS, "cameras_per_subject": 4, "window_seconds": WINDOW_SECONDS,
        "max_seconds_per_source": max_seconds,
        "takes": per_take, "people": people,
        "splits": splits,
        "labelled_fraction_of_training": round(splits["labelled"]["frames"] / train, 3) if train else 0.0,
        "total_frames": int(sum(t["kept_frames"] for t in per_take)),
        "dropped_frames": int(sum(t["dropped_frames"] for t in per_take)),
        "licences": {k: LICENCES[k] for k in sorted({t["licence"] for t in per_take})},
        "notes": notes,
        "seconds": round(seconds, 1),
    }


# ----------------------------------------------------------------------------- writing

def output_files(out_dir: Path) -> dict[str, Path]:
    """The benchmark's files in ``out_dir`` by role."""
    return {
        "3d": out_dir / f"data_3d_{NAME}.npz",
        "2d_gt": out_dir / f"data_2d_{NAME}_gt.npz",
        "2d_noisy": out_dir / f"data_2d_{NAME}_noisy.npz",
        "cameras": out_dir / f"data_cameras_{NAME}.json",
        "split": out_dir / f"data_split_{NAME}.json",
    }


def build_info_path(out_dir: Path) -> Path:
    return out_dir / f"build_info_{NAME}.json"


def _definitions_digest() -> str:
    """A short hash of every table the conversion uses (rigs, takes, split, cameras, detector
    model, licences), so that changing any of them makes old outputs out of date. Changes to
    the code itself must bump BUILD_VERSION."""
    tables = repr((sorted(RIGS.items()), TAKES, SPLIT, CAMERAS_OF, DETECTOR_SIGMA_PX, OUTLIER_PX, LICENCES))
    return hashlib.sha256(tables.encode()).hexdigest()[:16]


def _parameters(max_seconds: float | None) -> dict[str, Any]:
    return {"version": BUILD_VERSION, "definitions": _definitions_digest(), "fps": FPS, "window_seconds": WINDOW_SECONDS,
            "min_sequence_frames": MIN_SEQUENCE_FRAMES, "min_depth_m": MIN_DEPTH, "seed": SEED,
            "outlier_rate": OUTLIER_RATE, "max_seconds_per_source": max_seconds,
            "cameras_of": CAMERAS_OF}


def write_mocap(ds: MocapDataset, out_dir: Path, max_seconds_per_source: float | None = None) -> dict[str, Path]:
    """Write the dataset files and ``build_info_mocap.json`` into ``out_dir`` (atomically)."""
    out_dir = Path(out_dir)
    ensure_dir(out_dir)
    paths = output_files(out_dir)
    metadata = {"layout_name": "h36m", "num_joints": H36M17.num_joints,
                "keypoints_symmetry": [list(H36M17.joints_left), list(H36M17.joints_right)]}
    h36m.write_positions_3d(paths["3d"], ds.positions_3d)
    h36m.write_positions_2d(paths["2d_gt"], ds.positions_2d, metadata)
    h36m.write_positions_2d(paths["2d_noisy"], ds.positions_2d_noisy,
                            {**metadata, "source": "noisy: simulated detector (see docs/BENCHMARK.md)"})
    save_cameras(paths["cameras"], ds.cameras,
                 note="Human3.6M intrinsics and distortion; extrinsics of the Human3.6M subject named in "
                      "build_info_mocap.json (cameras_of)")
    write_json(paths["split"], ds.split)
    info = {
        "format": BUILD_FORMAT,
        "parameters": _parameters(max_seconds_per_source),
        "sources": {name: {"package": SOURCES[name].package, "version": SOURCES[name].version,
                           "kind": SOURCES[name].kind, "files": files}
                    for name, files in ds.sources.items()},
        "outputs": {p.name: sha256_file(p) for p in paths.values()},
        # without the wall-clock time, so that two builds write identical files
        "summary": {k: v for k, v in ds.summary.items() if k != "seconds"},
    }
    write_json(build_info_path(out_dir), info)
    return paths


def _up_to_date(out_dir: Path, max_seconds: float | None) -> dict[str, Any] | None:
    """The recorded summary if ``out_dir`` holds a complete build of these parameters and
    sources whose outputs still match their recorded checksums; else None."""
    path = build_info_path(out_dir)
    if not path.is_file():
        return None
    try:
        info = read_json(path)
    except WsgcnError:
        return None
    if not isinstance(info, dict) or info.get("format") != BUILD_FORMAT:
        return None
    if info.get("parameters") != _parameters(max_seconds):
        return None
    expected = {s: {f.name: f.sha256 for f in SOURCES[s].files} for s in {t.source for t in TAKES}}
    recorded = {s: v.get("files") for s, v in (info.get("sources") or {}).items()}
    if recorded != expected:
        return None  # a source was missing last time, or a different version
    outputs = info.get("outputs") or {}
    for p in output_files(out_dir).values():
        if outputs.get(p.name) is None or not p.is_file() or sha256_file(p) != outputs[p.name]:
            return None
    summary = info.get("summary")
    return summary if isinstance(summary, dict) else None


def build_mocap(out_dir: Path, cache_dir: Path | None = None, force: bool = False, progress: bool = True,
                *, max_seconds_per_source: float | None = None, allow_download: bool = True) -> dict[str, Any]:
    """Build the real-motion benchmark into ``out_dir`` and return its summary.

    Skips the work (summary ``"up_to_date": True``) when ``out_dir`` already holds the outputs
    of a complete build with the same parameters and verified sources, unless ``force``.
    Sources that could not be fetched are listed in ``summary["notes"]`` (one line each, printed
    by :func:`format_summary`).
    """
    out_dir = Path(out_dir)
    if not force:
        summary = _up_to_date(out_dir, max_seconds_per_source)
        if summary is not None:
            return {**summary, "up_to_date": True, "out_dir": str(out_dir)}
    t0 = time.perf_counter()
    ds = assemble_mocap(cache_dir, max_seconds_per_source, allow_download, progress)
    write_mocap(ds, out_dir, max_seconds_per_source)
    return {**ds.summary, "seconds": round(time.perf_counter() - t0, 1), "up_to_date": False,
            "out_dir": str(out_dir)}


# ----------------------------------------------------------------------------- summary table

def format_summary(summary: dict[str, Any]) -> str:
    """The build's summary as a plain-text table (per take, per split, licences, notes)."""
    lines = []
    head = f"{'take':<13} {'file':<16} {'person':<22} {'motion':<6} {'Hz':>4} {'frames':>7} " \
           f"{'seconds':>8} {'at 50Hz':>8} {'kept':>7} {'dropped':>8}"
    lines.append(head)
    lines.append("-" * len(head))
    for t in summary["takes"]:
        lines.append(f"{t['take']:<13} {t['file']:<16} {t['person']:<22} {t['motion']:<6} "
                     f"{t['source_fps']:>4.0f} {t['source_frames']:>7} {t['duration_s']:>8.1f} "
                     f"{t['frames_50hz']:>8} {t['kept_frames']:>7} {t['dropped_frames']:>8}")
    lines.append("-" * len(head))
    lines.append(f"{'total':<13} {'':<16} {len(summary['people']):>2} people{'':<13} {'':<6} {'':>4} "
                 f"{sum(t['source_frames'] for t in summary['takes']):>7} "
                 f"{sum(t['duration_s'] for t in summary['takes']):>8.1f} "
                 f"{sum(t['frames_50hz'] for t in summary['takes']):>8} {summary['total_frames']:>7} "
                 f"{summary['dropped_frames']:>8}")
    lines.append("")
    lines.append(f"{'split':<11} {'subjects':<22} {'sequences':>9} {'frames':>7} {'poses (x4 cameras)':>19}")
    for k, v in summary["splits"].items():
        lines.append(f"{k:<11} {', '.join(v['subjects']) or '-':<22} {v['sequences']:>9} {v['frames']:>7} "
                     f"{v['poses']:>19}")
    lines.append(f"labelled fraction of the training frames: {summary['labelled_fraction_of_training']:.3f}")
    drops = {k: sum(t["dropped"][k] for t in summary["takes"]) for k in ("outside_image", "near_camera",
                                                                          "short_or_split")}
    lines.append(f"dropped frames: {drops['outside_image']} outside an image, {drops['near_camera']} "
                 f"closer than {MIN_DEPTH:g} m to a camera, {drops['short_or_split']} outside the kept "
                 "stretch of their window")
    lines.append("")
    lines.append("licences:")
    for k, text in summary["licences"].items():
        lines.append(f"  {k}: {text}")
    if "lafan1" in summary["licences"]:
        lines.append("NOTE: the LaFAN1-derived files (subject unlabelled-lafan1) are for local research use "
                     "only: never redistribute the built files.")
    for note in summary.get("notes", []):
        lines.append(f"note: {note}")
    if summary.get("up_to_date"):
        lines.append(f"{summary.get('out_dir', '')}: already up to date (use --force to rebuild)")
    else:
        lines.append(f"built in {summary.get('seconds', 0):.1f} s into {summary.get('out_dir', '')}")
    return "\n".join(lines)
