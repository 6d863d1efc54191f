"""The default weights shipped with the package: trained on redistributable data only, and
useful (better than the mean pose on an unseen person) through the Lifter API."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import wsgcn
from wsgcn.checkpoint import read_checkpoint
from wsgcn.data.h36m import load_sequences
from wsgcn.lift import bundled_checkpoint
from wsgcn.codec import select
from wsgcn.skeleton import H36M16


def test_bundled_weights_come_from_cmu_captures_only():
    path = bundled_checkpoint()
    assert path is not None and path.name == "default_mocap.safetensors"
    _, meta = read_checkpoint(path)
    data, train = meta["config"]["data"], meta["config"]["train"]
    # CMU subject 01 only (free to redistribute); never the LaFAN1 performer (no derivatives)
    assert data["labelled"] == ["labelled-cmu01"] and data["unlabelled"] == []
    assert data["validation"] == ["validation-cmu01"] and train["supervision"] == "full"
    assert data["joints"] == 16 and meta["config"]["model"]["arch"] == "semgcn"


def test_bundled_weights_lift_an_unseen_person_better_than_the_mean_pose(mocap_slice: Path):
    seqs = load_sequences(mocap_slice, "mocap", "gt", ["test-boxing"])
    gt = select(np.concatenate([s.pose_3d for s in seqs]), H36M16)
    lifter = wsgcn.Lifter.from_checkpoint(None)
    assert tuple(lifter.joint_names) == H36M16.names
    pred = np.concatenate([lifter.lift(s.keypoints_2d, (s.camera_params.res_w, s.camera_params.res_h)) for s in seqs])
    err = np.linalg.norm(pred - gt, axis=-1).mean()
    mean_pose = np.linalg.norm(gt.mean(0, keepdims=True) - gt, axis=-1).mean()
    assert err < 0.85 * mean_pose, (err, mean_pose)
