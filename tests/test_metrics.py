"""Metrics: MPJPE family, PCK/AUC, action-wise vs frame-wise reductions, the report table."""

from __future__ import annotations

import numpy as np
import pytest

from wsgcn.errors import WsgcnError
from wsgcn.metrics import auc, format_table, mpjpe, n_mpjpe, p_mpjpe, pck, per_joint_error, summarize


def random_rotations(n: int, rng: np.random.Generator) -> np.ndarray:
    q = rng.normal(size=(n, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    w, x, y, z = q.T
    return np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
        np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
        np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
    ], 1)


@pytest.fixture
def poses():
    rng = np.random.default_rng(0)
    gt = rng.normal(scale=0.4, size=(6, 17, 3))
    return gt, rng


def test_mpjpe_hand_computed():
    gt = np.zeros((1, 3, 3))
    gt[0, 1] = [1.0, 0.0, 0.0]
    gt[0, 2] = [0.0, 1.0, 0.0]
    pred = gt.copy() + 5.0  # a pure translation is removed by root alignment ...
    pred[0, 1] += [0.003, 0.004, 0.0]  # ... joint 1 off by 5 mm
    pred[0, 2] += [0.0, 0.0, 0.010]  # joint 2 off by 10 mm
    # mean over all 3 joints INCLUDING the root: (0 + 5 + 10) / 3
    np.testing.assert_allclose(mpjpe(pred, gt), [5.0], rtol=1e-12)
    np.testing.assert_allclose(per_joint_error(pred, gt), [0.0, 5.0, 10.0], rtol=1e-12, atol=1e-9)


def test_p_mpjpe_zero_for_similarity_transform(poses):
    gt, rng = poses
    rot = random_rotations(len(gt), rng)
    pred = 1.7 * np.einsum("nij,nkj->nki", rot, gt) + rng.normal(size=(len(gt), 1, 3))
    assert p_mpjpe(pred, gt).max() < 1e-9
    assert mpjpe(pred, gt).min() > 10.0


def test_p_mpjpe_does_not_align_a_reflection(poses):
    gt, _ = poses
    mirrored = gt * np.array([1.0, 1.0, -1.0])
    err = p_mpjpe(mirrored, gt)
    assert err.min() > 50.0  # a rotation cannot undo a mirror image of a random 3D pose
    # the optimum over proper rotations is reached: no rotation of the mirror does better
    rng = np.random.default_rng(1)
    for _ in range(20):
        rot = random_rotations(len(gt), rng)
        assert np.all(p_mpjpe(np.einsum("nij,nkj->nki", rot, mirrored), gt) >= err - 1e-6)


def test_p_mpjpe_is_optimal_against_perturbations(poses):
    from wsgcn.metrics import procrustes_align

    gt, rng = poses
    pred = gt + rng.normal(scale=0.05, size=gt.shape)
    aligned = procrustes_align(pred, gt)
    base = np.linalg.norm(aligned - gt, axis=-1)
    sq = (base ** 2).sum(-1)
    for _ in range(10):  # nudging the aligned pose by a small similarity never lowers the squared error
        small = random_rotations(1, rng)[0]
        small = np.eye(3) + 0.01 * (small - small.T)
        u, _, vt = np.linalg.svd(small)
        r = u @ vt
        moved = 1.001 * (aligned - aligned.mean(1, keepdims=True)) @ r.T + aligned.mean(1, keepdims=True) + 1e-3
        assert np.all(((moved - gt) ** 2).sum((-1, -2)) >= sq - 1e-12)


def test_n_mpjpe_scale_invariant(poses):
    gt, rng = poses
    pred = gt + rng.normal(scale=0.03, size=gt.shape)
    base = n_mpjpe(pred, gt)
    np.testing.assert_allclose(n_mpjpe(pred * 2.5, gt), base, rtol=1e-10)
    np.testing.assert_allclose(n_mpjpe(pred + 3.0, gt), base, rtol=1e-10)  # root alignment
    assert n_mpjpe(gt * 0.5, gt).max() < 1e-9 < mpjpe(gt * 0.5, gt).min()


def test_action_wise_vs_frame_wise_with_unequal_action_sizes():
    gt = np.zeros((4, 2, 3))
    gt[:, 1, 0] = 1.0
    pred = gt.copy()
    # action "a": 3 poses with 0 mm on the non-root joint; "b": 1 pose with 40 mm
    pred[3, 1, 1] = 0.040
    s = summarize(pred, gt, ["a", "a", "a", "b"], ["Hip", "Knee"])
    # per pose MPJPE (2 joints incl. root): a -> 0, b -> 20 mm
    assert s["per_action"]["a"]["mpjpe"] == pytest.approx(0.0)
    assert s["per_action"]["b"]["mpjpe"] == pytest.approx(20.0)
    assert s["per_action"]["a"]["num_poses"] == 3 and s["per_action"]["b"]["num_poses"] == 1
    assert s["mpjpe"]["action_wise"] == pytest.approx(10.0)  # (0 + 20) / 2
    assert s["mpjpe"]["frame_wise"] == pytest.approx(5.0)  # (0 + 0 + 0 + 20) / 4
    assert set(s) == {"mpjpe", "p_mpjpe", "n_mpjpe", "per_action", "per_joint", "pck150", "auc", "num_poses"}
    assert set(s["mpjpe"]) == {"action_wise", "frame_wise"}
    assert s["num_poses"] == 4
    assert s["per_joint"] == pytest.approx({"Hip": 0.0, "Knee": 10.0})
    table = format_table(s)
    assert "action-wise mean" in table and "frame-wise mean" in table and "including the root" in table
    assert "10.00" in table and "5.00" in table


def test_pck_and_auc_hand_built():
    gt = np.zeros((1, 5, 3))
    pred = gt.copy()
    # non-root joint errors: 0, 50, 100, 200 mm
    pred[0, 2, 0] = 0.050
    pred[0, 3, 1] = 0.100
    pred[0, 4, 2] = 0.200
    assert pck(pred, gt, 150) == pytest.approx(75.0)
    assert pck(pred, gt, 100) == pytest.approx(75.0)  # <= threshold counts
    assert pck(pred, gt, 99.9) == pytest.approx(50.0)
    # thresholds 0, 50, 100, 150 (steps=4): PCK 25, 50, 75, 75 -> mean 56.25
    assert auc(pred, gt, max_mm=150, steps=4) == pytest.approx(56.25)
    # default 31 thresholds 0..150 step 5: joint errors 0 (always), 50 (from t=50: 21 of 31),
    # 100 (11 of 31), 200 (never)
    assert auc(pred, gt) == pytest.approx((31 + 21 + 11) / (4 * 31) * 100)


def test_bad_inputs():
    with pytest.raises(WsgcnError):
        mpjpe(np.zeros((2, 3, 3)), np.zeros((2, 4, 3)))
    with pytest.raises(WsgcnError):
        summarize(np.zeros((2, 3, 3)), np.zeros((2, 3, 3)), ["a"], ["x", "y", "z"])
    with pytest.raises(WsgcnError):
        summarize(np.zeros((2, 3, 3)), np.zeros((2, 3, 3)), ["a", "b"], ["x", "y"])
