#!/usr/bin/env python
"""Schedule sizing: validation and (oracle) test MPJPE per optimiser step of several runs.

    python scripts/plot_sizing.py LABEL=RUN_DIR [LABEL=RUN_DIR ...] --out docs/img/schedule_sizing.png

Reads every run's ``metrics.jsonl`` (runs trained with ``train.oracle_test=true`` also carry the
test error per epoch; it is drawn dotted and never chooses anything). A moving mean over 9
epochs is drawn over the raw points, since the per-epoch validation error is noisy. Prints, per
run, the mean validation MPJPE of each quarter of training and how much lower the mean of the
last eighth is than that of the eighth before it (the levelling-off test of
scripts/reproduce_table.py).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def moving_mean(y: np.ndarray, k: int = 9) -> np.ndarray:
    """Centred moving mean over ``k`` points (shorter windows at the ends)."""
    out = np.empty_like(y)
    for i in range(len(y)):
        lo, hi = max(0, i - k // 2), min(len(y), i + k // 2 + 1)
        out[i] = y[lo:hi].mean()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", metavar="LABEL=RUN_DIR")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    import matplotlib

    matplotlib.use("Agg")  # a file is written; no display needed
    import matplotlib.pyplot as plt

    from wsgcn.io import atomic_path

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharex=True)
    for item in a.runs:
        label, _, run = item.partition("=")
        rows = [json.loads(x) for x in (Path(run) / "metrics.jsonl").read_text().splitlines() if x.strip()]
        steps = np.array([r["step"] for r in rows])
        n = len(rows)
        for ax, key in zip(axes, ("val_mpjpe", "test_mpjpe")):
            pts = [(r["step"], r[key]) for r in rows if key in r]
            if not pts:
                continue
            x, y = map(np.array, zip(*pts))
            line, = ax.plot(x, moving_mean(y), label=label, lw=1.6, ls="-" if key == "val_mpjpe" else ":")
            ax.plot(x, y, color=line.get_color(), alpha=0.18, lw=0.8)
        val = np.array([r.get("val_mpjpe", np.nan) for r in rows])
        quarters = [np.nanmean(val[int(q * n / 4):int((q + 1) * n / 4)]) for q in range(4)]
        e7, e8 = np.nanmean(val[int(0.75 * n):int(0.875 * n)]), np.nanmean(val[int(0.875 * n):])
        print(f"{label}: {n} epochs, {steps[-1]} steps; mean validation MPJPE per quarter "
              + ", ".join(f"{v:.1f}" for v in quarters) + f" mm; last eighth {100 * (1 - e8 / e7):+.1f} % "
              "below the eighth before it")
    axes[0].set_title("validation MPJPE (labelled person, held-out windows)")
    axes[1].set_title("test MPJPE (oracle only: never used for selection)")
    for ax in axes:
        lo, _ = ax.get_ylim()
        ax.set_ylim(lo, min(ax.get_ylim()[1], 300))  # the first epochs' errors would flatten the rest
        ax.set_xlabel("optimiser step")
        ax.set_ylabel("mm")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("Schedule sizing on the real-motion benchmark (moving mean over 9 epochs; raw epochs faint)")
    with atomic_path(a.out) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    plt.close(fig)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
