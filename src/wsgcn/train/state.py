"""Everything a run needs to continue exactly where it stopped: the counters, the history,
the optimiser state and every random stream, stored in ``checkpoints/last.safetensors``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..checkpoint import model_state, read_checkpoint, save_checkpoint
from ..data.batches import GroupStream, IndexStream
from ..errors import WsgcnError


@dataclass
class TrainState:
    epoch: int = 0  # epochs completed
    step: int = 0
    best: float = math.inf  # lowest validation MPJPE (mm)
    best_epoch: int = -1
    history: list[dict[str, Any]] = field(default_factory=list)  # one metrics row per epoch
    oracle: dict | None = None  # {"epoch", "test_mpjpe", "test_p_mpjpe"}: lowest test MPJPE so far


@dataclass
class RandomStreams:
    """The seeded generators and index streams of the labelled and the unlabelled rows."""

    gen_l: torch.Generator
    gen_u: torch.Generator
    labelled: IndexStream
    unlabelled: IndexStream  # a GroupStream (whole view groups) with train.multiview_weight > 0

    @classmethod
    def create(cls, seed: int, n_labelled: int, n_unlabelled: int, batch_size: int,
               view_groups: torch.Tensor | None = None, world: int = 1) -> "RandomStreams":
        """``view_groups`` (G, V) the unlabelled rows' complete view groups
        (:func:`wsgcn.data.views.complete_groups`): the unlabelled stream then draws whole groups
        for ``world`` processes; None: rows, as the original."""
        gen_l = torch.Generator().manual_seed(seed + 1)
        gen_u = torch.Generator().manual_seed(seed + 2)
        unl = (IndexStream(max(1, n_unlabelled), batch_size, gen_u) if view_groups is None
               else GroupStream(view_groups, batch_size, gen_u, world))
        return cls(gen_l, gen_u, IndexStream(n_labelled, batch_size, gen_l), unl)

    def tensors(self) -> dict[str, torch.Tensor]:
        t = {"rng.torch": torch.get_rng_state(), "rng.gen_l": self.gen_l.get_state(),
             "rng.gen_u": self.gen_u.get_state()}
        for name, s in (("l", self.labelled), ("u", self.unlabelled)):
            for k, v in s.state().items():
                t[f"stream.{name}.{k}"] = v
        return t

    def load(self, tensors: dict[str, torch.Tensor]) -> None:
        torch.set_rng_state(tensors["rng.torch"])
        self.gen_l.set_state(tensors["rng.gen_l"])
        self.gen_u.set_state(tensors["rng.gen_u"])
        for name, s in (("l", self.labelled), ("u", self.unlabelled)):
            s.load_state({k: tensors[f"stream.{name}.{k}"] for k in ("perm", "pos")})


def optim_tensors(opt: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], list]:
    """The optimiser's state as named tensors, and its parameter groups (JSON)."""
    sd = opt.state_dict()
    tensors = {}
    for pid, st in sd["state"].items():
        for k, v in st.items():
            tensors[f"optim.{pid}.{k}"] = v if torch.is_tensor(v) else torch.tensor(v)
    return tensors, sd["param_groups"]


def load_optim(opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], groups: list) -> None:
    state: dict[int, dict[str, torch.Tensor]] = {}
    for k, v in tensors.items():
        if k.startswith("optim."):
            _, pid, name = k.split(".", 2)
            state.setdefault(int(pid), {})[name] = v
    opt.load_state_dict({"state": state, "param_groups": groups})


@dataclass
class Saved:
    """A run's ``last`` checkpoint as read back: its tensors and its JSON metadata."""

    tensors: dict[str, torch.Tensor]
    meta: dict[str, Any]


def read_last(run_dir: Path) -> Saved:
    """``checkpoints/last.safetensors`` of ``run_dir`` (a clear error when there is none)."""
    path = run_dir / "checkpoints" / "last.safetensors"
    if not path.is_file():
        raise WsgcnError(f"{run_dir}: nothing to resume (no checkpoints/last.safetensors)")
    tensors, meta = read_checkpoint(path)
    return Saved(tensors, meta)


def restore(saved: Saved, model: nn.Module, opt: torch.optim.Optimizer, rs: RandomStreams) -> TrainState:
    """Load weights, optimiser and random streams from ``saved``; return its counters."""
    extra, meta = saved.tensors, saved.meta
    model.load_state_dict(model_state(extra))
    load_optim(opt, extra, meta["optim_param_groups"])
    rs.load(extra)
    oracle = meta.get("oracle")
    return TrainState(epoch=meta["epoch"], step=meta["step"], best=meta["best"], best_epoch=meta["best_epoch"],
                      history=meta["history"],
                      oracle={k: oracle[k] for k in ("epoch", "test_mpjpe", "test_p_mpjpe")} if oracle else None)


def save_epoch(ckpt_dir: Path, model: nn.Module, opt: torch.optim.Optimizer, rs: RandomStreams, st: TrainState,
               meta: dict[str, Any], is_best: bool) -> None:
    """``best`` (when ``is_best``: weights and ``meta``) and ``last`` (everything to resume)."""
    if is_best:
        save_checkpoint(ckpt_dir / "best.safetensors", model, meta)
    opt_t, groups = optim_tensors(opt)
    save_checkpoint(ckpt_dir / "last.safetensors", model, {**meta, "history": st.history, "optim_param_groups": groups},
                    extra_tensors={**opt_t, **rs.tensors()})
