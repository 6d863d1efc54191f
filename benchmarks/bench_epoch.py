"""Time per training epoch against dataset size, and how much of it the data pipeline takes.

Builds datasets of N labelled poses (default 10k, 30k, 100k, 300k, 1M) by repeating the
labelled takes of the real-motion benchmark (``wsgcn data build-mocap`` must have run), trains
one epoch of ``configs/mocap_full.yaml`` on each with the real training loop (``wsgcn.train``),
and prints/writes per size: the epoch's wall time, the time spent in the data pipeline (index
streams, batch gathering; ``data_s`` in metrics.jsonl), poses/s, and the wall time of the
whole call (loading, model set-up, validation, checkpoints). "Compute" below is the epoch's
wall time minus its data-pipeline time.

    python benchmarks/bench_epoch.py --data data --out runs/bench_epoch --json runs/bench_epoch.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import torch

from wsgcn.config import apply_overrides, load_config
from wsgcn.data.h36m import cameras_path, read_positions_2d, read_positions_3d, write_positions_2d, write_positions_3d
from wsgcn.errors import WsgcnError
from wsgcn.io import read_json, write_json
from wsgcn.train import train

ROOT = Path(__file__).resolve().parents[1]


def build_tiled(data: Path, out: Path, poses: int, name: str = "epochbench") -> int:
    """Write dataset ``name`` into ``out`` whose labelled subject holds at least ``poses``
    (frames x cameras) by repeating the benchmark's labelled takes; validation and test are the
    benchmark's own. Returns the number of labelled poses written."""
    split = read_json(data / "data_split_mocap.json")
    lab = split["labelled"][0]
    p3 = read_positions_3d(data / "data_3d_mocap.npz")
    p2, meta = read_positions_2d(data / "data_2d_mocap_gt.npz")
    cams = read_json(cameras_path(data, "mocap"))
    n_cam = len(cams["subjects"][lab])
    per_copy = sum(a.shape[0] for a in p3[lab].values()) * n_cam
    copies = max(1, -(-poses // per_copy))
    new3 = {s: dict(v) for s, v in p3.items() if s != lab}
    new2 = {s: dict(v) for s, v in p2.items() if s != lab}
    new3[lab], new2[lab] = {}, {}
    written = 0
    for k in range(copies):
        for action, pos in p3[lab].items():
            if written >= poses:
                break
            frames = min(pos.shape[0], -(-(poses - written) // n_cam))
            new3[lab][f"{action} x{k}"] = pos[:frames]
            new2[lab][f"{action} x{k}"] = [c[:frames] for c in p2[lab][action]]
            written += frames * n_cam
    out.mkdir(parents=True, exist_ok=True)
    write_positions_3d(out / f"data_3d_{name}.npz", new3)
    write_positions_2d(out / f"data_2d_{name}_gt.npz", new2, meta)
    write_json(cameras_path(out, name), cams)
    write_json(out / f"data_split_{name}.json", split)
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT / "data")
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "bench_epoch")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000, 300_000, 1_000_000])
    ap.add_argument("--config", type=Path, default=ROOT / "configs" / "mocap_full.yaml")
    args = ap.parse_args(argv)
    try:
        if min(args.sizes) < 1:
            raise WsgcnError(f"--sizes must be positive numbers of poses, got {args.sizes}")
        if not (args.data / "data_3d_mocap.npz").is_file():
            raise WsgcnError(f"{args.data}: no real-motion benchmark here; run `wsgcn data build-mocap --out {args.data}`")
        rows = []
        for n in args.sizes:
            d = args.out / f"data_{n}"
            written = build_tiled(args.data, d, n)
            run = args.out / f"run_{n}"
            shutil.rmtree(run, ignore_errors=True)
            cfg = apply_overrides(load_config(args.config), [
                f"data.dir={d}", "data.name=epochbench", "data.stride=1", "data.unlabelled=[]", "train.epochs=1",
                "train.eval_every=1"])
            t0 = time.perf_counter()
            summary = train(cfg, run, progress=sys.stderr.isatty())
            call_s = time.perf_counter() - t0
            m = json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])
            poses = m["step"] * cfg.train.batch_size
            rows.append({"poses": written, "steps": m["step"], "epoch_s": m["train_s"], "data_s": m["data_s"],
                         "compute_s": round(m["train_s"] - m["data_s"], 3),
                         "data_share": round(m["data_s"] / m["train_s"], 4),
                         "poses_per_s": round(poses / m["train_s"], 1), "call_s": round(call_s, 2),
                         "val_mpjpe": round(summary["best_val_mpjpe"], 2)})
            r = rows[-1]
            print(f"{written:>9,} poses  {r['steps']:>5} steps  epoch {r['epoch_s']:8.1f} s  "
                  f"data pipeline {r['data_s']:6.2f} s ({100 * r['data_share']:.1f} %)  "
                  f"{r['poses_per_s']:7,.0f} poses/s  whole call {r['call_s']:7.1f} s", flush=True)
            shutil.rmtree(d)
        result = {"rows": rows, "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                  "threads": torch.get_num_threads(), "torch": torch.__version__,
                  "load_avg_1min_end": round(os.getloadavg()[0], 2),
                  "fit_seconds_per_million_poses": round(float(np.polyfit(
                      [r["poses"] for r in rows], [r["epoch_s"] for r in rows], 1)[0]) * 1e6, 1)
                  if len(rows) > 1 else None}
        if args.json:
            write_json(args.json, result)
        return 0
    except WsgcnError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
