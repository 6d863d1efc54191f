"""Two CPU processes under torchrun (DistributedDataParallel, gloo) against one process
with the same global batch, on a small slice of the real-motion benchmark."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from wsgcn.checkpoint import read_checkpoint


def _run(cmd: list[str], tmp: Path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]


@pytest.mark.slow
def test_two_processes_match_one_process_with_the_same_global_batch(mocap_slice: Path, tmp_path: Path):
    sets = [f"data.dir={mocap_slice}", "train.supervision=full", "train.epochs=2", "train.max_steps_per_epoch=10",
            "train.batch_size=128", "model.hidden=32", "model.num_blocks=1", "train.threads=1", "train.device=cpu"]
    args = ["train", "configs/mocap_weak.yaml", "--quiet"] + [x for s in sets for x in ("--set", s)]
    _run([sys.executable, "-m", "wsgcn", *args, "--out", str(tmp_path / "one")], tmp_path)
    _run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
          "-m", "wsgcn", *args, "--out", str(tmp_path / "two")], tmp_path)
    one = [json.loads(x) for x in (tmp_path / "one/metrics.jsonl").read_text().splitlines()]
    two = [json.loads(x) for x in (tmp_path / "two/metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in one] == [r["step"] for r in two] == [10, 20]  # same number of global steps
    assert "2 processes" in (tmp_path / "two/report.md").read_text()
    # BatchNorm statistics are per process on CPU (SyncBatchNorm needs GPUs), so the runs are
    # close, not identical: the same data order and averaged gradients keep them together.
    assert abs(one[-1]["val_mpjpe"] - two[-1]["val_mpjpe"]) < 0.05 * one[-1]["val_mpjpe"]
    wa, _ = read_checkpoint(tmp_path / "one/checkpoints/last.safetensors")
    wb, _ = read_checkpoint(tmp_path / "two/checkpoints/last.safetensors")
    params = [k for k in wa if k.startswith("model.") and wa[k].dtype.is_floating_point and "running" not in k]
    num = sum(float((wa[k] - wb[k]).norm() ** 2) for k in params) ** 0.5
    den = sum(float(wa[k].norm() ** 2) for k in params) ** 0.5
    assert num / den < 0.05, num / den
