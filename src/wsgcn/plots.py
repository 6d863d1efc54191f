"""Figures people would rather look at than read: training curves, per-joint error."""

from __future__ import annotations

import os
from typing import Any, Mapping, Sequence

from .figures import GUIDE, new_figure, save_figure, side_colour


def training_curves(history: Sequence[Mapping[str, Any]], path: str | os.PathLike, title: str = "",
                    warmup_epochs: int = 0) -> None:
    """Loss terms (log scale) and validation MPJPE / P-MPJPE per epoch."""
    fig = new_figure((11, 4))
    ax1, ax2 = fig.subplots(1, 2)
    ep = [h["epoch"] for h in history]
    for key, label in (("loss", "total"), ("loss_sup", "supervised 3D"), ("loss_rep", "reprojection"),
                       ("loss_bone", "bone length"), ("loss_mv", "multi-view")):
        ys = [h.get(key) for h in history]
        pts = [(e, y) for e, y in zip(ep, ys) if y is not None and y > 0]
        if pts:
            ax1.plot(*zip(*pts), marker="." if len(pts) < 60 else None, label=label)
    ax1.set_yscale("log")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("training loss")
    ax1.legend(fontsize=8)
    for key, label, style in (("val_mpjpe", "validation MPJPE", "-"), ("val_p_mpjpe", "validation P-MPJPE", "-"),
                              ("test_mpjpe", "test MPJPE (oracle only, not used for selection)", ":")):
        pts = [(h["epoch"], h[key]) for h in history if key in h]
        if pts:
            ax2.plot(*zip(*pts), ls=style, marker="." if len(pts) < 60 else None, label=label)
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("error (mm)")
    if ax2.get_legend_handles_labels()[0]:
        ax2.legend(fontsize=8)
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        if 0 < warmup_epochs < (max(ep) if ep else 0):
            ax.axvline(warmup_epochs + 0.5, color=GUIDE, ls="--", lw=1)
            ax.text(warmup_epochs + 0.5, 1.0, " end of warm-up", transform=ax.get_xaxis_transform(),
                    fontsize=7, va="top", color=GUIDE)
    fig.suptitle(title)
    save_figure(fig, path)


def per_joint_chart(per_joint: Mapping[str, float], path: str | os.PathLike, title: str = "",
                    metric: str = "MPJPE (mm)") -> None:
    """Bar chart of the error per joint, coloured by side (:mod:`wsgcn.figures`)."""
    names = list(per_joint)
    vals = [per_joint[n] for n in names]
    fig = new_figure((max(6, 0.5 * len(names)), 3.6))
    ax = fig.subplots()
    ax.bar(range(len(names)), vals, color=[side_colour(n) for n in names])
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_ylabel(metric)
    ax.grid(axis="y", alpha=0.3)
    for i, v in enumerate(vals):
        ax.text(i, v, f"{v:.0f}", ha="center", va="bottom", fontsize=7)
    ax.set_title(title)
    save_figure(fig, path)
