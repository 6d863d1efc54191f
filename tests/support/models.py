"""Network helpers for the model tests."""

from __future__ import annotations

import torch


def randomize(model: torch.nn.Module, seed: int = 0) -> None:
    """Perturb every parameter and BatchNorm buffer so that no block is trivially the identity."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.2 * torch.randn(p.shape, generator=g, dtype=p.dtype))
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm1d):
                m.running_mean.normal_(0.0, 0.3, generator=g)
                m.running_var.uniform_(0.5, 2.0, generator=g)
