"""Multi-process training with PyTorch's own engine (``torchrun``): process group set-up,
device choice, and the sharding rule of the data streams.

Launch: ``torchrun --nproc_per_node N -m wsgcn train CONFIG ...`` (one machine) or, across
machines, ``torchrun --nnodes M --node_rank R --nproc_per_node N --rdzv_backend c10d
--rdzv_endpoint HOST:PORT -m wsgcn train CONFIG ...`` on every machine (docs/PERFORMANCE.md).
Every rank draws the same global batch of indices (same generator seed) and keeps its
``rank::world`` share; DistributedDataParallel averages the gradients, so one step uses
the configured global batch size whatever the number of processes. Only rank 0 logs,
validates and writes files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from .errors import WsgcnError


@dataclass(frozen=True)
class DistContext:
    rank: int = 0
    world: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def shard(self, idx: torch.Tensor) -> torch.Tensor:
        """This rank's share of a global batch of indices."""
        return idx[self.rank::self.world] if self.world > 1 else idx

    def barrier(self) -> None:
        if self.world > 1:
            dist.barrier()


def pick_device(requested: str, local_rank: int = 0) -> torch.device:
    """``auto``: the local GPU when there is one, else the CPU; ``cpu``; ``cuda``."""
    if requested == "cpu":
        return torch.device("cpu")
    if requested == "cuda" or (requested == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise WsgcnError("config: train.device is 'cuda' but no CUDA device is available")
        return torch.device("cuda", local_rank)
    return torch.device("cpu")


def setup(requested_device: str = "auto") -> DistContext:
    """Join the process group when launched by torchrun (WORLD_SIZE > 1): gloo on CPU,
    nccl on GPU. A single process gets a context of world size 1."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = pick_device(requested_device, local_rank)
    if world <= 1:
        return DistContext(device=device)
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend=backend)
    return DistContext(rank=dist.get_rank(), world=dist.get_world_size(), local_rank=local_rank, device=device)


def teardown(ctx: DistContext) -> None:
    if ctx.world > 1 and dist.is_initialized():
        dist.destroy_process_group()
