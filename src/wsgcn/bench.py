"""Throughput benchmark (``wsgcn bench``): the fast SemGCN against the literal reference
formulation, side by side in one run, with the same weights.

Training: forward + backward + Adam step (PyTorch's fused Adam for both) on a batch of random
normalised 2D inputs with an MSE loss to random 3D targets. Inference: eval mode, no gradients. Each measurement runs a
few warm-up iterations, then as many iterations as fit in ``seconds`` of wall-clock time.
"""

from __future__ import annotations

import copy
import functools
import math
import os
import time
from collections.abc import Callable
from typing import Any

import torch
from tqdm import tqdm

from . import precision as _precision
from .errors import WsgcnError
from .losses import mse_3d
from .models.literal import LiteralSemGCN
from .models.semgcn import SemGCN
from .runtime import tune_allocator
from .skeleton import Skeleton, get_skeleton


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _throughput(fn: Callable[[], None], batch: int, seconds: float, warmup: int,
                device: torch.device) -> tuple[float, float]:
    """Poses per second of ``fn`` (one batch per call): the mean over ``seconds`` of wall-clock
    time after ``warmup`` calls, and the rate of the fastest single call (less sensitive to
    other processes competing for the cores)."""
    for _ in range(warmup):
        fn()
    _sync(device)
    start = last = time.perf_counter()
    n, fastest = 0, float("inf")
    while True:
        fn()
        n += 1
        _sync(device)
        now = time.perf_counter()
        fastest = min(fastest, now - last)
        last = now
        if now - start >= seconds:
            return n * batch / (now - start), batch / fastest


def _train_fn(model: torch.nn.Module, batch: int, joints: int, device: torch.device,
              gen: torch.Generator, prec: str = "fp32") -> Callable[[], None]:
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)
    x = (torch.rand(batch, joints, 2, generator=gen) * 2 - 1).to(device)
    y = (torch.randn(batch, joints, 3, generator=gen) * 0.3).to(device)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        with _precision.autocast(prec, device):
            p = model(x).float()
        mse_3d(p, y).backward()
        opt.step()
    return step


def _infer_fn(model: Callable[[torch.Tensor], torch.Tensor], batch: int, joints: int, device: torch.device,
              gen: torch.Generator, prec: str = "fp32") -> Callable[[], None]:
    if isinstance(model, torch.nn.Module):
        model.eval()
    x = (torch.rand(batch, joints, 2, generator=gen) * 2 - 1).to(device)

    def run() -> None:
        with torch.no_grad(), _precision.autocast(prec, device):
            model(x)
    return run


def _mm_flops(self_shape, a, b, *args, out_shape=None, **kwargs) -> int:  # in-place addmm_
    return 2 * a[0] * a[1] * b[1]


def _bmm_flops(self_shape, a, b, *args, out_shape=None, **kwargs) -> int:  # in-place baddbmm_
    return 2 * a[0] * a[1] * a[2] * b[2]


def _mv_flops(a, b, *args, out_shape=None, **kwargs) -> int:
    return 2 * a[0] * a[1]


def _addmv_flops(self_shape, a, b, *args, out_shape=None, **kwargs) -> int:
    return 2 * a[0] * a[1]


def model_flops(model: torch.nn.Module, joints: int, device: torch.device, batch: int = 64) -> tuple[float, float]:
    """Matrix-product FLOPs per pose of ``model`` counted by PyTorch's FLOP counter, extended to
    the in-place and matrix-vector products the fast model uses (``addmm_``, ``baddbmm_``,
    ``mv``, ``addmv``); element-wise work is not counted. Returns (forward in eval mode, one
    training step's forward + backward in train mode). The model's state is restored."""
    from torch.utils.flop_counter import FlopCounterMode

    aten = torch.ops.aten
    extra = {aten.addmm_: _mm_flops, aten.baddbmm_: _bmm_flops, aten.mv: _mv_flops,
             aten.addmv: _addmv_flops, aten.addmv_: _addmv_flops}

    state = copy.deepcopy(model.state_dict())
    was_training = model.training
    x = torch.rand(batch, joints, 2, device=device) * 2 - 1
    try:
        model.eval()
        with torch.no_grad(), FlopCounterMode(display=False, custom_mapping=extra) as fc:
            model(x)
        forward = fc.get_total_flops() / batch
        model.train()
        with FlopCounterMode(display=False, custom_mapping=extra) as fc:
            model(x).square().mean().backward()
        train = fc.get_total_flops() / batch
    finally:
        model.zero_grad(set_to_none=True)
        model.load_state_dict(state)
        model.train(was_training)
    return forward, train


def gemm_rate(rows: int, channels: int, device: torch.device, seconds: float = 1.0,
              working_set_mb: float = 0.0, dtype: torch.dtype = torch.float32) -> float:
    """Measured FLOP/s of one (rows, C) @ (C, C) product, the shape of most of the network's
    arithmetic: the practical matrix-product limit of this device at this size.

    ``working_set_mb`` = 0: the same operands every time, so they stay in cache (the best case).
    Otherwise the product cycles through enough input/output pairs to fill that many MB, so
    every call finds its operands out of the caches, as a training step does (its forward keeps
    every activation for the backward: ~100 MB at batch 256). ``dtype``: of the operands."""
    pairs = 1
    if working_set_mb > 0:
        size = torch.empty((), dtype=dtype).element_size()
        pairs = max(1, math.ceil(working_set_mb * 2**20 / (2 * rows * channels * size)))
    a = [torch.randn(rows, channels, device=device, dtype=dtype) for _ in range(pairs)]
    out = [torch.empty(rows, channels, device=device, dtype=dtype) for _ in range(pairs)]
    w = torch.randn(channels, channels, device=device, dtype=dtype)
    turn = [0]

    def product() -> None:
        k = turn[0] % pairs
        turn[0] += 1
        torch.mm(a[k], w, out=out[k])
    rate, _ = _throughput(product, 1, seconds, 3, device)
    return rate * 2 * rows * channels * channels


COLD_WORKING_SET_MB = 64.0

_Job = tuple[str, Callable[..., Callable[[], None]], Any, int, int]
"""One throughput measurement: (result key, the step factory, the model, batch, warm-up calls)."""


def run_bench(device: str = "cpu", joints: int = 16, hidden: int = 128, train_batch: int = 256,
              infer_batch: int = 4096, seconds: float = 5.0, num_blocks: int = 4,
              nonlocal_layers: bool = True, seed: int = 0, threads: int | None = None,
              allocator: bool = True, progress: bool = True, compile: bool = False,
              precision: str = "fp32") -> dict[str, Any]:
    """Measure training and inference throughput [poses/s] of the fast and the literal model.

    Returns a JSON-ready dict: ``train_poses_per_s``, ``infer_poses_per_s`` (fast),
    ``ref_train_poses_per_s``, ``ref_infer_poses_per_s`` (literal), ``train_speedup``,
    ``infer_speedup``, the same four rates from the fastest single iteration (``*_best``),
    ``load_avg_1min`` (the system's 1-minute load average before the run),
    ``max_abs_diff`` (largest |fast - literal| output difference [m] for the
    same weights, eval mode), ``max_rel_diff_train`` (the same in train mode, relative to the
    output's largest magnitude), ``device``, ``torch_version``, ``threads`` and the
    settings. ``seconds`` is the timed duration of each of the four measurements; ``threads``
    sets torch's intra-op thread count for the run (default: leave it as it is);
    ``allocator`` applies :func:`tune_allocator` first (process-wide, for both models).
    ``compile`` adds a fifth measurement: inference of the fast model through
    :class:`wsgcn.models.compiled.CompiledInference` (``torch.compile`` of the eval-mode forward),
    ``compiled_infer_poses_per_s`` (+ ``_best``), ``compiled_infer_speedup`` (over the literal
    model), ``compile_s`` and ``compiled_max_abs_diff`` (against the literal model, eval mode).
    Arithmetic accounting: ``flops_per_pose_forward`` / ``flops_per_pose_train`` (matrix-product
    FLOPs, :func:`model_flops`), ``gemm_flops_per_s`` (:func:`gemm_rate`, operands in cache), the
    poses/s that rate allows (``train_limit_poses_per_s``, ``infer_limit_poses_per_s``) and the
    fast model's share of it (``train_fraction_of_limit``, ``infer_fraction_of_limit``);
    ``gemm_flops_per_s_cold`` and ``train_limit_poses_per_s_cold``: the same with the operands out
    of cache (``cold_working_set_mb``), the realistic limit for training.
    ``precision="bf16"`` adds the fast model in bfloat16 mixed precision (:mod:`wsgcn.precision`)
    in the same run: ``bf16_train_poses_per_s``, ``bf16_infer_poses_per_s`` (+ ``_best``; with
    ``compile`` also ``bf16_compiled_infer_poses_per_s``), their ratios to float32
    (``bf16_train_speedup``, ``bf16_infer_speedup``), ``bf16_gemm_flops_per_s`` and
    ``bf16_max_abs_diff`` / ``bf16_max_rel_diff`` (eval-mode outputs against float32, same
    weights); where bfloat16 would be slower, ``precision_note`` says so and only float32 runs.
    Always: ``cpu`` (model name) and ``cpu_bf16`` (the bfloat16 instruction sets it reports).
    """
    _precision.check(precision)
    if threads is not None and threads < 1:
        raise WsgcnError(f"bench: threads must be >= 1, got {threads}")
    tuned = tune_allocator() if allocator else False
    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        result = _run(device, joints, hidden, train_batch, infer_batch, seconds, num_blocks,
                      nonlocal_layers, seed, progress, compile, precision)
        result["allocator_tuned"] = tuned
        return result
    finally:
        torch.set_num_threads(previous)


def _run(device: str, joints: int, hidden: int, train_batch: int, infer_batch: int, seconds: float,
         num_blocks: int, nonlocal_layers: bool, seed: int, progress: bool,
         compile: bool = False, prec: str = "fp32") -> dict[str, Any]:
    dev = _check_settings(device, train_batch, infer_batch, hidden, num_blocks, seconds)
    result: dict[str, Any] = {"cpu": _precision.cpu_name(), "cpu_bf16": _precision.cpu_bf16_flags(),
                              "precision": "fp32"}
    if prec == "bf16":
        prec, result["precision_note"] = _precision.resolve(prec, dev)
    skeleton = get_skeleton(joints)
    # other processes' demand on the cores, before this run adds its own
    load = round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    fast, ref = _models(skeleton, hidden, num_blocks, nonlocal_layers, gen, dev)
    x = (torch.rand(min(infer_batch, 1024), joints, 2, generator=gen) * 2 - 1).to(dev)
    max_abs_diff, max_rel_diff_train = _output_differences(fast, ref, x)

    jobs: list[_Job] = [
        ("train_poses_per_s", _train_fn, copy.deepcopy(fast), train_batch, 2),
        ("ref_train_poses_per_s", _train_fn, copy.deepcopy(ref), train_batch, 2),
        ("infer_poses_per_s", _infer_fn, fast, infer_batch, 1),
        ("ref_infer_poses_per_s", _infer_fn, ref, infer_batch, 1),
    ]
    if compile:
        jobs.append(_compiled_job(fast, ref, x, joints, dev, infer_batch, result))
    if prec == "bf16":
        jobs += _bf16_jobs(fast, x, joints, dev, train_batch, infer_batch, compile, result)
    for key, make, model, batch, warmup in tqdm(jobs, desc="bench", disable=not progress, leave=False):
        result[key], result[key.replace("_per_s", "_per_s_best")] = _throughput(
            make(model, batch, joints, dev, gen), batch, seconds, warmup, dev)
    result["train_speedup"] = result["train_poses_per_s"] / result["ref_train_poses_per_s"]
    result["infer_speedup"] = result["infer_poses_per_s"] / result["ref_infer_poses_per_s"]
    if compile:
        result["compiled_infer_speedup"] = result["compiled_infer_poses_per_s"] / result["ref_infer_poses_per_s"]
    if prec == "bf16":
        result["bf16_train_speedup"] = result["bf16_train_poses_per_s"] / result["train_poses_per_s"]
        result["bf16_infer_speedup"] = result["bf16_infer_poses_per_s"] / result["infer_poses_per_s"]
        result["bf16_gemm_flops_per_s"] = gemm_rate(train_batch * joints, hidden, dev, seconds=min(seconds, 1.0),
                                                    dtype=torch.bfloat16)
    result["max_abs_diff"] = max_abs_diff
    _add_limits(result, fast, joints, hidden, train_batch, seconds, dev, compile)
    result["max_rel_diff_train"] = max_rel_diff_train
    result.update(
        load_avg_1min=load,
        device=str(dev) if dev.type != "cuda" else f"{dev} ({torch.cuda.get_device_name(dev)})",
        torch_version=torch.__version__, threads=torch.get_num_threads(), joints=joints,
        hidden=hidden, num_blocks=num_blocks, nonlocal_layers=nonlocal_layers,
        train_batch=train_batch, infer_batch=infer_batch, seconds=seconds, compiled=compile,
        params=sum(p.numel() for p in fast.parameters()),
    )
    return result


def _check_settings(device: str, train_batch: int, infer_batch: int, hidden: int, num_blocks: int,
                    seconds: float) -> torch.device:
    """The torch device of ``device``, after checking it and the sizes (WsgcnError if not usable)."""
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise WsgcnError(f"bench: device {device!r} requested but CUDA is not available")
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise WsgcnError(f"bench: unknown device {device!r}") from None
    if min(train_batch, infer_batch, hidden, num_blocks + 1) < 1 or seconds <= 0:
        raise WsgcnError("bench: batch sizes, hidden and seconds must be positive")
    return dev


def _models(skeleton: Skeleton, hidden: int, num_blocks: int, nonlocal_layers: bool, gen: torch.Generator,
            dev: torch.device) -> tuple[SemGCN, LiteralSemGCN]:
    """The fast and the literal model with the same weights on ``dev`` (the fast one's, with
    random BatchNorm affine parameters from ``gen``)."""
    fast = SemGCN(skeleton, hidden=hidden, num_blocks=num_blocks, nonlocal_layers=nonlocal_layers)
    ref = LiteralSemGCN(skeleton, hidden=hidden, num_blocks=num_blocks, nonlocal_layers=nonlocal_layers)
    with torch.no_grad():  # non-trivial BatchNorm state, so the non-local blocks are not the identity
        for m in fast.modules():
            if isinstance(m, torch.nn.BatchNorm1d):
                m.weight.uniform_(0.5, 1.5, generator=gen)
                m.bias.normal_(0.0, 0.1, generator=gen)
    ref.load_state_dict(fast.state_dict())
    fast.to(dev)
    ref.to(dev)
    return fast, ref


def _output_differences(fast: torch.nn.Module, ref: torch.nn.Module, x: torch.Tensor) -> tuple[float, float]:
    """(largest |fast - literal| output difference in eval mode, the same in train mode relative
    to the output's largest magnitude); both models' states are restored afterwards."""
    initial = copy.deepcopy(fast.state_dict())
    with torch.no_grad():
        fast.eval()
        ref.eval()
        max_abs_diff = float((fast(x) - ref(x)).abs().max())
        fast.train()
        ref.train()  # train mode (batch statistics): outputs grow large, so compare relatively
        y_fast, y_ref = fast(x), ref(x)
        max_rel_diff_train = float((y_fast - y_ref).abs().max() / y_ref.abs().max())
    fast.load_state_dict(initial)  # undo the running-statistics updates
    ref.load_state_dict(initial)
    return max_abs_diff, max_rel_diff_train


def _compiled_job(fast: torch.nn.Module, ref: torch.nn.Module, x: torch.Tensor, joints: int, dev: torch.device,
                  infer_batch: int, result: dict[str, Any]) -> _Job:
    """Compile the fast model's inference; records ``compiled_max_abs_diff`` and ``compile_s``
    in ``result`` and returns the measurement job of the compiled model."""
    from .models.compiled import CompiledInference

    compiled = CompiledInference(fast, joints, device=dev)
    with torch.no_grad():
        ref.eval()
        result["compiled_max_abs_diff"] = float((compiled(x) - ref(x)).abs().max())
    result["compile_s"] = compiled.compile_s
    return ("compiled_infer_poses_per_s", _infer_fn, compiled, infer_batch, 1)


def _bf16_jobs(fast: torch.nn.Module, x: torch.Tensor, joints: int, dev: torch.device, train_batch: int,
               infer_batch: int, compile: bool, result: dict[str, Any]) -> list[_Job]:
    """The bfloat16 measurements of the fast model; records its eval-mode output difference
    from float32 (``bf16_max_abs_diff`` [m], ``bf16_max_rel_diff``) in ``result``."""
    with torch.no_grad():
        fast.eval()
        y32 = fast(x)
        with _precision.autocast("bf16", dev):
            y16 = fast(x)
    result["bf16_max_abs_diff"] = float((y16 - y32).abs().max())
    result["bf16_max_rel_diff"] = result["bf16_max_abs_diff"] / float(y32.abs().max())
    result["precision"] = "bf16"
    jobs: list[_Job] = [
        ("bf16_train_poses_per_s", functools.partial(_train_fn, prec="bf16"), copy.deepcopy(fast), train_batch, 2),
        ("bf16_infer_poses_per_s", functools.partial(_infer_fn, prec="bf16"), fast, infer_batch, 1),
    ]
    if compile:
        from .models.compiled import CompiledInference

        compiled = CompiledInference(fast, joints, device=dev, precision="bf16")
        jobs.append(("bf16_compiled_infer_poses_per_s", _infer_fn, compiled, infer_batch, 1))
    return jobs


def _add_limits(result: dict[str, Any], fast: torch.nn.Module, joints: int, hidden: int, train_batch: int,
                seconds: float, dev: torch.device, compile: bool) -> None:
    """How close to the arithmetic limit: FLOPs per pose against the measured matrix-product
    rate (operands in cache and out of it), and the measured rates' fractions of that limit."""
    fwd_flops, train_flops = model_flops(fast, joints, dev)
    rate = gemm_rate(train_batch * joints, hidden, dev, seconds=min(seconds, 1.0))
    cold = gemm_rate(train_batch * joints, hidden, dev, seconds=min(seconds, 1.0),
                     working_set_mb=COLD_WORKING_SET_MB)
    result.update(flops_per_pose_forward=fwd_flops, flops_per_pose_train=train_flops, gemm_flops_per_s=rate,
                  train_limit_poses_per_s=rate / train_flops, infer_limit_poses_per_s=rate / fwd_flops,
                  gemm_flops_per_s_cold=cold, train_limit_poses_per_s_cold=cold / train_flops,
                  cold_working_set_mb=COLD_WORKING_SET_MB)
    result["train_fraction_of_limit"] = result["train_poses_per_s"] / result["train_limit_poses_per_s"]
    result["infer_fraction_of_limit"] = result["infer_poses_per_s"] / result["infer_limit_poses_per_s"]
    if compile:
        result["compiled_infer_fraction_of_limit"] = (result["compiled_infer_poses_per_s"]
                                                      / result["infer_limit_poses_per_s"])


def format_bench(result: dict[str, Any]) -> str:
    """A side-by-side text table of a :func:`run_bench` result."""
    r = result
    lines = [
        f"SemGCN width {r['hidden']}, {r['joints']} joints, {r['num_blocks']} blocks, "
        f"non-local {'on' if r['nonlocal_layers'] else 'off'}, {r['params']:,} parameters",
        f"device {r['device']}, torch {r['torch_version']}, {r['threads']} threads, "
        f"load average before the run {r['load_avg_1min']} (other processes slow every number down), "
        f"malloc tuned: {'yes' if r.get('allocator_tuned') else 'no'}",
        f"CPU {r.get('cpu', '?')}; bfloat16 instructions: {', '.join(r.get('cpu_bf16') or []) or 'none'}",
        *([r["precision_note"]] if r.get("precision_note") else []),
        "",
        f"{'poses/s (mean over the run)':<32}{'fast':>12}{'literal':>12}{'speed-up':>10}",
        f"{'train (batch %d, fwd+bwd+Adam)' % r['train_batch']:<32}{r['train_poses_per_s']:>12,.0f}"
        f"{r['ref_train_poses_per_s']:>12,.0f}{r['train_speedup']:>9.2f}x",
        f"{'inference (batch %d, eval)' % r['infer_batch']:<32}{r['infer_poses_per_s']:>12,.0f}"
        f"{r['ref_infer_poses_per_s']:>12,.0f}{r['infer_speedup']:>9.2f}x",
    ]
    if r.get("compiled"):
        lines.append(f"{'inference, torch.compile':<32}{r['compiled_infer_poses_per_s']:>12,.0f}"
                     f"{r['ref_infer_poses_per_s']:>12,.0f}{r['compiled_infer_speedup']:>9.2f}x"
                     f"   (compiled in {r['compile_s']:.0f} s)")
    lines += [
        f"{'fastest single iteration:':<32}",
        f"{'  train':<32}{r['train_poses_per_s_best']:>12,.0f}{r['ref_train_poses_per_s_best']:>12,.0f}"
        f"{r['train_poses_per_s_best'] / r['ref_train_poses_per_s_best']:>9.2f}x",
        f"{'  inference':<32}{r['infer_poses_per_s_best']:>12,.0f}{r['ref_infer_poses_per_s_best']:>12,.0f}"
        f"{r['infer_poses_per_s_best'] / r['ref_infer_poses_per_s_best']:>9.2f}x",
    ]
    if r.get("compiled"):
        lines.append(f"{'  inference, torch.compile':<32}{r['compiled_infer_poses_per_s_best']:>12,.0f}"
                     f"{r['ref_infer_poses_per_s_best']:>12,.0f}"
                     f"{r['compiled_infer_poses_per_s_best'] / r['ref_infer_poses_per_s_best']:>9.2f}x")
    lines += _bf16_lines(r)
    lines += [
        "",
        f"arithmetic: {r['flops_per_pose_forward'] / 1e6:.1f} MFLOP per pose forward, "
        f"{r['flops_per_pose_train'] / 1e6:.1f} MFLOP per training pose (matrix products, counted); "
        f"measured matrix-product rate {r['gemm_flops_per_s'] / 1e9:.0f} GFLOP/s "
        f"(({r['train_batch'] * r['joints']}, {r['hidden']}) @ ({r['hidden']}, {r['hidden']}))",
        f"limit at that rate: train {r['train_limit_poses_per_s']:,.0f} poses/s "
        f"(fast reaches {100 * r['train_fraction_of_limit']:.0f} %), inference {r['infer_limit_poses_per_s']:,.0f} "
        f"poses/s (fast reaches {100 * r['infer_fraction_of_limit']:.0f} %"
        + (f", compiled {100 * r['compiled_infer_fraction_of_limit']:.0f} %" if r.get("compiled") else "") + ")",
        f"with the operands out of cache ({r['cold_working_set_mb']:.0f} MB working set, as in a training step): "
        f"{r['gemm_flops_per_s_cold'] / 1e9:.0f} GFLOP/s, train limit {r['train_limit_poses_per_s_cold']:,.0f} poses/s "
        f"(fast reaches {100 * r['train_poses_per_s'] / r['train_limit_poses_per_s_cold']:.0f} %)",
        "",
        f"max |fast - literal| output difference, same weights: {r['max_abs_diff']:.2e} m (eval), "
        f"{r['max_rel_diff_train']:.1e} relative (train mode)"
        + (f"; compiled: {r['compiled_max_abs_diff']:.2e} m" if r.get("compiled") else ""),
    ]
    return "\n".join(lines)


def _bf16_lines(r: dict[str, Any]) -> list[str]:
    """The bfloat16 rows of :func:`format_bench` (none unless bf16 was measured)."""
    if r.get("precision") != "bf16":
        return []
    rows = [("train", "bf16_train_poses_per_s", "train_poses_per_s"),
            ("inference", "bf16_infer_poses_per_s", "infer_poses_per_s")]
    if "bf16_compiled_infer_poses_per_s" in r:
        rows.append(("inference, torch.compile", "bf16_compiled_infer_poses_per_s", "compiled_infer_poses_per_s"))
    lines = ["", f"{'fast model, poses/s (mean)':<32}{'bf16':>12}{'fp32':>12}{'bf16/fp32':>10}"]
    for label, k16, k32 in rows:
        lines.append(f"{label:<32}{r[k16]:>12,.0f}{r[k32]:>12,.0f}{r[k16] / r[k32]:>9.2f}x")
    lines.append(f"bf16 matrix-product rate {r['bf16_gemm_flops_per_s'] / 1e9:.0f} GFLOP/s "
                 f"(fp32 {r['gemm_flops_per_s'] / 1e9:.0f}); bf16 vs fp32 outputs, same weights: "
                 f"max {r['bf16_max_abs_diff']:.2e} m ({r['bf16_max_rel_diff']:.1e} of the largest coordinate)")
    return lines
