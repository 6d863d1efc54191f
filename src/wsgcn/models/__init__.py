"""Lifting networks: WS-GCN's SemGCN (fast form and literal reference) and the Martinez baseline."""

from __future__ import annotations

from typing import Any

from torch import nn

from ..errors import WsgcnError
from ..skeleton import Skeleton
from .baseline import MartinezBaseline
from .literal import LiteralSemGCN
from .semgcn import SemGCN

ARCHS = ("semgcn", "martinez")

_KWARGS = {
    "semgcn": {"hidden", "num_blocks", "nonlocal_layers", "dropout"},
    "martinez": {"hidden", "num_blocks", "dropout"},
}


def build_model(arch: str, skeleton: Skeleton, **kwargs: Any) -> nn.Module:
    """The network ``arch`` ("semgcn" or "martinez") for ``skeleton``: (B, J, 2) -> (B, J, 3).

    semgcn kwargs: hidden, num_blocks, nonlocal_layers, dropout; martinez: hidden, num_blocks,
    dropout. A ``dropout`` of None or 0 means no dropout.
    """
    if arch not in _KWARGS:
        raise WsgcnError(f"unknown model architecture {arch!r}; expected one of {list(ARCHS)}")
    unknown = sorted(set(kwargs) - _KWARGS[arch])
    if unknown:
        raise WsgcnError(f"model {arch!r} does not take option(s) {unknown}; allowed: {sorted(_KWARGS[arch])}")
    if arch == "semgcn":
        if kwargs.get("dropout") == 0:
            kwargs["dropout"] = None
        return SemGCN(skeleton, **kwargs)
    if kwargs.get("dropout") is None and "dropout" in kwargs:
        kwargs["dropout"] = 0.0
    return MartinezBaseline(skeleton.num_joints, **kwargs)


__all__ = ["ARCHS", "LiteralSemGCN", "MartinezBaseline", "SemGCN", "build_model"]
