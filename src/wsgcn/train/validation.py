"""The frame-wise errors a run logs after each epoch."""

from __future__ import annotations

import numpy as np
from torch import nn

from .. import metrics
from ..codec import predict
from ..data.batches import PoseSet


def validate(model: nn.Module, data: PoseSet, prefix: str = "val") -> dict[str, float]:
    """Frame-wise MPJPE and P-MPJPE (mm) on ``data``: ``{prefix}_mpjpe``, ``{prefix}_p_mpjpe``."""
    pred = predict(model, data.inputs)
    gt = data.targets.cpu().numpy()
    return {f"{prefix}_mpjpe": float(np.mean(metrics.mpjpe(pred, gt))),
            f"{prefix}_p_mpjpe": float(np.mean(metrics.p_mpjpe(pred, gt)))}
