"""Multi-view consistency in training (docs/METHOD.md §5, §7): rows keep their instant, camera and
rotation; batches of whole view groups; no unlabelled 3D label read with ``root: solve``; the weight
0 trains exactly as the code without the term."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from wsgcn import losses
from wsgcn.camera import h36m_cameras
from wsgcn.checkpoint import build_model_from_config
from wsgcn.codec import root_relative
from wsgcn.data.batches import GroupStream, IndexStream, build_poseset
from wsgcn.data.h36m import open_data
from wsgcn.data.views import complete_groups, view_group_ids
from wsgcn.errors import WsgcnError
from wsgcn.skeleton import get_skeleton
from wsgcn.train import TwoStreams, load_run_data, step_losses, train
from wsgcn.train.sets import multiview_groups
from wsgcn.train.state import RandomStreams

from synthetic import synthetic_config


def test_unlabelled_rows_keep_instant_camera_and_rotation(synthetic_h36m: Path):
    data = load_run_data(synthetic_config(synthetic_h36m, "train.multiview_weight=0.1"))
    u, rig = data.unlabelled, h36m_cameras()["S5"]
    table, left_out = complete_groups(u.group)
    assert table.shape == (400, 4) and left_out == 0  # S5 "Eating": 400 frames x 4 cameras
    for row in table[[0, 123, 399]]:
        assert len(set(u.frame[row].tolist())) == 1 and len(set(u.subject[row].tolist())) == 1
        assert u.camera[row].tolist() == [0, 1, 2, 3]
        for r, c in zip(row.tolist(), range(4)):
            np.testing.assert_allclose(u.rotation[r].numpy(), rig[c].rotation, rtol=0, atol=1e-6)


def test_cameras_of_different_length_group_their_common_prefix(synthetic_h36m: Path):
    files = open_data(synthetic_h36m, "h36m", "gt")
    seqs = files.sequences(["S5"])
    cut = {"pose_3d", "root", "keypoints_2d"}
    seqs[2] = dataclasses.replace(seqs[2], **{f: getattr(seqs[2], f)[:390] for f in cut})  # camera 2: 10 frames short
    ps = build_poseset(seqs, get_skeleton(16), stride=3)
    table, left_out = complete_groups(ps.group)
    assert table.shape == (130, 4)  # frames 0, 3, ..., 387 of every camera
    assert int(ps.frame[table].max()) == 387 and left_out == 3 * 4  # frames 390, 393, 396, 399 of 3 cameras
    assert (ps.group[ps.frame >= 390] == -1).all()
    # the building block: 3 cameras of 10, 10 and 8 frames, one of them starting later
    ids = view_group_ids([("S", "a")] * 3, [0, 0, 2], [10, 10, 8], [np.arange(10), np.arange(10), 2 + np.arange(8)])
    assert (ids[[0, 1, 10, 11]] == -1).all() and len(set(ids[ids >= 0].tolist())) == 8


def test_group_stream_batches_hold_complete_view_groups(synthetic_h36m: Path):
    cfg = synthetic_config(synthetic_h36m, "train.multiview_weight=0.1")
    data = load_run_data(cfg)
    table = multiview_groups(cfg, data)
    assert table is not None and cfg.train.batch_size == 64
    stream = GroupStream(table, 64, torch.Generator().manual_seed(2))
    assert stream.batches_per_pass() == 400 // 16
    seen = []
    for _ in range(stream.batches_per_pass()):
        idx = stream.next()
        assert idx.shape == (64,)
        groups = data.unlabelled.group[idx].reshape(16, 4)
        assert (groups == groups[:, :1]).all() and (data.unlabelled.camera[idx].reshape(16, 4) == torch.arange(4)).all()
        seen += groups[:, 0].tolist()
    assert len(set(seen)) == 400  # one pass: every instant once
    # two processes: every rank's rank::2 share holds whole groups, together the global batch
    two = GroupStream(table, 64, torch.Generator().manual_seed(2), world=2)
    one = GroupStream(table, 64, torch.Generator().manual_seed(2))
    idx, ref = two.next(), one.next()
    assert sorted(idx.tolist()) == sorted(ref.tolist())
    for r in range(2):
        g = data.unlabelled.group[idx[r::2]].reshape(8, 4)
        assert (g == g[:, :1]).all()
    # resumable: the state gives the same next batch
    state = one.state()
    nxt = one.next()
    again = GroupStream(table, 64, torch.Generator().manual_seed(99))
    again.load_state(state)
    assert torch.equal(again.next(), nxt)


def test_multiview_step_reads_no_unlabelled_3d_with_root_solve(synthetic_h36m: Path):
    cfg = synthetic_config(synthetic_h36m, "train.multiview_weight=0.1")  # root: solve
    data = load_run_data(cfg)
    u = data.unlabelled
    assert torch.isnan(u.targets).all() and torch.isnan(u.root).all()  # the blanking still holds
    assert torch.isfinite(u.rotation).all() and (u.group >= 0).all()
    torch.manual_seed(0)
    model = build_model_from_config(cfg).train()
    iu = GroupStream(multiview_groups(cfg, data), 64, torch.Generator().manual_seed(2)).next()
    out = step_losses(TwoStreams(model), cfg, data, torch.arange(64), iu, get_skeleton(16))
    assert all(torch.isfinite(v) for v in out.values()) and out["loss_mv"] > 0
    out["loss"].backward()
    # train.multiview_form: relative reaches the step: the same spread over the groups' squared size
    rel_cfg = synthetic_config(synthetic_h36m, "train.multiview_weight=0.1", "train.multiview_form=relative")
    torch.manual_seed(0)
    rel = step_losses(TwoStreams(build_model_from_config(rel_cfg).train()), rel_cfg, data, torch.arange(64), iu,
                      get_skeleton(16))
    got, plain = float(rel["loss_mv"].detach()), float(out["loss_mv"].detach())
    assert 0 < got < 1 and got != pytest.approx(plain)
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


def test_weight_zero_step_and_streams_equal_the_code_without_the_term(synthetic_h36m: Path):
    cfg = synthetic_config(synthetic_h36m)
    assert cfg.train.multiview_weight == 0
    data = load_run_data(cfg)
    assert multiview_groups(cfg, data) is None
    rs = RandomStreams.create(0, len(data.labelled), len(data.unlabelled), 64, multiview_groups(cfg, data))
    plain = IndexStream(len(data.unlabelled), 64, torch.Generator().manual_seed(2))  # the stream before the feature
    assert type(rs.unlabelled) is IndexStream and all(torch.equal(rs.unlabelled.next(), plain.next()) for _ in range(30))
    torch.manual_seed(0)
    model = build_model_from_config(cfg).train()
    il, iu = torch.arange(64), torch.arange(100, 164)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    out = step_losses(TwoStreams(model), cfg, data, il, iu, get_skeleton(16))
    model.load_state_dict(state)  # the same BatchNorm statistics for the hand computation
    p_l, p_u = model(data.labelled.inputs[il]), model(data.unlabelled.inputs[iu])
    sup = losses.mse_3d(p_l, data.labelled.targets[il])
    rel = root_relative(p_u)
    rep = losses.reprojection_loss(rel, data.unlabelled.inputs[iu], data.unlabelled.intrinsics[iu])
    bone = losses.bone_length_penalty(root_relative(p_l), rel, get_skeleton(16))
    total = sup + cfg.train.reprojection_weight * rep + cfg.train.bone_weight * bone  # the paper's total
    assert torch.equal(out["loss"], total) and float(out["loss_mv"]) == 0.0


def test_multiview_run_logs_its_term_and_refuses_what_it_cannot_do(synthetic_h36m: Path, tmp_path: Path):
    sets = ("train.epochs=2", "train.warmup_epochs=1", "train.max_steps_per_epoch=2")
    train(synthetic_config(synthetic_h36m, *sets, "train.multiview_weight=0.1"), tmp_path / "mv", progress=False)
    rows = [json.loads(x) for x in (tmp_path / "mv/metrics.jsonl").read_text().splitlines()]
    assert rows[0]["loss_mv"] == 0 and rows[1]["loss_mv"] > 0
    assert "400 instants x 4 views" in (tmp_path / "mv/report.md").read_text()
    # resuming it without the term would draw rows from a stream of instants: refused, files untouched
    last = (tmp_path / "mv/checkpoints/last.safetensors").read_bytes()
    with pytest.raises(WsgcnError, match="resume: the saved batch stream draws from 400 entries, this run's from 1600 "
                                         r"rows: .*train.multiview_weight"):
        train(None, tmp_path / "mv", resume=True, progress=False,
              overrides=["train.epochs=3", "train.multiview_weight=0"])
    assert (tmp_path / "mv/checkpoints/last.safetensors").read_bytes() == last
    with pytest.raises(WsgcnError, match="needs train.supervision: weak"):
        synthetic_config(synthetic_h36m, "train.multiview_weight=0.1", "train.supervision=full")
    with pytest.raises(WsgcnError, match="loss weights must be >= 0"):
        synthetic_config(synthetic_h36m, "train.multiview_weight=-1")
    cfg = synthetic_config(synthetic_h36m, "train.multiview_weight=0.1", "train.batch_size=3")
    with pytest.raises(WsgcnError, match="at least the number of views"):
        multiview_groups(cfg, load_run_data(cfg))
    data = load_run_data(synthetic_config(synthetic_h36m))
    data.unlabelled.group.fill_(-1)
    with pytest.raises(WsgcnError, match=">= 2 synchronised cameras"):
        multiview_groups(synthetic_config(synthetic_h36m, "train.multiview_weight=0.1"), data)
    with pytest.raises(WsgcnError, match="divisible by the number of processes"):
        multiview_groups(synthetic_config(synthetic_h36m, "train.multiview_weight=0.1", "train.batch_size=12"),
                         load_run_data(synthetic_config(synthetic_h36m)), world=2)
