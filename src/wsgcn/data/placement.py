"""The real-motion benchmark's staging: where each window of motion stands in front of the
cameras (recentred on the capture volume, turned by a deterministic yaw) and which of its
frames every camera sees (``wsgcn data build-mocap``, docs/BENCHMARK.md)."""

from __future__ import annotations

import zlib

import numpy as np

from ..camera import Camera

MIN_DEPTH = 1.0  # metres in front of every camera


def look_at_point(cams: list[Camera]) -> np.ndarray:
    """(3,) the point closest (least squares) to the optical axes of ``cams`` [m]."""
    a, b = np.zeros((3, 3)), np.zeros(3)
    for c in cams:
        d = c.rotation[2]  # optical axis in world coordinates
        p = np.eye(3) - np.outer(d, d)
        a += p
        b += p @ c.position
    return np.linalg.solve(a, b)


def yaw_matrix(angle: float) -> np.ndarray:
    """(3, 3) rotation by ``angle`` radians about the world's vertical (z) axis."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def window_yaw(take: str, window: int) -> float:
    """Deterministic yaw in [0, 2 pi) of one window (a hash of its name, not a random state)."""
    return 2 * np.pi * (zlib.crc32(f"{take}:{window}".encode()) / 2 ** 32)


def place_window(world: np.ndarray, centre_xy: np.ndarray, yaw: float) -> np.ndarray:
    """(T, 17, 3) window -> horizontally recentred so its mean pelvis position is at
    ``centre_xy``, turned by ``yaw`` about the vertical through it; heights unchanged."""
    shift = np.array([*world[:, 0, :2].mean(axis=0), 0.0])
    out = (world - shift) @ yaw_matrix(yaw).T
    out[..., :2] += centre_xy
    return out


def valid_frames(world: np.ndarray, cams: list[Camera]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per frame (T,) bool: every joint inside every image, every joint >= MIN_DEPTH in front
    of every camera; returns (valid, inside, deep). A point also needs the distortion to be
    monotonic there (no fold-over of far off-axis points into the image)."""
    inside = np.ones(world.shape[0], dtype=bool)
    deep = np.ones(world.shape[0], dtype=bool)
    for cam in cams:
        pc = cam.world_to_camera(world)
        z = pc[..., 2]
        deep &= np.all(z >= MIN_DEPTH, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            uv = cam.project(pc)
            xy = pc[..., :2] / z[..., None]
        k = cam.radial_distortion
        r2 = np.sum(xy ** 2, axis=-1)
        monotonic = 1 + 3 * k[0] * r2 + 5 * k[1] * r2 ** 2 + 7 * k[2] * r2 ** 3 > 0
        ok = ((uv[..., 0] >= 0) & (uv[..., 0] < cam.res_w) & (uv[..., 1] >= 0) & (uv[..., 1] < cam.res_h)
              & monotonic & (z > 0))
        inside &= np.all(ok, axis=1)
    return inside & deep, inside, deep


def longest_run(mask: np.ndarray) -> tuple[int, int]:
    """(start, stop) of the longest stretch of True in a (T,) bool mask; (0, 0) if none."""
    best, start = (0, 0), None
    for i, v in enumerate(np.append(mask, False)):
        if v and start is None:
            start = i
        elif not v and start is not None:
            if i - start > best[1] - best[0]:
                best = (start, i)
            start = None
    return best
