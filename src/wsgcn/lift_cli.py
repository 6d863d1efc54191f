"""The ``lift``, ``viz`` and ``export-onnx`` subcommands (registered by :func:`add_lift_parsers`).

Handlers raise :class:`wsgcn.WsgcnError` for user errors; ``wsgcn.cli.main`` turns those into
one line on stderr and exit status 2. The library names its parameters in its errors
(:class:`wsgcn.errors.ParameterError`: ``min_score must be ...``, ``focal needs ...``); ``lift``
words them as its flags (``--min-score must be ...``, ``--focal needs ...``) through :func:`lift_flag`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Callable

from .errors import WsgcnError

_LIFT_FLAGS = {"fmt": "--format", "image_size": "--width and --height"}
"""Parameters of :func:`wsgcn.lift.lift_file`, :class:`wsgcn.lift.LiftOptions` and the functions
they call that are set by flags of other names (the others: ``min_score`` <-> ``--min-score``)."""


def lift_flag(param: str) -> str:
    """The ``wsgcn lift`` flag(s) that set the library's parameter ``param``."""
    return _LIFT_FLAGS.get(param, "--" + param.replace("_", "-"))


def _cmd_lift(a: argparse.Namespace) -> None:
    from .errors import ParameterError
    from .lift import LiftOptions, lift_file
    from .runtime import tune_allocator

    if a.threads:
        import torch

        torch.set_num_threads(a.threads)
    if a.device == "cpu":
        tune_allocator()  # this process only lifts: keep freed activations, no page faults per batch
    options = LiftOptions(fmt=a.format, joints=a.joints, width=a.width, height=a.height, min_score=a.min_score,
                          max_gap=a.max_gap, focal=a.focal, intrinsics=a.intrinsics, cameras=a.cameras,
                          camera=a.camera, write_json=not a.no_json)
    try:
        s = lift_file(a.input, a.out, options, checkpoint=a.checkpoint, device=a.device, progress=not a.quiet,
                      compile=a.compile, precision=a.precision)
    except ParameterError as e:  # the library's parameter names -> this command's flags
        raise WsgcnError(e.worded(lift_flag)) from None
    if s.note:
        print(f"wsgcn lift: {s.note}", file=sys.stderr)
    print(s.read)
    extra = f"; {s.dropped} person-frame(s) dropped (fewer than 2 usable joints)" if s.dropped else ""
    print(f"lifted {s.person_frames} person-frame(s) of {s.people} people over {s.frames} frame(s) "
          f"to {s.joints} joints ({s.filled} joint(s) filled{extra}) "
          f"with {s.checkpoint}, image {s.image_size[0]}x{s.image_size[1]}"
          + (", absolute root solved" if s.root else ""))
    print("wrote " + " and ".join(s.written))


def _cmd_viz(a: argparse.Namespace) -> None:
    from .viz import viz_file

    print(viz_file(a.input, a.out, person=a.person, frame=a.frame, gt=a.gt, fps=a.fps, start=a.start, stop=a.stop,
                   step=a.step, progress=not a.quiet))


def _cmd_export_onnx(a: argparse.Namespace) -> None:
    from .onnx_export import export_onnx

    s = export_onnx(a.checkpoint, a.out, check=not a.no_check)
    check = ("not checked" if s["max_abs_diff"] is None
             else f"onnxruntime matches PyTorch to {s['max_abs_diff']:.1e}")
    print(f"wrote {s['out']}: {s['joints']} joints, {s['parameters']:,} parameters, dynamic batch, "
          f"opset {s['opset']} ({check})")


def _positive(unit: str) -> Callable[[str], int]:
    """An argparse type: a positive whole number (of ``unit``, named in the error)."""
    def parse(v: str) -> int:
        try:
            n = int(v)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number{unit}, got {v!r}") from None
        if n <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {n}")
        return n
    return parse


_positive_int = _positive(" of pixels")


def _add_lift_parser(sub: Any) -> None:
    """``wsgcn lift``."""
    from .keypoints import FORMATS

    lp = sub.add_parser(
        "lift", help="lift 2D keypoints from a detector's output file to 3D",
        description="Lift 2D keypoints (COCO results / MMPose / OpenPose JSON, ultralytics-style or Human3.6M "
                    "npz, CSV) to 3D poses per frame and person. See docs/LIFT.md.")
    lp.add_argument("input", metavar="INPUT", help="keypoint file, or a folder of per-frame OpenPose/MMPose JSON files")
    lp.add_argument("--checkpoint", help="checkpoint or run folder (default: the bundled weights, if installed)")
    lp.add_argument("--out", required=True, help="OUT.npz (writes OUT.npz and OUT.json) or OUT.json (JSON only)")
    lp.add_argument("--no-json", action="store_true",
                    help="with --out OUT.npz, write only OUT.npz (faster and smaller for long videos)")
    lp.add_argument("--format", default="auto", choices=FORMATS, help="input format (default: detect)")
    lp.add_argument("--joints", default="auto", choices=["auto", "coco17", "h36m17"],
                    help="joint order of npz/CSV arrays (default: the file's joint_format, else detect)")
    lp.add_argument("--width", type=_positive_int, help="image width in pixels (when the file does not say)")
    lp.add_argument("--height", type=_positive_int, help="image height in pixels (when the file does not say)")
    lp.add_argument("--min-score", type=float, default=0.3,
                    help="joints scored below this are missing and get filled (default: 0.3)")
    lp.add_argument("--max-gap", type=int, default=10,
                    help="longest run of missing frames filled by interpolation in time (default: 10)")
    cam = lp.add_argument_group("camera (optional: gives the absolute root position)")
    cam.add_argument("--focal", type=float, help="focal length in pixels (principal point at the image centre)")
    cam.add_argument("--intrinsics", help="fx,fy,cx,cy[,k1,k2,k3,p1,p2] in pixels")
    cam.add_argument("--cameras", help="cameras JSON file (format wsgcn-cameras-1)")
    cam.add_argument("--camera", help="SUBJECT:INDEX of the camera in --cameras (needed if it holds several)")
    lp.add_argument("--device", default="cpu", help="torch device (default: cpu)")
    lp.add_argument("--compile", action="store_true",
                    help="run the network through torch.compile: ~30%% faster inference after 3-11 s of "
                         "compiling (needs a C++ compiler); pays off from about 0.1-0.3 million person-frames")
    lp.add_argument("--precision", default="fp32", choices=["fp32", "bf16"],
                    help="network arithmetic: fp32, or bf16 (bfloat16; faster on CPUs with AMX/AVX512-BF16, "
                         "falls back to fp32 elsewhere); default fp32")
    lp.add_argument("--threads", type=_positive(""), help="torch threads (default: torch's choice)")
    lp.add_argument("--quiet", action="store_true", help="no progress bars")
    lp.set_defaults(func=_cmd_lift)


def add_lift_parsers(sub: Any) -> None:
    """Register ``lift``, ``viz`` and ``export-onnx`` on the CLI's subparsers object."""
    _add_lift_parser(sub)

    vp = sub.add_parser(
        "viz", help="pictures/animations of a lift output, or the per-joint chart of an evaluation JSON",
        description="A lift output (.npz/.json) -> PNG of one frame (2D input beside 3D), or GIF/MP4 of the "
                    "sequence; an evaluation JSON (wsgcn evaluate --json) -> per-joint error chart (PNG).")
    vp.add_argument("input", metavar="INPUT", help="wsgcn lift output (.npz/.json) or evaluation JSON")
    vp.add_argument("--out", required=True, help="OUT.png (picture), OUT.gif or OUT.mp4 (animation; MP4 needs ffmpeg)")
    vp.add_argument("--person", help="track id of the person to show (default: the one seen in most frames)")
    vp.add_argument("--frame", type=int, help="frame index for a PNG (default: the person's middle frame)")
    vp.add_argument("--gt", help="npz with ground truth 'poses_3d' (T, J, 3), root-relative camera metres")
    vp.add_argument("--fps", type=float, default=25.0, help="animation frame rate (default: 25)")
    vp.add_argument("--start", type=int, default=0, help="first frame of the animation")
    vp.add_argument("--stop", type=int, help="end frame (exclusive) of the animation")
    vp.add_argument("--step", type=int, default=1, help="use every STEP-th frame in the animation")
    vp.add_argument("--quiet", action="store_true", help="no progress bar")
    vp.set_defaults(func=_cmd_viz)

    ep = sub.add_parser("export-onnx", help="export a checkpoint to ONNX (dynamic batch)",
                        description="Export CKPT (checkpoint or run folder) to ONNX: input keypoints_2d "
                                    "(batch, J, 2) normalised, output pose_3d (batch, J, 3) metres root-relative. "
                                    "Needs: pip install 'wsgcn[onnx]'.")
    ep.add_argument("checkpoint", metavar="CKPT")
    ep.add_argument("out", metavar="OUT.onnx")
    ep.add_argument("--no-check", action="store_true", help="skip the onnxruntime-vs-PyTorch check")
    ep.set_defaults(func=_cmd_export_onnx)

