"""``wsgcn export-onnx``: dynamic batch, onnxruntime equals PyTorch within 1e-4, metadata, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from wsgcn.checkpoint import build_model_from_config, save_checkpoint
from wsgcn.config import load_config
from wsgcn.lift import Lifter
from wsgcn.skeleton import H36M17

from support.cli import run_cli

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """The full WS-GCN (non-local layers, 2 residual blocks, 17 joints), with BatchNorm statistics
    and edge weights moved away from their initial values so every layer matters, exported."""
    d = tmp_path_factory.mktemp("onnx")
    cfg = load_config(None, ["model.hidden=16", "model.num_blocks=2", "model.nonlocal_layers=true", "data.joints=17"])
    torch.manual_seed(0)
    model = build_model_from_config(cfg)
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if t.dtype.is_floating_point:
                t.add_(0.1 * torch.randn_like(t))
                if "running_var" in name:
                    t.abs_().add_(0.5)
    ckpt = d / "ws.safetensors"
    save_checkpoint(ckpt, model.eval(), {"config": cfg.to_dict()})
    out = d / "ws.onnx"
    rc, stdout, err = run_cli("export-onnx", ckpt, out)
    assert rc == 0, err
    return ckpt, out, stdout


def test_onnxruntime_equals_pytorch_for_any_batch(exported: tuple) -> None:
    ckpt, out, stdout = exported
    assert "dynamic batch" in stdout and "onnxruntime matches PyTorch" in stdout
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    assert inp.name == "keypoints_2d" and isinstance(inp.shape[0], str) and inp.shape[1:] == [17, 2]
    lifter = Lifter.from_checkpoint(ckpt)
    rng = np.random.default_rng(1)
    for batch in (1, 3, 600):  # 600: beyond the PyTorch model's inference chunk
        x = rng.uniform(-0.7, 0.7, (batch, 17, 2)).astype(np.float32)
        got = sess.run(["pose_3d"], {"keypoints_2d": x})[0]
        want = lifter.predict_normalized(x)
        assert got.shape == (batch, 17, 3)
        np.testing.assert_allclose(got, want, atol=1e-4, rtol=0)
        assert np.abs(want).max() > 1e-2  # not a trivially zero network
        np.testing.assert_allclose(got[:, 0], 0, atol=1e-6)  # root-relative like the Lifter


def test_metadata_says_how_to_feed_it(exported: tuple) -> None:
    m = onnx.load(str(exported[1]))
    props = {p.key: p.value for p in m.metadata_props}
    assert json.loads(props["joint_names"]) == list(H36M17.names)
    assert "u / w * 2 - [1, h / w]" in props["input"] and "metres" in props["output"]


def test_export_errors(exported: tuple, run, tmp_path: Path) -> None:
    rc, _, err = run("export-onnx", exported[0], tmp_path / "model.txt")
    assert rc == 2 and ".onnx" in err and not (tmp_path / "model.txt").exists()
    rc, _, err = run("export-onnx", tmp_path / "missing.safetensors", tmp_path / "m.onnx")
    assert rc == 2 and "missing.safetensors" in err and not (tmp_path / "m.onnx").exists()
