"""End-to-end speed and memory of ``wsgcn lift`` against ``wsgcn bench``'s inference rate, in one run.

    python benchmarks/lift_speed.py [--frames 200000] [--threads N] [--rounds 2] [--seconds 3] [--data data]

1. Builds a Human3.6M-17 keypoint npz of ``--frames`` frames (one person): the real-motion
   benchmark's 2D rows (``DATA/data_2d_mocap_gt.npz``, the views of the most common image size,
   tiled) when the data folder has them, else synthetic poses (the mean pose, moved and jittered).
2. Measures ``wsgcn bench``'s inference rate (:func:`wsgcn.bench.run_bench`, in this process, the
   bundled model's architecture: WS-GCN, 16 joints, width 128, 4 blocks, non-local layers).
3. Runs ``wsgcn lift`` on the file end to end (read -> fill -> lift -> write) in a subprocess,
   once as it comes (``--out X.npz``: X.npz and X.json) and once with ``--no-json``, and reads
   each one's wall time and peak memory (``RUSAGE_CHILDREN``'s ``ru_maxrss`` in a small wrapper
   process whose only child is the lift).
4. Repeats (``--rounds``, then one last bench run) and compares the best of each: the machine
   may be shared, and other processes only ever slow a measurement down.

``--threads`` (default: the cores not already busy, from the load average) is the torch thread
count of both the bench and the lift (``OMP_NUM_THREADS``/``MKL_NUM_THREADS`` of the subprocess).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or "unknown CPU"


def default_threads() -> int:
    """The cores not already busy (1-minute load average), at least 1."""
    cores = os.cpu_count() or 1
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return max(1, min(cores, cores - int(load + 0.5)))


def build_input(path: Path, frames: int, data_dir: Path) -> str:
    """Write ``frames`` frames of Human3.6M-17 pixels to ``path``; returns where they came from."""
    size = (1000, 1002)
    rows = None
    if (data_dir / "data_2d_mocap_gt.npz").is_file():
        from collections import Counter

        from wsgcn.data.h36m import load_sequences

        seqs = load_sequences(data_dir, "mocap", "gt")
        size = Counter((int(q.camera_params.res_w), int(q.camera_params.res_h)) for q in seqs).most_common(1)[0][0]
        rows = np.concatenate([q.keypoints_2d for q in seqs
                               if (q.camera_params.res_w, q.camera_params.res_h) == size]).astype(np.float32)
        source = f"{len(rows):,} real 2D rows of {data_dir / 'data_2d_mocap_gt.npz'} ({size[0]}x{size[1]}), tiled"
    else:
        from wsgcn.keypoints import MEAN_POSE_H36M17

        rng = np.random.default_rng(0)
        tmpl = np.asarray(MEAN_POSE_H36M17, dtype=np.float64)
        tmpl = (tmpl - tmpl.mean(0)) / np.ptp(tmpl[:, 1]) * 400  # ~400 px tall
        shift = rng.uniform([300, 350], [700, 650], (frames, 1, 2))
        rows = (tmpl + shift + rng.normal(0, 8, (frames, 17, 2))).astype(np.float32)
        source = f"synthetic poses (no {data_dir / 'data_2d_mocap_gt.npz'})"
    kp = np.resize(rows, (frames, 17, 2))
    np.savez(path, keypoints=kp, image_size=np.array(size), joint_format=np.array("h36m17"))
    return source


def bench_rate(threads: int, seconds: float) -> float:
    """``wsgcn bench``'s inference rate (poses/s, mean over the run) of the bundled model's architecture."""
    from wsgcn.bench import run_bench

    r = run_bench(device="cpu", joints=16, hidden=128, num_blocks=4, nonlocal_layers=True, infer_batch=4096,
                  seconds=seconds, threads=threads, progress=False)
    return float(r["infer_poses_per_s"])


_WRAPPER = """
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
rc = subprocess.call(sys.argv[1:])
wall = time.perf_counter() - t0
print("LIFT_SPEED " + json.dumps({"rc": rc, "wall": wall,
                                  "maxrss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""
"""Runs the lift as its only child and reports its wall time and ``RUSAGE_CHILDREN`` peak RSS. A small
process of its own: a child's ``ru_maxrss`` starts from the RSS of the process it was forked from,
which here holds PyTorch and the bench's models."""


def run_lift(src: Path, out: Path, threads: int, *extra: str) -> tuple[float, float, str]:
    """``wsgcn lift SRC --out OUT`` in a subprocess -> (wall seconds, peak RSS MiB, its output)."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    lift = [sys.executable, "-m", "wsgcn", "lift", str(src), "--out", str(out), "--quiet", *extra]
    proc = subprocess.run([sys.executable, "-c", _WRAPPER, *lift], env=env, capture_output=True, text=True)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines or not lines[-1].startswith("LIFT_SPEED "):
        raise SystemExit(f"wsgcn lift failed:\n{proc.stdout}{proc.stderr}")
    res = json.loads(lines[-1].split(" ", 1)[1])
    if res["rc"] != 0:
        raise SystemExit(f"wsgcn lift failed ({res['rc']}):\n{proc.stdout}{proc.stderr}")
    return res["wall"], res["maxrss_kib"] / 1024, "\n".join(lines[:-1])


VARIANTS = (("npz + json", ()), ("npz only (--no-json)", ("--no-json",)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=200_000)
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: the cores not busy)")
    ap.add_argument("--seconds", type=float, default=3.0, help="timed seconds of each bench measurement")
    ap.add_argument("--rounds", type=int, default=2, help="rounds of bench + both lifts (then one more bench)")
    ap.add_argument("--data", type=Path, default=REPO / "data", help="data folder with data_2d_mocap_gt.npz")
    args = ap.parse_args(argv)
    threads = args.threads or default_threads()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{datetime.date.today()}  CPU: {cpu_model()}, {os.cpu_count()} logical cores, load average {load:.2f} "
          f"before the run; {threads} torch thread(s)")
    bench: list[float] = []
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in VARIANTS}
    with tempfile.TemporaryDirectory(prefix="lift_speed_") as tmp:
        src = Path(tmp) / "keypoints.npz"
        print(f"input: {args.frames:,} frames of Human3.6M-17 keypoints from {build_input(src, args.frames, args.data)}")
        for r in range(args.rounds + 1):
            bench.append(bench_rate(threads, args.seconds))
            print(f"wsgcn bench inference: {bench[-1]:,.0f} poses/s")
            for name, extra in VARIANTS if r < args.rounds else ():
                out = Path(tmp) / ("out.npz" if not extra else "out_nojson.npz")
                wall, rss, text = run_lift(src, out, threads, *extra)
                sizes = ", ".join(f"{p.name} {p.stat().st_size / 2**20:.1f} MiB"
                                  for p in sorted(Path(tmp).glob(out.stem + ".*")))
                runs[name].append((wall, rss))
                print(f"wsgcn lift, {name}: {wall:.1f} s, {args.frames / wall:,.0f} frames/s, "
                      f"peak RSS {rss:,.0f} MiB ({sizes})")
                if r == 0:
                    print("  " + text.replace("\n", "\n  "))
    rate = max(bench)
    print(f"\nbest of {len(bench)} bench runs (other processes only slow a run down): {rate:,.0f} poses/s "
          f"inference (all: {', '.join(f'{b:,.0f}' for b in bench)})")
    for name, res in runs.items():
        wall = min(w for w, _ in res)
        lift = args.frames / wall
        print(f"{name:<22} best of {len(res)}: {wall:.1f} s, {lift:>6,.0f} frames/s = {lift / rate:.0%} of the bench "
              f"rate; peak RSS {max(m for _, m in res):,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
