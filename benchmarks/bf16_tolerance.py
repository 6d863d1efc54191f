"""bf16 against fp32 outputs of a trained network on the benchmark's test person.

    python benchmarks/bf16_tolerance.py [--data data] [--checkpoint CKPT]

The bundled weights (or ``--checkpoint``) predict every test pose twice, in float32 and in
bfloat16 mixed precision (:mod:`wsgcn.precision`); prints the per-joint distance between the
two (mean, 99th percentile, largest, mm) and the MPJPE of each. The tolerance of
tests/test_precision.py and docs/PERFORMANCE.md ("Mixed precision (bfloat16)") comes from it.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from wsgcn import codec
from wsgcn.config import config_from_dict
from wsgcn.data.splits import load_test
from wsgcn.lift import Lifter


def agreement(checkpoint: str | None, data_dir: str) -> dict[str, Any]:
    """Predict the test poses of ``data_dir`` with ``checkpoint`` (None: the bundled weights) in
    float32 and in bfloat16: ``dist`` (N, J) per-joint distances between the two [mm] and the
    MPJPE of each, ``mpjpe_fp32`` and ``mpjpe_bf16`` [mm]."""
    lifter = Lifter.from_checkpoint(checkpoint)
    cfg = config_from_dict(lifter.meta["config"])
    cfg.data.dir = data_dir
    test = load_test(cfg)
    p32 = codec.predict(lifter.model, test.inputs)
    p16 = codec.predict(lifter.model, test.inputs, precision="bf16")
    target = test.targets.numpy()
    e32, e16 = (float(np.linalg.norm(p - target, axis=-1).mean() * 1000) for p in (p32, p16))
    return {"dist": np.linalg.norm(p16 - p32, axis=-1) * 1000, "mpjpe_fp32": e32, "mpjpe_bf16": e16}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default="data")
    ap.add_argument("--checkpoint", default=None, help="checkpoint or run folder (default: the bundled weights)")
    a = ap.parse_args()
    r = agreement(a.checkpoint, a.data)
    dist = r["dist"]
    print(f"{len(dist)} poses: |bf16 - fp32| per joint mean {dist.mean():.1f} mm, 99th percentile "
          f"{np.percentile(dist, 99):.1f} mm, largest {dist.max():.1f} mm; MPJPE fp32 {r['mpjpe_fp32']:.2f} mm, "
          f"bf16 {r['mpjpe_bf16']:.2f} mm")


if __name__ == "__main__":
    main()
