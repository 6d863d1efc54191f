"""Compiled inference (``torch.compile``): same outputs as eager mode for every input size and
after the weights change, clear errors, and the ``--compile`` paths of ``wsgcn bench`` and ``Lifter``.

Compiling needs a C++ compiler; without one these tests are skipped (the error path is tested
without compiling)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

from wsgcn.errors import WsgcnError
from wsgcn.lift import Lifter
from wsgcn.models import MartinezBaseline, SemGCN
from wsgcn.models.compiled import CompiledInference
from wsgcn.skeleton import H36M17

from support.cli import assert_user_error, run_cli
from support.files import keypoints_file, tiny_checkpoint
from support.models import randomize

needs_cxx = pytest.mark.skipif(not any(shutil.which(c) for c in ("g++", "c++", "clang++")),
                               reason="torch.compile needs a C++ compiler")


@pytest.fixture(scope="module")
def tiny() -> SemGCN:
    """A tiny WS-GCN with non-local layers, every weight and BatchNorm statistic perturbed."""
    torch.manual_seed(0)
    model = SemGCN(H36M17, hidden=16, num_blocks=1)
    randomize(model)
    return model.eval()


def runs_compiled_code(net: CompiledInference, joints: int = 17) -> bool:
    """True if a call goes through TorchDynamo's compiled region (no silent eager fallback)."""
    with torch.profiler.profile() as prof:
        net(torch.zeros(3, joints, 2))
    return any(e.name.startswith("Torch-Compiled Region") for e in prof.events())


@pytest.fixture(scope="module")
def compiled(tiny: SemGCN) -> CompiledInference:
    c = CompiledInference(tiny, 17, chunk=32)
    assert runs_compiled_code(c)
    return c


@needs_cxx
@pytest.mark.parametrize("n", [1, 31, 32, 33, 100])
def test_compiled_equals_eager_for_every_size(tiny: SemGCN, compiled: CompiledInference, n: int):
    x = torch.rand(n, 17, 2, generator=torch.Generator().manual_seed(n)) * 2 - 1
    with torch.no_grad():
        want = tiny(x)
    got = compiled(x)
    assert got.shape == (n, 17, 3)
    torch.testing.assert_close(got, want, rtol=0, atol=1e-5 * float(want.abs().max()))
    assert compiled.compile_s > 0


@needs_cxx
def test_compiled_follows_weight_changes():
    """The weights are inputs of the compiled code, not constants baked into it: after they
    change (an optimiser step, a loaded state dict), the compiled network gives the new outputs."""
    torch.manual_seed(5)
    model = SemGCN(H36M17, hidden=16, num_blocks=1)
    randomize(model, seed=5)
    model.eval()
    net = CompiledInference(model, 17, chunk=32)
    assert runs_compiled_code(net)
    x = torch.rand(40, 17, 2, generator=torch.Generator().manual_seed(1)) * 2 - 1
    old = net(x)
    randomize(model, seed=6)  # new parameters and BatchNorm statistics, in place
    with torch.no_grad():
        want = model(x)
    got = net(x)
    assert (want - old).abs().max() > 1e-2
    torch.testing.assert_close(got, want, rtol=0, atol=1e-5 * float(want.abs().max()))


@needs_cxx
def test_compiled_empty_input_and_bad_shape(compiled: CompiledInference):
    assert compiled(torch.zeros(0, 17, 2)).shape == (0, 17, 3)
    with pytest.raises(WsgcnError, match=r"\(N, 17, 2\)"):
        compiled(torch.zeros(4, 16, 2))


@needs_cxx
def test_compiled_martinez_baseline():
    torch.manual_seed(1)
    model = MartinezBaseline(17, hidden=32, num_blocks=1).eval()
    randomize(model, seed=1)
    x = torch.rand(50, 17, 2) * 2 - 1
    with torch.no_grad():
        want = model(x)
    net = CompiledInference(model, 17, chunk=16)
    got = net(x)
    assert runs_compiled_code(net)
    torch.testing.assert_close(got, want, rtol=0, atol=1e-5 * float(want.abs().max()))


def test_compiled_rejects_bad_chunks(tiny: SemGCN):
    with pytest.raises(WsgcnError, match="chunk must be >= 1"):
        CompiledInference(tiny, 17, chunk=0)
    with pytest.raises(WsgcnError, match="exceeds the model's infer_chunk"):
        CompiledInference(tiny, 17, chunk=tiny.infer_chunk + 1)


def test_compile_failure_is_one_line(tiny: SemGCN, monkeypatch: pytest.MonkeyPatch):
    def broken(*args, **kwargs):
        def fn(x):
            raise RuntimeError("C++ compile error\ncc1plus: fatal error: Python.h: No such file")
        return fn

    monkeypatch.setattr(torch, "compile", broken)
    with pytest.raises(WsgcnError) as e:
        CompiledInference(tiny, 17, chunk=8)
    msg = str(e.value)
    assert "\n" not in msg and "RuntimeError: C++ compile error" in msg and "without compiling" in msg


@needs_cxx
def test_lifter_compile_gives_the_same_poses(tiny: SemGCN):
    x = np.random.default_rng(0).uniform(-1, 1, (70, 17, 2)).astype(np.float32)
    plain = Lifter(tiny, H36M17).predict_normalized(x, batch_size=40)
    fast = Lifter(tiny, H36M17, compile=True)
    assert fast.compiled is not None
    np.testing.assert_allclose(fast.predict_normalized(x, batch_size=40), plain, rtol=0,
                               atol=1e-5 * float(np.abs(plain).max()))


@needs_cxx
def test_bench_compile_row():
    from wsgcn.bench import format_bench, run_bench

    r = run_bench(joints=17, hidden=16, num_blocks=1, train_batch=8, infer_batch=64, seconds=0.01,
                  threads=1, allocator=False, progress=False, compile=True)
    assert r["compiled"] is True and r["compiled_max_abs_diff"] < 1e-4 and r["compile_s"] > 0
    assert r["compiled_infer_poses_per_s"] > 0
    assert r["compiled_infer_speedup"] == pytest.approx(r["compiled_infer_poses_per_s"] / r["ref_infer_poses_per_s"])
    assert "inference, torch.compile" in format_bench(r)


def test_lift_cli_compile_failure_is_a_user_error(tmp_path, monkeypatch: pytest.MonkeyPatch):
    """`wsgcn lift --compile` where compiling fails: exit 2, one line, nothing written."""
    def broken(*args, **kwargs):
        def fn(x):
            raise RuntimeError("no C++ compiler found\n(long compiler log)")
        return fn

    monkeypatch.setattr(torch, "compile", broken)
    kp = keypoints_file(tmp_path / "kp.npz")
    ckpt = tiny_checkpoint(tmp_path / "m.safetensors")
    out = tmp_path / "out.npz"
    rc, _, err = run_cli("lift", kp, "--checkpoint", ckpt, "--out", out, "--compile", "--quiet")
    assert_user_error(rc, err, "torch.compile failed", "no C++ compiler found")
    assert not out.exists() and not out.with_suffix(".json").exists()


@needs_cxx
@pytest.mark.slow
def test_lift_cli_compile_writes_the_same_poses(tmp_path):
    kp = keypoints_file(tmp_path / "kp.npz", frames=40)
    ckpt = tiny_checkpoint(tmp_path / "m.safetensors")
    for name, extra in (("plain", []), ("compiled", ["--compile"])):
        rc, out, err = run_cli("lift", kp, "--checkpoint", ckpt, "--out", tmp_path / f"{name}.npz", "--quiet", *extra)
        assert rc == 0, err
    plain = np.load(tmp_path / "plain.npz")["poses_3d"]
    comp = np.load(tmp_path / "compiled.npz")["poses_3d"]
    assert np.isfinite(plain).all()
    np.testing.assert_allclose(comp, plain, rtol=0, atol=1e-5 * float(np.abs(plain).max()))
