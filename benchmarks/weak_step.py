"""What do two forward passes cost in a weak step? Two passes (labelled, then unlabelled: the
original code's, and ours since the fidelity issue) against one pass over the concatenated
batch (ours before), interleaved in one run.

    python benchmarks/weak_step.py [--data data] [--rounds 7] [--steps 20] [--threads 0]

A real weak step of ``configs/mocap_weak.yaml`` (``root: solve``, bone penalty) on the built
real-motion benchmark (``wsgcn data build-mocap --out data`` first): labelled batch 256 +
unlabelled batch 256, the fast SemGCN (width 128, 16 joints, non-local on), the losses of
:func:`wsgcn.train.step_losses`, backward, gradient clipping and fused Adam, the allocator
tuned as in ``wsgcn train``. Both variants start from the same weights and draw the same
batches; the rounds alternate between them so that a change in the machine's load hits both.
Prints the median step time over the rounds and the ratio.
"""

from __future__ import annotations

import argparse
import copy
import platform
import statistics
import time

import torch
from torch import nn

from wsgcn.checkpoint import build_model_from_config
from wsgcn.config import load_config
from wsgcn.train import load_run_data
from wsgcn.runtime import tune_allocator
from wsgcn.skeleton import get_skeleton
from wsgcn.train import TwoStreams, step_losses


class OnePass(nn.Module):
    """The earlier weak step: one forward pass over the labelled and unlabelled rows together
    (BatchNorm statistics of the mixed 512 rows)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x_l: torch.Tensor, x_u: torch.Tensor | None = None):
        if x_u is None:
            return self.model(x_l), None
        p = self.model(torch.cat([x_l, x_u]))
        return p[: len(x_l)], p[len(x_l):]


def cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="data")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--steps", type=int, default=20, help="timed steps per variant and round")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's own)")
    args = ap.parse_args()
    if min(args.rounds, args.steps) < 1:
        ap.error("--rounds and --steps must be positive")
    tune_allocator()
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = load_config("configs/mocap_weak.yaml", [f"data.dir={args.data}"])
    data = load_run_data(cfg)
    skel = get_skeleton(cfg.data.joints)
    torch.manual_seed(0)
    base = build_model_from_config(cfg).train()
    gen = torch.Generator().manual_seed(0)
    B = cfg.train.batch_size
    batches = [(torch.randint(len(data.labelled), (B,), generator=gen),
                torch.randint(len(data.unlabelled), (B,), generator=gen)) for _ in range(args.steps)]

    def make(wrapper: type[nn.Module]):
        model = copy.deepcopy(base)
        net = wrapper(model)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)

        def run() -> float:
            start = time.perf_counter()
            for il, iu in batches:
                loss = step_losses(net, cfg, data, il, iu, skel)["loss"]
                opt.zero_grad(set_to_none=True)
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), cfg.train.max_grad_norm)
                opt.step()
            return (time.perf_counter() - start) / len(batches)
        return run

    variants = {"two passes (256 + 256)": make(TwoStreams), "one pass (512 concatenated)": make(OnePass)}
    for run in variants.values():
        run()  # warm-up: allocator, first-call costs
    times: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(args.rounds):
        for k, run in variants.items():
            times[k].append(run())
    print(f"weak step (labelled {B} + unlabelled {B} poses), {torch.get_num_threads()} torch threads, "
          f"{cpu_name()}, median of {args.rounds} rounds of {args.steps} steps:")
    med = {k: statistics.median(v) for k, v in times.items()}
    for k, v in times.items():
        print(f"  {k:<28} {med[k] * 1e3:7.1f} ms/step   rounds: {', '.join(f'{x * 1e3:.1f}' for x in v)}")
    two, one = med["two passes (256 + 256)"], med["one pass (512 concatenated)"]
    print(f"  two passes / one pass: {two / one:.3f} ({(two / one - 1) * 100:+.1f} %)")


if __name__ == "__main__":
    main()
