"""Losses: supervised MSE, reprojection (root from ground truth or solved), bone penalty."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wsgcn.camera import h36m_cameras, project
from wsgcn.errors import WsgcnError
from wsgcn.losses import Z_MIN, bone_length_penalty, bone_lengths, mse_3d, reprojection_loss
from wsgcn.skeleton import H36M16, H36M17


def scene(batch: int = 4, joints: int = 16, seed: int = 0):
    """Root-relative camera-frame poses [m], roots 4-6 m in front of a real Human3.6M camera
    (with its distortion), keypoints projected with the NumPy camera model, all float64."""
    rng = np.random.default_rng(seed)
    cam = h36m_cameras()["S9"][1]
    intr = cam.normalized_intrinsics
    rel = rng.uniform(-0.8, 0.8, size=(batch, joints, 3))
    rel[:, 0] = 0.0
    root = np.stack([rng.uniform(-0.5, 0.5, batch), rng.uniform(-0.3, 0.3, batch), rng.uniform(4, 6, batch)], -1)
    kp = project(rel + root[:, None], intr)
    t = lambda a: torch.as_tensor(a, dtype=torch.float64)  # noqa: E731
    return t(rel), t(kp), t(np.tile(intr, (batch, 1))), t(root)


def test_distortion_is_not_negligible_in_the_test_scene():
    rel, kp, intr, root = scene()
    plain = intr.clone()
    plain[:, 4:] = 0
    assert reprojection_loss(rel, kp, plain, root=root) > 1e-8


def test_mse_3d():
    a = torch.zeros(2, 3, 3)
    b = torch.zeros(2, 3, 3)
    b[0, 1, 2] = 3.0
    assert float(mse_3d(a, b)) == pytest.approx(9.0 / 18)
    with pytest.raises(WsgcnError):
        mse_3d(a, torch.zeros(2, 4, 3))


def test_reprojection_zero_for_ground_truth_with_gt_root():
    rel, kp, intr, root = scene()
    assert float(reprojection_loss(rel, kp, intr, root=root)) < 1e-24


def test_reprojection_zero_for_ground_truth_with_solved_root():
    rel, kp, intr, _ = scene()
    assert float(reprojection_loss(rel, kp, intr)) < 1e-12
    # single (9,) intrinsics broadcast to the batch
    assert float(reprojection_loss(rel, kp, intr[0])) < 1e-12


def test_reprojection_positive_for_a_wrong_pose_and_matches_manual_mse():
    rel, kp, intr, root = scene()
    wrong = rel * 1.1
    got = float(reprojection_loss(wrong, kp, intr, root=root))
    proj = project((wrong + root[:, None]).numpy(), intr[0].numpy())
    assert got == pytest.approx(float(np.mean((proj - kp.numpy()) ** 2)), rel=1e-12)
    assert got > 1e-6


def test_reprojection_weights():
    rel, kp, intr, root = scene()
    wrong = rel.clone()
    wrong[:, 3] += 0.3  # only joint 3 is wrong
    w = torch.ones(rel.shape[:2], dtype=torch.float64)
    w[:, 3] = 0.0
    assert float(reprojection_loss(wrong, kp, intr, root=root, weights=w)) < 1e-24
    w[:, 3] = 1.0
    assert float(reprojection_loss(wrong, kp, intr, root=root, weights=w)) == pytest.approx(
        float(reprojection_loss(wrong, kp, intr, root=root)), rel=1e-12)


@pytest.mark.parametrize("mode", ["gt", "solve"])
def test_reprojection_gradcheck(mode):
    rel, kp, intr, root = scene(batch=2, joints=6, seed=3)
    pred = (rel + 0.05 * torch.randn_like(rel)).requires_grad_(True)
    r = root if mode == "gt" else None
    assert torch.autograd.gradcheck(lambda p: reprojection_loss(p, kp, intr, root=r), (pred,),
                                    eps=1e-6, atol=1e-7, rtol=1e-5)


@pytest.mark.parametrize("mode", ["gt", "solve"])
def test_reprojection_finite_for_degenerate_predictions(mode):
    rel, kp, intr, root = scene()
    r = root if mode == "gt" else None
    behind = rel.clone()
    behind[..., 2] -= 10.0  # every joint behind the camera
    mirrored = -rel  # best explained by a negative depth
    for pred in (torch.zeros_like(rel), behind, mirrored, rel * 1e-9):
        p = pred.clone().requires_grad_(True)
        loss = reprojection_loss(p, kp, intr, root=r)
        loss.backward()
        assert torch.isfinite(loss) and torch.isfinite(p.grad).all()
    # in a batch mixing good and degenerate poses, the good ones get the same gradient as
    # in an all-good batch (they are solved normally)
    mixed = rel.clone()
    mixed[0] = 0.0
    p = mixed.clone().requires_grad_(True)
    q = (rel + 0.01).requires_grad_(True)
    p_good = (mixed + 0.01).requires_grad_(True)
    p_good.data[0] = 0.0
    reprojection_loss(p_good, kp, intr, root=r).backward()
    reprojection_loss(q, kp, intr, root=r).backward()
    assert torch.isfinite(p_good.grad).all()
    torch.testing.assert_close(p_good.grad[1:], q.grad[1:], rtol=1e-9, atol=1e-12)
    reprojection_loss(p, kp, intr, root=r).backward()
    assert torch.isfinite(p.grad).all()


def test_reprojection_clamps_depth():
    rel, kp, intr, root = scene(batch=1)
    far_behind = root.clone()
    far_behind[:, 2] = -50.0
    a = reprojection_loss(rel, kp, intr, root=far_behind)
    near = root.clone()
    near[:, 2] = Z_MIN - 1.0  # the whole pose is clamped onto the plane z = Z_MIN ...
    b = reprojection_loss(rel * torch.tensor([1.0, 1.0, 0.0], dtype=torch.float64), kp, intr, root=near)
    assert torch.isfinite(a) and torch.isfinite(b) and float(a) == pytest.approx(float(b))  # ... in both


def test_reprojection_shape_errors():
    rel, kp, intr, root = scene()
    with pytest.raises(WsgcnError):
        reprojection_loss(rel, kp[:, :5], intr)
    with pytest.raises(WsgcnError):
        reprojection_loss(rel, kp, intr[:, :4])
    with pytest.raises(WsgcnError):
        reprojection_loss(rel, kp, intr, root=root[:, :2])


# ----------------------------------------------------------------------------- bones

def test_bone_penalty_zero_for_identical_bone_lengths():
    rel, *_ = scene(batch=3, joints=17)
    # a rotated copy has the same bone lengths
    c, s = np.cos(0.7), np.sin(0.7)
    rot = torch.tensor([[c, -s, 0], [s, c, 0], [0, 0, 1]], dtype=torch.float64)
    assert float(bone_length_penalty(rel, rel @ rot.T, H36M17)) < 1e-12


def test_bone_penalty_hand_computed():
    # two "poses" on the 16-joint skeleton: every joint on the x axis at its depth in the tree
    depth = np.zeros(16)
    for j, p in enumerate(H36M16.parents):
        if p >= 0:
            depth[j] = depth[p] + 1
    labelled = torch.zeros(2, 16, 3, dtype=torch.float64)
    labelled[0, :, 0] = torch.as_tensor(depth)  # all bones length 1
    labelled[1, :, 0] = torch.as_tensor(depth) * 3  # all bones length 3 -> mean 2
    unlabelled = torch.zeros(1, 16, 3, dtype=torch.float64)
    unlabelled[0, :, 0] = torch.as_tensor(depth) * 0.5  # all bones length 0.5
    # |2 - 0.5| for every bone
    assert float(bone_length_penalty(labelled, unlabelled, H36M16)) == pytest.approx(1.5)
    # one bone differs: mean over 15 bones
    unlabelled2 = labelled[:1].clone() * 2  # mean length 2, like the labelled batch
    child, parent = H36M16.bones[-1]
    unlabelled2[0, child] = unlabelled2[0, parent] + torch.tensor([0.0, 4.0, 0.0], dtype=torch.float64)
    assert float(bone_length_penalty(labelled, unlabelled2, H36M16)) == pytest.approx(2.0 / 15)


def test_bone_lengths_gradient_finite_for_collapsed_pose():
    p = torch.zeros(2, 16, 3, requires_grad=True)
    bone_length_penalty(p, p.detach() + 0.1 * torch.randn(2, 16, 3), H36M16).backward()
    assert torch.isfinite(p.grad).all()
    assert bone_lengths(torch.zeros(1, 16, 3), H36M16).shape == (1, 15)
