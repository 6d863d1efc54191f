"""The literal reference formulation of WS-GCN's network (docs/METHOD.md §2-§3): the oracle.

Written straight from the formulas, with no attention to speed, to check the fast model
(:mod:`wsgcn.models.semgcn`) and to compare throughput against in ``wsgcn bench``:

* every graph-conv call rebuilds the dense masked adjacency (zeros set to -inf, learnable
  weights ``e`` written into the non-zeros in row-major order, row-wise softmax) and evaluates
  ``(M*I) (X W0) + (M*(1-I)) (X W1) + b`` with two separate products per term;
* the non-local layer reorders the joints so that the members of each group are adjacent,
  runs 1x1 convolutions theta, phi, g (C -> C/2), max-pools phi and g with ``MaxPool1d(2)``,
  builds the full concatenation ``[theta_i, phi_g]`` as a (B, C, J, G) tensor, applies the
  1x1 convolution ``w`` and ReLU, divides by G, sums ``f(i, g) g_g``, applies the 1x1
  convolution W (C/2 -> C) and BatchNorm, adds the input and restores the joint order.
  A group ``(j, j)`` (a joint alone) is pooled with itself; each joint appears once in the
  reordered sequence, so the BatchNorm statistics count each joint once.

Parameter and buffer names and shapes equal the fast model's, so
``literal.load_state_dict(fast.state_dict())`` gives the same network.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..errors import WsgcnError
from ..skeleton import Skeleton
from .semgcn import init_nonlocal_


def _uniform(t: torch.Tensor, fan_in: int) -> None:
    bound = 1.0 / math.sqrt(fan_in)
    nn.init.uniform_(t, -bound, bound)


class LiteralSemGraphConv(nn.Module):
    """Semantic graph convolution, literally: (B, J, Cin) -> (B, J, Cout)."""

    def __init__(self, in_features: int, out_features: int, adjacency: np.ndarray) -> None:
        super().__init__()
        a = torch.as_tensor(np.asarray(adjacency) != 0)
        self.register_buffer("adj_mask", a, persistent=False)
        self.W = nn.Parameter(torch.empty(2, in_features, out_features))
        self.e = nn.Parameter(torch.ones(int(a.sum())))
        self.bias = nn.Parameter(torch.empty(out_features))
        nn.init.xavier_uniform_(self.W, gain=1.414)
        _uniform(self.bias, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h0 = torch.matmul(x, self.W[0])
        h1 = torch.matmul(x, self.W[1])
        logits = torch.full(self.adj_mask.shape, float("-inf"), dtype=x.dtype, device=x.device)
        logits = logits.masked_scatter(self.adj_mask, self.e.to(x.dtype))
        m = torch.softmax(logits, dim=1)
        eye = torch.eye(m.shape[0], dtype=x.dtype, device=x.device)
        return torch.matmul(m * eye, h0) + torch.matmul(m * (1 - eye), h1) + self.bias


class LiteralGraphConvBlock(nn.Module):
    """Graph conv, BatchNorm1d on (B, C, J), ReLU, optional dropout; (B, J, C) in and out."""

    def __init__(self, in_features: int, out_features: int, adjacency: np.ndarray,
                 dropout: float | None) -> None:
        super().__init__()
        self.gconv = LiteralSemGraphConv(in_features, out_features, adjacency)
        self.bn = nn.BatchNorm1d(out_features)
        self.dropout = nn.Dropout(dropout) if dropout else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.gconv(x).transpose(1, 2)
        h = torch.relu(self.bn(h)).transpose(1, 2)
        return self.dropout(h) if self.dropout is not None else h


class LiteralResidualBlock(nn.Module):
    def __init__(self, channels: int, adjacency: np.ndarray, dropout: float | None) -> None:
        super().__init__()
        self.layer1 = LiteralGraphConvBlock(channels, channels, adjacency, dropout)
        self.layer2 = LiteralGraphConvBlock(channels, channels, adjacency, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.layer2(self.layer1(x))


class LiteralNonLocal(nn.Module):
    """Non-local layer on (B, J, C), literally as described in docs/METHOD.md §3."""

    def __init__(self, channels: int, skeleton: Skeleton) -> None:
        super().__init__()
        c, h = channels, channels // 2
        order: list[int] = []
        for grp in skeleton.groups:
            for j in grp:
                if j not in order:
                    order.append(j)
        order += [j for j in range(skeleton.num_joints) if j not in order]
        restore = [order.index(j) for j in range(skeleton.num_joints)]
        # Positions (in the reordered sequence) of each group's two members, group after group.
        pairs = [order.index(j) for grp in skeleton.groups for j in grp]
        self.register_buffer("order", torch.tensor(order), persistent=False)
        self.register_buffer("restore", torch.tensor(restore), persistent=False)
        self.register_buffer("pairs", torch.tensor(pairs), persistent=False)
        self.pool = nn.MaxPool1d(kernel_size=2)
        self.theta_weight = nn.Parameter(torch.empty(h, c))
        self.theta_bias = nn.Parameter(torch.empty(h))
        self.phi_weight = nn.Parameter(torch.empty(h, c))
        self.phi_bias = nn.Parameter(torch.empty(h))
        self.g_weight = nn.Parameter(torch.empty(h, c))
        self.g_bias = nn.Parameter(torch.empty(h))
        self.concat_weight = nn.Parameter(torch.empty(c))
        self.out_weight = nn.Parameter(torch.empty(c, h))
        self.out_bias = nn.Parameter(torch.empty(c))
        self.bn = nn.BatchNorm1d(c)
        init_nonlocal_(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xr = x[:, self.order, :].transpose(1, 2)  # (B, C, J), groups adjacent
        theta = F.conv1d(xr, self.theta_weight.unsqueeze(-1), self.theta_bias)  # (B, C/2, J)
        phi = F.conv1d(xr, self.phi_weight.unsqueeze(-1), self.phi_bias)
        g = F.conv1d(xr, self.g_weight.unsqueeze(-1), self.g_bias)
        phi = self.pool(phi[:, :, self.pairs])  # (B, C/2, G)
        g = self.pool(g[:, :, self.pairs])
        n_j, n_g = theta.shape[2], phi.shape[2]
        concat = torch.cat([theta.unsqueeze(3).expand(-1, -1, -1, n_g),
                            phi.unsqueeze(2).expand(-1, -1, n_j, -1)], dim=1)  # (B, C, J, G)
        f = torch.relu(F.conv2d(concat, self.concat_weight.view(1, -1, 1, 1))).squeeze(1)
        f = f / n_g  # (B, J, G)
        y = torch.matmul(f, g.transpose(1, 2)).transpose(1, 2)  # (B, C/2, J)
        wy = self.bn(F.conv1d(y, self.out_weight.unsqueeze(-1), self.out_bias))
        z = wy + xr
        return z[:, :, self.restore].transpose(1, 2)


class LiteralSemGCN(nn.Module):
    """Reference network with the same parameters as :class:`wsgcn.models.semgcn.SemGCN`:
    (B, J, 2) -> (B, J, 3)."""

    def __init__(self, skeleton: Skeleton, hidden: int = 128, num_blocks: int = 4,
                 nonlocal_layers: bool = True, dropout: float | None = None) -> None:
        super().__init__()
        if hidden < 2 or hidden % 2:
            raise WsgcnError(f"hidden must be an even number >= 2, got {hidden}")
        adj = skeleton.adjacency()
        self.input_layer = LiteralGraphConvBlock(2, hidden, adj, dropout)
        self.input_nonlocal = LiteralNonLocal(hidden, skeleton) if nonlocal_layers else None
        self.blocks = nn.ModuleList(LiteralResidualBlock(hidden, adj, dropout) for _ in range(num_blocks))
        self.block_nonlocals = (nn.ModuleList(LiteralNonLocal(hidden, skeleton) for _ in range(num_blocks))
                                if nonlocal_layers else None)
        self.output_layer = LiteralSemGraphConv(hidden, 3, adj)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.input_layer(x)
        if self.input_nonlocal is not None:
            h = self.input_nonlocal(h)
        for k, block in enumerate(self.blocks):
            h = block(h)
            if self.block_nonlocals is not None:
                h = self.block_nonlocals[k](h)
        return self.output_layer(h)
