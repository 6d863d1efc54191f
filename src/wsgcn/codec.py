"""The network's input/output contract, in one place (docs/METHOD.md §4).

In: 2D keypoints in the Human3.6M order of the model's joint set (16 or 17 joints), in
normalised screen coordinates ``u / w * 2 - [1, h / w]`` (:func:`encode`). Out: the 3D pose in
metres in the camera frame (x right, y down, z forward), root-relative: the network's raw
output minus its pelvis (:func:`root_relative`). Training (:mod:`wsgcn.data.batches`,
:mod:`wsgcn.train`), evaluation, :class:`wsgcn.Lifter` and the ONNX export all go through these
functions; :func:`predict` runs a network over many poses in batches.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from . import precision as _precision
from .camera import normalize_screen_coordinates
from .errors import WsgcnError
from .skeleton import H36M17, H36M17_TO_16, Skeleton


def select(x: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """(..., 17, C) in the Human3.6M-17 order -> (..., J, C) in ``skeleton``'s joints."""
    if x.shape[-2] != H36M17.num_joints:
        raise WsgcnError(f"expected 17 joints, got {x.shape[-2]}")
    if skeleton.num_joints == 17:
        return x
    return x[..., list(H36M17_TO_16), :]


def encode(keypoints: np.ndarray, width: float, height: float, skeleton: Skeleton) -> np.ndarray:
    """(..., 17, 2) pixels (Human3.6M-17 order) of a ``width`` x ``height`` image -> (..., J, 2)
    float32 network input (normalised screen coordinates, ``skeleton``'s joints)."""
    x = normalize_screen_coordinates(np.asarray(keypoints, dtype=np.float64), width, height)
    return select(x, skeleton).astype(np.float32)


def root_relative(pose: torch.Tensor | np.ndarray) -> torch.Tensor | np.ndarray:
    """(..., J, 3) -> the same pose minus its root joint (joint 0, the pelvis)."""
    return pose - pose[..., :1, :]


class RootRelative(nn.Module):
    """A network followed by :func:`root_relative`: the contract's output as one module."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, J, 2) normalised 2D -> (B, J, 3) metres, root-relative."""
        return root_relative(self.net(x))


def predict(net: nn.Module | Callable[[torch.Tensor], torch.Tensor], inputs: np.ndarray | torch.Tensor,
            device: torch.device | str | None = None, batch_size: int = 4096, progress: bool = False,
            precision: str = "fp32") -> np.ndarray:
    """(N, J, 2) network inputs -> (N, J, 3) float32 metres, root-relative, in batches.

    ``net`` a module (switched to eval mode) or a compiled callable; ``device`` where the batches
    go (default: the module's parameters' device, else the CPU); ``precision`` the network's
    arithmetic (:mod:`wsgcn.precision`; used as given, no fallback here)."""
    if isinstance(net, nn.Module):
        net.eval()
        if device is None:
            p = next(net.parameters(), None)
            device = p.device if p is not None else "cpu"
    x = torch.as_tensor(inputs, dtype=torch.float32)
    if x.ndim != 3 or x.shape[-1] != 2:
        raise WsgcnError(f"expected network inputs of shape (N, J, 2), got {tuple(x.shape)}")
    out = np.empty((x.shape[0], x.shape[1], 3), dtype=np.float32)
    starts = range(0, len(x), batch_size)
    with torch.inference_mode(), _precision.autocast(precision, device or "cpu"):
        for s in tqdm(starts, desc="lifting", unit="batch", disable=not progress or len(starts) < 4, leave=False):
            p = net(x[s:s + batch_size].to(device or "cpu"))
            out[s:s + batch_size] = root_relative(p).float().cpu().numpy()
    return out
