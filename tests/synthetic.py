"""Synthetic data in the dataset file formats, for tests that need files, not real motion
(they run without the motion-capture registries): random-walk poses in the Human3.6M capture
volume, seen by the published Human3.6M cameras."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from wsgcn.camera import Camera, h36m_cameras
from wsgcn.data.h36m import write_positions_2d, write_positions_3d
from wsgcn.skeleton import H36M32_TO_17

META17 = {"num_joints": 17, "keypoints_symmetry": [[4, 5, 6, 11, 12, 13], [1, 2, 3, 14, 15, 16]]}
META16 = {"num_joints": 16, "keypoints_symmetry": [[4, 5, 6, 10, 11, 12], [1, 2, 3, 13, 14, 15]]}


def world_poses(rng: np.random.Generator, t: int, joints: int = 32) -> np.ndarray:
    """(T, J, 3) float32 plausible world poses in the Human3.6M capture volume (z up, metres):
    pelvis near the middle of the room at hip height, joint 0 = pelvis."""
    template = rng.uniform([-0.4, -0.4, -0.9], [0.4, 0.4, 0.85], (joints, 3))
    template[0] = 0
    start = np.array([rng.uniform(-1, 1), rng.uniform(-1, 1), 0.9])
    walk = start + np.cumsum(rng.normal(0, 0.01, (t, 3)), axis=0) * [1, 1, 0.2]
    poses = walk[:, None] + template[None] + rng.normal(0, 0.02, (t, joints, 3))
    poses[:, 0] = walk
    return poses.astype(np.float32)


def project_views(world: np.ndarray, cams: list[Camera]) -> list[np.ndarray]:
    """2D of the 17 joints in every camera, (T, 17, 2) float32 pixels each."""
    pts = world[:, list(H36M32_TO_17)] if world.shape[1] == 32 else world
    return [c.project(c.world_to_camera(pts.astype(np.float64))).astype(np.float32) for c in cams]


def write_h36m_folder(out: Path, frames: dict[str, dict[str, int]], seed: int = 0) -> dict:
    """``data_3d_h36m.npz`` and ``data_2d_h36m_gt.npz`` in ``out`` with ``frames[subject][action]``
    frames each (32 raw joints; 2D from the built-in cameras). Returns the 3D dict."""
    rng = np.random.default_rng(seed)
    rig = h36m_cameras()
    pos3 = {s: {a: world_poses(rng, n) for a, n in acts.items()} for s, acts in frames.items()}
    pos2 = {s: {a: project_views(w, rig[s]) for a, w in acts.items()} for s, acts in pos3.items()}
    out.mkdir(parents=True, exist_ok=True)
    write_positions_3d(out / "data_3d_h36m.npz", pos3)
    write_positions_2d(out / "data_2d_h36m_gt.npz", pos2, META17)
    return pos3


def synthetic_config(data_dir: Path, *overrides: str):
    """A small WS-GCN config (weak, root solve) on a :func:`write_h36m_folder` folder (the
    ``synthetic_h36m`` fixture): S1 labelled, S5 unlabelled, S9 test."""
    from wsgcn.config import load_config

    return load_config(None, [f"data.dir={data_dir}", "data.name=h36m", "data.source=gt", "data.joints=16",
                              "data.labelled=[S1]", "data.unlabelled=[S5]", "data.validation=[]",
                              "data.test=[S9]", "train.supervision=weak", "train.root=solve",
                              "model.hidden=32", "model.num_blocks=1", "train.batch_size=64",
                              "train.threads=1", *overrides])
