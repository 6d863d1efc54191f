"""bfloat16 against float32, interleaved in one run: a real weak training step and inference.

    python benchmarks/precision.py [--data data] [--rounds 7] [--steps 15] [--threads 1] [--json OUT]

Training: a weak step of ``configs/mocap_weak.yaml`` (``root: solve``, bone penalty) on the built
real-motion benchmark (``wsgcn data build-mocap --out data`` first) exactly as ``wsgcn train``
runs it: labelled batch 256 + unlabelled batch 256 through :class:`wsgcn.train.TwoStreams` in
``train.precision`` fp32 or bf16, the float32 losses of :func:`wsgcn.train.step_losses`,
backward, gradient clipping and fused Adam. Inference: eval mode, no gradients, batches of 4096
poses of the test split through :func:`wsgcn.codec.predict`. Both precisions start from the same
weights and draw the same batches; the rounds alternate between them so that a change in the
machine's load hits both. Prints the CPU, its bfloat16 instruction sets, the median rate per
precision over the rounds and the bf16/fp32 ratio. (``wsgcn bench --precision bf16`` measures
the network alone, with random inputs, one measurement after the other.)
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import time

import torch
from torch import nn

from wsgcn import codec, precision
from wsgcn.checkpoint import build_model_from_config
from wsgcn.config import load_config
from wsgcn.runtime import tune_allocator
from wsgcn.skeleton import get_skeleton
from wsgcn.train import TwoStreams, load_run_data, step_losses

PRECISIONS = ("fp32", "bf16")


def train_round(net: TwoStreams, opt: torch.optim.Optimizer, cfg, data, batches, skel) -> float:
    """Poses per second of ``len(batches)`` weak steps (labelled + unlabelled poses)."""
    start = time.perf_counter()
    for il, iu in batches:
        loss = step_losses(net, cfg, data, il, iu, skel)["loss"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(net.model.parameters(), cfg.train.max_grad_norm)
        opt.step()
    poses = sum(len(il) + len(iu) for il, iu in batches)
    return poses / (time.perf_counter() - start)


def infer_round(model: nn.Module, inputs: torch.Tensor, prec: str, repeats: int) -> float:
    """Poses per second of ``codec.predict`` over ``inputs``, ``repeats`` times."""
    start = time.perf_counter()
    for _ in range(repeats):
        codec.predict(model, inputs, batch_size=4096, precision=prec)
    return repeats * len(inputs) / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default="data")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--steps", type=int, default=15, help="weak steps per round and precision")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--json", help="write the figures here")
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    tune_allocator()
    cfg = load_config("configs/mocap_weak.yaml", [f"data.dir={a.data}", "train.root=solve"])
    torch.manual_seed(0)
    data = load_run_data(cfg)
    skel = get_skeleton(cfg.data.joints)
    model = build_model_from_config(cfg)
    gen = torch.Generator().manual_seed(0)
    B = cfg.train.batch_size
    batches = [(torch.randint(len(data.labelled), (B,), generator=gen),
                torch.randint(len(data.unlabelled), (B,), generator=gen)) for _ in range(a.steps)]
    nets = {p: TwoStreams(copy.deepcopy(model), p) for p in PRECISIONS}
    opts = {p: torch.optim.Adam(n.model.parameters(), lr=cfg.train.lr, fused=True) for p, n in nets.items()}
    test = data.validation.inputs.repeat(max(1, 16384 // len(data.validation)), 1, 1)
    load = round(os.getloadavg()[0], 2)
    for p in PRECISIONS:  # warm-up: kernels, allocator
        train_round(nets[p], opts[p], cfg, data, batches[:2], skel)
        infer_round(nets[p].model, test[:4096], p, 1)
    rates: dict[str, list[float]] = {f"{k} {p}": [] for k in ("train", "infer") for p in PRECISIONS}
    for _ in range(a.rounds):
        for p in PRECISIONS:
            rates[f"train {p}"].append(train_round(nets[p], opts[p], cfg, data, batches, skel))
            rates[f"infer {p}"].append(infer_round(nets[p].model, test, p, 1))
    med = {k: statistics.median(v) for k, v in rates.items()}
    flags = precision.cpu_bf16_flags()
    print(f"CPU {precision.cpu_name()}, bfloat16 instructions: {', '.join(flags) or 'none'}; "
          f"{torch.get_num_threads()} torch threads; load average before the run {load}")
    print(f"{'poses/s, median of ' + str(a.rounds) + ' rounds':<36}{'fp32':>10}{'bf16':>10}{'bf16/fp32':>11}")
    for k, label in (("train", f"weak step ({B} + {B} poses)"), ("infer", f"inference ({len(test)} poses)")):
        f32, b16 = med[f"{k} fp32"], med[f"{k} bf16"]
        print(f"{label:<36}{f32:>10,.0f}{b16:>10,.0f}{b16 / f32:>10.2f}x")
    for k, v in rates.items():
        print(f"  {k}: " + ", ".join(f"{x:,.0f}" for x in v))
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump({"cpu": precision.cpu_name(), "cpu_bf16": flags, "threads": torch.get_num_threads(),
                       "load_avg_1min": load, "rounds": rates, "median": med}, f, indent=1)


if __name__ == "__main__":
    main()
