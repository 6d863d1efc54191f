"""Cameras: projection, transforms, normalisation, root solve and the cameras file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from wsgcn.camera import (Camera, h36m_cameras, image_coordinates, load_cameras, normalize_intrinsics,
                          denormalize_intrinsics, normalize_screen_coordinates, project, project_torch,
                          save_cameras, solve_root, solve_root_numpy)
from wsgcn.errors import WsgcnError

H36M_IDS = ["54138969", "55011271", "58860488", "60457274"]


@pytest.fixture(scope="module")
def rig() -> dict[str, list[Camera]]:
    return h36m_cameras()


def _random_points(rng: np.random.Generator, n: int) -> np.ndarray:
    """(n, 3) camera-frame points 2-7 m in front, inside a ~60 degree cone."""
    z = rng.uniform(2.0, 7.0, n)
    xy = rng.uniform(-0.5, 0.5, (n, 2)) * z[:, None]
    return np.column_stack([xy, z])


def test_h36m_rig_has_the_published_cameras(rig: dict[str, list[Camera]]) -> None:
    assert sorted(rig) == sorted(["S1", "S5", "S6", "S7", "S8", "S9", "S11"])
    for cams in rig.values():
        assert [c.id for c in cams] == H36M_IDS
        for c in cams:
            np.testing.assert_allclose(c.rotation @ c.rotation.T, np.eye(3), atol=1e-6)
            assert np.linalg.det(c.rotation) == pytest.approx(1.0, abs=1e-6)
            assert c.res_w == 1000 and c.res_h in (1000, 1002)


@pytest.mark.parametrize("cam_index", range(4))
def test_optical_axis_projects_to_principal_point(rig: dict[str, list[Camera]], cam_index: int) -> None:
    cam = rig["S1"][cam_index]
    pts = np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 3.5], [0.0, 0.0, 10.0]])
    uv = project(pts, cam.intrinsics)
    np.testing.assert_array_equal(uv, np.tile(cam.center, (3, 1)))
    uvt = project_torch(torch.tensor(pts), torch.tensor(cam.intrinsics))
    np.testing.assert_array_equal(uvt.numpy(), np.tile(cam.center, (3, 1)))


@pytest.mark.parametrize("cam_index", range(4))
def test_numpy_and_torch_projection_agree(rig: dict[str, list[Camera]], cam_index: int) -> None:
    rng = np.random.default_rng(cam_index)
    cam = rig["S5"][cam_index]
    pts = _random_points(rng, 200).reshape(10, 20, 3)
    intr = np.tile(cam.intrinsics, (10, 1))
    uv = project(pts, intr)
    uvt = project_torch(torch.tensor(pts), torch.tensor(intr)).numpy()
    assert uv.shape == (10, 20, 2)
    np.testing.assert_allclose(uvt, uv, atol=1e-6, rtol=0)
    # the distortion is real: a pinhole projection differs by pixels somewhere
    pinhole = cam.focal_length * pts[..., :2] / pts[..., 2:] + cam.center
    assert np.abs(pinhole - uv).max() > 1.0


def test_project_torch_is_differentiable(rig: dict[str, list[Camera]]) -> None:
    rng = np.random.default_rng(1)
    pts = torch.tensor(_random_points(rng, 5)[None], dtype=torch.float64, requires_grad=True)
    intr = torch.tensor(rig["S1"][0].normalized_intrinsics[None], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(project_torch, (pts, intr), eps=1e-6, atol=1e-5)


@pytest.mark.parametrize("subject", ["S1", "S9", "S11"])
def test_world_camera_round_trip(rig: dict[str, list[Camera]], subject: str) -> None:
    rng = np.random.default_rng(2)
    world = rng.uniform(-3, 3, (50, 17, 3))
    for cam in rig[subject]:
        back = cam.camera_to_world(cam.world_to_camera(world))
        np.testing.assert_allclose(back, world, atol=1e-9, rtol=0)
        np.testing.assert_allclose(cam.world_to_camera(cam.position), np.zeros(3), atol=1e-9)
        # rotations keep distances
        d_world = np.linalg.norm(world[:, 1] - world[:, 0], axis=-1)
        cam_pts = cam.world_to_camera(world)
        np.testing.assert_allclose(np.linalg.norm(cam_pts[:, 1] - cam_pts[:, 0], axis=-1), d_world, atol=1e-9)


def test_capture_space_origin_is_in_front_and_in_the_image(rig: dict[str, list[Camera]]) -> None:
    for subject in ("S1", "S9"):
        for cam in rig[subject]:
            p = cam.world_to_camera(np.zeros(3))
            assert 3.0 < p[2] < 8.0  # the cameras all look at the middle of the room
            uv = cam.project(p[None])[0]
            assert 0 < uv[0] < cam.res_w and 0 < uv[1] < cam.res_h


def test_screen_normalisation(rig: dict[str, list[Camera]]) -> None:
    w, h = 1000, 1002
    corners = np.array([[0.0, 0.0], [w, h], [w / 2, h / 2]])
    np.testing.assert_allclose(normalize_screen_coordinates(corners, w, h),
                               [[-1, -h / w], [1, h / w], [0, 0]], atol=1e-12)
    rng = np.random.default_rng(3)
    uv = rng.uniform(0, 1000, (7, 17, 2))
    np.testing.assert_allclose(image_coordinates(normalize_screen_coordinates(uv, w, h), w, h), uv, atol=1e-9)
    assert normalize_screen_coordinates(uv.astype(np.float32), w, h).dtype == np.float32


@pytest.mark.parametrize("cam_index", range(4))
def test_normalised_intrinsics_project_to_normalised_coordinates(rig: dict[str, list[Camera]], cam_index: int) -> None:
    cam = rig["S6"][cam_index]
    intr_n = normalize_intrinsics(cam.intrinsics, cam.res_w, cam.res_h)
    np.testing.assert_allclose(intr_n, cam.normalized_intrinsics)
    np.testing.assert_array_equal(intr_n[4:], cam.intrinsics[4:])  # distortion unchanged
    np.testing.assert_allclose(denormalize_intrinsics(intr_n, cam.res_w, cam.res_h), cam.intrinsics, atol=1e-9)
    pts = _random_points(np.random.default_rng(cam_index), 100)
    expected = normalize_screen_coordinates(project(pts, cam.intrinsics), cam.res_w, cam.res_h)
    np.testing.assert_allclose(project(pts, intr_n), expected, atol=1e-12)


# --- Human3.6M's published formula, written out independently of camera.py -----------------

def _qrot(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rotate v by unit quaternion q = (w, x, y, z): v + 2 w (u x v) + 2 u x (u x v)."""
    w, u = q[0], q[1:]
    uv = np.cross(u, v)
    return v + 2 * (w * uv + np.cross(u, uv))


def test_projection_matches_the_published_formula(rig: dict[str, list[Camera]]) -> None:
    # Human3.6M S9, camera 55011271: numbers as published (translation in millimetres).
    q = np.array([0.618784487247467, -0.7634735107421875, -0.14132238924503326, 0.11933968216180801])
    t_mm = np.array([1990.959716796875, -5123.810546875, 1568.8048095703125])
    f = np.array([1149.6756591796875, 1147.5916748046875])
    c = np.array([508.8486328125, 508.0649108886719])
    k1, k2, k3 = -0.1942136287689209, 0.2404085397720337, 0.006819975562393665
    p1, p2 = -0.0016190266469493508, -0.0027408944442868233
    # The published world->camera rotation matrix for this camera.
    r_published = np.array([[0.9315720471487059, 0.36348288012373176, -0.007329176497134756],
                            [0.06810069482701912, -0.19426747906725159, -0.9785818524481906],
                            [-0.35712157080642226, 0.911120377575769, -0.20572758986325015]])

    cam = rig["S9"][1]
    assert cam.id == "55011271"
    np.testing.assert_allclose(cam.rotation, r_published, atol=1e-6)
    np.testing.assert_allclose(cam.position * 1000.0, t_mm, atol=1e-6)
    q_inv = q * np.array([1, -1, -1, -1]) / np.linalg.norm(q)
    # the point of the brief, near the image centre, and one near the top-right corner
    for x_world_m in ([0.1, -0.2, 0.9], [2.0, 1.0, 1.8]):
        x_world_mm = np.array(x_world_m) * 1000.0
        X = _qrot(q_inv, x_world_mm - t_mm)  # camera frame, mm
        np.testing.assert_allclose(X, r_published @ (x_world_mm - t_mm), rtol=1e-6)
        x, y = X[0] / X[2], X[1] / X[2]
        r2 = x * x + y * y
        radial = 1 + k1 * r2 + k2 * r2 ** 2 + k3 * r2 ** 3
        tan = p1 * y + p2 * x
        u = f[0] * (x * (radial + tan) + p2 * r2) + c[0]
        v = f[1] * (y * (radial + tan) + p1 * r2) + c[1]

        got = cam.project(cam.world_to_camera(np.array([x_world_m])))[0]
        np.testing.assert_allclose(got, [u, v], atol=1e-6, rtol=0)
        # the swapped-p convention of VideoPose3D gives a different answer
        tan_swapped = p1 * x + p2 * y
        u_swapped = f[0] * (x * (radial + tan_swapped) + p1 * r2) + c[0]
        assert abs(u_swapped - u) > 1e-3
    # the corner point is strongly distorted (k3 matters there)
    assert abs(f[0] * x * k3 * r2 ** 3) > 1e-3


# --- closed-form root solve -----------------------------------------------------------------

def _poses(rng: np.random.Generator, b: int) -> tuple[np.ndarray, np.ndarray]:
    """Root-relative poses (B, 17, 3) within ~1 m of the root and roots 3-6 m in front."""
    rel = rng.normal(0, 0.35, (b, 17, 3))
    rel[:, 0] = 0
    root = np.column_stack([rng.uniform(-1, 1, b), rng.uniform(-0.8, 0.8, b), rng.uniform(3, 6, b)])
    return rel, root


def test_solve_root_without_distortion_is_exact(rig: dict[str, list[Camera]]) -> None:
    rng = np.random.default_rng(4)
    rel, root = _poses(rng, 64)
    intr = rig["S1"][0].intrinsics.copy()
    intr[4:] = 0
    kp = project(rel + root[:, None], intr)
    t = solve_root_numpy(rel, kp, intr)
    assert np.abs(t - root).max() < 1e-6
    # and in normalised units, through the torch entry point
    intr_n = normalize_intrinsics(intr, 1000, 1002)
    kp_n = project(rel + root[:, None], intr_n)
    t2 = solve_root(torch.tensor(rel), torch.tensor(kp_n), torch.tensor(intr_n)).numpy()
    assert np.abs(t2 - root).max() < 1e-6


@pytest.mark.parametrize("cam_index", [0, 3])
def test_solve_root_with_h36m_distortion(rig: dict[str, list[Camera]], cam_index: int) -> None:
    rng = np.random.default_rng(5 + cam_index)
    rel, root = _poses(rng, 128)
    intr = rig["S1"][cam_index].intrinsics
    kp = project(rel + root[:, None], intr)
    t = solve_root_numpy(rel, kp, intr)
    assert np.abs(t - root).max() < 1e-3  # < 1 mm
    # without accounting for the distortion the answer is clearly worse
    t0 = solve_root_numpy(rel, kp, intr, refine_steps=0)
    assert np.abs(t0 - root).max() > np.abs(t - root).max()


def test_solve_root_weights_ignore_a_bad_joint(rig: dict[str, list[Camera]]) -> None:
    rng = np.random.default_rng(6)
    rel, root = _poses(rng, 16)
    intr = rig["S1"][1].intrinsics.copy()
    intr[4:] = 0
    kp = project(rel + root[:, None], intr)
    kp[:, 5] += 80.0  # a detector outlier
    w = np.ones((16, 17))
    w[:, 5] = 0
    assert np.abs(solve_root_numpy(rel, kp, intr, weights=w) - root).max() < 1e-6
    assert np.abs(solve_root_numpy(rel, kp, intr) - root).max() > 1e-3


# --- cameras file ---------------------------------------------------------------------------

def test_cameras_file_round_trip(tmp_path: Path, rig: dict[str, list[Camera]]) -> None:
    path = tmp_path / "data_cameras_x.json"
    save_cameras(path, {"S9": rig["S9"], "S1": rig["S1"][:2]}, note="test")
    back = load_cameras(path)
    assert sorted(back) == ["S1", "S9"] and len(back["S1"]) == 2
    pts = np.random.default_rng(7).uniform(-2, 2, (5, 3))
    for a, b in zip(rig["S9"], back["S9"]):
        assert (a.id, a.res_w, a.res_h) == (b.id, b.res_w, b.res_h)
        np.testing.assert_allclose(b.intrinsics, a.intrinsics, atol=0)
        np.testing.assert_allclose(b.world_to_camera(pts), a.world_to_camera(pts), atol=1e-12)


def test_cameras_file_opencv_extrinsics(tmp_path: Path, rig: dict[str, list[Camera]]) -> None:
    cam = rig["S7"][2]
    d = cam.to_dict()
    del d["position"]
    d["t"] = list(-cam.rotation @ cam.position)  # X_cam = R X + t
    path = tmp_path / "cams.json"
    path.write_text(json.dumps({"format": "wsgcn-cameras-1", "subjects": {"A": [d]}}))
    back = load_cameras(path)["A"][0]
    np.testing.assert_allclose(back.position, cam.position, atol=1e-12)
    pts = np.random.default_rng(8).uniform(-2, 2, (5, 3))
    np.testing.assert_allclose(back.world_to_camera(pts), pts @ cam.rotation.T + np.array(d["t"]), atol=1e-12)


def test_cameras_file_h36m_quaternion_extrinsics(tmp_path: Path) -> None:
    d = {"id": "c", "res_w": 1000, "res_h": 1000, "focal_length": [1000, 1000], "center": [500, 500],
         "orientation": [0.618784487247467, -0.7634735107421875, -0.14132238924503326, 0.11933968216180801],
         "translation": [1.990959716796875, -5.123810546875, 1.5688048095703125]}
    path = tmp_path / "cams.json"
    path.write_text(json.dumps({"subjects": {"S9": [d]}}))
    cam = load_cameras(path)["S9"][0]
    np.testing.assert_allclose(cam.world_to_camera(np.array(d["translation"])), 0, atol=1e-12)
    np.testing.assert_array_equal(cam.radial_distortion, 0)


def _camera_dict() -> dict:
    return {"id": "c0", "res_w": 640, "res_h": 480, "focal_length": [500.0, 500.0], "center": [320.0, 240.0],
            "R": np.eye(3).tolist(), "position": [0.0, 0.0, -4.0]}


@pytest.mark.parametrize("break_it, message", [
    (lambda d: d.pop("center"), "center"),
    (lambda d: d.pop("res_w"), "res_w"),
    (lambda d: d.update(R=[[1, 0, 0], [0, 2, 0], [0, 0, 1]]), "rotation"),
    (lambda d: d.update(R=[[1, 0, 0], [0, 1, 0], [0, 0, -1]]), "rotation"),  # a reflection
    (lambda d: d.update(res_w=-640), "size"),
    (lambda d: d.update(focal_length=[500.0]), "focal_length"),
    (lambda d: d.update(focal_length=[500.0, float("nan")]), "focal_length"),
])
def test_malformed_cameras_file(tmp_path: Path, break_it, message: str) -> None:
    d = _camera_dict()
    break_it(d)
    path = tmp_path / "broken_cameras.json"
    path.write_text(json.dumps({"format": "wsgcn-cameras-1", "subjects": {"A": [d]}}))
    with pytest.raises(WsgcnError, match=message) as e:
        load_cameras(path)
    assert "broken_cameras.json" in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"subjects": {"A": []}}'])
def test_cameras_file_that_is_not_one(tmp_path: Path, content: str) -> None:
    path = tmp_path / "nope.json"
    path.write_text(content)
    with pytest.raises(WsgcnError, match="nope.json"):
        load_cameras(path)
    with pytest.raises(WsgcnError, match="missing.json"):
        load_cameras(tmp_path / "missing.json")
