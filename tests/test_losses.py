"""Losses: supervised MSE, reprojection (root from ground truth or solved), bone penalty, multi-view consistency."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wsgcn.camera import h36m_cameras, project
from wsgcn.errors import WsgcnError
from wsgcn.losses import Z_MIN, bone_length_penalty, bone_lengths, mse_3d, multiview_consistency, reprojection_loss
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


# ----------------------------------------------------------------------------- multi-view consistency

def views_of(world_rel: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """One root-relative world pose (J, 3) [m] seen by the 4 Human3.6M cameras of S9: the
    camera-frame poses (4, J, 3) X_v = R_v X and the rotations (4, 3, 3), float64."""
    rot = np.stack([c.rotation for c in h36m_cameras()["S9"]])
    cam = np.einsum("vij,kj->vki", rot, world_rel)
    return torch.as_tensor(cam, dtype=torch.float64), torch.as_tensor(rot, dtype=torch.float64)


def _world_pose(seed: int = 0, joints: int = 16) -> np.ndarray:
    p = np.random.default_rng(seed).uniform(-0.8, 0.8, (joints, 3))
    p[0] = 0
    return p


def test_multiview_zero_for_one_pose_seen_by_every_camera_and_positive_for_a_depth_error():
    cam, rot = views_of(_world_pose())
    group = torch.zeros(4, dtype=torch.long)
    assert float(multiview_consistency(cam, rot, group)) < 1e-20
    wrong = cam.clone()
    wrong[2, :, 2] *= 1.3  # view 2 wrong in depth only: its reprojection would not change much
    loss = float(multiview_consistency(wrong, rot, group))
    assert loss > 1e-3
    # hand computation: spread around the mean of the world-frame views, per joint, over 4 rows
    w = torch.einsum("vkj,vji->vki", wrong, rot)  # X @ R = (R^T X)^T
    assert loss == pytest.approx(float(((w - w.mean(0)) ** 2).sum(-1).mean()), rel=1e-12)


def test_multiview_groups_are_separate_and_single_views_are_left_out():
    cam_a, rot_a = views_of(_world_pose(0))
    cam_b, rot_b = views_of(_world_pose(1))
    cam = torch.cat([cam_a[:2], cam_b, cam_a[2:3]])  # group 0: 2 views, group 7: 4 views, group 9: 1 view
    rot = torch.cat([rot_a[:2], rot_b, rot_a[2:3]])
    group = torch.tensor([0, 0, 7, 7, 7, 7, 9])
    assert float(multiview_consistency(cam, rot, group)) < 1e-20  # poses of different instants never mix
    cam[6] += 5.0  # a single-view row (singleton group) takes no part
    cam[4, 3, 0] += 0.1  # one joint of one view of group 7 moved by 0.1 m
    got = float(multiview_consistency(cam, rot, group))
    # 6 rows x 16 joints in groups of >= 2; the moved joint is 0.075 m from its group mean and the
    # 3 others 0.025 m: (0.075^2 + 3 * 0.025^2) / 96
    assert got == pytest.approx((0.075 ** 2 + 3 * 0.025 ** 2) / 96, rel=1e-9)
    group[:] = -1  # no group: zero, with a (zero) gradient
    cam.requires_grad_(True)
    out = multiview_consistency(cam, rot, group)
    out.backward()
    assert float(out.detach()) == 0 and torch.equal(cam.grad, torch.zeros_like(cam))


def test_multiview_cannot_see_a_common_scale():
    """s X in every view is as consistent as X (docs/METHOD.md §5: the term does not fix scale),
    while different scales in different views are not."""
    cam, rot = views_of(_world_pose())
    group = torch.zeros(4, dtype=torch.long)
    assert float(multiview_consistency(0.7 * cam, rot, group)) < 1e-20
    scales = torch.tensor([0.7, 1.0, 1.0, 1.3], dtype=torch.float64)[:, None, None]
    assert float(multiview_consistency(scales * cam, rot, group)) > 1e-3


def test_multiview_gradcheck_and_the_consensus_needs_no_stop_gradient():
    cam, rot = views_of(_world_pose())
    cam = (cam + 0.05 * torch.randn(cam.shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64))
    group = torch.tensor([3, 3, 3, 3])
    x = cam.clone().requires_grad_(True)
    assert torch.autograd.gradcheck(lambda p: multiview_consistency(p, rot, group), (x,))
    # with the group mean detached the gradient is the same (the deviations sum to 0)
    multiview_consistency(x, rot, group).backward()
    w = torch.einsum("vkj,vji->vki", cam, rot)
    y = w.clone().requires_grad_(True)
    (((y - y.mean(0).detach()) ** 2).sum(-1).mean()).backward()
    torch.testing.assert_close(x.grad, torch.einsum("vki,vji->vkj", y.grad, rot), rtol=1e-12, atol=1e-15)


def test_multiview_shape_errors():
    cam, rot = views_of(_world_pose())
    with pytest.raises(WsgcnError, match="rotation"):
        multiview_consistency(cam, rot[:3], torch.zeros(4, dtype=torch.long))
    with pytest.raises(WsgcnError, match="group"):
        multiview_consistency(cam, rot, torch.zeros(3, dtype=torch.long))


def test_multiview_relative_form_is_blind_to_scale_and_has_no_pull_to_shrink():
    """train.multiview_form: relative divides each group's spread by its mean squared joint norm:
    the same value for s X as for X, in [0, 1], and a gradient with no component along X (the
    absolute form's has 2 L: it pulls towards smaller poses, docs/METHOD.md §5)."""
    cam, rot = views_of(_world_pose())
    group = torch.zeros(4, dtype=torch.long)
    assert float(multiview_consistency(cam, rot, group, relative=True)) < 1e-20
    wrong = cam.clone()
    wrong[2, :, 2] *= 1.3
    rel = multiview_consistency(wrong, rot, group, relative=True)
    # hand computation: the absolute spread over the mean squared norm of the group's rows and joints
    w = torch.einsum("vkj,vji->vki", wrong, rot)
    size = float((wrong ** 2).sum(-1).mean())
    assert float(rel) == pytest.approx(float(((w - w.mean(0)) ** 2).sum(-1).mean()) / (size + 1e-8), rel=1e-9)
    assert 0 < float(rel) < 1
    for s in (0.5, 3.0):
        assert float(multiview_consistency(s * wrong, rot, group, relative=True)) == pytest.approx(float(rel),
                                                                                                  rel=1e-6)
    x = wrong.clone().requires_grad_(True)
    multiview_consistency(x, rot, group, relative=True).backward()
    assert abs(float((x.grad * wrong).sum())) < 1e-6 * float(x.grad.norm() * wrong.norm())  # eps only
    y = wrong.clone().requires_grad_(True)
    absolute = multiview_consistency(y, rot, group)
    absolute.backward()
    assert float((y.grad * wrong).sum()) == pytest.approx(2 * float(absolute.detach()), rel=1e-9)
    # each group divides by its own size: a second instant 2x larger changes nothing
    cam_b, rot_b = views_of(_world_pose(1))
    both = torch.cat([wrong, 2 * cam_b])
    g2 = torch.tensor([0, 0, 0, 0, 1, 1, 1, 1])
    got = float(multiview_consistency(both, torch.cat([rot, rot_b]), g2, relative=True))
    assert got == pytest.approx(float(rel) / 2, rel=1e-9)  # group 1 is consistent: half the rows, spread 0
    z = (wrong + 0.01).clone().requires_grad_(True)
    assert torch.autograd.gradcheck(lambda p: multiview_consistency(p, rot, group, relative=True), (z,))
