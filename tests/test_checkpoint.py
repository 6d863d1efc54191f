"""``wsgcn.checkpoint.load_model``: one build of the network, the same model as a real build followed
by a strict state-dict load, and none of PyTorch's slow imports on the way."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from wsgcn import checkpoint
from wsgcn.checkpoint import build_model_from_config, load_model, model_state, read_checkpoint, save_checkpoint
from wsgcn.config import config_from_dict, load_config

from support.files import tiny_checkpoint
from support.models import randomize

ARCHS = {
    "semgcn": ["model.hidden=16", "model.num_blocks=2", "model.nonlocal_layers=true", "data.joints=17"],
    "semgcn-16-joints": ["model.hidden=8", "model.num_blocks=1", "model.nonlocal_layers=false", "data.joints=16"],
    "martinez": ["model.arch=martinez", "model.hidden=32", "model.num_blocks=1", "data.joints=16"],
}


def _saved(path: Path, overrides: list[str], dtype: torch.dtype = torch.float32) -> Path:
    """A checkpoint whose weights and BatchNorm statistics are all away from their initial values."""
    cfg = load_config(None, overrides)
    torch.manual_seed(3)
    model = build_model_from_config(cfg)
    randomize(model, seed=4)
    save_checkpoint(path, model.to(dtype).eval(), {"config": cfg.to_dict(), "epoch": 1}, write_sidecar=False)
    return path


def _reference(path: Path) -> torch.nn.Module:
    """What ``load_model`` stands for: a real build, then a strict state-dict load."""
    tensors, meta = read_checkpoint(path)
    model = build_model_from_config(config_from_dict(meta["config"]))
    model.load_state_dict(model_state(tensors), strict=True)
    return model.eval()


def test_load_model_builds_the_network_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def counted(cfg):
        calls.append(cfg.model.arch)
        return build_model_from_config(cfg)

    monkeypatch.setattr(checkpoint, "build_model_from_config", counted)
    load_model(tiny_checkpoint(tmp_path / "m.safetensors"))
    assert calls == ["semgcn"]


@pytest.mark.parametrize("arch", sorted(ARCHS))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_loaded_model_equals_a_real_build_and_a_strict_load(arch: str, dtype: torch.dtype, tmp_path: Path) -> None:
    path = _saved(tmp_path / "m.safetensors", ARCHS[arch], dtype)  # float64 in the file: cast as copy_ casts
    model, meta = load_model(path)
    ref = _reference(path)
    assert not model.training and meta["epoch"] == 1
    got, want = dict(model.named_parameters()), dict(ref.named_parameters())
    assert got.keys() == want.keys()
    for k, p in got.items():
        assert p.dtype == torch.float32 and p.device == want[k].device and p.requires_grad, k
        assert torch.equal(p, want[k]), k
    got_b, want_b = dict(model.named_buffers()), dict(ref.named_buffers())  # index tables included
    assert got_b.keys() == want_b.keys()
    for k, b in got_b.items():
        assert not b.is_meta and b.dtype == want_b[k].dtype and torch.equal(b, want_b[k]), k
    joints = 17 if "data.joints=17" in ARCHS[arch] else 16
    x = torch.randn(300, joints, 2, generator=torch.Generator().manual_seed(0)) * 0.5
    with torch.no_grad():
        assert torch.equal(model(x), ref(x))


def test_a_fresh_process_loads_without_the_slow_imports(tmp_path: Path) -> None:
    """The network's shapes come from the meta device without running its initialisers there:
    a meta-device ``normal_`` imports TorchDynamo and ``empty_like`` SymPy (about 1.5 s together
    before the first ``wsgcn lift`` could start)."""
    path = tiny_checkpoint(tmp_path / "m.safetensors", "model.nonlocal_layers=true")
    code = ("import sys\nfrom wsgcn.checkpoint import load_model\n"
            f"load_model({str(path)!r})\n"
            "print(sorted(m for m in ('torch._dynamo', 'sympy') if m in sys.modules))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.split() == ["[]"], res.stdout
