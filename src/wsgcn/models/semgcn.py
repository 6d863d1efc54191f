"""WS-GCN's network: semantic graph convolution + non-local layers (docs/METHOD.md §2-§3), fast form.

This is the implementation used for training and inference. It computes exactly the
formulas of docs/METHOD.md §2-§3 (checked against :mod:`wsgcn.models.literal`, the line-by-line
reference formulation, to 1e-5 for outputs and gradients) but arranges the work for speed on
CPUs, where every extra pass over a (B, J, C) activation costs about as much as the arithmetic:

* Activations stay in one (B, J, C) layout; every channel map is one matrix product over
  (B*J, C) rows and every joint mixing one batched (J, J) product. No transposes.
* Semantic graph convolution ``X' = (M*I) X W0 + (M*(1-I)) X W1 + b`` (:class:`_GraphConvFn`,
  hand-written backward): ``M*I`` is a per-joint scale ``d`` applied in place to ``X W0``, only
  the off-diagonal part ``N = M*(1-I)`` is a matrix product, bias and scale are fused in place;
  the row-softmaxed adjacency is computed once per call.
* Non-local block: the pairwise score ``ReLU(w . [theta_i, phi_g]) / G`` needs only the scalars
  ``a_i = w_theta . theta_i`` and ``b_g = w_phi . phi_g``; theta is linear, so
  ``a_i = (W_theta^T w_theta) . x_i + w_theta . b_theta`` is one matrix-vector product and neither
  theta nor the (B, C, J, G) concatenation is ever built. phi and g are one product; the group
  max-pool has a hand-written backward (:class:`_PairMaxFn`); the output map W is applied to the G
  pooled g-vectors before the weighted sum (linear, hence identical) and the weighted sum is one
  batched product (B, J, G) @ (B, G, C).
* Eval mode without gradients: BatchNorm is folded into the preceding weights, ReLU and residual
  additions run in place, and large batches are processed in cache-sized chunks
  (``infer_chunk`` poses). Every pose is independent there, so results are unchanged.

Parameters (names and shapes are shared with the literal model, so a state dict loads into
either): per graph conv ``W`` (2, Cin, Cout), ``e`` (nnz,), ``bias`` (Cout,); per non-local
block ``theta_weight``/``phi_weight``/``g_weight`` (C/2, C) + biases (C/2,), ``concat_weight``
(C,) = ``[w_theta; w_phi]`` (no bias, as in ``ReLU(w . [theta_i, phi_k])`` of docs/METHOD.md §3),
``out_weight`` (C, C/2), ``out_bias`` (C,), ``bn`` (BatchNorm1d, weight and bias start at 0).
``e`` holds the edge weights in row-major order of the adjacency's non-zeros.

Initialisation, as the SemGCN/WS-GCN code (docs/METHOD.md §2-§3): ``W`` xavier-uniform with gain 1.414
applied to the stacked (2, Cin, Cout) tensor (PyTorch's fan rule then uses fan_in = Cin*Cout,
fan_out = 2*Cout); ``e`` = 1; graph-conv bias uniform(-1/sqrt(Cout), 1/sqrt(Cout)); in the
non-local block theta, phi, g, the concatenation projection ``w`` and the output map ``W``
Kaiming-normal (std sqrt(2 / fan_in): fan_in = C for theta/phi/g/w, C/2 for W) with zero
biases; BatchNorm weight 1, bias 0, except the non-local block's final BatchNorm (weight 0,
bias 0, so the block starts as the identity).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..errors import WsgcnError
from ..skeleton import Skeleton

GCONV_GAIN = 1.414


def edge_index(adjacency: np.ndarray) -> torch.Tensor:
    """Flat indices ``row * J + col`` of the non-zeros of a (J, J) adjacency, row-major order.

    This order defines which entry of the edge-weight vector ``e`` belongs to which edge.
    """
    a = np.asarray(adjacency)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise WsgcnError(f"adjacency must be a square matrix, got shape {a.shape}")
    if not np.all(np.diag(a) != 0):
        raise WsgcnError("adjacency must contain self-loops (non-zero diagonal)")
    if not np.array_equal(a != 0, (a != 0).T):
        raise WsgcnError("adjacency must be symmetric")
    rows, cols = np.nonzero(a)
    return torch.as_tensor(rows * a.shape[0] + cols, dtype=torch.long)


def uniform_fan_in_(tensor: torch.Tensor, fan_in: int) -> None:
    """In-place uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) (the graph-conv bias init)."""
    bound = 1.0 / math.sqrt(fan_in)
    nn.init.uniform_(tensor, -bound, bound)


def kaiming_normal_fan_in_(tensor: torch.Tensor, fan_in: int) -> None:
    """In-place normal(0, sqrt(2 / fan_in)): ``nn.init.kaiming_normal_``'s default (fan_in mode,
    gain sqrt(2)) for a 1x1 convolution with ``fan_in`` input channels, whatever the shape in
    which the weight is stored here."""
    with torch.no_grad():
        tensor.normal_(0.0, math.sqrt(2.0 / fan_in))


def init_nonlocal_(block: nn.Module) -> None:
    """The SemGCN/WS-GCN code's non-local init: theta, phi, g, concatenation and output maps
    Kaiming-normal, their biases 0, the final BatchNorm's weight and bias 0 (identity at start).
    ``block`` has the parameters of :class:`NonLocalBlock` (the literal model's too)."""
    c = block.concat_weight.numel()
    for w in (block.theta_weight, block.phi_weight, block.g_weight, block.concat_weight):
        kaiming_normal_fan_in_(w, c)
    kaiming_normal_fan_in_(block.out_weight, c // 2)
    for b in (block.theta_bias, block.phi_bias, block.g_bias, block.out_bias, block.bn.weight, block.bn.bias):
        nn.init.zeros_(b)


def autocast_dtype(x: torch.Tensor) -> torch.dtype | None:
    """The lower precision that ``torch.autocast`` asks for on ``x``'s device (e.g. bfloat16),
    or None when autocast is off there."""
    dev = x.device.type
    if dev in ("cpu", "cuda") and torch.is_autocast_enabled(dev):
        return torch.get_autocast_dtype(dev)
    return None


def bn_fold(bn: nn.BatchNorm1d) -> tuple[torch.Tensor, torch.Tensor]:
    """Eval-mode BatchNorm as ``y = x * scale + shift``: (C,), (C,)."""
    scale = bn.weight * torch.rsqrt(bn.running_var + bn.eps)
    return scale, bn.bias - bn.running_mean * scale


# ----------------------------------------------------------------------------- graph conv

class _GraphConvFn(torch.autograd.Function):
    """``out = d * (X W0) + (N X) W1 + b`` with ``d = diag(M)``, ``N = M - diag(d)``.

    ``x`` (B, J, Cin), ``m`` (J, J), ``weight`` (2, Cin, Cout), ``bias`` (Cout,) -> (B, J, Cout).
    The backward is written out to keep the number of (B, J, C) temporaries small.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, m: torch.Tensor, weight: torch.Tensor,
                bias: torch.Tensor) -> torch.Tensor:
        B, J, cin = x.shape
        cout = weight.shape[2]
        d = m.diagonal()
        off = m - torch.diag(d)
        z1 = torch.matmul(off, x)  # (B, J, Cin) neighbour features
        out = torch.mm(x.view(B * J, cin), weight[0]).view(B, J, cout)
        out.mul_(d.view(J, 1))
        out.view(B * J, cout).addmm_(z1.view(B * J, cin), weight[1])
        out.add_(bias)
        ctx.save_for_backward(x, m, weight, z1)
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # type: ignore[override]
        x, m, weight, z1 = ctx.saved_tensors
        B, J, cin = x.shape
        cout = weight.shape[2]
        g = grad.contiguous().view(B * J, cout)
        d = m.diagonal()
        off = m - torch.diag(d)
        gx = gm = gw = gb = None
        need_x, need_m, need_w, need_b = ctx.needs_input_grad
        if need_x or need_m:
            gz1 = torch.mm(g, weight[1].t()).view(B, J, cin)
            p = torch.mm(g, weight[0].t()).view(B, J, cin)  # G W0^T
            if need_m:
                gm = torch.bmm(gz1, x.transpose(1, 2)).sum(0)
                gm.diagonal().copy_((x * p).sum((0, 2)))
            if need_x:
                p.mul_(d.view(J, 1))
                gx = p.baddbmm_(off.t().expand(B, J, J), gz1)
        if need_w:
            gw = torch.empty_like(weight)
            g0 = (grad.reshape(B, J, cout) * d.view(J, 1)).view(B * J, cout)
            torch.mm(x.view(B * J, cin).t(), g0, out=gw[0])
            torch.mm(z1.view(B * J, cin).t(), g, out=gw[1])
        if need_b:
            gb = g.sum(0)
        return gx, gm, gw, gb


class SemGraphConv(nn.Module):
    """Semantic graph convolution (docs/METHOD.md §2): (B, J, Cin) -> (B, J, Cout).

    ``M`` is the row-wise softmax of the learnable edge weights ``e`` over the non-zeros of the
    adjacency (self-loops included); ``X' = (M*I) X W0 + (M*(1-I)) X W1 + b``.
    """

    def __init__(self, in_features: int, out_features: int, adjacency: np.ndarray) -> None:
        super().__init__()
        idx = edge_index(adjacency)
        self.num_joints = int(np.asarray(adjacency).shape[0])
        self.in_features, self.out_features = in_features, out_features
        self.register_buffer("edge_index", idx, persistent=False)
        self.W = nn.Parameter(torch.empty(2, in_features, out_features))
        self.e = nn.Parameter(torch.ones(idx.numel()))
        self.bias = nn.Parameter(torch.empty(out_features))
        nn.init.xavier_uniform_(self.W, gain=GCONV_GAIN)
        uniform_fan_in_(self.bias, out_features)

    def mixing(self) -> torch.Tensor:
        """(J, J) matrix M: row-wise softmax of ``e`` over the adjacency's non-zeros."""
        J = self.num_joints
        logits = self.e.new_full((J * J,), float("-inf")).scatter(0, self.edge_index, self.e)
        return torch.softmax(logits.view(J, J), dim=1)

    def forward(self, x: torch.Tensor, weight: torch.Tensor | None = None,
                bias: torch.Tensor | None = None) -> torch.Tensor:
        """(B, J, Cin) -> (B, J, Cout); ``weight``/``bias`` override the parameters (BN folding).
        Computes in ``x``'s dtype: float32 parameters are cast to it (bfloat16 training)."""
        dt = x.dtype
        w = self.W if weight is None else weight
        b = self.bias if bias is None else bias
        return _GraphConvFn.apply(x.contiguous(), self.mixing().to(dt), w.to(dt), b.to(dt))


class GraphConvBlock(nn.Module):
    """Graph conv -> BatchNorm over channels -> ReLU -> optional dropout: (B, J, C) -> (B, J, C)."""

    def __init__(self, in_features: int, out_features: int, adjacency: np.ndarray,
                 dropout: float | None = None) -> None:
        super().__init__()
        self.gconv = SemGraphConv(in_features, out_features, adjacency)
        self.bn = nn.BatchNorm1d(out_features)
        self.dropout = dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training and not torch.is_grad_enabled():
            scale, shift = bn_fold(self.bn)  # BN folded into the graph conv
            return self.gconv(x, self.gconv.W * scale, self.gconv.bias * scale + shift).relu_()
        h = self.gconv(x)
        B, J, C = h.shape
        h = self.bn(h.view(B * J, C)).relu_().view(B, J, C)
        if self.dropout:
            h = F.dropout(h, self.dropout, self.training)
        return h


class ResidualBlock(nn.Module):
    """Two :class:`GraphConvBlock` (C -> C) plus the identity skip: (B, J, C) -> (B, J, C)."""

    def __init__(self, channels: int, adjacency: np.ndarray, dropout: float | None = None) -> None:
        super().__init__()
        self.layer1 = GraphConvBlock(channels, channels, adjacency, dropout)
        self.layer2 = GraphConvBlock(channels, channels, adjacency, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.layer2(self.layer1(x))
        if not self.training and not torch.is_grad_enabled():
            return h.add_(x)
        return x + h


# ----------------------------------------------------------------------------- non-local

def group_index(skeleton: Skeleton) -> tuple[torch.Tensor, torch.Tensor]:
    """The first and the second member of every group: two (G,) joint-index tensors."""
    groups = skeleton.groups
    J = skeleton.num_joints
    if not groups or any(len(g) != 2 or not (0 <= g[0] < J and 0 <= g[1] < J) for g in groups):
        raise WsgcnError(f"skeleton {skeleton.name!r}: groups must be pairs of joint indices")
    return (torch.as_tensor([g[0] for g in groups], dtype=torch.long),
            torch.as_tensor([g[1] for g in groups], dtype=torch.long))


class _PairMaxFn(torch.autograd.Function):
    """Max-pool over joint pairs, split into the phi and g halves of the channels.

    ``pg`` (B, J, C) -> ``(max(pg[:, ia], pg[:, ib])[..., :h], ...[..., h:])``, two (B, G, h).
    The gradient goes to the larger member of each pair (the first one on ties).
    """

    @staticmethod
    def forward(ctx, pg: torch.Tensor, ia: torch.Tensor, ib: torch.Tensor,
                h: int) -> tuple[torch.Tensor, torch.Tensor]:
        sa, sb = pg.index_select(1, ia), pg.index_select(1, ib)
        if ctx.needs_input_grad[0]:
            # 1.0 where the first member wins (ties included), as a float tensor: float
            # masks are much faster than boolean ones on CPU.
            win = torch.ge(sa, sb, out=torch.empty_like(sa))
            ctx.save_for_backward(ia, ib, win)
            ctx.shape = pg.shape
        pooled = torch.maximum(sa, sb)
        return pooled[..., :h].contiguous(), pooled[..., h:].contiguous()

    @staticmethod
    def backward(ctx, g_phi: torch.Tensor, g_g: torch.Tensor):  # type: ignore[override]
        ia, ib, win = ctx.saved_tensors
        gp = torch.cat([g_phi, g_g], dim=-1)
        ga = gp * win
        gb = gp.sub_(ga)
        out = gp.new_zeros(ctx.shape)  # (index_add_ is faster than index_copy_ here)
        out.index_add_(1, ia, ga)
        out.index_add_(1, ib, gb)
        return out, None, None, None


class NonLocalBlock(nn.Module):
    """Concatenation-form non-local layer over the joints (docs/METHOD.md §3): (B, J, C) -> (B, J, C).

    ``f(i, g) = ReLU(w_theta . theta(x_i) + w_phi . maxpool_g phi(x)) / G`` over the G joint
    groups of the skeleton, ``y_i = sum_g f(i, g) maxpool_g g(x)``, ``out = x + BN(W y + b)``.
    A group ``(j, j)`` is joint j pooled with itself.
    """

    def __init__(self, channels: int, skeleton: Skeleton) -> None:
        super().__init__()
        if channels % 2:
            raise WsgcnError(f"non-local layers need an even channel count, got {channels}")
        c, h = channels, channels // 2
        self.channels, self.inter = c, h
        ia, ib = group_index(skeleton)
        self.register_buffer("ia", ia, persistent=False)
        self.register_buffer("ib", ib, persistent=False)
        self.num_groups = len(skeleton.groups)
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
        B, J, C = x.shape
        h, G = self.inter, self.num_groups
        inference = not self.training and not torch.is_grad_enabled()
        x2 = x.reshape(B * J, C)
        dt = x.dtype  # bfloat16 training: the float32 parameters are cast to it
        w_theta, w_phi = self.concat_weight[:h], self.concat_weight[h:]
        # a_i = w_theta . (W_theta x_i + b_theta), without materialising theta.
        a = (x2 @ (self.theta_weight.t() @ w_theta).to(dt)).view(B, J) + (self.theta_bias @ w_theta).to(dt)
        pg = torch.addmm(torch.cat([self.phi_bias, self.g_bias]).to(dt), x2,
                         torch.cat([self.phi_weight, self.g_weight]).t().to(dt)).view(B, J, C)
        phi, g = _PairMaxFn.apply(pg, self.ia, self.ib, h)  # (B, G, h) each
        b = (phi.view(B * G, h) @ w_phi.to(dt)).view(B, G)
        f = torch.relu(a.unsqueeze(2) + b.unsqueeze(1)) / G  # (B, J, G)
        out_w, out_b = self.out_weight, self.out_bias
        if inference:  # BN folded into W
            scale, shift = bn_fold(self.bn)
            out_w, out_b = out_w * scale[:, None], out_b * scale + shift
        wg = (g.view(B * G, h) @ out_w.t().to(dt)).view(B, G, C)  # W applied per group
        y = torch.baddbmm(out_b.to(dt), f, wg)  # (B, J, C) = W (sum_g f g_g) + b
        if inference:
            return y.add_(x)
        return self.bn(y.view(B * J, C)).view(B, J, C).add_(x)


# ----------------------------------------------------------------------------- network

class SemGCN(nn.Module):
    """WS-GCN's network (docs/METHOD.md §3): (B, J, 2) normalised 2D -> (B, J, 3) root-relative 3D [m].

    Input graph conv 2 -> ``hidden`` (+BN, ReLU), ``num_blocks`` residual blocks, a non-local
    layer after the input layer and after every residual block when ``nonlocal_layers``,
    output graph conv ``hidden`` -> 3. ``dropout`` (probability or None) after every ReLU.
    ``infer_chunk``: batch chunk size in eval mode without gradients (0: no chunking).
    """

    def __init__(self, skeleton: Skeleton, hidden: int = 128, num_blocks: int = 4,
                 nonlocal_layers: bool = True, dropout: float | None = None,
                 infer_chunk: int = 512) -> None:
        super().__init__()
        if hidden < 2 or num_blocks < 0:
            raise WsgcnError(f"SemGCN needs hidden >= 2 and num_blocks >= 0, got {hidden}, {num_blocks}")
        if dropout is not None and not 0.0 <= dropout < 1.0:
            raise WsgcnError(f"dropout must be in [0, 1), got {dropout}")
        adj = skeleton.adjacency()
        self.skeleton = skeleton
        self.num_joints = skeleton.num_joints
        self.infer_chunk = infer_chunk
        self.input_layer = GraphConvBlock(2, hidden, adj, dropout)
        self.input_nonlocal = NonLocalBlock(hidden, skeleton) if nonlocal_layers else None
        self.blocks = nn.ModuleList(ResidualBlock(hidden, adj, dropout) for _ in range(num_blocks))
        self.block_nonlocals = (nn.ModuleList(NonLocalBlock(hidden, skeleton) for _ in range(num_blocks))
                                if nonlocal_layers else None)
        self.output_layer = SemGraphConv(hidden, 3, adj)

    def _forward(self, x: torch.Tensor, low: torch.dtype | None = None) -> torch.Tensor:
        """``low``: the dtype of the hidden layers (e.g. bfloat16); the input and output graph
        convolutions stay float32 (their inputs, pixels and metres, need float32's resolution)."""
        h = self.input_layer(x)
        if low is not None:
            h = h.to(low)
        if self.input_nonlocal is not None:
            h = self.input_nonlocal(h)
        for k, block in enumerate(self.blocks):
            h = block(h)
            if self.block_nonlocals is not None:
                h = self.block_nonlocals[k](h)
        return self.output_layer(h.float() if low is not None else h)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, J, 2) -> (B, J, 3) float32. Under ``torch.autocast`` with a lower precision (e.g.
        bfloat16) the whole network computes in it, with float32 parameters (cast per call) and
        BatchNorm statistics; the output is float32 again."""
        if x.dim() != 3 or x.shape[1] != self.num_joints or x.shape[2] != 2:
            raise WsgcnError(f"SemGCN expects input of shape (B, {self.num_joints}, 2), got {tuple(x.shape)}")
        low = autocast_dtype(x)
        if low is not None and low != x.dtype:
            with torch.autocast(x.device.type, enabled=False):  # dtypes are explicit inside
                return self._chunked(x, low)
        return self._chunked(x)

    def _chunked(self, x: torch.Tensor, low: torch.dtype | None = None) -> torch.Tensor:
        B = x.shape[0]
        if not self.training and not torch.is_grad_enabled() and B > self.infer_chunk > 0:
            return torch.cat([self._forward(x[s:s + self.infer_chunk], low)
                              for s in range(0, B, self.infer_chunk)])
        return self._forward(x, low)
