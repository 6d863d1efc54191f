"""Evaluate a checkpoint on the test (or validation) subjects: the metrics of docs/METHOD.md §8,
a printed table, a JSON file and a per-joint error chart."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from . import metrics
from .checkpoint import load_model, resolve_checkpoint
from .config import apply_overrides, config_from_dict
from .data.splits import load_test
from .errors import WsgcnError
from .io import read_json, write_json
from .skeleton import get_skeleton
from .codec import predict


def evaluate(checkpoint: str | os.PathLike, data_dir: str | None = None, source: str | None = None,
             split: str = "test", json_out: str | os.PathLike | None = None,
             chart: str | os.PathLike | None = None, overrides: list[str] | None = None) -> dict[str, Any]:
    """Evaluate ``checkpoint`` (a file or a run folder) on ``split`` of the data in its config
    (``data_dir``/``source`` override it). Returns the summary (the keys of docs/METHOD.md §8, ``meta`` included)."""
    if split not in ("test", "validation"):
        raise WsgcnError(f"--split must be 'test' or 'validation', got {split!r}")
    path = resolve_checkpoint(checkpoint)
    model, meta = load_model(path)
    cfg = config_from_dict(meta["config"])
    if data_dir is not None:
        cfg.data.dir = str(data_dir)
    if source is not None:
        cfg.data.source = source
    apply_overrides(cfg, overrides or [])
    data = load_test(cfg, split=split)
    if len(data) == 0:
        raise WsgcnError(f"{cfg.data.dir}: no {split} poses for subjects of the config")
    pred = predict(model, data.inputs)
    skel = get_skeleton(cfg.data.joints)
    summary = metrics.summarize(pred, data.targets.numpy(), data.action_names, list(skel.names))
    t = cfg.train
    summary["meta"] = {
        "checkpoint": str(path), "epoch": meta.get("epoch"), "split": split,
        "data": cfg.data.dir, "dataset": cfg.data.name, "source": cfg.data.source, "joints": cfg.data.joints,
        "supervision": t.supervision, "root": t.root if t.supervision == "weak" else None,
        "arch": cfg.model.arch, "nonlocal_layers": cfg.model.nonlocal_layers,
        "selected_on": meta.get("selected_on", "validation"), "val_mpjpe": meta.get("metrics", {}).get("val_mpjpe"),
        "mpjpe_note": "MPJPE averages over all joints including the root (error 0 after root alignment)",
    }
    oracle = _oracle(path, meta)
    if oracle is not None and split == "test" and data_dir is None and source is None and not overrides:
        summary["oracle"] = oracle
    if json_out is not None:
        write_json(json_out, summary)
    if chart is not None:
        from .plots import per_joint_chart

        per_joint_chart(summary["per_joint"], chart,
                        title=f"{cfg.name}: per-joint MPJPE on {split} ({cfg.data.source} 2D)")
    return summary


def _oracle(path: Path, meta: dict[str, Any]) -> dict[str, Any] | None:
    """The run's oracle figure (``train.oracle_test``: best epoch on test, frame-wise), from the
    ``last`` checkpoint beside ``path`` (it has seen every epoch), else from ``path`` itself."""
    last = path.parent / "last.json"
    if last.is_file():
        try:
            oracle = read_json(last).get("oracle")
        except (WsgcnError, AttributeError):
            oracle = None
        if oracle is not None:
            return oracle
    return meta.get("oracle")
