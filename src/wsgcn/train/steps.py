"""One training step: the learning rate of a step, the two forward passes and the losses."""

from __future__ import annotations

import torch
from torch import nn

from .. import losses, precision
from ..codec import root_relative
from ..config import Config
from ..data.batches import IndexStream
from ..skeleton import Skeleton
from .sets import RunData


def lr_at(cfg: Config, step: int) -> float:
    """Learning rate of the ``step``-th optimiser step (1-based):
    ``lr * lr_decay ** (step // lr_decay_steps)``, as the original code (its step counter is
    incremented before the rate is set, so step 100 000 is the first at ``lr * 0.96``)."""
    t = cfg.train
    return t.lr * t.lr_decay ** (step // t.lr_decay_steps)


def phase(cfg: Config, epoch: int) -> str:
    """``full``, ``warmup`` or ``weak``: what the 0-based ``epoch`` trains."""
    if cfg.train.supervision == "full":
        return "full"
    return "warmup" if epoch < cfg.train.warmup_epochs else "weak"


def steps_per_epoch(cfg: Config, stream_l: IndexStream, stream_u: IndexStream) -> int:
    """Weak training: every epoch, warm-up included, is one pass over the unlabelled rows (as
    the original); full supervision: one pass over the labelled rows; capped by
    ``train.max_steps_per_epoch``."""
    t = cfg.train
    steps = (stream_u if t.supervision == "weak" else stream_l).batches_per_pass()
    return min(steps, t.max_steps_per_epoch) if t.max_steps_per_epoch > 0 else steps


class TwoStreams(nn.Module):
    """The network applied to the labelled and, when given, the unlabelled batch in two
    separate forward passes (as the original code), so that BatchNorm normalises each batch
    with its own statistics. One module, so DistributedDataParallel sees one forward per step.
    ``precision`` (``fp32`` | ``bf16``, :mod:`wsgcn.precision`) is the network's arithmetic; the
    predictions are float32 either way."""

    def __init__(self, model: nn.Module, precision: str = "fp32") -> None:
        super().__init__()
        self.model = model
        self.precision = precision

    def forward(self, x_l: torch.Tensor, x_u: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(B1, J, 2), (B2, J, 2) -> (B1, J, 3), (B2, J, 3) or None, float32."""
        if self.precision == "fp32":
            return self.model(x_l), (self.model(x_u) if x_u is not None else None)
        with precision.autocast(self.precision, x_l.device):
            p_l = self.model(x_l).float()
            return p_l, (self.model(x_u).float() if x_u is not None else None)


def step_losses(net: nn.Module, cfg: Config, data: RunData, il: torch.Tensor, iu: torch.Tensor | None,
                skeleton: Skeleton) -> dict[str, torch.Tensor]:
    """The losses of one training step: ``loss`` (the total), ``loss_sup``, ``loss_rep``, ``loss_bone``,
    ``loss_mv`` (multi-view consistency, with ``train.multiview_weight > 0``; 0 otherwise).

    ``net`` a :class:`TwoStreams` (or its DDP wrapper); ``il`` labelled row indices; ``iu``
    unlabelled row indices (a weak step after warm-up) or None (warm-up, full supervision).
    The supervised loss compares the raw prediction with the root-relative target (root 0),
    as the original; reprojection, bone penalty and multi-view term use the root-centred prediction
    (the multi-view term: the rows' camera rotations and view groups, no 3D label)."""
    t = cfg.train
    x_l, y_l = data.labelled.inputs[il], data.labelled.targets[il]
    x_u = data.unlabelled.inputs[iu] if iu is not None else None
    pred_l, pred_u = net(x_l, x_u)
    loss_sup = losses.mse_3d(pred_l, y_l)
    zero = torch.zeros((), device=loss_sup.device)
    out = {"loss": loss_sup, "loss_sup": loss_sup, "loss_rep": zero, "loss_bone": zero, "loss_mv": zero}
    if pred_u is not None:
        rel_u = root_relative(pred_u)
        root = data.unlabelled.root[iu] if t.root == "gt" else None
        out["loss_rep"] = losses.reprojection_loss(rel_u, x_u, data.unlabelled.intrinsics[iu], root=root)
        out["loss"] = out["loss"] + t.reprojection_weight * out["loss_rep"]
        if t.bone_weight > 0:
            out["loss_bone"] = losses.bone_length_penalty(root_relative(pred_l), rel_u, skeleton)
            out["loss"] = out["loss"] + t.bone_weight * out["loss_bone"]
        if t.multiview_weight > 0:
            u = data.unlabelled
            out["loss_mv"] = losses.multiview_consistency(rel_u, u.rotation[iu], u.group[iu],
                                                          relative=t.multiview_form == "relative")
            out["loss"] = out["loss"] + t.multiview_weight * out["loss_mv"]
    return out
