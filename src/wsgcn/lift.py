"""Lift 2D keypoints from any detector to 3D: the :class:`Lifter` API and :func:`lift_file`
behind ``wsgcn lift`` (docs/LIFT.md).

The network sees what it saw in training (SPEC 1.3): Human3.6M-ordered 2D keypoints in
normalised screen coordinates (``u / w * 2 - [1, h / w]``), and returns the 3D pose in metres,
camera frame (x right, y down, z forward), root-relative (pelvis = 0). With the camera's
intrinsics, the absolute root position follows from the closed-form root solve
(:func:`wsgcn.camera.solve_root_numpy`).

Output of :func:`lift_file` (``--out X.npz`` writes ``X.npz`` and ``X.json``; ``--out X.json``
writes only the JSON):

* npz: ``poses_3d`` (P, T, J, 3) float32 metres, NaN where person p is not in frame t;
  ``keypoints_2d`` (P, T, J, 2) float32 pixels (the network's input after conversion and
  filling); ``flags`` (P, T, J) uint8 (0 observed, 1 interpolated, 2 mean-pose fill, 3 absent);
  ``scores`` (P, T, J) float32 (NaN: no score); ``present`` (P, T) bool; ``track_ids`` (P,),
  ``frame_ids`` (T,), ``joint_names`` (J,) strings; ``image_size`` (2,) int (width, height);
  with intrinsics also ``root`` (P, T, 3) float32 metres and ``intrinsics`` (9,) pixels;
  ``meta`` a JSON string (format, input, checkpoint, ...).
* JSON: the same content per person and frame (see :func:`_to_json`).
"""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .errors import WsgcnError
from .io import atomic_path, load_npz, read_json, write_npz
from .keypoints import (ABSENT, FLAG_NAMES, INTERPOLATED, MEAN_POSE, OBSERVED, Keypoints2D, fill_missing,
                        frames_summary, prepare_tracks, read_keypoints, to_h36m17)
from .skeleton import H36M17, Skeleton, get_skeleton

OUTPUT_FORMAT = "wsgcn-lift-1"
DEFAULT_CHECKPOINT_NAME = "default_mocap.safetensors"
ROOT_WEIGHTS = np.zeros(ABSENT + 1)
ROOT_WEIGHTS[[OBSERVED, INTERPOLATED, MEAN_POSE]] = (1.0, 0.5, 0.1)
"""Per-joint weights of the root solve, indexed by flag: filled joints count little."""


def bundled_checkpoint() -> Path | None:
    """The default weights shipped with the package (``wsgcn/resources/default_mocap.safetensors``), if any."""
    try:
        p = Path(str(resources.files("wsgcn").joinpath("resources", DEFAULT_CHECKPOINT_NAME)))
    except (ModuleNotFoundError, FileNotFoundError):  # pragma: no cover - broken installs
        return None
    return p if p.is_file() else None


def resolve_lift_checkpoint(path: str | os.PathLike | None) -> Path:
    """``path`` (a checkpoint or a run folder), else the bundled default weights, else an error."""
    if path is not None:
        return Path(path)
    bundled = bundled_checkpoint()
    if bundled is None:
        raise WsgcnError("no --checkpoint given and this installation has no bundled default weights; "
                         "pass --checkpoint RUN_DIR_OR_CHECKPOINT (a model trained with `wsgcn train`)")
    return bundled


# ----------------------------------------------------------------------------- the Python API

class Lifter:
    """A trained lifting network ready for 2D keypoints in pixels.

    >>> lifter = Lifter.from_checkpoint("runs/mocap_weak")          # doctest: +SKIP
    >>> pose = lifter.lift(kp_coco, (1920, 1080), keypoint_format="coco")  # (T, J, 3) metres
    """

    def __init__(self, model: Any, skeleton: Skeleton, meta: dict[str, Any] | None = None,
                 checkpoint: str = "", device: str = "cpu", compile: bool = False) -> None:
        import torch

        self.model = model.to(device).eval()
        self.skeleton = skeleton
        self.meta = meta or {}
        self.checkpoint = checkpoint
        self.device = torch.device(device)
        self.compiled = None
        if compile:  # pays off for large inputs only (docs/PERFORMANCE.md)
            from .models.compiled import CompiledInference

            self.compiled = CompiledInference(self.model, skeleton.num_joints, device=self.device)

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike | None = None, device: str = "cpu",
                        compile: bool = False) -> "Lifter":
        """Load a checkpoint file or run folder (``None``: the bundled default weights);
        ``compile``: run the network through :class:`wsgcn.models.compiled.CompiledInference`."""
        from .checkpoint import load_model, resolve_checkpoint

        p = resolve_checkpoint(resolve_lift_checkpoint(path))
        model, meta = load_model(p)
        joints = int(meta.get("config", {}).get("data", {}).get("joints", getattr(model, "num_joints", 17)))
        try:
            return cls(model, get_skeleton(joints), meta, str(p), device, compile)
        except (RuntimeError, AssertionError, ValueError) as e:  # an unknown or unavailable device
            raise WsgcnError(f"cannot use --device {device!r}: {(str(e) or type(e).__name__).splitlines()[0]}") from None

    @property
    def joint_names(self) -> tuple[str, ...]:
        """Names of the output joints (Human3.6M order; 16 joints drop Neck/Nose)."""
        return self.skeleton.names

    @property
    def num_joints(self) -> int:
        return self.skeleton.num_joints

    def select(self, x: np.ndarray) -> np.ndarray:
        """(..., 17, C) Human3.6M-17 -> (..., J, C) in this model's joint set."""
        idx = [H36M17.names.index(n) for n in self.skeleton.names]
        return np.asarray(x)[..., idx, :]

    def predict_normalized(self, inputs: np.ndarray, batch_size: int = 4096, progress: bool = False) -> np.ndarray:
        """(N, J, 2) normalised screen coordinates (model's joints) -> (N, J, 3) float32 metres, root-relative."""
        import torch
        from tqdm import tqdm

        x = np.asarray(inputs, dtype=np.float32)
        if x.ndim != 3 or x.shape[1:] != (self.num_joints, 2):
            raise WsgcnError(f"expected normalised 2D keypoints of shape (N, {self.num_joints}, 2), got {x.shape}")
        out = np.zeros((len(x), self.num_joints, 3), dtype=np.float32)
        starts = range(0, len(x), batch_size)
        net = self.compiled if self.compiled is not None else self.model
        with torch.inference_mode():
            for s in tqdm(starts, desc="lifting", unit="batch", disable=not progress or len(starts) < 4, leave=False):
                p = net(torch.from_numpy(x[s:s + batch_size]).to(self.device))
                out[s:s + batch_size] = (p - p[:, :1]).float().cpu().numpy()
        return out

    def lift(self, keypoints_2d: np.ndarray, image_size: tuple[int, int] | Sequence[int],
             keypoint_format: str = "h36m", scores: np.ndarray | None = None, min_score: float = 0.3,
             max_gap: int = 10, return_flags: bool = False) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Lift one person's 2D track to 3D.

        ``keypoints_2d`` (T, 17, 2) or (17, 2) pixels, Human3.6M-17 (``"h36m"``) or COCO-17
        (``"coco"``) order; ``image_size`` (width, height) pixels; ``scores`` (T, 17) optional
        confidences (joints below ``min_score``, NaN or (0, 0) count as missing and are filled as
        in :func:`wsgcn.keypoints.fill_missing`). Returns (T, J, 3) float32 metres, camera frame,
        root-relative, J = :attr:`num_joints` (NaN for frames with fewer than 2 known joints);
        with ``return_flags`` also the (T, J) uint8 flags.
        """
        fmt = {"h36m": "h36m17", "h36m17": "h36m17", "coco": "coco17", "coco17": "coco17"}.get(keypoint_format)
        if fmt is None:
            raise WsgcnError(f"keypoint_format must be 'h36m' or 'coco', got {keypoint_format!r}")
        kp = np.asarray(keypoints_2d, dtype=np.float64)
        single = kp.ndim == 2
        if single:
            kp = kp[None]
        if kp.ndim != 3 or kp.shape[1:] != (17, 2):
            raise WsgcnError(f"keypoints_2d must be (T, 17, 2) or (17, 2) pixels, got {np.shape(keypoints_2d)}")
        sc = None
        if scores is not None:
            sc = np.asarray(scores, dtype=np.float64).reshape(kp.shape[:2]) if np.size(scores) == kp.shape[0] * 17 else None
            if sc is None:
                raise WsgcnError(f"scores must be (T, 17) for keypoints of shape {kp.shape}, got {np.shape(scores)}")
        w, h = _image_size(image_size)
        h36, valid, _ = to_h36m17(kp, sc, fmt, min_score)
        filled, flags, usable = fill_missing(h36, valid, None, max_gap)
        poses = np.full((len(kp), self.num_joints, 3), np.nan, dtype=np.float32)
        if usable.any():
            poses[usable] = self.predict_normalized(self.select(normalize(filled[usable], w, h)))
        flags = self.select(flags[..., None])[..., 0]
        if single:
            poses, flags = poses[0], flags[0]
        return (poses, flags) if return_flags else poses


def normalize(keypoints: np.ndarray, width: float, height: float) -> np.ndarray:
    """(..., 2) pixels -> normalised screen coordinates (SPEC 1.3)."""
    from .camera import normalize_screen_coordinates

    return normalize_screen_coordinates(np.asarray(keypoints, dtype=np.float64), width, height).astype(np.float32)


def _image_size(size: Any) -> tuple[int, int]:
    try:
        w, h = (float(v) for v in size)
    except (TypeError, ValueError):
        raise WsgcnError(f"image_size must be (width, height) in pixels, got {size!r}") from None
    if not (w > 0 and h > 0 and np.isfinite(w) and np.isfinite(h)):
        raise WsgcnError(f"image_size must be positive, got {size!r}")
    return int(round(w)), int(round(h))


# ----------------------------------------------------------------------------- cameras for the root

def parse_intrinsics(image_size: tuple[int, int] | None, focal: float | None = None, intrinsics: str | None = None,
                     cameras: str | os.PathLike | None = None, camera: str | None = None
                     ) -> tuple[np.ndarray | None, tuple[int, int] | None]:
    """Pixel intrinsics (9,) ``[fx, fy, cx, cy, k1, k2, k3, p1, p2]`` from ``--focal F`` (centre at
    the image centre), ``--intrinsics fx,fy,cx,cy[,k1,k2,k3,p1,p2]`` or a cameras file
    (``--cameras FILE [--camera SUBJECT:INDEX]``), and the image size (the camera's, when the
    keypoint file has none). Returns (None, image_size) when none is given."""
    given = [n for n, v in (("--focal", focal), ("--intrinsics", intrinsics), ("--cameras", cameras)) if v is not None]
    if len(given) > 1:
        raise WsgcnError(f"give only one of {', '.join(given)}")
    if camera is not None and cameras is None:
        raise WsgcnError("--camera needs --cameras FILE")
    if not given:
        return None, image_size
    if focal is not None:
        if not (np.isfinite(focal) and focal > 0):
            raise WsgcnError(f"--focal must be a positive number of pixels, got {focal}")
        if image_size is None:
            raise WsgcnError("--focal needs the image size (--width and --height) for the principal point")
        w, h = image_size
        return np.array([focal, focal, w / 2, h / 2, 0, 0, 0, 0, 0], dtype=np.float64), image_size
    if intrinsics is not None:
        try:
            vals = [float(v) for v in intrinsics.replace(" ", "").split(",") if v != ""]
        except ValueError:
            raise WsgcnError(f"--intrinsics must be numbers fx,fy,cx,cy[,k1,k2,k3,p1,p2], got {intrinsics!r}") from None
        if len(vals) not in (4, 9) or not np.all(np.isfinite(vals)) or vals[0] <= 0 or vals[1] <= 0:
            raise WsgcnError(f"--intrinsics must be 4 or 9 finite numbers with positive focal lengths, got {intrinsics!r}")
        return np.array(vals + [0.0] * (9 - len(vals)), dtype=np.float64), image_size
    from .camera import load_cameras

    rig = load_cameras(cameras)  # type: ignore[arg-type]
    flat = [(s, i, c) for s, cams in rig.items() for i, c in enumerate(cams)]
    if camera is None:
        if len(flat) != 1:
            raise WsgcnError(f"{cameras}: holds {len(flat)} cameras; choose one with --camera SUBJECT:INDEX "
                             f"(e.g. {flat[0][0]}:0)")
        cam = flat[0][2]
    else:
        subj, _, idx = camera.rpartition(":")
        if subj not in rig or not idx.isdigit() or int(idx) >= len(rig[subj]):
            raise WsgcnError(f"{cameras}: no camera {camera!r}; subjects {sorted(rig)}, as SUBJECT:INDEX")
        cam = rig[subj][int(idx)]
    size = (int(cam.res_w), int(cam.res_h))
    if image_size is not None and tuple(image_size) != size:
        raise WsgcnError(f"{cameras}: camera image size {size[0]}x{size[1]} differs from the keypoints' "
                         f"{image_size[0]}x{image_size[1]}")
    return cam.intrinsics, size


# ----------------------------------------------------------------------------- files

def lift_file(input_path: str | os.PathLike, out: str | os.PathLike, checkpoint: str | os.PathLike | None = None,
              fmt: str = "auto", joints: str = "auto", width: int | None = None, height: int | None = None,
              min_score: float = 0.3, max_gap: int = 10, focal: float | None = None, intrinsics: str | None = None,
              cameras: str | os.PathLike | None = None, camera: str | None = None, device: str = "cpu",
              progress: bool = True, compile: bool = False) -> dict[str, Any]:
    """Read a detector file, lift every person to 3D and write ``out`` (.npz + .json, or .json).

    Everything is read and computed before anything is written; both files are written atomically.
    Returns a summary (counts, paths) for the CLI.
    """
    out = Path(out)
    if out.suffix.lower() not in (".npz", ".json"):
        raise WsgcnError(f"{out}: --out must end in .npz (writes .npz and .json) or .json")
    data = read_keypoints(input_path, fmt, joints)
    size = _resolve_size(data, width, height)
    intr, size = parse_intrinsics(size, focal, intrinsics, cameras, camera)
    if size is None:
        raise WsgcnError(f"{data.path}: the image size is not in this file; give --width and --height (pixels)")
    tracks = prepare_tracks(data, min_score, max_gap)
    check_in_image(data, size)
    lifter = Lifter.from_checkpoint(checkpoint, device=device, compile=compile)

    keep = [p for p in range(data.num_people) if tracks.present[p].any()]
    P, T, J = len(keep), data.num_frames, lifter.num_joints
    kp2d = lifter.select(tracks.keypoints[keep])  # (P, T, J, 2)
    flags = lifter.select(tracks.flags[keep][..., None])[..., 0]
    scores = lifter.select(tracks.scores[keep][..., None])[..., 0]
    present = tracks.present[keep]
    poses = np.full((P, T, J, 3), np.nan, dtype=np.float32)
    poses[present] = lifter.predict_normalized(normalize(kp2d[present], *size), progress=progress)
    root = None
    if intr is not None:
        from .camera import solve_root_numpy

        weights = ROOT_WEIGHTS[flags[present]]
        root = np.full((P, T, 3), np.nan, dtype=np.float32)
        root[present] = solve_root_numpy(poses[present], kp2d[present], intr, weights)
    meta = {
        "format": OUTPUT_FORMAT,
        "input": str(data.path), "input_format": data.format, "input_layout": data.layout,
        "input_joints": data.joints, "checkpoint": lifter.checkpoint,
        "image_size": [int(size[0]), int(size[1])],
        "units": "metres",
        "coordinates": "camera frame (x right, y down, z forward), root-relative (Hip = 0)",
        "joint_names": list(lifter.joint_names),
        "flag_codes": {str(k): v for k, v in FLAG_NAMES.items()},
        "min_score": min_score, "max_gap": max_gap,
        "tracks_from": "track ids in the file" if data.tracked else "detection index within each frame",
        "intrinsics": None if intr is None else [float(v) for v in intr],
        "root": "absolute pelvis position in the camera frame from the closed-form root solve" if intr is not None else None,
    }
    arrays: dict[str, Any] = dict(
        poses_3d=poses, keypoints_2d=kp2d.astype(np.float32), flags=flags.astype(np.uint8),
        scores=scores.astype(np.float32), present=present,
        track_ids=np.array([data.track_ids[p] for p in keep], dtype=str),
        frame_ids=np.array(data.frame_ids, dtype=str), joint_names=np.array(lifter.joint_names, dtype=str),
        image_size=np.array(size, dtype=np.int64), meta=np.array(json.dumps(meta)),
    )
    if intr is not None:
        arrays["root"] = root
        arrays["intrinsics"] = intr
    _write_outputs(out, arrays, meta)
    return {
        "read": frames_summary(data), "people": P, "frames": T, "person_frames": int(present.sum()),
        "dropped": tracks.dropped, "filled": int(((flags == INTERPOLATED) | (flags == MEAN_POSE)).sum()),
        "joints": J, "checkpoint": lifter.checkpoint, "image_size": size, "root": intr is not None,
        "written": [str(out)] + ([str(out.with_suffix(".json"))] if out.suffix.lower() == ".npz" else []),
    }


def check_in_image(data: Keypoints2D, size: tuple[int, int]) -> None:
    """Catch pixel/size mix-ups in the file's keypoints: normalised to [0, 1] (OpenPose
    ``--keypoint_scale``), or mostly far outside the ``size`` image (a wrong --width/--height)."""
    pts = data.keypoints.reshape(-1, 2)
    pts = pts[np.isfinite(pts).all(-1) & ~(pts == 0).all(-1)]
    if len(pts) == 0:
        return
    w, h = size
    if np.abs(pts).max() <= 1.0 and max(w, h) > 16:
        raise WsgcnError(f"{data.path}: every keypoint lies within [0, 1]: these look like normalised "
                         "coordinates; give pixel coordinates")
    outside = (pts[:, 0] < -0.5 * w) | (pts[:, 0] > 1.5 * w) | (pts[:, 1] < -0.5 * h) | (pts[:, 1] > 1.5 * h)
    if outside.mean() > 0.5:
        raise WsgcnError(f"{data.path}: {outside.mean():.0%} of the keypoints lie far outside the {w}x{h} image; "
                         "is the image size (--width/--height) right?")


def _resolve_size(data: Keypoints2D, width: int | None, height: int | None) -> tuple[int, int] | None:
    """--width/--height win over the file's own image size."""
    if (width is None) != (height is None):
        raise WsgcnError("give both --width and --height")
    if width is not None:
        if width <= 0 or height <= 0:  # type: ignore[operator]
            raise WsgcnError(f"--width and --height must be positive, got {width}x{height}")
        return int(width), int(height)  # type: ignore[arg-type]
    return data.image_size


def _round(a: np.ndarray, nd: int) -> Any:
    """Nested lists with NaN -> None, rounded."""
    a = np.asarray(a, dtype=np.float64)
    return [[None if not np.isfinite(v) else round(float(v), nd) for v in row] for row in a.reshape(-1, a.shape[-1])]


def _to_json(arrays: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    """The JSON output: ``meta`` fields, ``frames`` (frame ids) and ``people``: per person its
    ``track_id`` and ``frames``: [{``frame`` id, ``index`` t, ``joints_3d`` [[x, y, z] * J] metres
    (0.1 mm), ``keypoints_2d`` [[u, v] * J] px (0.01 px), ``flags`` [J], ``scores`` [J] (null: no
    score), ``root`` [x, y, z] metres (with intrinsics)}] for the frames where the person is present."""
    people = []
    for p, tid in enumerate(arrays["track_ids"]):
        frames = []
        for t in np.flatnonzero(arrays["present"][p]):
            fr = {"frame": str(arrays["frame_ids"][t]), "index": int(t),
                  "joints_3d": _round(arrays["poses_3d"][p, t], 4),
                  "keypoints_2d": _round(arrays["keypoints_2d"][p, t], 2),
                  "flags": [int(f) for f in arrays["flags"][p, t]],
                  "scores": [None if not np.isfinite(v) else round(float(v), 4) for v in arrays["scores"][p, t]]}
            if "root" in arrays:
                fr["root"] = _round(arrays["root"][p, t][None], 4)[0]
            frames.append(fr)
        people.append({"track_id": str(tid), "frames": frames})
    return {**meta, "frames": [str(f) for f in arrays["frame_ids"]], "people": people}


def _write_outputs(out: Path, arrays: dict[str, Any], meta: dict[str, Any]) -> None:
    doc = json.dumps(_to_json(arrays, meta), separators=(",", ":"))
    if out.suffix.lower() == ".json":
        with atomic_path(out) as tmp:
            tmp.write_text(doc + "\n", encoding="utf-8")
        return
    with atomic_path(out.with_suffix(".json")) as tmp_json:  # renamed only once the npz is written
        tmp_json.write_text(doc + "\n", encoding="utf-8")
        write_npz(out, **arrays)


def read_lift_output(path: str | os.PathLike) -> dict[str, Any]:
    """Read a ``wsgcn lift`` output (.npz or .json) back into the npz layout (arrays + ``meta`` dict)."""
    path = Path(path)
    if path.suffix.lower() == ".npz":
        z = load_npz(path)
        try:
            meta = json.loads(str(z["meta"].reshape(()).item()))
        except (KeyError, ValueError):
            meta = None
        needed = ("poses_3d", "keypoints_2d", "flags", "present", "track_ids", "frame_ids", "joint_names")
        if not isinstance(meta, dict) or meta.get("format") != OUTPUT_FORMAT or any(k not in z for k in needed):
            raise WsgcnError(f"{path}: not a wsgcn lift output (format {OUTPUT_FORMAT})")
        out: dict[str, Any] = {k: v for k, v in z.items() if k != "meta"}
        out["meta"] = meta
        return out
    doc = read_json(path)
    if not isinstance(doc, dict) or doc.get("format") != OUTPUT_FORMAT:
        raise WsgcnError(f"{path}: not a wsgcn lift output (format {OUTPUT_FORMAT})")
    try:
        names, frames, people = list(doc["joint_names"]), list(doc["frames"]), list(doc["people"])
        P, T, J = len(people), len(frames), len(names)
        poses = np.full((P, T, J, 3), np.nan, dtype=np.float32)
        kp = np.full((P, T, J, 2), np.nan, dtype=np.float32)
        flags = np.full((P, T, J), ABSENT, dtype=np.uint8)
        scores = np.full((P, T, J), np.nan, dtype=np.float32)
        present = np.zeros((P, T), dtype=bool)
        root = np.full((P, T, 3), np.nan, dtype=np.float32)
        for p, person in enumerate(people):
            for fr in person["frames"]:
                t = int(fr["index"])
                poses[p, t] = np.array(fr["joints_3d"], dtype=np.float64)
                kp[p, t] = np.array(fr["keypoints_2d"], dtype=np.float64)
                flags[p, t] = fr["flags"]
                scores[p, t] = [np.nan if v is None else v for v in fr["scores"]]
                present[p, t] = True
                if "root" in fr:
                    root[p, t] = fr["root"]
        out = {"poses_3d": poses, "keypoints_2d": kp, "flags": flags, "scores": scores, "present": present,
               "track_ids": np.array([str(p["track_id"]) for p in people], dtype=str),
               "frame_ids": np.array(frames, dtype=str), "joint_names": np.array(names, dtype=str),
               "image_size": np.array(doc["image_size"], dtype=np.int64),
               "meta": {k: v for k, v in doc.items() if k not in ("frames", "people")}}
        if doc.get("intrinsics") is not None:
            out["root"], out["intrinsics"] = root, np.array(doc["intrinsics"], dtype=np.float64)
        return out
    except (KeyError, TypeError, ValueError, IndexError):
        raise WsgcnError(f"{path}: malformed wsgcn lift output") from None
