"""Human3.6M at scale without the licence: one weak epoch of the paper's schedule, timed end to end.

Builds a data set of Human3.6M's size in Human3.6M's file layout (``data_3d_h36m.npz`` with the
32 raw joints, ``data_2d_h36m_gt.npz`` with 17 joints, the built-in Human3.6M cameras): subjects
S1, S5, S6, S7, S8 (training) and S9, S11 (test), 4 cameras each, 30 sequences per subject
(15 actions x 2). **Only the size is Human3.6M's, not the motion**: the poses are real poses of
the built real-motion benchmark (``wsgcn data build-mocap --out data``) tiled cyclically from a
random start per sequence, jittered by 1 cm per joint, and projected with the published
Human3.6M cameras. Frames per subject at 50 Hz (one camera) are in ``H36M_FRAMES``.

Then, for each precision, in its own fresh process and run, ``wsgcn.train.train`` runs
``configs/h36m_weak.yaml`` (batch 256, weak, bone penalty) on it with ``data.dir`` set:
a warm-up epoch (labelled batches only, to time a warm-up step; ``--no-warmup`` skips it) and
one weak epoch (a pass over the unlabelled rows), then the validation pass (last 10 % of every
S1 sequence). Timed: loading (reading the npz files and building the tensors: the loop's own
calls, wrapped with timers), the set-up before the first step (loading, model, optimiser and
the imports they pull in, e.g. ``torch._dynamo`` for fused Adam), the steps (``train_s`` and
``data_s`` of metrics.jsonl), validation, and checkpoints + logs per epoch (an upper bound: it
includes redrawing curves.png, which a long run does at most every 30 s; matplotlib's one-time
import is done before the timed call).
With ``--max-steps K`` each epoch runs only K steps and the full epoch is a **projection**:
the full step count times the measured time per step (without ``--max-steps`` the warm-up
epoch is a full pass too: about half a weak epoch more). The paper's schedule (100 epochs: 20
warm-up + 80 weak, every one a pass over the unlabelled rows, validation after each) is
projected from these figures.

    python benchmarks/h36m_scale.py [--scale 1.0] [--max-steps K] [--precision fp32 bf16]
        [--threads N] [--device cpu|cuda|auto] [--out DIR] [--json OUT]
    python benchmarks/h36m_scale.py --scale 0.005 --max-steps 20 --threads 1   # a quick try
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor
import os
import platform
import shutil
import sys
import tempfile
import time
from functools import wraps
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from wsgcn import precision as wprec
from wsgcn.camera import h36m_cameras
from wsgcn.config import load_config
from wsgcn.data.h36m import H36M_ACTIONS, read_positions_3d, write_positions_2d, write_positions_3d
from wsgcn.errors import WsgcnError
from wsgcn.io import read_json, write_json
from wsgcn.skeleton import H36M32_TO_17

ROOT = Path(__file__).resolve().parents[1]

# Frames per subject at 50 Hz (one camera). Rows (frames x 4 cameras) of the community's
# Human3.6M files, as counted by a user of una-dinosauria/3d-pose-baseline's h5 annotations
# (github.com/hrhodin/UnsupervisedGeometryAwareRepresentationLearning/issues/5): S1 248,376;
# S1+S5 644,692; S1+S5+S6 894,556; S1+S5+S6+S7+S8 1,559,752 rows. S9+S11: 543,344 rows
# (github.com/QitaoZhao/ContextAware-PoseFormer/issues/11). S1, S5, S6 and the two sums are
# exact; how the sums divide between S7 and S8, and between S9 and S11, is not published
# there: each sum is split in halves (an approximation that changes no total).
H36M_FRAMES: dict[str, int] = {"S1": 62_094, "S5": 99_079, "S6": 62_466, "S7": 83_150, "S8": 83_149,
                               "S9": 67_918, "S11": 67_918}
CAMERAS = 4
META17 = {"num_joints": 17, "keypoints_symmetry": [[4, 5, 6, 11, 12, 13], [1, 2, 3, 14, 15, 16]]}
# Raw 32-joint layout from 17 joints: a raw joint the 17 keep takes its own value, the others
# (Human3.6M's duplicate and end joints) the value of the closest kept joint before them.
_RAW_FROM_17 = [max(i for i, r in enumerate(H36M32_TO_17) if r <= raw) for raw in range(32)]


def build_dataset(out: Path, mocap_dir: Path, scale: float, seed: int = 0) -> dict[str, int]:
    """Write the Human3.6M-sized files into ``out`` (see the module docstring); returns the
    frames per subject. Reuses ``out``'s files when they were built with the same scale and seed."""
    info_path = out / "h36m_scale_build.json"
    if info_path.is_file() and (info := read_json(info_path)).get("scale") == scale and info.get("seed") == seed:
        return info["frames"]
    src = mocap_dir / "data_3d_mocap.npz"
    if not src.is_file():
        raise WsgcnError(f"{mocap_dir}: no real-motion benchmark here; run `wsgcn data build-mocap --out {mocap_dir}`")
    pool = np.concatenate([a for acts in read_positions_3d(src).values() for a in acts.values()])
    if pool.shape[1] != len(H36M32_TO_17):
        raise WsgcnError(f"{src}: expected 17 joints, found {pool.shape[1]}")
    pool = pool[:, _RAW_FROM_17]  # (N, 32, 3) world metres
    rng, rig = np.random.default_rng(seed), h36m_cameras()
    names = [f"{a} {k}" for a in H36M_ACTIONS for k in (1, 2)]
    pos3: dict[str, dict[str, np.ndarray]] = {}
    pos2: dict[str, dict[str, list[np.ndarray]]] = {}
    frames = {s: max(20, round(n * scale)) for s, n in H36M_FRAMES.items()}
    for s, n in frames.items():
        seqs = min(len(names), n // 10)  # at least 10 frames a sequence at small scales
        pos3[s], pos2[s] = {}, {}
        for name, t in zip(names, np.diff(np.linspace(0, n, seqs + 1).round().astype(int))):
            idx = (rng.integers(len(pool)) + np.arange(t)) % len(pool)
            world = (pool[idx] + rng.normal(0.0, 0.01, (t, 32, 3))).astype(np.float32)
            pts = world[:, list(H36M32_TO_17)].astype(np.float64)
            pos3[s][name] = world
            pos2[s][name] = [c.project(c.world_to_camera(pts)).astype(np.float32) for c in rig[s][:CAMERAS]]
    out.mkdir(parents=True, exist_ok=True)
    write_positions_3d(out / "data_3d_h36m.npz", pos3)
    write_positions_2d(out / "data_2d_h36m_gt.npz", pos2, META17)
    write_json(info_path, {"scale": scale, "seed": seed, "frames": frames, "source": str(src)})
    return frames


def _timed(module: Any, name: str, acc: dict[str, list[float]], after: Callable[[Any], None] | None = None) -> None:
    """Replace ``module.name`` by a wrapper that appends the wall time of every call to ``acc[name]``."""
    fn = getattr(module, name)

    @wraps(fn)
    def wrapper(*a: Any, **k: Any) -> Any:
        t0 = time.perf_counter()
        out = fn(*a, **k)
        acc.setdefault(name, []).append(time.perf_counter() - t0)
        if after is not None:
            after(out)
        return out
    setattr(module, name, wrapper)


def measure(data_dir: str, run_dir: str, prec: str, opts: dict[str, Any]) -> dict[str, Any]:
    """One fresh training run (meant for a fresh process): a warm-up epoch (unless
    ``opts['warmup']`` is false) and a weak epoch of ``configs/h36m_weak.yaml``; its figures."""
    import wsgcn.plots  # noqa: F401  (matplotlib: a one-time import, kept out of the per-epoch figures)
    from wsgcn.train import loop, train

    acc: dict[str, list[float]] = {}
    rows: dict[str, int] = {}
    _timed(loop, "open_run_files", acc)
    _timed(loop, "load_run_data", acc, lambda d: rows.update(
        labelled=len(d.labelled), unlabelled=len(d.unlabelled), validation=len(d.validation)))
    for name in ("validate", "save_epoch", "write_logs", "write_report"):
        _timed(loop, name, acc)
    epochs = 2 if opts["warmup"] else 1
    cfg = load_config(opts["config"], [
        f"data.dir={data_dir}", "data.name=h36m", f"train.epochs={epochs}", f"train.warmup_epochs={epochs - 1}",
        f"train.eval_every={epochs}", f"train.threads={opts['threads']}", f"train.precision={prec}",
        f"train.max_steps_per_epoch={opts['max_steps']}", f"train.device={opts['device']}"])
    shutil.rmtree(run_dir, ignore_errors=True)
    t0 = time.perf_counter()
    summary = train(cfg, run_dir, progress=False)
    call_s = time.perf_counter() - t0
    hist = [json.loads(line) for line in (Path(run_dir) / "metrics.jsonl").read_text().splitlines()]
    weak = hist[-1]
    steps_run = weak["step"] - (hist[0]["step"] if epochs == 2 else 0)
    steps_full = max(1, rows["unlabelled"] // cfg.train.batch_size)  # IndexStream.batches_per_pass
    device = torch.device("cuda" if opts["device"] == "cuda" or (opts["device"] == "auto" and torch.cuda.is_available())
                          else "cpu")
    out = {"precision": prec, "arithmetic": wprec.resolve(prec, device)[0], "device": str(device),
           "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else wprec.cpu_name(),
           "threads": torch.get_num_threads(), "rows": rows,
           "load_s": sum(acc["open_run_files"] + acc["load_run_data"]),
           "setup_s": call_s - summary["wall_s"] - sum(acc.get("write_report", [])),
           "steps_full": steps_full, "steps_timed": steps_run, "step_s": weak["train_s"] / steps_run,
           "data_s": weak["data_s"], "val_s": sum(acc.get("validate", [])),
           "bookkeeping_s_per_epoch": sum(acc.get("save_epoch", []) + acc.get("write_logs", [])) / epochs,
           "call_s": call_s, "val_mpjpe": weak.get("val_mpjpe")}
    if epochs == 2:
        out["warmup_step_s"] = hist[0]["train_s"] / hist[0]["step"]
    return out


def project(m: dict[str, Any], warmup_epochs: int, epochs: int, eval_every: int = 1) -> dict[str, Any]:
    """Epoch and schedule figures from one :func:`measure` result (warm-up step: measured, else
    assumed half a weak step: one labelled forward and backward instead of two)."""
    weak_s = m["steps_full"] * m["step_s"]
    warm_step = m.get("warmup_step_s", 0.5 * m["step_s"])
    warm_s = m["steps_full"] * warm_step
    validations = sum(1 for e in range(1, epochs + 1) if e % eval_every == 0 or e == epochs)
    total = (m["setup_s"] + warmup_epochs * warm_s + (epochs - warmup_epochs) * weak_s + validations * m["val_s"]
             + epochs * m["bookkeeping_s_per_epoch"])
    return {"weak_epoch_s": weak_s, "warmup_epoch_s": warm_s, "epoch_projected": m["steps_timed"] < m["steps_full"],
            "warmup_step_measured": "warmup_step_s" in m, "schedule_s": total}


def _rounded(obj: Any) -> Any:
    """``obj`` with every float rounded to 4 decimals (for the JSON file)."""
    return json.loads(json.dumps(obj), parse_float=lambda x: round(float(x), 4))


def _fmt_s(s: float) -> str:
    return f"{s:.2f} s" if s < 60 else f"{s / 60:.1f} min" if s < 3600 else f"{s / 3600:.2f} h"


def report(res: dict[str, dict[str, Any]], sched: tuple[int, int]) -> None:
    """Print one column per precision."""
    ps = list(res)
    first = res[ps[0]]["m"]
    line = lambda label, f: print(f"  {label:<42}" + "".join(f"{f(res[p]):>20}" for p in ps))  # noqa: E731
    print(f"device: {first['device']} ({first['device_name']}), CPU bf16 flags: "
          f"{' '.join(wprec.cpu_bf16_flags()) or 'none'}; torch {torch.__version__}, {first['threads']} threads")
    r = first["rows"]
    print(f"rows: {r['labelled']:,} labelled, {r['unlabelled']:,} unlabelled, {r['validation']:,} validation")
    line("precision (arithmetic)", lambda x: f"{x['m']['precision']} ({x['m']['arithmetic']})")
    line("load: npz files -> tensors", lambda x: _fmt_s(x["m"]["load_s"]))
    line("set-up before the first step", lambda x: _fmt_s(x["m"]["setup_s"]))
    line("steps of a weak epoch (timed)", lambda x: f"{x['m']['steps_full']:,} ({x['m']['steps_timed']:,})")
    line("weak step (256 + 256 poses)", lambda x: f"{x['m']['step_s'] * 1e3:.1f} ms")
    line("warm-up step (256 poses)", lambda x: f"{x['m']['warmup_step_s'] * 1e3:.1f} ms"
         if "warmup_step_s" in x["m"] else "0.5 weak (assumed)")
    line("data pipeline in the timed weak steps", lambda x: _fmt_s(x["m"]["data_s"]))
    line("weak epoch", lambda x: _fmt_s(x["p"]["weak_epoch_s"]) + (" (proj.)" if x["p"]["epoch_projected"] else ""))
    line("validation pass", lambda x: _fmt_s(x["m"]["val_s"]))
    line("checkpoints + logs per epoch", lambda x: _fmt_s(x["m"]["bookkeeping_s_per_epoch"]))
    line("whole call", lambda x: _fmt_s(x["m"]["call_s"]))
    line(f"paper's schedule ({sched[1]} epochs, {sched[0]} warm-up)", lambda x: _fmt_s(x["p"]["schedule_s"]))
    if "fp32" in res and "bf16" in res:
        print(f"  bf16 weak step / fp32 weak step: {res['bf16']['m']['step_s'] / res['fp32']['m']['step_s']:.3f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of Human3.6M's frames (default 1.0)")
    ap.add_argument("--max-steps", type=int, default=0, help="steps per epoch to time (0: the full epoch)")
    ap.add_argument("--precision", nargs="+", choices=wprec.PRECISIONS, default=list(wprec.PRECISIONS))
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    ap.add_argument("--no-warmup", dest="warmup", action="store_false",
                    help="skip the warm-up epoch (a warm-up step is then assumed to cost half a weak step)")
    ap.add_argument("--data", type=Path, default=ROOT / "data", help="the built real-motion benchmark")
    ap.add_argument("--config", type=Path, default=ROOT / "configs" / "h36m_weak.yaml")
    ap.add_argument("--out", type=Path, default=None, help="keep the data and runs here (default: a temporary folder)")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if not 0 < args.scale <= 10 or args.max_steps < 0 or args.threads < 0:
        ap.error("--scale must be in (0, 10], --max-steps and --threads >= 0")
    tmp = None if args.out else tempfile.TemporaryDirectory(prefix="h36m_scale_")
    out = args.out or Path(tmp.name)
    try:
        base = load_config(args.config)
        t0 = time.perf_counter()
        frames = build_dataset(out / "data", args.data, args.scale, args.seed)
        build_s = time.perf_counter() - t0
        total = sum(frames.values())
        train_rows = CAMERAS * sum(n for s, n in frames.items() if s not in ("S9", "S11"))
        print(f"h36m_scale: scale {args.scale}, {total:,} frames x {CAMERAS} cameras "
              f"({train_rows:,} training rows; Human3.6M: 1,559,752), built in {_fmt_s(build_s)} in {out / 'data'}")
        print("  frames per subject: " + ", ".join(f"{s} {n:,}" for s, n in frames.items()))
        opts = {"config": str(args.config), "threads": args.threads, "max_steps": args.max_steps,
                "device": args.device, "warmup": args.warmup}
        res: dict[str, dict[str, Any]] = {}
        for p in args.precision:  # a fresh process per precision: no state carried over
            with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
                m = pool.submit(measure, str(out / "data"), str(out / f"run_{p}"), p, opts).result()
            res[p] = {"m": m, "p": project(m, base.train.warmup_epochs, base.train.epochs, base.train.eval_every)}
        report(res, (base.train.warmup_epochs, base.train.epochs))
        if args.json:
            write_json(args.json, _rounded({
                "scale": args.scale, "frames_per_subject": frames, "cameras": CAMERAS, "build_s": round(build_s, 2),
                "max_steps": args.max_steps, "config": str(args.config), "torch": torch.__version__,
                "machine": f"{platform.machine()}, {os.cpu_count()} cores", "cpu": wprec.cpu_name(),
                "cpu_bf16_flags": wprec.cpu_bf16_flags(), "load_avg_1min_end": round(os.getloadavg()[0], 2),
                "schedule": {"epochs": base.train.epochs, "warmup_epochs": base.train.warmup_epochs},
                "results": {p: {**r["m"], **r["p"]} for p, r in res.items()}}))
        return 0
    except WsgcnError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    raise SystemExit(main())
