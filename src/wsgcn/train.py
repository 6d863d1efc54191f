"""The training loop: warm-up on the labelled subjects, then one labelled and one unlabelled
batch per step (supervised + reprojection + bone-length losses), validation-only model
selection, safetensors checkpoints, exact resume.

As the original WS-GCN code (docs/FIDELITY.md): in weak training every epoch, warm-up
included, is one pass over the unlabelled rows; the labelled and the unlabelled batch go
through the network in two forward passes (BatchNorm normalises each with its own statistics);
the learning rate of the k-th step (1-based) is ``lr * decay ** (k // decay_steps)``. With
``train.oracle_test`` the test split is also evaluated after every epoch and the best epoch on
test is reported as a labelled oracle figure; it never selects a checkpoint.

RUN_DIR layout written by :func:`train`:
``config.yaml`` (resolved), ``metrics.jsonl`` and ``metrics.csv`` (one row per epoch),
``curves.png`` (loss and validation error), ``report.md``, ``checkpoints/best.safetensors``
(lowest validation MPJPE) and ``checkpoints/last.safetensors`` (everything needed to resume),
each with a ``.json`` beside it.
"""

from __future__ import annotations

import json
import math
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from . import distributed, losses, metrics
from .checkpoint import build_model_from_config, model_state, read_checkpoint, save_checkpoint
from .config import Config, apply_overrides, config_from_dict, dump_config
from .data.batches import IndexStream, PoseSet, eval_batches
from .data.splits import RunData, load_run_data, load_test
from .errors import WsgcnError
from .io import ensure_dir, write_text
from .runtime import tune_allocator
from .skeleton import get_skeleton


def lr_at(cfg: Config, step: int) -> float:
    """Learning rate of the ``step``-th optimiser step (1-based):
    ``lr * lr_decay ** (step // lr_decay_steps)``, as the original code (its step counter is
    incremented before the rate is set, so step 100 000 is the first at ``lr * 0.96``)."""
    t = cfg.train
    return t.lr * t.lr_decay ** (step // t.lr_decay_steps)


@torch.no_grad()
def predict(model: nn.Module, inputs: torch.Tensor, batch_size: int = 4096) -> np.ndarray:
    """Root-aligned predictions (N, J, 3) metres for normalised inputs (N, J, 2)."""
    model.eval()
    device = next(model.parameters()).device
    out = []
    for sl in eval_batches(len(inputs), batch_size):
        p = model(inputs[sl].to(device))
        out.append((p - p[:, :1]).cpu().numpy())
    if not out:
        return np.zeros((0,) + tuple(inputs.shape[1:-1]) + (3,), dtype=np.float32)
    return np.concatenate(out)


def validate(model: nn.Module, data: PoseSet, prefix: str = "val") -> dict[str, float]:
    """Frame-wise MPJPE and P-MPJPE (mm) on ``data``: ``{prefix}_mpjpe``, ``{prefix}_p_mpjpe``."""
    pred = predict(model, data.inputs)
    gt = data.targets.cpu().numpy()
    return {f"{prefix}_mpjpe": float(np.mean(metrics.mpjpe(pred, gt))),
            f"{prefix}_p_mpjpe": float(np.mean(metrics.p_mpjpe(pred, gt)))}


ORACLE_LABEL = "oracle: best epoch on test, frame-wise (the original code's protocol; never used for selection)"


@dataclass
class _State:
    epoch: int = 0  # epochs completed
    step: int = 0
    best: float = math.inf
    best_epoch: int = -1
    history: list | None = None
    oracle: dict | None = None  # {"epoch", "test_mpjpe", "test_p_mpjpe"}: lowest test MPJPE so far


class TwoStreams(nn.Module):
    """The network applied to the labelled and, when given, the unlabelled batch in two
    separate forward passes (as the original code), so that BatchNorm normalises each batch
    with its own statistics. One module, so DistributedDataParallel sees one forward per step."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x_l: torch.Tensor, x_u: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(B1, J, 2), (B2, J, 2) -> (B1, J, 3), (B2, J, 3) or None."""
        return self.model(x_l), (self.model(x_u) if x_u is not None else None)


def step_losses(net: nn.Module, cfg: Config, data: RunData, il: torch.Tensor, iu: torch.Tensor | None,
                skeleton) -> dict[str, torch.Tensor]:
    """The losses of one training step: ``loss`` (the total), ``loss_sup``, ``loss_rep``, ``loss_bone``.

    ``net`` a :class:`TwoStreams` (or its DDP wrapper); ``il`` labelled row indices; ``iu``
    unlabelled row indices (a weak step after warm-up) or None (warm-up, full supervision).
    The supervised loss compares the raw prediction with the root-relative target (root 0),
    as the original; reprojection and bone penalty use the root-centred prediction."""
    t = cfg.train
    x_l, y_l = data.labelled.inputs[il], data.labelled.targets[il]
    x_u = data.unlabelled.inputs[iu] if iu is not None else None
    pred_l, pred_u = net(x_l, x_u)
    loss_sup = losses.mse_3d(pred_l, y_l)
    zero = torch.zeros((), device=loss_sup.device)
    out = {"loss": loss_sup, "loss_sup": loss_sup, "loss_rep": zero, "loss_bone": zero}
    if pred_u is not None:
        rel_u = pred_u - pred_u[:, :1]
        root = data.unlabelled.root[iu] if t.root == "gt" else None
        out["loss_rep"] = losses.reprojection_loss(rel_u, x_u, data.unlabelled.intrinsics[iu], root=root)
        out["loss"] = out["loss"] + t.reprojection_weight * out["loss_rep"]
        if t.bone_weight > 0:
            out["loss_bone"] = losses.bone_length_penalty(pred_l - pred_l[:, :1], rel_u, skeleton)
            out["loss"] = out["loss"] + t.bone_weight * out["loss_bone"]
    return out


def _phase(cfg: Config, epoch: int) -> str:
    if cfg.train.supervision == "full":
        return "full"
    return "warmup" if epoch < cfg.train.warmup_epochs else "weak"


def _rng_tensors(gen_l: torch.Generator, gen_u: torch.Generator, sl: IndexStream, su: IndexStream) -> dict:
    t = {"rng.torch": torch.get_rng_state(), "rng.gen_l": gen_l.get_state(), "rng.gen_u": gen_u.get_state()}
    for name, s in (("l", sl), ("u", su)):
        for k, v in s.state().items():
            t[f"stream.{name}.{k}"] = v
    return t


def _optim_tensors(opt: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], list]:
    sd = opt.state_dict()
    tensors = {}
    for pid, st in sd["state"].items():
        for k, v in st.items():
            tensors[f"optim.{pid}.{k}"] = v if torch.is_tensor(v) else torch.tensor(v)
    return tensors, sd["param_groups"]


def _load_optim(opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], groups: list) -> None:
    state: dict[int, dict[str, torch.Tensor]] = {}
    for k, v in tensors.items():
        if k.startswith("optim."):
            _, pid, name = k.split(".", 2)
            state.setdefault(int(pid), {})[name] = v
    opt.load_state_dict({"state": state, "param_groups": groups})


CURVES_EVERY_S = 30.0
"""curves.png is redrawn at most this often during a run (drawing takes ~0.25 s, a tenth of a
short epoch) and always after the last epoch of a call; metrics.jsonl/csv follow every epoch."""


def _write_logs(run_dir: Path, history: list[dict], cfg: Config, plot: bool = True) -> None:
    write_text(run_dir / "metrics.jsonl", "".join(json.dumps(h) + "\n" for h in history))
    if history:
        keys = list(history[0].keys())
        for h in history:
            keys += [k for k in h if k not in keys]
        lines = [",".join(keys)] + [",".join("" if h.get(k) is None else str(h.get(k)) for k in keys) for h in history]
        write_text(run_dir / "metrics.csv", "\n".join(lines) + "\n")
    if not plot:
        return
    from .plots import training_curves

    training_curves(history, run_dir / "curves.png", title=cfg.name,
                    warmup_epochs=cfg.train.warmup_epochs if cfg.train.supervision == "weak" else 0)


def _write_report(run_dir: Path, cfg: Config, st: _State, data: RunData, wall: float, world: int = 1) -> None:
    t = cfg.train
    root_line = ("`root: gt` - the reprojection uses the ground-truth 3D root of the unlabelled subjects "
                 "(the paper's setting; it reads 3D information of subjects called unlabelled)"
                 if t.root == "gt" else
                 "`root: solve` - the root translation is solved in closed form from the 2D keypoints; "
                 "no 3D label of an unlabelled subject is read")
    lines = [
        f"# Run `{cfg.name}`", "",
        f"- supervision: **{t.supervision}**" + (f", warm-up {t.warmup_epochs} epochs, reprojection weight "
                                                f"{t.reprojection_weight}, bone weight {t.bone_weight}"
                                                if t.supervision == "weak" else ""),
        f"- root for the reprojection: {root_line}" if t.supervision == "weak" else "- root: not used (full supervision)",
        f"- data: `{cfg.data.dir}` name `{cfg.data.name}`, 2D source `{cfg.data.source}`, {cfg.data.joints} joints",
        f"- subjects: labelled {data.subjects['labelled']}, unlabelled {data.subjects['unlabelled']}, "
        f"validation {data.subjects['validation'] or f'last {cfg.data.val_fraction:.0%} of each labelled sequence'}, "
        f"test {data.subjects['test']}",
        f"- rows: {len(data.labelled)} labelled, {len(data.unlabelled)} unlabelled, {len(data.validation)} validation",
        f"- model: {cfg.model.arch}, hidden {cfg.model.hidden}, blocks {cfg.model.num_blocks}, "
        f"non-local {cfg.model.nonlocal_layers}",
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


RUN_FILES = ("config.yaml", "metrics.jsonl", "metrics.csv", "curves.png", "report.md",
             "best.safetensors", "best.json", "last.safetensors", "last.json")


def _remove_stale_temporaries(run_dir: Path) -> None:
    """Delete the hidden temporary files (``.<name>.*``) that a process killed in the middle
    of an atomic write leaves next to the run's files; the files themselves are intact."""
    for folder in (run_dir, run_dir / "checkpoints"):
        if folder.is_dir():
            for f in folder.iterdir():
                if f.is_file() and any(f.name.startswith(f".{n}.") for n in RUN_FILES):
                    f.unlink()


def train(cfg: Config | None, run_dir: str | Path, resume: bool = False, progress: bool = True,
          stop_after_epochs: int | None = None, overrides: list[str] | None = None) -> dict[str, Any]:
    """Train ``cfg`` into ``run_dir``, or continue the run there when ``resume`` (then the
    run's stored config is used, with ``overrides`` such as ``train.epochs=200`` applied).

    ``stop_after_epochs`` ends this call after that many epochs (as if interrupted); the run
    continues with ``resume=True``. Returns a summary dict (best epoch and validation error)."""
    run_dir = Path(run_dir)
    ckpt_dir = run_dir / "checkpoints"
    last_path = ckpt_dir / "last.safetensors"
    extra: dict[str, torch.Tensor] = {}
    meta: dict[str, Any] = {}
    if resume:
        _remove_stale_temporaries(run_dir)
        if not last_path.is_file():
            raise WsgcnError(f"{run_dir}: nothing to resume (no checkpoints/last.safetensors)")
        extra, meta = read_checkpoint(last_path)
        cfg = apply_overrides(config_from_dict(meta["config"]), overrides or [])
    elif last_path.is_file():
        raise WsgcnError(f"{run_dir}: already holds a run (checkpoints/last.safetensors); continue it with "
                         f"--resume {run_dir} or train into another --out folder")
    if cfg is None:
        raise WsgcnError("train: a config file is needed unless --resume is given")
    cfg.validate()
    t = cfg.train
    if t.threads > 0:
        torch.set_num_threads(t.threads)
    ctx = distributed.setup(t.device)
    if t.batch_size % ctx.world:
        raise WsgcnError(f"train.batch_size ({t.batch_size}) must be divisible by the number of processes ({ctx.world})")
    progress = progress and ctx.is_main
    torch.manual_seed(t.seed)
    np.random.seed(t.seed)
    skel = get_skeleton(cfg.data.joints)
    data, _ = load_run_data(cfg)
    data = RunData(data.labelled.to(ctx.device), data.unlabelled.to(ctx.device), data.validation, data.subjects)
    model = build_model_from_config(cfg).to(ctx.device)
    if ctx.device.type == "cpu":
        tune_allocator()  # keep freed activations in the process: no page faults per batch
    # fused Adam: one kernel for all parameters (about 3x cheaper than the per-tensor loop)
    opt = torch.optim.Adam(model.parameters(), lr=t.lr, fused=True)
    gen_l = torch.Generator().manual_seed(t.seed + 1)
    gen_u = torch.Generator().manual_seed(t.seed + 2)
    stream_l = IndexStream(len(data.labelled), t.batch_size, gen_l)
    stream_u = IndexStream(max(1, len(data.unlabelled)), t.batch_size, gen_u)
    st = _State(history=[])
    if resume:
        model.load_state_dict(model_state(extra))
        _load_optim(opt, extra, meta["optim_param_groups"])
        torch.set_rng_state(extra["rng.torch"])
        gen_l.set_state(extra["rng.gen_l"])
        gen_u.set_state(extra["rng.gen_u"])
        for name, s in (("l", stream_l), ("u", stream_u)):
            s.load_state({k: extra[f"stream.{name}.{k}"] for k in ("perm", "pos")})
        oracle = meta.get("oracle")
        st = _State(epoch=meta["epoch"], step=meta["step"], best=meta["best"], best_epoch=meta["best_epoch"],
                    history=meta["history"],
                    oracle={k: oracle[k] for k in ("epoch", "test_mpjpe", "test_p_mpjpe")} if oracle else None)
    if ctx.rank > 0:  # every rank starts from rank 0's weights (DDP broadcasts them); own dropout noise
        torch.manual_seed(t.seed + ctx.rank)
    net: nn.Module = TwoStreams(model)
    if ctx.world > 1:
        net = nn.parallel.DistributedDataParallel(net, device_ids=[ctx.device.index] if ctx.device.type == "cuda" else None)
    test = load_test(cfg).to(ctx.device) if t.oracle_test and ctx.is_main else None
    if ctx.is_main:
        ensure_dir(run_dir)
        write_text(run_dir / "config.yaml", dump_config(cfg))

    t0 = time.perf_counter()
    last_plot = -math.inf  # the first epoch draws curves.png
    epochs_this_call = 0
    while st.epoch < t.epochs:
        if stop_after_epochs is not None and epochs_this_call >= stop_after_epochs:
            break
        epoch = st.epoch
        phase = _phase(cfg, epoch)
        use_unl = phase == "weak"
        # weak training: every epoch, warm-up included, is one pass over the unlabelled rows
        steps = (stream_u if t.supervision == "weak" else stream_l).batches_per_pass()
        if t.max_steps_per_epoch > 0:
            steps = min(steps, t.max_steps_per_epoch)
        net.train()
        sums = {"loss": 0.0, "loss_sup": 0.0, "loss_rep": 0.0, "loss_bone": 0.0}
        e0 = time.perf_counter()
        data_s = 0.0  # time spent drawing indices and gathering batches (the data pipeline)
        bar = tqdm(range(steps), desc=f"epoch {epoch + 1}/{t.epochs} [{phase}]", disable=not progress,
                   leave=False, dynamic_ncols=True)
        for _ in bar:
            d0 = time.perf_counter()
            lr = lr_at(cfg, st.step + 1)
            for g in opt.param_groups:
                g["lr"] = lr
            il = ctx.shard(stream_l.next())
            iu = ctx.shard(stream_u.next()) if use_unl else None
            data_s += time.perf_counter() - d0
            ls = step_losses(net, cfg, data, il, iu, skel)
            loss = ls["loss"]
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if t.max_grad_norm > 0:
                nn.utils.clip_grad_norm_(model.parameters(), t.max_grad_norm)
            opt.step()
            st.step += 1
            for k in sums:
                sums[k] += float(ls[k].detach())
            bar.set_postfix(loss=f"{float(loss.detach()):.5f}")
        bar.close()
        if not all(math.isfinite(v) for v in sums.values()):
            raise WsgcnError(f"training diverged at epoch {epoch + 1} (non-finite loss); lower train.lr or the loss weights")
        st.epoch += 1
        epochs_this_call += 1
        row: dict[str, Any] = {"epoch": st.epoch, "step": st.step, "phase": phase, "lr": lr_at(cfg, st.step)}
        row.update({k: v / steps for k, v in sums.items()})
        row["train_s"] = round(time.perf_counter() - e0, 3)
        row["data_s"] = round(data_s, 3)
        is_best = False
        if not ctx.is_main:  # rank 0 validates, logs and writes; the others wait for it
            ctx.barrier()
            continue
        if st.epoch % t.eval_every == 0 or st.epoch == t.epochs:
            if len(data.validation):
                row.update(validate(model, data.validation))
                if row["val_mpjpe"] < st.best:
                    st.best, st.best_epoch, is_best = row["val_mpjpe"], st.epoch, True
            if test is not None:  # oracle figure only: it never touches st.best / is_best
                row.update(validate(model, test, prefix="test"))
                if st.oracle is None or row["test_mpjpe"] < st.oracle["test_mpjpe"]:
                    st.oracle = {"epoch": st.epoch, "test_mpjpe": row["test_mpjpe"], "test_p_mpjpe": row["test_p_mpjpe"]}
        if not len(data.validation):  # data.all_labelled: nothing to select on, `best` is the last epoch
            st.best_epoch, is_best = st.epoch, True
        st.history.append(row)
        if progress:
            val = f", val MPJPE {row['val_mpjpe']:.1f} mm" if "val_mpjpe" in row else ""
            val += f", test MPJPE {row['test_mpjpe']:.1f} mm (oracle)" if "test_mpjpe" in row else ""
            tqdm.write(f"epoch {st.epoch}/{t.epochs} [{phase}] loss {row['loss']:.5f}{val} ({row['train_s']:.1f} s)")
        base_meta = {"config": cfg.to_dict(), "epoch": st.epoch, "step": st.step, "arch": cfg.model.arch,
                     "joints": list(skel.names), "best": st.best, "best_epoch": st.best_epoch,
                     "metrics": {k: row[k] for k in ("val_mpjpe", "val_p_mpjpe") if k in row},
                     "selected_on": "validation" if len(data.validation) else "last epoch (no validation split)",
                     **({"oracle": {**st.oracle, "label": ORACLE_LABEL}} if st.oracle else {}),
                     "torch_version": torch.__version__}
        if is_best:
            save_checkpoint(ckpt_dir / "best.safetensors", model, base_meta)
        opt_t, groups = _optim_tensors(opt)
        save_checkpoint(last_path, model, {**base_meta, "history": st.history, "optim_param_groups": groups},
                        extra_tensors={**opt_t, **_rng_tensors(gen_l, gen_u, stream_l, stream_u)})
        last_of_call = st.epoch >= t.epochs or (stop_after_epochs is not None and epochs_this_call >= stop_after_epochs)
        plot = last_of_call or time.perf_counter() - last_plot >= CURVES_EVERY_S
        _write_logs(run_dir, st.history, cfg, plot=plot)
        if plot:
            last_plot = time.perf_counter()
        ctx.barrier()
    wall = time.perf_counter() - t0
    if ctx.is_main:
        _write_report(run_dir, cfg, st, data, wall, ctx.world)
    distributed.teardown(ctx)
    return {"run_dir": str(run_dir), "epochs": st.epoch, "steps": st.step, "best_val_mpjpe": st.best,
            "best_epoch": st.best_epoch, "wall_s": wall, "finished": st.epoch >= t.epochs, "rank": ctx.rank,
            "oracle": st.oracle}
