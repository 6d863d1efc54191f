"""Does ``torch.compile`` speed up a training step? Eager against compiled, interleaved.

    python benchmarks/compile_train.py [--rounds 5] [--steps 20] [--modes default max-autotune-no-cudagraphs]

One fast SemGCN (width 128, 16 joints, non-local on), batch 256, forward + backward + fused Adam,
the allocator tuned as in ``wsgcn train``. Every variant starts from the same weights; the
rounds alternate between the variants so that a change in the machine's load hits all of them.
Prints the compile time of each mode and the median training poses/s over the rounds.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time
import warnings

import torch

from wsgcn.models import SemGCN
from wsgcn.runtime import tune_allocator
from wsgcn.skeleton import H36M16


def make_step(model: torch.nn.Module, mode: str | None, x: torch.Tensor, y: torch.Tensor):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)
    net = model if mode is None else torch.compile(model, mode=None if mode == "default" else mode)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        ((net(x) - y) ** 2).mean().backward()
        opt.step()
    return step


def rate(step, batch: int, steps: int) -> float:
    step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return batch * steps / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=20, help="timed steps per variant and round")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's own)")
    ap.add_argument("--modes", nargs="+", default=["default", "max-autotune-no-cudagraphs"])
    args = ap.parse_args()
    if min(args.rounds, args.steps, args.batch) < 1:
        ap.error("--rounds, --steps and --batch must be positive")
    warnings.simplefilter("ignore", FutureWarning)
    tune_allocator()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x = torch.rand(args.batch, 16, 2) * 2 - 1
    y = torch.randn(args.batch, 16, 3) * 0.3
    base = SemGCN(H36M16).train()
    steps = {"eager": make_step(copy.deepcopy(base), None, x, y)}
    for mode in args.modes:
        start = time.perf_counter()
        steps[mode] = make_step(copy.deepcopy(base), mode, x, y)
        steps[mode]()  # compiles
        print(f"compiled {mode}: {time.perf_counter() - start:.1f} s", flush=True)
    rates: dict[str, list[float]] = {k: [] for k in steps}
    for _ in range(args.rounds):
        for k, step in steps.items():
            rates[k].append(rate(step, args.batch, args.steps))
    print(f"training poses/s, batch {args.batch}, {torch.get_num_threads()} threads, "
          f"median of {args.rounds} rounds of {args.steps} steps:")
    for k, v in rates.items():
        print(f"  {k:<28} {statistics.median(v):8,.0f}   rounds: {', '.join(f'{r:,.0f}' for r in v)}")


if __name__ == "__main__":
    main()
