"""Numeric precision of the network's arithmetic: ``fp32`` (the default) or ``bf16``.

``bf16`` is mixed precision: the network's matrix products and activations are bfloat16 (its
layers cast their float32 parameters per call), while the master weights, the optimiser state,
BatchNorm's running statistics, the network's output, the losses, the camera projection and
the root solve stay float32. It is switched on through ``torch.autocast`` (:func:`autocast`),
which :class:`wsgcn.models.SemGCN` follows explicitly and the Martinez baseline through
PyTorch's own autocast rules. The literal reference model stays float32.

bfloat16 pays only where the hardware multiplies it natively: on CPUs with AMX-BF16 or
AVX512-BF16 (Intel Sapphire Rapids and later, AMD Zen 4 and later) and on CUDA GPUs of compute
capability 8.0 and later. Elsewhere it is emulated and slower than float32, so
:func:`resolve` falls back to ``fp32`` with one line saying why.
"""

from __future__ import annotations

import contextlib
import platform
from pathlib import Path
from typing import ContextManager

import torch

from .errors import WsgcnError

PRECISIONS = ("fp32", "bf16")
BF16_CPU_FLAGS = ("amx_bf16", "avx512_bf16")


def cpu_bf16_flags(cpuinfo: str | None = None) -> list[str]:
    """The bfloat16 instruction sets this CPU reports among :data:`BF16_CPU_FLAGS` (Linux
    ``/proc/cpuinfo`` flags; ``cpuinfo`` overrides the file's text, for tests). Empty where
    none is reported or the file cannot be read."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
    flags: set[str] = set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags.update(line.split(":", 1)[-1].split())
            break
    return [f for f in BF16_CPU_FLAGS if f in flags]


def cpu_name() -> str:
    """The CPU's model name (``/proc/cpuinfo``), or the platform's processor string."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[-1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def bf16_support(device: torch.device | str) -> tuple[bool, str]:
    """Whether bfloat16 is native (faster than float32) on ``device``, and a few words on why."""
    dev = torch.device(device)
    if dev.type == "cuda":
        ok = torch.cuda.is_available() and torch.cuda.is_bf16_supported(including_emulation=False)
        return ok, ("CUDA GPU with native bfloat16" if ok else "this GPU has no native bfloat16")
    flags = cpu_bf16_flags()
    if flags:
        return True, "CPU with " + " and ".join(f.upper().replace("_", "-") for f in flags)
    return False, "this CPU has neither AMX-BF16 nor AVX512-BF16"


def check(precision: str) -> str:
    """``precision`` if it is one of :data:`PRECISIONS`, else a :class:`WsgcnError`."""
    if precision not in PRECISIONS:
        raise WsgcnError(f"precision must be one of {list(PRECISIONS)}, got {precision!r}")
    return precision


def resolve(precision: str, device: torch.device | str) -> tuple[str, str | None]:
    """The precision to use on ``device`` for the requested one, and the one-line message of a
    fallback (None when the request stands): ``bf16`` falls back to ``fp32`` where bfloat16
    would be slower than float32."""
    if check(precision) == "fp32":
        return "fp32", None
    ok, why = bf16_support(device)
    if ok:
        return "bf16", None
    return "fp32", f"bf16 requested but {why} (bfloat16 would be slower than float32 here): using fp32"


def autocast(precision: str, device: torch.device | str) -> ContextManager[object]:
    """The context in which a network computes in ``precision`` on ``device``: bfloat16
    ``torch.autocast`` for ``bf16``, nothing for ``fp32``."""
    if check(precision) == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(torch.device(device).type, dtype=torch.bfloat16)


__all__ = ["BF16_CPU_FLAGS", "PRECISIONS", "autocast", "bf16_support", "check", "cpu_bf16_flags", "cpu_name",
           "resolve"]
