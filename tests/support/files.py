"""Small valid input files: a randomly initialised checkpoint and a keypoint file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from wsgcn.camera import h36m_cameras
from wsgcn.checkpoint import build_model_from_config, save_checkpoint
from wsgcn.config import load_config


def tiny_checkpoint(path: Path, *overrides: str) -> Path:
    """A randomly initialised small model's checkpoint (seconds to build, kilobytes on disk)."""
    cfg = load_config(None, ["model.hidden=8", "model.num_blocks=1", *overrides])
    torch.manual_seed(0)
    save_checkpoint(path, build_model_from_config(cfg).eval(), {"config": cfg.to_dict(), "epoch": 1, "step": 1})
    return path


def keypoints_file(path: Path, frames: int = 6) -> Path:
    """A Human3.6M-17 npz keypoint file (pixels) with its image size, as ``wsgcn lift`` reads it."""
    cam = h36m_cameras()["S1"][0]
    rng = np.random.default_rng(3)
    pose = rng.uniform(-0.7, 0.7, (frames, 17, 3)) * [0.5, 1.0, 0.3] + [0.0, 0.0, 5.0]
    np.savez(path, keypoints=cam.project(pose), image_size=np.array([cam.res_w, cam.res_h]),
             joint_format=np.array("h36m17"))
    return path
