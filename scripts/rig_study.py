#!/usr/bin/env python
"""How much of a cross-person test error is a constant offset per person (docs/BENCHMARK.md,
"What the rig differences do to the error").

Each source rig places its joints its own way (hip width, pelvis height, shoulders), so a lifter
trained on one person's rig is off on another person's joints by an amount that does not depend
on the pose. This script measures that part on finished runs, without retraining:

1. predict the test people of the `people` benchmark (and, as the control, the validation windows
   of the labelled person: the training rig itself) with each run's selected checkpoint;
2. express every root-relative joint error in the person's *body frame* of that pose (x: from
   the left to the right hip, z: pelvis to thorax made orthogonal to x, y = z × x; from the
   ground truth), so that a constant offset of a joint definition is a constant vector there;
3. per person and joint, the mean body-frame error is the person-constant offset. Mean squared
   joint error splits exactly into |mean|² + variance: the *constant share* is the first part's
   fraction. The MPJPE after subtracting the offsets (rotated back into each pose) is what is left
   when a lifter would have learned the person's joint definitions and nothing else.
4. *scale*: the mean over poses of the predicted skeleton's summed bone lengths over the true
   one's (1.0: the right size; a run with ``root: solve`` learns its unlabelled scale from the
   labelled person and the bone penalty only).

The offsets are fitted on the very poses they are removed from (in-sample): the share is an upper
bound of what the rig definitions explain (a systematic pose bias of the lifter, e.g. a too
upright trunk, also counts as constant).

    python scripts/rig_study.py RUN [RUN ...] --data data [--source gt] [--markdown]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

from wsgcn.checkpoint import load_model, resolve_checkpoint
from wsgcn.codec import predict
from wsgcn.config import apply_overrides, config_from_dict
from wsgcn.data.splits import load_test
from wsgcn.errors import WsgcnError
from wsgcn.metrics import mpjpe
from wsgcn.skeleton import get_skeleton


def body_frames(gt: np.ndarray, skel) -> np.ndarray:
    """(N, J, 3) ground truth [m] -> (N, 3, 3) rotations whose columns are the body axes (x: left
    to right hip, z: pelvis to thorax orthogonalised, y = z × x) in camera coordinates."""
    x = gt[:, skel.index("RHip")] - gt[:, skel.index("LHip")]
    x /= np.linalg.norm(x, axis=-1, keepdims=True)
    up = gt[:, skel.index("Thorax")] - gt[:, skel.index("Hip")]
    z = up - np.sum(up * x, axis=-1, keepdims=True) * x
    z /= np.linalg.norm(z, axis=-1, keepdims=True)
    y = np.cross(z, x)
    return np.stack([x, y, z], axis=-1)


def offsets(pred: np.ndarray, gt: np.ndarray, groups: np.ndarray, skel) -> dict[str, dict[str, Any]]:
    """Per group (person): MPJPE, MPJPE with the person-constant body-frame offsets removed, the
    constant share of the mean squared joint error, and the offsets' size per joint [mm]."""
    pred = pred - pred[:, :1]
    gt = gt - gt[:, :1]
    rot = body_frames(gt, skel)
    err = np.einsum("nkj,nji->nki", pred - gt, rot)  # body-frame errors (N, J, 3)
    bones = [(j, q) for j, q in enumerate(skel.parents) if q >= 0]
    length = lambda x: sum(np.linalg.norm(x[:, j] - x[:, q], axis=-1) for j, q in bones)  # noqa: E731
    out = {}
    for g in sorted(set(groups)):
        m = groups == g
        bias = err[m].mean(0)                                   # (J, 3) body frame
        fixed = pred[m] - np.einsum("nij,kj->nki", rot[m], bias)  # offsets rotated back per pose
        sq = float(np.mean(np.sum(err[m] ** 2, axis=-1)))
        out[g] = {"poses": int(m.sum()), "mpjpe": float(mpjpe(pred[m], gt[m]).mean()),
                  "mpjpe_fixed": float(mpjpe(fixed, gt[m]).mean()),
                  "constant_share": float(np.mean(np.sum(bias ** 2, -1))) / sq if sq > 0 else 0.0,
                  "scale": float(np.mean(length(pred[m]) / length(gt[m]))),
                  "offset_mm": {n: float(np.linalg.norm(bias[j]) * 1000) for j, n in enumerate(skel.names)}}
    return out


def study(run: str, data: str, source: str) -> dict[str, dict[str, Any]]:
    """Offsets of ``run`` on the `people` test people and on its validation split."""
    model, meta = load_model(resolve_checkpoint(run))
    res = {}
    for split, sets in (("test", ["data.name=people"]), ("validation", [])):
        cfg = config_from_dict(meta["config"])
        cfg.data.dir, cfg.data.source = data, source
        apply_overrides(cfg, sets)
        ps = load_test(cfg, split=split)
        pred = predict(model, ps.inputs)
        groups = (np.array(ps.action_names) if split == "test" else np.array(["validation"] * len(ps)))
        res.update(offsets(pred, ps.targets.numpy(), groups, get_skeleton(cfg.data.joints)))
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+", help="run folders (their best checkpoint is used)")
    ap.add_argument("--data", default="data", help="folder with the `mocap` and `people` files")
    ap.add_argument("--source", default="gt", help="2D source")
    a = ap.parse_args(argv)
    try:
        results = {run: study(run, a.data, a.source) for run in a.runs}
    except WsgcnError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    people = sorted({g for r in results.values() for g in r})
    print("| run | person | poses | MPJPE | MPJPE, offsets removed | constant share of squared error "
          "| offset RHip / LHip / Thorax / Head | scale |")
    print("|---|---|---|---|---|---|---|---|")
    for run, r in results.items():
        for g in people:
            x = r[g]
            o = x["offset_mm"]
            print(f"| {Path(run).name} | {g} | {x['poses']} | {x['mpjpe']:.1f} | {x['mpjpe_fixed']:.1f} "
                  f"| {100 * x['constant_share']:.0f} % | {o['RHip']:.0f} / {o['LHip']:.0f} / {o['Thorax']:.0f}"
                  f" / {o['Head']:.0f} | {x['scale']:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
