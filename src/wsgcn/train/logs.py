"""The files a run writes for people: metrics.jsonl / metrics.csv, curves.png and report.md."""

from __future__ import annotations

import json
import platform
from pathlib import Path

import torch

from ..config import Config
from ..data.views import complete_groups
from ..io import write_text
from .sets import RunData
from .state import TrainState

ORACLE_LABEL = "oracle: best epoch on test, frame-wise (the original code's protocol; never used for selection)"

CURVES_EVERY_S = 30.0
"""curves.png is redrawn at most this often during a run (drawing takes ~0.25 s, a tenth of a
short epoch) and always after the last epoch of a call; metrics.jsonl/csv follow every epoch."""

RUN_FILES = ("config.yaml", "metrics.jsonl", "metrics.csv", "curves.png", "report.md",
             "best.safetensors", "best.json", "last.safetensors", "last.json")


def remove_stale_temporaries(run_dir: Path) -> None:
    """Delete the hidden temporary files (``.<name>.*``) that a process killed in the middle
    of an atomic write leaves next to the run's files; the files themselves are intact."""
    for folder in (run_dir, run_dir / "checkpoints"):
        if folder.is_dir():
            for f in folder.iterdir():
                if f.is_file() and any(f.name.startswith(f".{n}.") for n in RUN_FILES):
                    f.unlink()


def write_logs(run_dir: Path, history: list[dict], cfg: Config, plot: bool = True) -> None:
    """metrics.jsonl and metrics.csv (one row per epoch), and curves.png when ``plot``."""
    write_text(run_dir / "metrics.jsonl", "".join(json.dumps(h) + "\n" for h in history))
    if history:
        keys = list(history[0].keys())
        for h in history:
            keys += [k for k in h if k not in keys]
        lines = [",".join(keys)] + [",".join("" if h.get(k) is None else str(h.get(k)) for k in keys) for h in history]
        write_text(run_dir / "metrics.csv", "\n".join(lines) + "\n")
    if not plot:
        return
    from ..plots import training_curves

    training_curves(history, run_dir / "curves.png", title=cfg.name,
                    warmup_epochs=cfg.train.warmup_epochs if cfg.train.supervision == "weak" else 0)


def _root_line(cfg: Config) -> str:
    t = cfg.train
    if t.supervision != "weak":
        return "- root: not used (full supervision)"
    return "- root for the reprojection: " + (
        "`root: gt` - the reprojection uses the ground-truth 3D root of the unlabelled subjects "
        "(the paper's setting; it reads 3D information of subjects called unlabelled)"
        if t.root == "gt" else
        "`root: solve` - the root translation is solved in closed form from the 2D keypoints; "
        "no 3D label of an unlabelled subject is read")


def _multiview_lines(cfg: Config, data: RunData) -> list[str]:
    """The multi-view line of report.md (none with ``train.multiview_weight`` 0)."""
    if cfg.train.multiview_weight == 0 or cfg.train.supervision != "weak":
        return []
    table, left_out = complete_groups(data.unlabelled.group)
    return [f"- multi-view consistency (docs/METHOD.md §5): weight {cfg.train.multiview_weight}, "
            f"{cfg.train.multiview_form} form, unlabelled batches of "
            f"whole view groups ({table.shape[0]} instants x {table.shape[1]} views; {left_out} unlabelled rows "
            "outside a complete group are not drawn); camera rotations only, no 3D label"]


def write_report(run_dir: Path, cfg: Config, st: TrainState, data: RunData, wall: float, world: int = 1,
                 precision: str = "fp32") -> None:
    """report.md: what the run is (supervision, root, data, subjects, model) and where it stands;
    ``precision`` the arithmetic the network trained in (after a fallback, see :mod:`wsgcn.precision`)."""
    t, d = cfg.train, cfg.data
    lines = [
        f"# Run `{cfg.name}`", "",
        f"- supervision: **{t.supervision}**" + (f", warm-up {t.warmup_epochs} epochs, reprojection weight "
                                                f"{t.reprojection_weight}, bone weight {t.bone_weight}"
                                                if t.supervision == "weak" else ""),
        _root_line(cfg),
        *_multiview_lines(cfg, data),
        f"- data: `{d.dir}` name `{d.name}`, 2D source `{d.source}`, {d.joints} joints",
        f"- subjects: labelled {data.subjects['labelled']}, unlabelled {data.subjects['unlabelled']}, "
        f"validation {data.subjects['validation'] or f'last {d.val_fraction:.0%} of each labelled sequence'}, "
        f"test {data.subjects['test']}",
        f"- rows: {len(data.labelled)} labelled, {len(data.unlabelled)} unlabelled, {len(data.validation)} validation",
        f"- model: {cfg.model.arch}, hidden {cfg.model.hidden}, blocks {cfg.model.num_blocks}, "
        f"non-local {cfg.model.nonlocal_layers}, arithmetic {precision}"
        + (" (mixed precision: bfloat16 network, float32 weights, optimiser and losses)" if precision == "bf16" else "")
        + (f" (train.precision {cfg.train.precision} fell back)" if precision != cfg.train.precision else ""),
        f"- epochs completed: {st.epoch}, steps: {st.step}",
        (f"- best validation MPJPE: {st.best:.2f} mm at epoch {st.best_epoch} (checkpoint selected on validation only)"
         if len(data.validation) else
         f"- no validation split (`data.all_labelled`): `best` is the last epoch ({st.best_epoch}); "
         "compare with the paper through the oracle figure only"),
        *([f"- {ORACLE_LABEL}: MPJPE {st.oracle['test_mpjpe']:.2f} mm, P-MPJPE {st.oracle['test_p_mpjpe']:.2f} mm "
           f"at epoch {st.oracle['epoch']}"] if st.oracle else []),
        f"- wall time of this call: {wall:.1f} s on {platform.machine()} with {torch.get_num_threads()} torch threads"
        + (f" per process, {world} processes (DistributedDataParallel)" if world > 1 else ""),
        "", "Evaluate on the test subjects with `wsgcn evaluate " + str(run_dir) + "`.", "",
    ]
    write_text(run_dir / "report.md", "\n".join(lines))
