"""The training loop: :func:`train` starts a run, :func:`resume_training` continues one; each
epoch trains (:func:`_train_epoch`), then rank 0 validates, keeps the best and last
checkpoints and writes the logs (:func:`_end_epoch`)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from .. import distributed, precision
from ..checkpoint import build_model_from_config
from ..config import Config, apply_overrides, config_from_dict, dump_config
from ..data.batches import PoseSet
from ..data.splits import load_test, open_run_files
from ..errors import WsgcnError
from ..io import ensure_dir, write_text
from ..runtime import tune_allocator
from ..skeleton import Skeleton, get_skeleton
from .logs import CURVES_EVERY_S, ORACLE_LABEL, remove_stale_temporaries, write_logs, write_report
from .sets import RunData, load_run_data, multiview_groups
from .state import RandomStreams, Saved, TrainState, read_last, restore, save_epoch
from .steps import TwoStreams, lr_at, phase, step_losses, steps_per_epoch
from .validation import validate


def train(cfg: Config | None, run_dir: str | Path, resume: bool = False, progress: bool = True,
          stop_after_epochs: int | None = None, overrides: list[str] | None = None) -> dict[str, Any]:
    """Train ``cfg`` into ``run_dir`` (see :mod:`wsgcn.train` for the files), or continue the run
    there when ``resume`` (:func:`resume_training`).

    ``stop_after_epochs`` ends this call after that many epochs (as if interrupted); the run
    continues with ``resume=True``. Returns a summary dict (best epoch and validation error)."""
    run_dir = Path(run_dir)
    if resume:
        return resume_training(run_dir, overrides, progress=progress, stop_after_epochs=stop_after_epochs)
    if (run_dir / "checkpoints" / "last.safetensors").is_file():
        raise WsgcnError(f"{run_dir}: already holds a run (checkpoints/last.safetensors); continue it with "
                         f"--resume {run_dir} or train into another --out folder")
    if cfg is None:
        raise WsgcnError("train: a config file is needed unless --resume is given")
    return _run(cfg, run_dir, None, progress, stop_after_epochs)


def resume_training(run_dir: str | Path, overrides: list[str] | None = None, progress: bool = True,
                    stop_after_epochs: int | None = None) -> dict[str, Any]:
    """Continue the run in ``run_dir`` from ``checkpoints/last.safetensors`` with its stored
    config (``overrides`` such as ``train.epochs=200`` applied): the same steps, batches and
    random draws as an uninterrupted run."""
    run_dir = Path(run_dir)
    remove_stale_temporaries(run_dir)
    saved = read_last(run_dir)
    cfg = apply_overrides(config_from_dict(saved.meta["config"]), overrides or [])
    return _run(cfg, run_dir, saved, progress, stop_after_epochs)


def _run(cfg: Config, run_dir: Path, saved: Saved | None, progress: bool, stop_after: int | None) -> dict[str, Any]:
    cfg.validate()
    if cfg.train.threads > 0:
        torch.set_num_threads(cfg.train.threads)
    ctx = distributed.setup(cfg.train.device)
    try:
        return _train_in(ctx, cfg, run_dir, saved, progress and ctx.is_main, stop_after)
    finally:
        distributed.teardown(ctx)


@dataclass
class _Run:
    """What one call of the loop works with."""

    ctx: distributed.DistContext
    cfg: Config
    run_dir: Path
    data: RunData
    test: PoseSet | None  # train.oracle_test: the test rows (rank 0 only)
    model: nn.Module
    net: nn.Module  # TwoStreams(model), DDP-wrapped with several processes
    opt: torch.optim.Optimizer
    rs: RandomStreams
    skel: Skeleton
    st: TrainState
    progress: bool


def _setup(ctx: distributed.DistContext, cfg: Config, run_dir: Path, saved: Saved | None, progress: bool) -> _Run:
    """Data (one read of the files), model, optimiser and random streams, restored from ``saved``."""
    t = cfg.train
    if t.batch_size % ctx.world:
        raise WsgcnError(f"train.batch_size ({t.batch_size}) must be divisible by the number of processes ({ctx.world})")
    torch.manual_seed(t.seed)
    np.random.seed(t.seed)
    skel = get_skeleton(cfg.data.joints)
    files = open_run_files(cfg)
    data = load_run_data(cfg, files).to(ctx.device)
    model = build_model_from_config(cfg).to(ctx.device)
    if ctx.device.type == "cpu":
        tune_allocator()  # keep freed activations in the process: no page faults per batch
    # fused Adam: one kernel for all parameters (about 3x cheaper than the per-tensor loop)
    opt = torch.optim.Adam(model.parameters(), lr=t.lr, fused=True)
    rs = RandomStreams.create(t.seed, len(data.labelled), len(data.unlabelled), t.batch_size,
                              multiview_groups(cfg, data, ctx.world), ctx.world)
    st = restore(saved, model, opt, rs) if saved is not None else TrainState()
    if ctx.rank > 0:  # every rank starts from rank 0's weights (DDP broadcasts them); own dropout noise
        torch.manual_seed(t.seed + ctx.rank)
    prec, fallback = precision.resolve(t.precision, ctx.device)
    if fallback and ctx.is_main:
        tqdm.write(f"wsgcn train: {fallback}")
    net: nn.Module = TwoStreams(model, prec)
    if ctx.world > 1:
        net = nn.parallel.DistributedDataParallel(net, device_ids=[ctx.device.index] if ctx.device.type == "cuda" else None)
    test = load_test(cfg, files=files).to(ctx.device) if t.oracle_test and ctx.is_main else None
    return _Run(ctx, cfg, run_dir, data, test, model, net, opt, rs, skel, st, progress)


def _train_in(ctx: distributed.DistContext, cfg: Config, run_dir: Path, saved: Saved | None, progress: bool,
              stop_after: int | None) -> dict[str, Any]:
    r = _setup(ctx, cfg, run_dir, saved, progress)
    st, t = r.st, cfg.train
    if ctx.is_main:
        ensure_dir(run_dir)
        write_text(run_dir / "config.yaml", dump_config(cfg))
    t0 = time.perf_counter()
    last_plot = -math.inf  # the first epoch draws curves.png
    done = 0  # epochs of this call
    while st.epoch < t.epochs and (stop_after is None or done < stop_after):
        row = _train_epoch(r)
        done += 1
        if ctx.is_main:  # rank 0 validates, logs and writes; the others wait for it
            plot = st.epoch >= t.epochs or done == stop_after or time.perf_counter() - last_plot >= CURVES_EVERY_S
            _end_epoch(r, row, plot)
            if plot:
                last_plot = time.perf_counter()
        ctx.barrier()
    wall = time.perf_counter() - t0
    if ctx.is_main:
        write_report(run_dir, cfg, st, r.data, wall, ctx.world, precision=_net(r).precision)
    return {"run_dir": str(run_dir), "epochs": st.epoch, "steps": st.step, "best_val_mpjpe": st.best,
            "best_epoch": st.best_epoch, "wall_s": wall, "finished": st.epoch >= t.epochs, "rank": ctx.rank,
            "oracle": st.oracle}


def _net(r: _Run) -> TwoStreams:
    """The run's :class:`TwoStreams` (inside its DDP wrapper with several processes)."""
    return r.net.module if isinstance(r.net, nn.parallel.DistributedDataParallel) else r.net


def _train_epoch(r: _Run) -> dict[str, Any]:
    """One epoch of optimiser steps; returns its metrics row (mean losses, time)."""
    cfg, st, t = r.cfg, r.st, r.cfg.train
    epoch = st.epoch
    ph = phase(cfg, epoch)
    use_unl = ph == "weak"
    steps = steps_per_epoch(cfg, r.rs.labelled, r.rs.unlabelled)
    r.net.train()
    sums = {"loss": 0.0, "loss_sup": 0.0, "loss_rep": 0.0, "loss_bone": 0.0, "loss_mv": 0.0}
    e0 = time.perf_counter()
    data_s = 0.0  # time spent drawing indices and gathering batches (the data pipeline)
    bar = tqdm(range(steps), desc=f"epoch {epoch + 1}/{t.epochs} [{ph}]", disable=not r.progress,
               leave=False, dynamic_ncols=True)
    for _ in bar:
        d0 = time.perf_counter()
        lr = lr_at(cfg, st.step + 1)
        for g in r.opt.param_groups:
            g["lr"] = lr
        il = r.ctx.shard(r.rs.labelled.next())
        iu = r.ctx.shard(r.rs.unlabelled.next()) if use_unl else None
        data_s += time.perf_counter() - d0
        ls = step_losses(r.net, cfg, r.data, il, iu, r.skel)
        loss = ls["loss"]
        r.opt.zero_grad(set_to_none=True)
        loss.backward()
        if t.max_grad_norm > 0:
            nn.utils.clip_grad_norm_(r.model.parameters(), t.max_grad_norm)
        r.opt.step()
        st.step += 1
        for k in sums:
            sums[k] += float(ls[k].detach())
        bar.set_postfix(loss=f"{float(loss.detach()):.5f}")
    bar.close()
    if not all(math.isfinite(v) for v in sums.values()):
        raise WsgcnError(f"training diverged at epoch {epoch + 1} (non-finite loss); lower train.lr or the loss weights")
    st.epoch += 1
    row: dict[str, Any] = {"epoch": st.epoch, "step": st.step, "phase": ph, "lr": lr_at(cfg, st.step)}
    row.update({k: v / steps for k, v in sums.items()})
    row["train_s"] = round(time.perf_counter() - e0, 3)
    row["data_s"] = round(data_s, 3)
    return row


def _evaluate_epoch(r: _Run, row: dict[str, Any]) -> bool:
    """Validation (selects ``best``) and, with ``train.oracle_test``, the test split (the oracle
    figure only: it never touches ``best``); returns whether this epoch is the new best."""
    st, t = r.st, r.cfg.train
    is_best = False
    if st.epoch % t.eval_every == 0 or st.epoch == t.epochs:
        if len(r.data.validation):
            row.update(validate(r.model, r.data.validation))
            if row["val_mpjpe"] < st.best:
                st.best, st.best_epoch, is_best = row["val_mpjpe"], st.epoch, True
        if r.test is not None:
            row.update(validate(r.model, r.test, prefix="test"))
            if st.oracle is None or row["test_mpjpe"] < st.oracle["test_mpjpe"]:
                st.oracle = {"epoch": st.epoch, "test_mpjpe": row["test_mpjpe"], "test_p_mpjpe": row["test_p_mpjpe"]}
    if not len(r.data.validation):  # data.all_labelled: nothing to select on, `best` is the last epoch
        st.best_epoch, is_best = st.epoch, True
    return is_best


def _end_epoch(r: _Run, row: dict[str, Any], plot: bool) -> None:
    """Rank 0 after an epoch: evaluate, log, save ``best`` and ``last``, write the logs."""
    st, cfg = r.st, r.cfg
    is_best = _evaluate_epoch(r, row)
    st.history.append(row)
    if r.progress:
        val = f", val MPJPE {row['val_mpjpe']:.1f} mm" if "val_mpjpe" in row else ""
        val += f", test MPJPE {row['test_mpjpe']:.1f} mm (oracle)" if "test_mpjpe" in row else ""
        tqdm.write(f"epoch {st.epoch}/{cfg.train.epochs} [{row['phase']}] loss {row['loss']:.5f}{val} "
                   f"({row['train_s']:.1f} s)")
    meta = {"config": cfg.to_dict(), "epoch": st.epoch, "step": st.step, "arch": cfg.model.arch,
            "joints": list(r.skel.names), "best": st.best, "best_epoch": st.best_epoch,
            "metrics": {k: row[k] for k in ("val_mpjpe", "val_p_mpjpe") if k in row},
            "selected_on": "validation" if len(r.data.validation) else "last epoch (no validation split)",
            **({"oracle": {**st.oracle, "label": ORACLE_LABEL}} if st.oracle else {}),
            "torch_version": torch.__version__}
    save_epoch(r.run_dir / "checkpoints", r.model, r.opt, r.rs, st, meta, is_best)
    write_logs(r.run_dir, st.history, cfg, plot=plot)
