"""A small kinematic pose generator and a COCO face synthesiser: varied, well-formed poses (no
real motion, no registry) seen by the first Human3.6M camera."""

from __future__ import annotations

import numpy as np

from wsgcn.camera import h36m_cameras
from wsgcn.keypoints import COCO17_NAMES
from wsgcn.skeleton import H36M17

N = {n: i for i, n in enumerate(H36M17.names)}
C = {n: i for i, n in enumerate(COCO17_NAMES)}


def _rot(axis: str, a: np.ndarray) -> np.ndarray:
    """(n, 3, 3) rotations about a body axis by angles a (n,)."""
    c, s, o, z = np.cos(a), np.sin(a), np.ones_like(a), np.zeros_like(a)
    m = {"x": [[o, z, z], [z, c, -s], [z, s, c]], "y": [[c, z, s], [z, o, z], [-s, z, c]],
         "z": [[c, -s, z], [s, c, z], [z, z, o]]}[axis]
    return np.moveaxis(np.array(m), (0, 1), (1, 2))


def synth_poses(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n varied poses (walking/reaching/crouching-like joint angles, any heading) seen by the first
    Human3.6M camera: (camera-frame Human3.6M-17 joints (n, 17, 3) metres, pixels (n, 17, 2))."""
    rng = np.random.default_rng(seed)
    u = lambda lo, hi: rng.uniform(lo, hi, n)  # noqa: E731
    # body frame: x = the person's left, y = up, z = forward (metres)
    P = np.zeros((n, 17, 3))
    down, up = np.array([0, -1.0, 0]), np.array([0, 1.0, 0])
    trunk = _rot("x", u(-0.1, 0.5)) @ _rot("z", u(-0.15, 0.15))  # lean forward / sideways
    for side, sgn in (("R", -1), ("L", 1)):
        hip = np.array([0.13 * sgn, 0, 0])
        r_hip = _rot("x", -u(-0.5, 1.3)) @ _rot("z", sgn * u(-0.1, 0.4))  # flexion (forward), abduction
        r_knee = r_hip @ _rot("x", u(0, 1.6))  # knee bends backwards
        P[:, N[side + "Hip"]] = hip
        P[:, N[side + "Knee"]] = hip + r_hip @ (0.45 * down)
        P[:, N[side + "Foot"]] = P[:, N[side + "Knee"]] + r_knee @ (0.44 * down)
    spine = trunk @ (0.23 * up)
    thorax = spine + trunk @ (0.26 * up)
    head_r = trunk @ _rot("x", u(-0.4, 0.3)) @ _rot("y", u(-0.6, 0.6))
    P[:, N["Spine"]], P[:, N["Thorax"]] = spine, thorax
    P[:, N["Neck"]] = thorax + head_r @ np.array([0, 0.11, 0.05])
    P[:, N["Head"]] = P[:, N["Neck"]] + head_r @ np.array([0, 0.115, -0.02])
    for side, sgn in (("R", -1), ("L", 1)):
        sh = thorax + trunk @ np.array([0.15 * sgn, -0.02, 0])
        r_sh = trunk @ _rot("z", sgn * u(0, 2.4)) @ _rot("x", -u(-0.8, 1.5))  # raise sideways, swing forward
        r_el = r_sh @ _rot("x", -u(0, 2.2))
        P[:, N[side + "Shoulder"]] = sh
        P[:, N[side + "Elbow"]] = sh + r_sh @ (0.28 * down)
        P[:, N[side + "Wrist"]] = P[:, N[side + "Elbow"]] + r_el @ (0.25 * down)
    P += np.array([0, 0.95, 0])  # pelvis height above the floor
    P[:, :, 1] -= np.minimum(P[:, N["RFoot"], 1], P[:, N["LFoot"], 1])[:, None] - 0.08  # feet on the floor
    P = np.einsum("nij,nkj->nki", _rot("y", u(0, 2 * np.pi)), P)  # heading
    cam_xyz = np.stack([P[..., 0], 1.6 - P[..., 1], P[..., 2]], -1)  # y down, camera 1.6 m above the floor
    cam_xyz += np.stack([u(-0.6, 0.6), np.zeros(n), u(4.0, 6.0)], -1)[:, None]
    cam = h36m_cameras()["S1"][0]
    return cam_xyz, cam.project(cam_xyz)


def synth_coco(pose_cam: np.ndarray, cam_project) -> np.ndarray:
    """COCO-17 pixels for camera-frame Human3.6M-17 poses (n, 17, 3): limb joints as they are, the
    nose at Human3.6M's Neck/Nose joint, eyes and ears placed on the head in 3D and projected."""
    j = lambda name: pose_cam[:, N[name]]  # noqa: E731
    up = j("Head") - j("Neck")
    up /= np.linalg.norm(up, axis=-1, keepdims=True)
    left = j("LShoulder") - j("RShoulder")
    left -= np.sum(left * up, -1, keepdims=True) * up
    left /= np.linalg.norm(left, axis=-1, keepdims=True)
    fwd = np.cross(left, up)
    d = np.linalg.norm(j("Head") - j("Neck"), axis=-1, keepdims=True)
    face = {
        "left_eye": j("Neck") + 0.35 * d * up + 0.032 * left + 0.05 * fwd,
        "right_eye": j("Neck") + 0.35 * d * up - 0.032 * left + 0.05 * fwd,
        "left_ear": j("Neck") + 0.3 * d * up + 0.075 * left - 0.03 * fwd,
        "right_ear": j("Neck") + 0.3 * d * up - 0.075 * left - 0.03 * fwd,
    }
    body = {"nose": "Neck", "left_shoulder": "LShoulder", "right_shoulder": "RShoulder", "left_elbow": "LElbow",
            "right_elbow": "RElbow", "left_wrist": "LWrist", "right_wrist": "RWrist", "left_hip": "LHip",
            "right_hip": "RHip", "left_knee": "LKnee", "right_knee": "RKnee", "left_ankle": "LFoot",
            "right_ankle": "RFoot"}
    pts = np.stack([face[n] if n in face else j(body[n]) for n in COCO17_NAMES], 1)
    return cam_project(pts)
