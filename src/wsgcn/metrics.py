"""Evaluation metrics (docs/METHOD.md §8), NumPy float64. Poses in metres in, errors in millimetres out.

* MPJPE (Protocol 1): mean joint distance after root alignment (root = joint 0), averaged over
  all joints INCLUDING the root (whose error is 0 after alignment), as the paper's code does.
* P-MPJPE (Protocol 2): after per-pose similarity Procrustes alignment (rotation, uniform scale,
  translation; reflections excluded).
* N-MPJPE: after root alignment and the per-pose optimal uniform scale.
* 3D-PCK at 150 mm and AUC over thresholds 0-150 mm, after root alignment, over the non-root
  joints (the root is exact after alignment and would only inflate the score).
* Two reductions, named: action-wise (mean over actions of per-action means, the paper's
  numbers) and frame-wise (every pose weighted equally).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .errors import WsgcnError

ROOT = 0


def _pair(pred: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(pred, dtype=np.float64)
    g = np.asarray(gt, dtype=np.float64)
    if p.shape != g.shape or p.ndim != 3 or p.shape[-1] != 3:
        raise WsgcnError(f"pred and gt must both have shape (N, J, 3); got {p.shape} and {g.shape}")
    return p, g


def _root_align(x: np.ndarray) -> np.ndarray:
    return x - x[:, ROOT:ROOT + 1]


def _joint_errors(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(N, J) root-aligned joint errors [mm]."""
    return np.linalg.norm(_root_align(pred) - _root_align(gt), axis=-1) * 1000.0


def mpjpe(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(N, J, 3), (N, J, 3) [m] -> (N,) MPJPE per pose [mm], root-aligned, root included."""
    p, g = _pair(pred, gt)
    return _joint_errors(p, g).mean(-1)


def procrustes_align(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Per-pose similarity transform (rotation, uniform scale, translation, no reflection) of
    ``pred`` that best matches ``gt`` in least squares: (N, J, 3) -> (N, J, 3)."""
    p, g = _pair(pred, gt)
    mu_p, mu_g = p.mean(1, keepdims=True), g.mean(1, keepdims=True)
    p0, g0 = p - mu_p, g - mu_g
    # Row vectors: find R, s minimising |s p0 R - g0|. H = p0^T g0 = U S V^T, R = U D V^T.
    h = np.einsum("nji,njk->nik", p0, g0)
    u, s, vt = np.linalg.svd(h)
    sign = np.sign(np.linalg.det(u @ vt))
    sign[sign == 0] = 1.0
    d = np.ones_like(s)
    d[:, -1] = sign  # flip the weakest axis when the best orthogonal map is a reflection
    r = np.einsum("nij,nj,njk->nik", u, d, vt)
    var_p = (p0 ** 2).sum(axis=(1, 2))
    scale = (s * d).sum(-1) / np.where(var_p > 0, var_p, 1.0)
    return scale[:, None, None] * (p0 @ r) + mu_g


def p_mpjpe(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(N,) P-MPJPE [mm]: mean joint error after :func:`procrustes_align`."""
    p, g = _pair(pred, gt)
    return (np.linalg.norm(procrustes_align(p, g) - g, axis=-1) * 1000.0).mean(-1)


def n_mpjpe(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(N,) N-MPJPE [mm]: MPJPE after root alignment and the per-pose least-squares scale
    ``s = <pred, gt> / <pred, pred>`` of the prediction."""
    p, g = _pair(pred, gt)
    p, g = _root_align(p), _root_align(g)
    pp = (p * p).sum(axis=(1, 2))
    scale = (p * g).sum(axis=(1, 2)) / np.where(pp > 0, pp, 1.0)
    return (np.linalg.norm(scale[:, None, None] * p - g, axis=-1) * 1000.0).mean(-1)


def per_joint_error(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(J,) mean root-aligned error of each joint over all poses [mm] (the root's is 0)."""
    p, g = _pair(pred, gt)
    return _joint_errors(p, g).mean(0)


def _non_root_errors(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    p, g = _pair(pred, gt)
    err = _joint_errors(p, g)
    if err.shape[1] < 2:
        raise WsgcnError("PCK/AUC need at least one joint besides the root")
    return np.delete(err, ROOT, axis=1)


def pck(pred: np.ndarray, gt: np.ndarray, threshold_mm: float = 150.0) -> float:
    """3D-PCK [%]: share of non-root joints with root-aligned error <= ``threshold_mm``."""
    return float((_non_root_errors(pred, gt) <= threshold_mm).mean() * 100.0)


def auc(pred: np.ndarray, gt: np.ndarray, max_mm: float = 150.0, steps: int = 31) -> float:
    """AUC [%]: mean of 3D-PCK over ``steps`` evenly spaced thresholds from 0 to ``max_mm``."""
    err = _non_root_errors(pred, gt)
    thresholds = np.linspace(0.0, max_mm, steps)
    return float(np.mean([(err <= t).mean() for t in thresholds]) * 100.0)


def summarize(pred: np.ndarray, gt: np.ndarray, actions: Sequence[str],
              joint_names: Sequence[str]) -> dict[str, Any]:
    """The evaluation report (the JSON keys of docs/METHOD.md §8) for (N, J, 3) predictions and ground truth
    [m], with the action of every pose and the joint names. Errors in mm, PCK/AUC in %."""
    p, g = _pair(pred, gt)
    actions = [str(a) for a in actions]
    if len(actions) != p.shape[0]:
        raise WsgcnError(f"got {len(actions)} action labels for {p.shape[0]} poses")
    if len(joint_names) != p.shape[1]:
        raise WsgcnError(f"got {len(joint_names)} joint names for {p.shape[1]} joints")
    if p.shape[0] == 0:
        raise WsgcnError("no poses to evaluate")
    errors = {"mpjpe": mpjpe(p, g), "p_mpjpe": p_mpjpe(p, g), "n_mpjpe": n_mpjpe(p, g)}
    labels = np.asarray(actions)
    per_action: dict[str, dict[str, float | int]] = {}
    for a in sorted(set(actions)):
        sel = labels == a
        per_action[a] = {k: float(v[sel].mean()) for k, v in errors.items()}
        per_action[a]["num_poses"] = int(sel.sum())
    out: dict[str, Any] = {
        k: {"action_wise": float(np.mean([per_action[a][k] for a in per_action])),
            "frame_wise": float(v.mean())}
        for k, v in errors.items()
    }
    out["per_action"] = per_action
    out["per_joint"] = {str(n): float(e) for n, e in zip(joint_names, per_joint_error(p, g))}
    out["pck150"] = pck(p, g, 150.0)
    out["auc"] = auc(p, g)
    out["num_poses"] = int(p.shape[0])
    return out


def format_table(summary: dict[str, Any]) -> str:
    """A text table of a :func:`summarize` report: one row per action, then the action-wise
    and frame-wise means, then PCK/AUC and the per-joint errors."""
    keys = ("mpjpe", "p_mpjpe", "n_mpjpe")
    names = sorted(summary["per_action"])
    width = max([len("action-wise mean"), *(len(a) for a in names)])
    head = f"{'action':<{width}}  {'MPJPE':>8}  {'P-MPJPE':>8}  {'N-MPJPE':>8}  {'poses':>7}"
    lines = [head, "-" * len(head)]
    for a in names:
        r = summary["per_action"][a]
        lines.append(f"{a:<{width}}  {r['mpjpe']:8.2f}  {r['p_mpjpe']:8.2f}  {r['n_mpjpe']:8.2f}  {r['num_poses']:7d}")
    lines.append("-" * len(head))
    for label, key in (("action-wise mean", "action_wise"), ("frame-wise mean", "frame_wise")):
        vals = "  ".join(f"{summary[k][key]:8.2f}" for k in keys)
        lines.append(f"{label:<{width}}  {vals}  {summary['num_poses']:7d}")
    lines.append("")
    lines.append(f"3D-PCK@150mm {summary['pck150']:.2f} %   AUC(0-150mm) {summary['auc']:.2f} %   (non-root joints)")
    lines.append("per joint (mm): " + ", ".join(f"{n} {e:.1f}" for n, e in summary["per_joint"].items()))
    lines.append("Errors in mm. MPJPE averages over all joints including the root (0 after root "
                 "alignment), as the paper's code does; action-wise mean = mean of per-action means "
                 "(the paper's convention), frame-wise mean = all poses weighted equally.")
    return "\n".join(lines)
