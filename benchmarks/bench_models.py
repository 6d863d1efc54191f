"""Run the fast-vs-literal throughput benchmark and write its JSON.

    python benchmarks/bench_models.py [--seconds 5] [--threads N] [--json OUT]

The same measurement as ``wsgcn bench`` (see ``wsgcn.bench.run_bench``).
"""

from __future__ import annotations

import argparse
import json
import sys

from wsgcn.bench import format_bench, run_bench
from wsgcn.errors import WsgcnError
from wsgcn.io import write_json


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--joints", type=int, default=16, choices=(16, 17))
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--train-batch", type=int, default=256)
    ap.add_argument("--infer-batch", type=int, default=4096)
    ap.add_argument("--seconds", type=float, default=5.0, help="timed seconds per measurement")
    ap.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    ap.add_argument("--json", default=None, help="write the result here")
    args = ap.parse_args(argv)
    try:
        result = run_bench(device=args.device, joints=args.joints, hidden=args.hidden,
                           train_batch=args.train_batch, infer_batch=args.infer_batch,
                           seconds=args.seconds, threads=args.threads)
    except WsgcnError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(format_bench(result))
    if args.json:
        write_json(args.json, result)
    else:
        print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
