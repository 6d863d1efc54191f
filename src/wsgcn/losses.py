"""Training losses (docs/METHOD.md §5-§6): supervised 3D MSE, reprojection through the Human3.6M camera
model (root from ground truth or solved in closed form), bone-length consistency, and (beyond the
paper) multi-view consistency of the synchronised views of an instant.

All tensors are torch; poses in metres, camera frame (x right, y down, z forward);
keypoints and intrinsics in normalised screen units (docs/METHOD.md §4).
"""

from __future__ import annotations

import torch

from .camera import project_torch, solve_root
from .errors import WsgcnError
from .skeleton import Skeleton

Z_MIN = 0.1
"""Smallest camera depth [m] a point is projected at. Depths below are clamped to it, so a bad
prediction (a joint at or behind the camera) gives a large but finite loss instead of inf/NaN.
No real subject comes this close (the benchmark drops frames with a joint nearer than 1 m)."""

FALLBACK_MIN_DEPTH = 1.0
"""For ``root: solve``: a pose whose closed-form root puts a joint closer than :data:`Z_MIN` (or
behind the camera; e.g. an all-zero or mirrored early prediction) gets, instead of the solved
root, that linear solution pushed back until every joint is at least this far [m], detached."""


def _check_pose(name: str, x: torch.Tensor, last: int) -> None:
    if x.dim() != 3 or x.shape[-1] != last:
        raise WsgcnError(f"{name} must have shape (B, J, {last}), got {tuple(x.shape)}")


def mse_3d(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Supervised loss: mean squared error over all joints and coordinates of (B, J, 3)
    root-relative poses [m]. The target's root is 0, so the root term trains the predicted
    root towards 0 (the metrics re-align the root anyway)."""
    _check_pose("pred", pred, 3)
    if pred.shape != target.shape:
        raise WsgcnError(f"pred and target shapes differ: {tuple(pred.shape)} vs {tuple(target.shape)}")
    return ((pred - target) ** 2).mean()


def _intrinsics(intrinsics: torch.Tensor, batch: int, dtype: torch.dtype) -> torch.Tensor:
    if intrinsics.shape == (9,):
        intrinsics = intrinsics.unsqueeze(0)
    if intrinsics.dim() != 2 or intrinsics.shape[1] != 9 or intrinsics.shape[0] not in (1, batch):
        raise WsgcnError(f"intrinsics must have shape (B, 9) or (9,), got {tuple(intrinsics.shape)}")
    return intrinsics.to(dtype).expand(batch, 9)


def solved_root(pred_rel: torch.Tensor, keypoints: torch.Tensor, intrinsics: torch.Tensor,
                weights: torch.Tensor | None = None) -> torch.Tensor:
    """The ``root: solve`` translation (B, 3) [m]: :func:`wsgcn.camera.solve_root`, made safe
    for degenerate predictions.

    Poses whose distortion-free closed-form root already places every joint at least
    :data:`Z_MIN` in front of the camera get ``solve_root`` unchanged (differentiable).
    The others (all-zero, collapsed or mirrored poses, for which the distortion refinement
    would divide by ~0) get the closed-form solution with its depth raised so that every joint
    is at least :data:`FALLBACK_MIN_DEPTH` away, detached; a harmless stand-in pose is fed
    to the differentiable solve in their place so no NaN enters the graph.
    """
    intr = _intrinsics(intrinsics, pred_rel.shape[0], pred_rel.dtype)
    with torch.no_grad():
        t0 = solve_root(pred_rel.detach(), keypoints, intr, weights, refine_steps=0)
        depth = pred_rel.detach()[..., 2] + t0[:, 2:3]
        ok = torch.isfinite(t0).all(-1) & (depth > Z_MIN).all(-1)
    if bool(ok.all()):
        return solve_root(pred_rel, keypoints, intr, weights)
    with torch.no_grad():
        # Keypoints lifted onto the plane z = 0 of the root: its solution is t = (0, 0, 1).
        xy = (keypoints.to(pred_rel.dtype) - intr[:, None, 2:4]) / intr[:, None, 0:2]
        stand_in = torch.cat([xy, torch.zeros_like(xy[..., :1])], -1)
        t_fb = torch.nan_to_num(t0, nan=0.0, posinf=0.0, neginf=0.0)
        need = FALLBACK_MIN_DEPTH - pred_rel.detach()[..., 2].amin(-1)
        t_fb[:, 2] = torch.maximum(t_fb[:, 2], need)
    safe = torch.where(ok[:, None, None], pred_rel, stand_in)
    t = solve_root(safe, keypoints, intr, weights)
    return torch.where(ok[:, None], t, t_fb)


def reprojection_loss(pred_rel: torch.Tensor, keypoints: torch.Tensor, intrinsics: torch.Tensor,
                      root: torch.Tensor | None = None, weights: torch.Tensor | None = None) -> torch.Tensor:
    """Weak-supervision loss: MSE between the input 2D keypoints and the projection of the
    predicted pose placed at root translation T, through the Human3.6M camera model.

    ``pred_rel`` (B, J, 3) root-relative camera-frame pose [m]; ``keypoints`` (B, J, 2)
    normalised; ``intrinsics`` (B, 9) or (9,) normalised; ``root`` (B, 3) [m] the ground-truth
    root position (``root: gt``, the paper's setting, uses 3D labels) or None to solve it from
    the prediction and the keypoints (``root: solve``, :func:`solved_root`). ``weights`` (B, J)
    optional per-joint weights (e.g. detector confidences): the loss is then
    ``sum w |e|^2 / (2 sum w)``. Depths are clamped to at least :data:`Z_MIN` and the
    undistorted image coordinates to [-1, 1] before the distortion.
    """
    _check_pose("pred_rel", pred_rel, 3)
    _check_pose("keypoints", keypoints, 2)
    if keypoints.shape[:2] != pred_rel.shape[:2]:
        raise WsgcnError(f"keypoints {tuple(keypoints.shape)} do not match pred_rel {tuple(pred_rel.shape)}")
    if weights is not None and weights.shape != pred_rel.shape[:2]:
        raise WsgcnError(f"weights must have shape {tuple(pred_rel.shape[:2])}, got {tuple(weights.shape)}")
    B = pred_rel.shape[0]
    intr = _intrinsics(intrinsics, B, pred_rel.dtype)
    kp = keypoints.to(pred_rel.dtype)
    if root is None:
        t = solved_root(pred_rel, kp, intr, weights)
    else:
        if root.shape != (B, 3):
            raise WsgcnError(f"root must have shape ({B}, 3), got {tuple(root.shape)}")
        t = root.to(pred_rel.dtype)
    cam = pred_rel + t[:, None, :]
    # Depth clamped to Z_MIN, and the undistorted image coordinates x/z, y/z to [-1, 1]
    # (45 degrees off-axis, far outside any Human3.6M image, whose half-width is ~0.44):
    # the distortion polynomial is only meant for points in the image and grows like r^6
    # outside it, so a poor early prediction would otherwise give losses of 1e6 and more.
    z = cam[..., 2:].clamp(min=Z_MIN)
    xy = (cam[..., :2] / z).clamp(-1.0, 1.0)
    sq = (project_torch(torch.cat([xy, torch.ones_like(z)], dim=-1), intr) - kp) ** 2
    if weights is None:
        return sq.mean()
    w = weights.to(pred_rel.dtype)
    return (sq.sum(-1) * w).sum() / (2 * w.sum().clamp_min(torch.finfo(w.dtype).tiny))


def bone_lengths(pose: torch.Tensor, skeleton: Skeleton) -> torch.Tensor:
    """(B, J, 3) -> (B, num_bones) bone lengths, bones in ``skeleton.bones`` order."""
    _check_pose("pose", pose, 3)
    if pose.shape[1] != skeleton.num_joints:
        raise WsgcnError(f"pose has {pose.shape[1]} joints, skeleton {skeleton.name!r} has {skeleton.num_joints}")
    child = [c for c, _ in skeleton.bones]
    parent = [p for _, p in skeleton.bones]
    return torch.linalg.vector_norm(pose[:, child] - pose[:, parent], dim=-1)


def bone_length_penalty(pred_labelled: torch.Tensor, pred_unlabelled: torch.Tensor,
                        skeleton: Skeleton) -> torch.Tensor:
    """Mean over bones of |mean bone length over the labelled batch - mean over the unlabelled
    batch| [m]; (B1, J, 3) and (B2, J, 3) predictions."""
    a = bone_lengths(pred_labelled, skeleton).mean(0)
    b = bone_lengths(pred_unlabelled, skeleton).mean(0)
    return (a - b).abs().mean()


RELATIVE_EPS = 1e-8  # m^2: keeps the relative multi-view form finite for a pose collapsed to its root


def multiview_consistency(pred_rel: torch.Tensor, rotation: torch.Tensor, group: torch.Tensor,
                          relative: bool = False) -> torch.Tensor:
    """Spread of the views of one instant around their consensus [m^2] (docs/METHOD.md §5).

    ``pred_rel`` (B, J, 3) root-relative camera-frame predictions [m]; ``rotation`` (B, 3, 3)
    each row's world -> camera rotation R (x_cam = R (x_world - C)); ``group`` (B,) int view
    group ids (rows of one instant share one; any value < 0: a single-view row). Each view is
    rotated into the world frame, W = R^T X (row vectors: X @ R); the consensus of a group is
    the mean of its views' W; the loss is the mean over joints and over the rows of groups with
    >= 2 views of the squared distance |W - mean|^2, 0 (with a gradient of 0) when there is no
    such row. Only rotations enter: no 3D label, no camera position, no ground-truth root.

    No stop-gradient on the consensus: for the plain mean, d/dW_v of sum_u |W_u - mean|^2 is
    2 (W_v - mean) whether or not the mean is detached (the deviations sum to 0), so detaching
    would change nothing. A common scale, s X in every view, is as consistent as X for every s
    (§5: the term cannot fix the global scale that ``root: solve`` leaves open).

    ``relative=True`` (``train.multiview_form: relative``): each row's squared distances are
    divided by its group's size S_g, the mean over the group's rows and joints of |W|^2 (+ 1e-8
    m^2), so the loss is dimensionless, in [0, 1], and the same for s X as for X: it has no pull
    towards smaller poses (the plain form's value, and so its gradient, scales with s^2).
    """
    _check_pose("pred_rel", pred_rel, 3)
    B = pred_rel.shape[0]
    if rotation.shape != (B, 3, 3):
        raise WsgcnError(f"rotation must have shape ({B}, 3, 3), got {tuple(rotation.shape)}")
    if group.shape != (B,):
        raise WsgcnError(f"group must have shape ({B},), got {tuple(group.shape)}")
    world = pred_rel @ rotation.to(pred_rel.dtype)  # (B, J, 3): rows are (R^T x)^T
    valid = group >= 0
    ids, inv, counts = torch.unique(torch.where(valid, group, group.new_full((), -1)), return_inverse=True,
                                    return_counts=True)
    used = valid & (counts[inv] >= 2)
    n = int(used.sum())
    if n == 0:
        return (pred_rel * 0).sum()
    sums = world.new_zeros((len(ids),) + tuple(world.shape[1:])).index_add(0, inv, world)
    mean = sums / counts.to(world.dtype)[:, None, None]
    sq = ((world - mean[inv]) ** 2).sum(-1)  # (B, J)
    if relative:  # divide by the group's mean squared joint norm (rotations keep norms: no rotation needed)
        norms = (pred_rel ** 2).sum(-1).mean(-1)  # (B,)
        size = norms.new_zeros(len(ids)).index_add(0, inv, norms) / counts.to(norms.dtype)
        sq = sq / (size[inv] + RELATIVE_EPS)[:, None]
    return (sq * used[:, None].to(sq.dtype)).sum() / (n * pred_rel.shape[1])
