"""Martinez et al. (ICCV 2017) fully connected lifting baseline.

``Linear(2J -> hidden)``, BatchNorm, ReLU, dropout, then ``num_blocks`` residual blocks of two
(Linear, BatchNorm, ReLU, dropout) with an identity skip, then ``Linear(hidden -> 3J)``.
Linear weights use Kaiming-normal init (as the paper's PyTorch ports), biases PyTorch's default.
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import WsgcnError


def _unit(features: int, dropout: float) -> nn.Sequential:
    lin = nn.Linear(features, features)
    nn.init.kaiming_normal_(lin.weight)
    return nn.Sequential(lin, nn.BatchNorm1d(features), nn.ReLU(inplace=True), nn.Dropout(dropout))


class _Residual(nn.Module):
    def __init__(self, features: int, dropout: float) -> None:
        super().__init__()
        self.layers = nn.Sequential(_unit(features, dropout), _unit(features, dropout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.layers(x)


class MartinezBaseline(nn.Module):
    """Fully connected baseline: (B, J, 2) normalised 2D -> (B, J, 3) root-relative 3D [m]."""

    def __init__(self, num_joints: int, hidden: int = 1024, num_blocks: int = 2, dropout: float = 0.5) -> None:
        super().__init__()
        if num_joints < 1 or hidden < 1 or num_blocks < 0:
            raise WsgcnError(f"bad baseline size: num_joints={num_joints}, hidden={hidden}, num_blocks={num_blocks}")
        if not 0.0 <= dropout < 1.0:
            raise WsgcnError(f"dropout must be in [0, 1), got {dropout}")
        self.num_joints = num_joints
        inp = nn.Linear(2 * num_joints, hidden)
        nn.init.kaiming_normal_(inp.weight)
        self.input_layer = nn.Sequential(inp, nn.BatchNorm1d(hidden), nn.ReLU(inplace=True), nn.Dropout(dropout))
        self.blocks = nn.Sequential(*(_Residual(hidden, dropout) for _ in range(num_blocks)))
        self.output_layer = nn.Linear(hidden, 3 * num_joints)
        nn.init.kaiming_normal_(self.output_layer.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, J, 2) -> (B, J, 3)."""
        if x.dim() != 3 or x.shape[1] != self.num_joints or x.shape[2] != 2:
            raise WsgcnError(f"MartinezBaseline expects input of shape (B, {self.num_joints}, 2), "
                             f"got {tuple(x.shape)}")
        h = self.blocks(self.input_layer(x.reshape(x.shape[0], -1)))
        return self.output_layer(h).view(x.shape[0], self.num_joints, 3)
