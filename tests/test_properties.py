"""Property-based tests (hypothesis) of the camera model and the metrics.

Camera: screen normalisation and its inverse, world <-> camera, normalised intrinsics, the NumPy
and PyTorch projections, and the closed-form root solve on random poses and random cameras.
Metrics: P-MPJPE is invariant to similarity transforms of the prediction; the root-mean-square
joint error after Procrustes (or optimal-scale) alignment never exceeds the one after root
alignment (root alignment is one of the transforms Procrustes optimises over; the same
inequality for the *mean* joint distance is not a theorem, so the RMS form is tested).

Examples are bounded (``max_examples`` <= 80, derandomized) so the module runs in seconds and
gives the same examples on every machine.
"""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from wsgcn import metrics
from wsgcn.camera import (camera_to_world, denormalize_intrinsics, image_coordinates, normalize_intrinsics,
                          normalize_screen_coordinates, project, project_torch, quaternion_to_matrix,
                          solve_root_numpy, world_to_camera)

PROFILE = settings(max_examples=60, deadline=None, derandomize=True,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

finite = dict(allow_nan=False, allow_infinity=False)
sizes = st.integers(1, 8192)
quaternions = hnp.arrays(np.float64, 4, elements=st.floats(-1, 1, **finite)).filter(
    lambda q: np.linalg.norm(q) > 0.1)


TEMPLATE = np.random.default_rng(0).uniform(-0.8, 0.8, (17, 3))
TEMPLATE -= TEMPLATE[:1]
"""A fixed, non-degenerate 17-joint pose (m) that the strategies perturb: a pose whose joints all
coincide has no scale or depth to recover, and hypothesis likes all-zero arrays."""


def points(n: int, lo: float = -5.0, hi: float = 5.0) -> st.SearchStrategy[np.ndarray]:
    """(n, 3) float64 points with coordinates in [lo, hi] metres."""
    return hnp.arrays(np.float64, (n, 3), elements=st.floats(lo, hi, **finite))


@st.composite
def cameras(draw: st.DrawFn, distortion: bool = True) -> tuple[np.ndarray, int, int]:
    """(pixel intrinsics (9,), width, height): focal lengths 200-3000 px, principal point inside the
    image, radial and tangential distortion of the size real lenses have (Human3.6M: |k1| ~ 0.2)."""
    w, h = draw(st.integers(64, 4096)), draw(st.integers(64, 4096))
    f = [draw(st.floats(200, 3000)), draw(st.floats(200, 3000))]
    c = [draw(st.floats(0.3 * w, 0.7 * w)), draw(st.floats(0.3 * h, 0.7 * h))]
    if distortion:
        k = [draw(st.floats(-0.25, 0.25)), draw(st.floats(-0.05, 0.05)), draw(st.floats(-0.005, 0.005))]
        p = [draw(st.floats(-0.003, 0.003)), draw(st.floats(-0.003, 0.003))]
    else:
        k, p = [0.0] * 3, [0.0] * 2
    return np.array(f + c + k + p), w, h


@st.composite
def posed_in_front(draw: st.DrawFn, joints: int = 17) -> tuple[np.ndarray, np.ndarray]:
    """(root-relative pose (1, J, 3) m within 1 m of the root, root translation (3,) m) with the
    person 2.5-9 m in front of the camera and inside a 45-degree cone around the optical axis."""
    pose = TEMPLATE[None, :joints] + draw(hnp.arrays(np.float64, (1, joints, 3), elements=st.floats(-0.2, 0.2, **finite)))
    pose = pose - pose[:, :1]
    z = draw(st.floats(2.5, 9.0))
    t = np.array([draw(st.floats(-0.4, 0.4)) * z, draw(st.floats(-0.4, 0.4)) * z, z])
    return pose, t


# ----------------------------------------------------------------------------- camera

@PROFILE
@given(x=hnp.arrays(np.float64, (5, 2), elements=st.floats(-1e4, 1e4, **finite)), w=sizes, h=sizes)
def test_screen_normalisation_round_trip(x: np.ndarray, w: int, h: int) -> None:
    n = normalize_screen_coordinates(x, w, h)
    np.testing.assert_allclose(image_coordinates(n, w, h), x, rtol=1e-12, atol=1e-9)
    # [0, w] -> [-1, 1] on x; the y axis keeps the aspect ratio (same scale 2 / w)
    np.testing.assert_allclose(n[:, 0], x[:, 0] * 2 / w - 1, atol=1e-12)
    np.testing.assert_allclose(n[:, 1], x[:, 1] * 2 / w - h / w, atol=1e-12)


@PROFILE
@given(q=quaternions, c=points(1, -10, 10), x=points(6, -10, 10))
def test_world_camera_round_trip_and_rigidity(q: np.ndarray, c: np.ndarray, x: np.ndarray) -> None:
    r, c = quaternion_to_matrix(q), c[0]
    np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)
    assert abs(np.linalg.det(r) - 1.0) < 1e-12
    xc = world_to_camera(x, r, c)
    np.testing.assert_allclose(camera_to_world(xc, r, c), x, atol=1e-9)
    # distances are kept and the camera centre maps to the camera-frame origin
    np.testing.assert_allclose(np.linalg.norm(xc[1:] - xc[:1], axis=-1), np.linalg.norm(x[1:] - x[:1], axis=-1),
                               atol=1e-9)
    np.testing.assert_allclose(world_to_camera(c[None], r, c), 0.0, atol=1e-12)


@PROFILE
@given(cam=cameras(), scene=posed_in_front())
def test_normalised_intrinsics_and_torch_projection_agree(cam: tuple, scene: tuple) -> None:
    intr, w, h = cam
    pose, t = scene
    pts = pose[0] + t
    px = project(pts, intr)
    # projecting with normalised intrinsics = normalising the pixel projection
    np.testing.assert_allclose(project(pts, normalize_intrinsics(intr, w, h)),
                               normalize_screen_coordinates(px, w, h), atol=1e-9)
    np.testing.assert_allclose(denormalize_intrinsics(normalize_intrinsics(intr, w, h), w, h), intr, rtol=1e-12)
    px_t = project_torch(torch.from_numpy(pts)[None], torch.from_numpy(intr)[None])[0].numpy()
    np.testing.assert_allclose(px_t, px, rtol=1e-10, atol=1e-8)
    # the optical axis hits the principal point whatever the distortion
    np.testing.assert_allclose(project(np.array([[0.0, 0.0, t[2]]]), intr)[0], intr[2:4], atol=1e-9)


@PROFILE
@given(cam=cameras(distortion=False), scene=posed_in_front())
def test_root_solve_is_exact_without_distortion(cam: tuple, scene: tuple) -> None:
    intr, _, _ = cam
    pose, t = scene
    kp = project(pose + t, intr)
    np.testing.assert_allclose(solve_root_numpy(pose, kp, intr, refine_steps=0)[0], t, atol=1e-6)


@PROFILE
@given(cam=cameras(), scene=posed_in_front(), scale=st.floats(0.1, 10.0))
def test_root_solve_with_distortion_converges_and_is_unit_free(cam: tuple, scene: tuple, scale: float) -> None:
    """With distortion, the fixed-point refinement recovers the root; the answer does not depend
    on the units of the 2D (pixels vs. normalised screen coordinates) nor on weights' scale."""
    intr, w, h = cam
    pose, t = scene
    kp = project(pose + t, intr)
    got = solve_root_numpy(pose, kp, intr, refine_steps=20)[0]
    np.testing.assert_allclose(got, t, atol=1e-6)
    got_n = solve_root_numpy(pose, normalize_screen_coordinates(kp, w, h), normalize_intrinsics(intr, w, h),
                             weights=np.full((1, pose.shape[1]), scale), refine_steps=20)[0]
    np.testing.assert_allclose(got_n, t, atol=1e-6)


# ----------------------------------------------------------------------------- metrics

@st.composite
def pose_pairs(draw: st.DrawFn, n: int = 3, joints: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """(pred, gt) (n, J, 3) metres: gt = a perturbed template pose, pred = gt plus noise of up to 30 cm."""
    gt = TEMPLATE[None, :joints] + draw(hnp.arrays(np.float64, (n, joints, 3), elements=st.floats(-0.3, 0.3, **finite)))
    noise = draw(hnp.arrays(np.float64, (n, joints, 3), elements=st.floats(-0.3, 0.3, **finite)))
    return gt + noise, gt


def _rms_mm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N,) root-mean-square joint distance [mm]."""
    return np.sqrt(np.mean(np.sum((a - b) ** 2, axis=-1), axis=-1)) * 1000.0


@PROFILE
@given(pair=pose_pairs(), q=quaternions, s=st.floats(0.2, 5.0), t=points(1, -10, 10))
def test_p_mpjpe_is_invariant_to_similarity_transforms_of_the_prediction(pair: tuple, q: np.ndarray, s: float,
                                                                          t: np.ndarray) -> None:
    pred, gt = pair
    moved = s * pred @ quaternion_to_matrix(q).T + t
    np.testing.assert_allclose(metrics.p_mpjpe(moved, gt), metrics.p_mpjpe(pred, gt), rtol=1e-6, atol=1e-6)
    # and a prediction that IS a similarity transform of the ground truth has zero error
    np.testing.assert_allclose(metrics.p_mpjpe(s * gt @ quaternion_to_matrix(q).T + t, gt), 0.0, atol=1e-6)


@PROFILE
@given(pair=pose_pairs())
def test_alignment_never_increases_the_rms_joint_error(pair: tuple) -> None:
    """Procrustes optimises over rotation, scale and translation, of which root alignment
    (identity, scale 1, the root offset) is one choice, so its sum of squared errors is no larger;
    the optimal-scale alignment of N-MPJPE contains scale 1 as well."""
    pred, gt = pair
    rms_root = _rms_mm(pred - pred[:, :1], gt - gt[:, :1])
    rms_procrustes = _rms_mm(metrics.procrustes_align(pred, gt), gt)
    assert np.all(rms_procrustes <= rms_root * (1 + 1e-9) + 1e-9), (rms_procrustes, rms_root)
    p0, g0 = pred - pred[:, :1], gt - gt[:, :1]
    s = (p0 * g0).sum(axis=(1, 2)) / (p0 * p0).sum(axis=(1, 2))
    assert np.all(_rms_mm(s[:, None, None] * p0, g0) <= rms_root * (1 + 1e-9) + 1e-9)
    # the mean-distance metrics are consistent with their definitions
    np.testing.assert_allclose(metrics.mpjpe(pred, gt), np.linalg.norm(p0 - g0, axis=-1).mean(-1) * 1000, rtol=1e-12)
    np.testing.assert_allclose(metrics.n_mpjpe(pred, gt),
                               np.linalg.norm(s[:, None, None] * p0 - g0, axis=-1).mean(-1) * 1000, rtol=1e-9)


@PROFILE
@given(pair=pose_pairs(), t=points(1, -10, 10), s=st.floats(0.2, 5.0))
def test_mpjpe_ignores_translation_and_n_mpjpe_ignores_scale(pair: tuple, t: np.ndarray, s: float) -> None:
    pred, gt = pair
    np.testing.assert_allclose(metrics.mpjpe(pred + t, gt), metrics.mpjpe(pred, gt), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(metrics.n_mpjpe(s * pred, gt), metrics.n_mpjpe(pred, gt), rtol=1e-7, atol=1e-7)
    assert np.all(metrics.mpjpe(pred, gt) >= 0) and np.all(metrics.mpjpe(gt, gt) == 0)
