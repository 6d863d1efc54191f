"""Where the time goes: CPU time of every aten operator of one SemGCN training step or
inference pass, grouped by operator and input shapes, largest first.

    python benchmarks/op_times.py [--mode train|infer] [--batch 256] [--top 30] [--literal]

Runs single-threaded and measures each operator with the thread's CPU clock, so the
numbers stay meaningful on a machine shared with other processes (the profiler's wall-clock
attribution does not). Operators run synchronously here, so their times add up to the step.
"""

from __future__ import annotations

import argparse
import collections
import time

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from wsgcn.models import LiteralSemGCN, SemGCN
from wsgcn.skeleton import H36M16


class _OpTimer(TorchDispatchMode):
    def __init__(self) -> None:
        super().__init__()
        self.time: dict[tuple, float] = collections.defaultdict(float)
        self.count: collections.Counter = collections.Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[override]
        shapes = tuple(tuple(a.shape) for a in args if isinstance(a, torch.Tensor))
        key = (func.__name__, shapes)
        start = time.thread_time()
        out = func(*args, **(kwargs or {}))
        self.time[key] += time.thread_time() - start
        self.count[key] += 1
        return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mode", choices=("train", "infer"), default="train")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--literal", action="store_true", help="time the literal reference model")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = (LiteralSemGCN if args.literal else SemGCN)(H36M16)
    x = torch.rand(args.batch, 16, 2) * 2 - 1
    if args.mode == "train":
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)
        y = torch.randn(args.batch, 16, 3)

        def run() -> None:
            opt.zero_grad(set_to_none=True)
            ((model(x) - y) ** 2).mean().backward()
            opt.step()
    else:
        model.eval()

        def run() -> None:
            with torch.no_grad():
                model(x)
    for _ in range(3):
        run()
    timer = _OpTimer()
    with timer:
        for _ in range(args.repeats):
            run()
    n = args.repeats
    print(f"{args.mode}, batch {args.batch}, 1 thread: {sum(timer.time.values()) / n * 1e3:.1f} ms of operator time per pass")
    for (name, shapes), t in sorted(timer.time.items(), key=lambda kv: -kv[1])[:args.top]:
        print(f"{t / n * 1e3:8.2f} ms {timer.count[(name, shapes)] // n:4d}x  {name:30s} {shapes}")


if __name__ == "__main__":
    main()
