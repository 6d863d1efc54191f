"""Compiled inference: a trained network's eval-mode forward through ``torch.compile``.

``torch.compile`` (TorchDynamo + TorchInductor) traces the eval-mode forward once for a fixed
chunk of poses and generates C++ loops that fuse its element-wise work (bias, scale, ReLU,
residual additions, the non-local block's scores, the BatchNorm folding) around the library's
matrix products. Outputs equal eager mode to float32 rounding. The weights stay inputs of the
compiled code (read at every call), so a compiled network follows later changes of its
weights. It pays only for large inputs: compiling takes seconds and needs a C++ compiler; see
docs/PERFORMANCE.md for the figures.
"""

from __future__ import annotations

import time
import warnings

import torch
from torch import nn

from ..errors import WsgcnError
from ..precision import autocast

DEFAULT_CHUNK = 256


class CompiledInference:
    """``model`` in eval mode, compiled once for a fixed chunk of ``chunk`` poses.

    Calling it maps (N, J, 2) -> (N, J, 3) like ``model`` in eval mode without gradients; the
    input is cut into chunks of ``chunk`` poses and the last chunk is padded by repeating its
    final pose (poses are independent in eval mode, so padding changes no result), so one
    compiled shape serves every N. Compilation happens in the constructor (``compile_s``
    seconds); a failure raises :class:`WsgcnError` with the compiler's first line.
    """

    def __init__(self, model: nn.Module, joints: int, chunk: int = DEFAULT_CHUNK,
                 device: torch.device | str = "cpu", precision: str = "fp32") -> None:
        if chunk < 1:
            raise WsgcnError(f"compiled inference: chunk must be >= 1, got {chunk}")
        if getattr(model, "infer_chunk", 0) and chunk > model.infer_chunk:  # no eager chunking inside
            raise WsgcnError(f"compiled inference: chunk {chunk} exceeds the model's infer_chunk {model.infer_chunk}")
        self.model = model.eval()
        self.joints, self.chunk, self.device = joints, chunk, torch.device(device)
        self.precision = precision  # compiled for this arithmetic (wsgcn.precision), called in it
        self._fn = torch.compile(self.model, dynamic=False)
        start = time.perf_counter()
        try:
            with torch.no_grad(), warnings.catch_warnings(), autocast(precision, self.device):
                warnings.simplefilter("ignore", FutureWarning)  # deprecations inside the compiler
                self._fn(torch.zeros(chunk, joints, 2, device=self.device))
        except Exception as e:  # the compiler's own errors are many and deep
            first = (str(e).strip().splitlines() or [type(e).__name__])[0]
            raise WsgcnError(f"torch.compile failed ({type(e).__name__}: {first[:200]}); it needs a working "
                             "C++ compiler on CPU; run without compiling") from None
        self.compile_s = time.perf_counter() - start

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """(N, J, 2) normalised 2D -> (N, J, 3) root-relative 3D [m], eval mode, no gradients."""
        if x.dim() != 3 or x.shape[1:] != (self.joints, 2):
            raise WsgcnError(f"expected input of shape (N, {self.joints}, 2), got {tuple(x.shape)}")
        n, c = x.shape[0], self.chunk
        if n == 0:
            return x.new_zeros(0, self.joints, 3)
        outs = []
        with torch.no_grad(), autocast(self.precision, self.device):
            for s in range(0, n, c):
                part = x[s:s + c]
                if part.shape[0] < c:
                    part = torch.cat([part, part[-1:].expand(c - part.shape[0], -1, -1)])
                outs.append(self._fn(part.contiguous()))
        return torch.cat(outs)[:n]
