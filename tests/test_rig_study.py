"""scripts/rig_study.py: the person-constant share of a test error (docs/BENCHMARK.md)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from wsgcn.skeleton import H36M16

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "rig_study.py"


@pytest.fixture(scope="module")
def rs():
    spec = importlib.util.spec_from_file_location("rig_study", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["rig_study"] = mod
    spec.loader.exec_module(mod)
    yield mod
    sys.modules.pop("rig_study", None)


def _poses(n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, 16, 3) root-relative poses [m]: a random body, turned by random rotations."""
    base = rng.normal(0, 0.2, (16, 3))
    base[0] = 0
    base[H36M16.index("RHip")] = (0.1, 0, 0)
    base[H36M16.index("LHip")] = (-0.1, 0, 0)
    base[H36M16.index("Thorax")] = (0.02, 0.01, 0.5)
    q = rng.normal(size=(n, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    w, x, y, z = q.T
    rot = np.stack([np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], -1),
                    np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], -1),
                    np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1)], 1)
    return np.einsum("nij,kj->nki", rot, base)


def test_body_frames_are_rotations(rs):
    gt = _poses(50, np.random.default_rng(0))
    r = rs.body_frames(gt, H36M16)
    np.testing.assert_allclose(np.einsum("nji,njk->nik", r, r), np.broadcast_to(np.eye(3), (50, 3, 3)), atol=1e-9)
    np.testing.assert_allclose(np.linalg.det(r), 1.0, atol=1e-9)
    # the hip axis is x: the right hip lies on +x of the body frame
    local = np.einsum("nkj,nji->nki", gt, r)
    assert np.all(local[:, H36M16.index("RHip"), 0] > 0)


def test_a_constant_body_frame_offset_is_all_constant_and_removed(rs):
    """A lifter that places one joint 4 cm further out in the body frame, whatever the pose: the
    share is 100 % and removing the offsets leaves no error; the offset is measured exactly."""
    gt = _poses(200, np.random.default_rng(1))
    r = rs.body_frames(gt, H36M16)
    j = H36M16.index("LKnee")
    pred = gt.copy()
    pred[:, j] += r[:, :, 0] * -0.04  # 4 cm along -x (outwards for a left joint)
    res = rs.offsets(pred, gt, np.array(["a"] * 200), H36M16)["a"]
    assert res["constant_share"] == pytest.approx(1.0)
    assert res["mpjpe_fixed"] == pytest.approx(0.0, abs=1e-9)
    assert res["offset_mm"]["LKnee"] == pytest.approx(40.0)
    assert res["mpjpe"] == pytest.approx(40.0 / 16)


def test_zero_mean_noise_is_not_constant(rs):
    rng = np.random.default_rng(2)
    gt = _poses(4000, rng)
    pred = gt + rng.normal(0, 0.03, gt.shape)
    pred[:, 0] = gt[:, 0]
    res = rs.offsets(pred, gt, np.array(["p", "q"] * 2000), H36M16)
    for g in "pq":
        assert res[g]["constant_share"] < 0.01
        assert res[g]["mpjpe_fixed"] == pytest.approx(res[g]["mpjpe"], rel=0.01)
        assert res[g]["poses"] == 2000


def test_scale_is_the_ratio_of_summed_bone_lengths(rs):
    gt = _poses(30, np.random.default_rng(3))
    res = rs.offsets(0.9 * gt, gt, np.array(["a"] * 30), H36M16)["a"]
    assert res["scale"] == pytest.approx(0.9)
