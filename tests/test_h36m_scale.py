"""benchmarks/h36m_scale.py: the Human3.6M-sized data set it writes is what the h36m reader and
the run's splits read, at a tiny scale; the schedule projection's arithmetic."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from synthetic import world_poses
from wsgcn.config import load_config
from wsgcn.data.h36m import read_positions_2d, read_positions_3d, write_positions_3d
from wsgcn.train import load_run_data

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def hs():
    spec = importlib.util.spec_from_file_location("h36m_scale", REPO / "benchmarks" / "h36m_scale.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["h36m_scale"] = mod
    spec.loader.exec_module(mod)
    yield mod
    sys.modules.pop("h36m_scale", None)


def test_frames_are_human36m_sized(hs) -> None:
    train = sum(n for s, n in hs.H36M_FRAMES.items() if s not in ("S9", "S11"))
    assert hs.CAMERAS * train == 1_559_752
    assert hs.CAMERAS * (hs.H36M_FRAMES["S9"] + hs.H36M_FRAMES["S11"]) == 543_344


def test_build_is_read_by_the_h36m_reader(hs, tmp_path: Path) -> None:
    mocap = tmp_path / "mocap"
    mocap.mkdir()
    rng = np.random.default_rng(0)
    write_positions_3d(mocap / "data_3d_mocap.npz", {"a": {"x": world_poses(rng, 50, joints=17)}})
    frames = hs.build_dataset(tmp_path / "h36m", mocap, scale=0.002)
    assert set(frames) == {"S1", "S5", "S6", "S7", "S8", "S9", "S11"}
    p3 = read_positions_3d(tmp_path / "h36m" / "data_3d_h36m.npz")
    p2, meta = read_positions_2d(tmp_path / "h36m" / "data_2d_h36m_gt.npz")
    assert meta["num_joints"] == 17
    for s, n in frames.items():
        assert sum(a.shape[0] for a in p3[s].values()) == n
        assert all(a.shape[1:] == (32, 3) for a in p3[s].values())
        assert all(len(v) == 4 and v[0].shape == (p3[s][a].shape[0], 17, 2) for a, v in p2[s].items())
    cfg = load_config(REPO / "configs" / "h36m_weak.yaml", [f"data.dir={tmp_path / 'h36m'}"])
    data = load_run_data(cfg)
    unl = 4 * sum(frames[s] for s in ("S5", "S6", "S7", "S8"))
    assert len(data.unlabelled) == unl
    assert len(data.labelled) + len(data.validation) == 4 * frames["S1"]
    assert hs.build_dataset(tmp_path / "h36m", mocap, scale=0.002) == frames  # reused, not rebuilt


def test_schedule_projection(hs) -> None:
    m = {"steps_full": 100, "steps_timed": 10, "step_s": 0.4, "warmup_step_s": 0.2, "setup_s": 5.0,
         "val_s": 1.0, "bookkeeping_s_per_epoch": 0.5}
    p = hs.project(m, warmup_epochs=20, epochs=100)
    assert p["epoch_projected"] and p["weak_epoch_s"] == pytest.approx(40.0)
    assert p["schedule_s"] == pytest.approx(5 + 20 * 20 + 80 * 40 + 100 * 1.0 + 100 * 0.5)
    del m["warmup_step_s"]
    assert hs.project(m, 20, 100)["warmup_epoch_s"] == pytest.approx(20.0)  # assumed half a weak step
