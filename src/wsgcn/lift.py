"""Lift 2D keypoints from any detector to 3D: the :class:`Lifter` API and :func:`lift_file`
behind ``wsgcn lift`` (docs/LIFT.md).

Both go one way: 2D tracks (:class:`~wsgcn.keypoints.Keypoints2D`, read from a file or built from
arrays) -> :func:`~wsgcn.keypoints.prepare_tracks` (Human3.6M-17, missing joints filled) ->
:func:`lift_tracks` (the network through :mod:`wsgcn.codec`, and with intrinsics the absolute
root from :func:`wsgcn.camera.solve_root_numpy`). The network's contract is :mod:`wsgcn.codec`'s;
the output format (``wsgcn-lift-1``) is :mod:`wsgcn.lift_output`'s.

Errors that name a parameter are :class:`~wsgcn.errors.ParameterError`: the library names its
parameters (``out``, ``checkpoint``, ``device``, ``width``/``height``, ``focal``, ...), the CLI
words them as flags (:func:`wsgcn.lift_cli.lift_flag`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from . import codec
from .camera import parse_intrinsics
from .errors import Arg, ParameterError, WsgcnError
from .keypoints import (ABSENT, FLAG_NAMES, INTERPOLATED, MEAN_POSE, OBSERVED, Keypoints2D, NoUsableKeypoints,
                        PreparedTracks, frames_summary, prepare_tracks, read_keypoints)
from .lift_output import OUTPUT_FORMAT, read_lift_output, write_lift_output
from .skeleton import Skeleton, get_skeleton

__all__ = ["Lifter", "LiftedTracks", "LiftOptions", "LiftSummary", "lift_tracks", "lift_file", "OUTPUT_FORMAT",
           "read_lift_output", "bundled_checkpoint"]

DEFAULT_CHECKPOINT_NAME = "default_mocap.safetensors"
ROOT_WEIGHTS = np.zeros(ABSENT + 1)
ROOT_WEIGHTS[[OBSERVED, INTERPOLATED, MEAN_POSE]] = (1.0, 0.5, 0.1)
"""Per-joint weights of the root solve, indexed by flag: filled joints count little."""
BLOCK = 1 << 16
"""Poses encoded / root-solved per step (bounds the temporaries of large inputs)."""


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
        raise ParameterError("no ", Arg("checkpoint"), " given and this installation has no bundled default weights; "
                             "pass ", Arg("checkpoint", metavar="RUN_DIR_OR_CHECKPOINT"),
                             " (a model trained with `wsgcn train`)")
    return bundled


# ----------------------------------------------------------------------------- the Python API

class Lifter:
    """A trained lifting network ready for 2D keypoints in pixels.

    >>> lifter = Lifter.from_checkpoint("runs/mocap_weak")          # doctest: +SKIP
    >>> pose = lifter.lift(kp_coco, (1920, 1080), keypoint_format="coco")  # (T, J, 3) metres
    """

    def __init__(self, model: Any, skeleton: Skeleton, meta: dict[str, Any] | None = None,
                 checkpoint: str = "", device: str = "cpu", compile: bool = False, precision: str = "fp32") -> None:
        import torch

        from . import precision as prec

        self.model = model.to(device).eval()
        self.skeleton = skeleton
        self.meta = meta or {}
        self.checkpoint = checkpoint
        self.device = torch.device(device)
        # the network's arithmetic; bf16 falls back to fp32 where slower (the note says so)
        self.precision, self.precision_note = prec.resolve(precision, self.device)
        self.compiled = None
        if compile:  # pays off for large inputs only (docs/PERFORMANCE.md)
            from .models.compiled import CompiledInference

            self.compiled = CompiledInference(self.model, skeleton.num_joints, device=self.device,
                                              precision=self.precision)

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike | None = None, device: str = "cpu",
                        compile: bool = False, precision: str = "fp32") -> "Lifter":
        """Load a checkpoint file or run folder (``None``: the bundled default weights);
        ``compile``: run the network through :class:`wsgcn.models.compiled.CompiledInference`;
        ``precision``: ``fp32`` or ``bf16`` (:mod:`wsgcn.precision`; ``precision_note`` says
        when bf16 fell back to fp32)."""
        from .checkpoint import load_model, resolve_checkpoint

        p = resolve_checkpoint(resolve_lift_checkpoint(path))
        model, meta = load_model(p)
        joints = int(meta.get("config", {}).get("data", {}).get("joints", getattr(model, "num_joints", 17)))
        try:
            return cls(model, get_skeleton(joints), meta, str(p), device, compile, precision)
        except (RuntimeError, AssertionError, ValueError) as e:  # an unknown or unavailable device
            why = (str(e) or type(e).__name__).splitlines()[0]
            raise ParameterError("cannot use ", Arg("device"), f" {device!r}: {why}") from None

    @property
    def joint_names(self) -> tuple[str, ...]:
        """Names of the output joints (Human3.6M order; 16 joints drop Neck/Nose)."""
        return self.skeleton.names

    @property
    def num_joints(self) -> int:
        return self.skeleton.num_joints

    def select(self, x: np.ndarray) -> np.ndarray:
        """(..., 17, C) Human3.6M-17 -> (..., J, C) in this model's joint set (:func:`wsgcn.codec.select`)."""
        return codec.select(np.asarray(x), self.skeleton)

    def predict_normalized(self, inputs: np.ndarray, batch_size: int = 4096, progress: bool = False) -> np.ndarray:
        """(N, J, 2) network inputs (:func:`wsgcn.codec.encode`) -> (N, J, 3) float32 metres,
        root-relative (:func:`wsgcn.codec.predict`)."""
        x = np.asarray(inputs, dtype=np.float32)
        if x.ndim != 3 or x.shape[1:] != (self.num_joints, 2):
            raise WsgcnError(f"expected normalised 2D keypoints of shape (N, {self.num_joints}, 2), got {x.shape}")
        net = self.compiled if self.compiled is not None else self.model
        return codec.predict(net, x, device=self.device, batch_size=batch_size, progress=progress,
                             precision=self.precision)

    def lift(self, keypoints_2d: np.ndarray, image_size: tuple[int, int] | Sequence[int],
             keypoint_format: str = "h36m", scores: np.ndarray | None = None, min_score: float = 0.3,
             max_gap: int = 10, return_flags: bool = False) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Lift one person's 2D track to 3D, the way ``wsgcn lift`` lifts a file's tracks.

        ``keypoints_2d`` (T, 17, 2) or (17, 2) pixels, Human3.6M-17 (``"h36m"``) or COCO-17
        (``"coco"``) order; ``image_size`` (width, height) pixels; ``scores`` (T, 17) optional
        confidences (joints below ``min_score``, NaN or (0, 0) count as missing and are filled as
        in :func:`wsgcn.keypoints.fill_missing`; every frame counts as one where the person is
        there). Returns (T, J, 3) float32 metres, camera frame, root-relative, J =
        :attr:`num_joints` (NaN for frames with fewer than 2 known joints); with
        ``return_flags`` also the (T, J) uint8 flags.
        """
        data = _one_track(keypoints_2d, keypoint_format, scores)
        size = _image_size(image_size)
        T, J = data.num_frames, self.num_joints
        tracks = _prepare_or_none(data, min_score, max_gap)
        if tracks is None:  # no frame can be placed: every frame NaN, as for any unplaceable frame
            poses, flags = np.full((T, J, 3), np.nan, dtype=np.float32), np.full((T, J), ABSENT, dtype=np.uint8)
        else:
            lifted = lift_tracks(self, tracks, size)
            poses, flags = lifted.poses_3d[0], lifted.flags[0]
        if np.ndim(keypoints_2d) == 2:
            poses, flags = poses[0], flags[0]
        return (poses, flags) if return_flags else poses


_ARRAY_PATH = Path("keypoints_2d")
"""The "file" of tracks built from arrays (:meth:`Lifter.lift`), as messages name it."""


def _one_track(keypoints_2d: Any, keypoint_format: str, scores: Any) -> Keypoints2D:
    """One person's (T, 17, 2) or (17, 2) track, present in every frame, as :class:`Keypoints2D`."""
    joints = {"h36m": "h36m17", "h36m17": "h36m17", "coco": "coco17", "coco17": "coco17"}.get(keypoint_format)
    if joints is None:
        raise ParameterError(Arg("keypoint_format"), f" must be 'h36m' or 'coco', got {keypoint_format!r}")
    kp = np.asarray(keypoints_2d, dtype=np.float64)
    if kp.ndim == 2:
        kp = kp[None]
    if kp.ndim != 3 or kp.shape[1:] != (17, 2):
        raise ParameterError(Arg("keypoints_2d"), f" must be (T, 17, 2) or (17, 2) pixels, got {np.shape(keypoints_2d)}")
    T = kp.shape[0]
    if scores is None:
        sc = np.full((T, 17), np.nan)
    elif np.size(scores) == T * 17:
        sc = np.asarray(scores, dtype=np.float64).reshape(T, 17)
    else:
        raise ParameterError(Arg("scores"), f" must be (T, 17) for keypoints of shape {kp.shape}, got {np.shape(scores)}")
    return Keypoints2D(path=_ARRAY_PATH, format="arrays", layout="arrays", joints=joints,
                       frame_ids=[str(t) for t in range(T)], track_ids=["0"], keypoints=kp[None], scores=sc[None],
                       present=np.ones((1, T), dtype=bool))


def _prepare_or_none(data: Keypoints2D, min_score: float, max_gap: int) -> PreparedTracks | None:
    """:func:`prepare_tracks`, or None when no frame of ``data`` can be placed (the file route's
    "no usable keypoints" error, which the array API answers with NaN frames)."""
    try:
        return prepare_tracks(data, min_score, max_gap)
    except NoUsableKeypoints:
        return None


def _image_size(size: Any) -> tuple[int, int]:
    try:
        w, h = (float(v) for v in size)
    except (TypeError, ValueError):
        raise ParameterError(Arg("image_size"), f" must be (width, height) in pixels, got {size!r}") from None
    if not (w > 0 and h > 0 and np.isfinite(w) and np.isfinite(h)):
        raise ParameterError(Arg("image_size"), f" must be positive, got {size!r}")
    return int(round(w)), int(round(h))


# ----------------------------------------------------------------------------- prepared tracks -> 3D

@dataclass
class LiftedTracks:
    """What :func:`lift_tracks` returns, for the P people present in at least one frame:
    ``people`` (P,) their indices in the prepared tracks; ``poses_3d`` (P, T, J, 3) float32
    metres, root-relative, NaN where absent; ``keypoints_2d`` (P, T, J, 2) float32 pixels (the
    network's input before normalisation); ``flags`` (P, T, J) uint8; ``scores`` (P, T, J)
    float32; ``present`` (P, T) bool; ``root`` (P, T, 3) float32 metres (with intrinsics) or None."""

    people: np.ndarray
    poses_3d: np.ndarray
    keypoints_2d: np.ndarray
    flags: np.ndarray
    scores: np.ndarray
    present: np.ndarray
    root: np.ndarray | None = None


def lift_tracks(lifter: Lifter, tracks: PreparedTracks, image_size: tuple[int, int],
                intrinsics: np.ndarray | None = None, progress: bool = False) -> LiftedTracks:
    """Lift prepared tracks (:func:`~wsgcn.keypoints.prepare_tracks`) of a ``image_size``
    (width, height) image with ``lifter``; with ``intrinsics`` (9,) pixels also solve each
    pose's absolute root (filled joints weighted by :data:`ROOT_WEIGHTS`)."""
    people = np.flatnonzero(tracks.present.any(1))
    every = len(people) == len(tracks.present)
    kp17 = tracks.keypoints if every else tracks.keypoints[people]
    present = tracks.present if every else tracks.present[people]
    sk = lifter.skeleton
    P, T, J = len(people), present.shape[1], lifter.num_joints
    poses = np.full((P, T, J, 3), np.nan, dtype=np.float32)
    poses[present] = lifter.predict_normalized(_encode(kp17, present, image_size, sk), progress=progress)
    kp2d = codec.select(kp17.astype(np.float32), sk)
    flags = codec.select((tracks.flags if every else tracks.flags[people])[..., None], sk)[..., 0]
    scores = codec.select((tracks.scores if every else tracks.scores[people])[..., None].astype(np.float32), sk)[..., 0]
    root = None if intrinsics is None else _solve_roots(poses, kp2d, flags, present, intrinsics)
    return LiftedTracks(people=people, poses_3d=poses, keypoints_2d=kp2d, flags=flags.astype(np.uint8, copy=False),
                        scores=scores, present=present, root=root)


def _encode(kp17: np.ndarray, present: np.ndarray, size: tuple[int, int], skeleton: Skeleton) -> np.ndarray:
    """(N, J, 2) float32 network inputs of the present person-frames of ``kp17`` (P, T, 17, 2)
    pixels, :data:`BLOCK` poses at a time."""
    where = np.flatnonzero(present.ravel())
    flat = kp17.reshape(-1, 17, 2)
    out = np.empty((len(where), skeleton.num_joints, 2), dtype=np.float32)
    for s in range(0, len(where), BLOCK):
        out[s:s + BLOCK] = codec.encode(flat[where[s:s + BLOCK]], size[0], size[1], skeleton)
    return out


def _solve_roots(poses: np.ndarray, kp2d: np.ndarray, flags: np.ndarray, present: np.ndarray,
                 intrinsics: np.ndarray) -> np.ndarray:
    """(P, T, 3) float32 absolute roots of the present person-frames, NaN elsewhere."""
    from .camera import solve_root_numpy

    root = np.full((*present.shape, 3), np.nan, dtype=np.float32)
    p, t = np.nonzero(present)
    for s in range(0, len(p), BLOCK):
        i = (p[s:s + BLOCK], t[s:s + BLOCK])
        root[i] = solve_root_numpy(poses[i], kp2d[i], intrinsics, ROOT_WEIGHTS[flags[i]])
    return root


# ----------------------------------------------------------------------------- files

@dataclass(frozen=True)
class LiftOptions:
    """How :func:`lift_file` reads and writes (``wsgcn lift``'s flags of the same names).

    ``fmt``/``joints``: input format and joint order of npz/CSV arrays (``auto``: detect);
    ``width``/``height``: image size in pixels (win over the file's); ``min_score``,
    ``max_gap``: see :func:`~wsgcn.keypoints.prepare_tracks`; ``focal``, ``intrinsics``,
    ``cameras``, ``camera``: the camera, for the absolute root (:func:`wsgcn.camera.parse_intrinsics`);
    ``write_json``: with an ``.npz`` output, also write the JSON beside it."""

    fmt: str = "auto"
    joints: str = "auto"
    width: int | None = None
    height: int | None = None
    min_score: float = 0.3
    max_gap: int = 10
    focal: float | None = None
    intrinsics: str | None = None
    cameras: str | os.PathLike | None = None
    camera: str | None = None
    write_json: bool = True


@dataclass(frozen=True)
class LiftSummary:
    """What :func:`lift_file` did: ``read`` (a line on the input), counts of ``people``,
    ``frames``, lifted ``person_frames``, ``dropped`` person-frames (fewer than 2 usable joints)
    and ``filled`` joints; the output ``joints``, ``checkpoint``, ``image_size``, whether the
    ``root`` was solved, the paths ``written``, the network's ``precision`` and the ``note``
    of a bf16 request that fell back to fp32 (None otherwise)."""

    read: str
    people: int
    frames: int
    person_frames: int
    dropped: int
    filled: int
    joints: int
    checkpoint: str
    image_size: tuple[int, int]
    root: bool
    written: list[str]
    precision: str = "fp32"
    note: str | None = None


def lift_file(input_path: str | os.PathLike, out: str | os.PathLike, options: LiftOptions | None = None, *,
              checkpoint: str | os.PathLike | None = None, device: str = "cpu", progress: bool = True,
              compile: bool = False, precision: str = "fp32") -> LiftSummary:
    """Read a detector file, lift every person to 3D and write ``out`` (.npz [+ .json], or .json).

    ``options``: how to read and write (:class:`LiftOptions`, default: its defaults);
    ``checkpoint``: a checkpoint or run folder (None: the bundled weights). Everything is read
    and computed before anything is written; the files are written atomically.
    """
    if options is not None and not isinstance(options, LiftOptions):
        raise TypeError(f"lift_file: options must be a LiftOptions, got {type(options).__name__}")
    o = options or LiftOptions()
    out = Path(out)
    if out.suffix.lower() not in (".npz", ".json"):
        raise ParameterError(f"{out}: ", Arg("out"), " must end in .npz (writes .npz and .json) or .json")
    data = read_keypoints(input_path, o.fmt, o.joints)
    size = _resolve_size(data, o.width, o.height)
    intr, size = parse_intrinsics(size, o.focal, o.intrinsics, o.cameras, o.camera)
    if size is None:
        raise ParameterError(f"{data.path}: the image size is not in this file; give ", Arg("width"), " and ",
                             Arg("height"), " (pixels)")
    tracks = prepare_tracks(data, o.min_score, o.max_gap)
    check_in_image(data, size)
    lifter = Lifter.from_checkpoint(checkpoint, device=device, compile=compile, precision=precision)
    read, meta = frames_summary(data), _meta(data, lifter, size, intr, o)
    track_ids, frame_ids, dropped = data.track_ids, data.frame_ids, tracks.dropped
    del data  # the file's arrays: not needed any more
    lifted = lift_tracks(lifter, tracks, size, intr, progress)
    del tracks
    arrays = _arrays(lifted, [track_ids[p] for p in lifted.people], frame_ids, lifter, size, intr, meta)
    written = write_lift_output(out, arrays, meta, o.write_json)
    P, T, J = lifted.flags.shape
    filled = int(np.count_nonzero((lifted.flags == INTERPOLATED) | (lifted.flags == MEAN_POSE)))
    return LiftSummary(read=read, people=P, frames=T, person_frames=int(lifted.present.sum()), dropped=dropped,
                       filled=filled, joints=J, checkpoint=lifter.checkpoint, image_size=size, root=intr is not None,
                       written=[str(w) for w in written], precision=lifter.precision, note=lifter.precision_note)


def _meta(data: Keypoints2D, lifter: Lifter, size: tuple[int, int], intr: np.ndarray | None,
          o: LiftOptions) -> dict[str, Any]:
    """The output's ``meta`` (format, input, checkpoint, conventions, options)."""
    return {
        "format": OUTPUT_FORMAT,
        "input": str(data.path), "input_format": data.format, "input_layout": data.layout,
        "input_joints": data.joints, "checkpoint": lifter.checkpoint,
        "image_size": [int(size[0]), int(size[1])],
        "units": "metres",
        "coordinates": "camera frame (x right, y down, z forward), root-relative (Hip = 0)",
        "joint_names": list(lifter.joint_names),
        "flag_codes": {str(k): v for k, v in FLAG_NAMES.items()},
        "min_score": o.min_score, "max_gap": o.max_gap,
        "tracks_from": "track ids in the file" if data.tracked else "detection index within each frame",
        "intrinsics": None if intr is None else [float(v) for v in intr],
        "root": "absolute pelvis position in the camera frame from the closed-form root solve" if intr is not None else None,
    }


def _arrays(lifted: LiftedTracks, track_ids: list[str], frame_ids: list[str], lifter: Lifter, size: tuple[int, int],
            intr: np.ndarray | None, meta: dict[str, Any]) -> dict[str, Any]:
    """The npz layout of the output (:mod:`wsgcn.lift_output`)."""
    arrays: dict[str, Any] = dict(
        poses_3d=lifted.poses_3d, keypoints_2d=lifted.keypoints_2d, flags=lifted.flags, scores=lifted.scores,
        present=lifted.present, track_ids=np.array(track_ids, dtype=str), frame_ids=np.array(frame_ids, dtype=str),
        joint_names=np.array(lifter.joint_names, dtype=str), image_size=np.array(size, dtype=np.int64),
        meta=np.array(json.dumps(meta)),
    )
    if intr is not None:
        arrays["root"] = lifted.root
        arrays["intrinsics"] = intr
    return arrays


def check_in_image(data: Keypoints2D, size: tuple[int, int]) -> None:
    """Catch pixel/size mix-ups in the file's keypoints: normalised to [0, 1] (OpenPose
    ``--keypoint_scale``), or mostly far outside the ``size`` image (a wrong width/height)."""
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
        raise ParameterError(f"{data.path}: {outside.mean():.0%} of the keypoints lie far outside the {w}x{h} image; "
                             "is the image size (", Arg("width"), "/", Arg("height"), ") right?")


def _resolve_size(data: Keypoints2D, width: int | None, height: int | None) -> tuple[int, int] | None:
    """``width``/``height`` win over the file's own image size."""
    if (width is None) != (height is None):
        raise ParameterError("give both ", Arg("width"), " and ", Arg("height"))
    if width is not None:
        if width <= 0 or height <= 0:  # type: ignore[operator]
            raise ParameterError(Arg("width"), " and ", Arg("height"), f" must be positive, got {width}x{height}")
        return int(width), int(height)  # type: ignore[arg-type]
    return data.image_size
