"""Where the time goes: CPU time of every aten operator of one SemGCN training step or
inference pass, grouped by operator and input shapes, largest first, then summed into kinds of
work (matrix products, BatchNorm, casts and copies, the rest).

    python benchmarks/op_times.py [--mode train|infer] [--batch 256] [--top 30] [--literal]
    python benchmarks/op_times.py --precision fp32 bf16 --top 0   # the kinds side by side, one run

With several ``--precision`` the passes alternate precision by precision (same weights, same
batch) and the kinds are printed side by side with the bound they set: the speed-up a precision
could reach if its matrix products took no time at all (the float32 step over everything else).

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
from wsgcn.precision import autocast, cpu_name
from wsgcn.skeleton import H36M16

# aten operator name -> kind of work (the rest, matrix-vector `mv` included, is "element-wise and other")
KINDS = {
    "matrix products": ("mm", "addmm", "addmm_", "bmm", "baddbmm", "baddbmm_"),
    "BatchNorm": ("native_batch_norm", "native_batch_norm_backward", "_native_batch_norm_legit",
                  "_native_batch_norm_legit_functional", "_native_batch_norm_legit_no_training",
                  "batch_norm_backward"),
    "casts and copies": ("_to_copy", "copy_", "clone", "contiguous", "to", "_copy_from", "empty_like"),
}


def kind(op: str) -> str:
    """The kind of work of aten operator ``op`` (its name without the overload)."""
    base = op.split(".")[0]
    for name, ops in KINDS.items():
        if base in ops:
            return name
    return "element-wise and other"


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
    ap.add_argument("--precision", nargs="+", choices=("fp32", "bf16"), default=["fp32"],
                    help="precisions to time (bf16: the fast model under bfloat16 autocast, as `wsgcn train`)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of --repeats passes per precision, alternated")
    args = ap.parse_args()
    if args.literal and "bf16" in args.precision:
        ap.error("the literal reference model runs in float32 only")
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = (LiteralSemGCN if args.literal else SemGCN)(H36M16)
    x = torch.rand(args.batch, 16, 2) * 2 - 1
    if args.mode == "train":
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)
        y = torch.randn(args.batch, 16, 3)

        def run(precision: str) -> None:
            opt.zero_grad(set_to_none=True)
            with autocast(precision, "cpu"):
                out = model(x)
            ((out.float() - y) ** 2).mean().backward()
            opt.step()
    else:
        model.eval()

        def run(precision: str) -> None:
            with torch.no_grad(), autocast(precision, "cpu"):
                model(x)
    timers = {p: _OpTimer() for p in args.precision}
    for p in args.precision:
        for _ in range(3):
            run(p)
    for _ in range(args.rounds):
        for p in args.precision:
            with timers[p]:
                for _ in range(args.repeats):
                    run(p)
    n = args.repeats * args.rounds
    print(f"{cpu_name()}, torch {torch.__version__}, 1 thread, {args.mode}, batch {args.batch}, "
          f"{n} passes per precision")
    for p, timer in timers.items():
        print(f"{p}: {sum(timer.time.values()) / n * 1e3:.1f} ms of operator time per pass")
        for (name, shapes), t in sorted(timer.time.items(), key=lambda kv: -kv[1])[:args.top]:
            print(f"{t / n * 1e3:8.2f} ms {timer.count[(name, shapes)] // n:4d}x  {name:30s} {shapes}")
    kinds = [*KINDS, "element-wise and other"]
    per = {p: {k: sum(t for (name, _), t in timer.time.items() if kind(name) == k) / n * 1e3 for k in kinds}
           for p, timer in timers.items()}
    print("\nms per pass by kind of work: " + " | ".join(args.precision))
    for k in [*kinds, "total"]:
        vals = [sum(per[p].values()) if k == "total" else per[p][k] for p in args.precision]
        print(f"  {k:24s} " + " | ".join(f"{v:7.1f}" for v in vals))
    if "fp32" in per:
        base = sum(per["fp32"].values())
        for p in args.precision:
            rest = sum(per[p].values()) - per[p]["matrix products"]
            print(f"{p}: {base / sum(per[p].values()):.2f}x fp32's pass; with its matrix products free it "
                  f"would be {base / rest:.2f}x at most")


if __name__ == "__main__":
    main()
