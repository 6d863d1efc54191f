"""SemGCN (fast) against the formulas of docs/METHOD.md §2-§3 and the literal reference; baseline; build_model."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wsgcn.errors import WsgcnError
from wsgcn.models import LiteralSemGCN, MartinezBaseline, SemGCN, build_model
from wsgcn.models.semgcn import NonLocalBlock, SemGraphConv
from wsgcn.skeleton import H36M16, H36M17

from support.models import randomize


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Small tensors: one intra-op thread is as fast and does not stall on a busy machine."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def n_params(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


# ----------------------------------------------------------------------------- size

def test_parameter_counts_width_128_16_joints():
    # With non-local layers: 434,703 (docs/METHOD.md §3; ~0.43 M); without: 267,343 (~0.27 M).
    assert n_params(SemGCN(H36M16, hidden=128, nonlocal_layers=True)) == 434_703
    assert n_params(SemGCN(H36M16, hidden=128, nonlocal_layers=False)) == 267_343
    # Independent count: graph conv = 2*Cin*Cout + nnz(A) + Cout, nnz = J + 2 (J - 1) = 46.
    nnz = 16 + 2 * 15
    gconv = lambda cin, cout: 2 * cin * cout + nnz + cout  # noqa: E731
    bn = 2 * 128
    plain = gconv(2, 128) + bn + 4 * 2 * (gconv(128, 128) + bn) + gconv(128, 3)
    nonlocal_ = 3 * (128 * 64 + 64) + 128 + (64 * 128 + 128) + bn
    assert plain == 267_343 and plain + 5 * nonlocal_ == 434_703


# ----------------------------------------------------------------------------- graph conv

def spec_graph_conv(x: np.ndarray, adj: np.ndarray, e: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """docs/METHOD.md §2 evaluated joint by joint: softmax of e over each row's non-zeros (row-major
    edge order), then self features through W0 and neighbour features through W1."""
    J = adj.shape[0]
    edges = [(i, j) for i in range(J) for j in range(J) if adj[i, j] != 0]
    weight = {edge: float(e[k]) for k, edge in enumerate(edges)}
    out = np.zeros((x.shape[0], J, w.shape[2]))
    for i in range(J):
        nbrs = [j for j in range(J) if adj[i, j] != 0]
        ex = {j: np.exp(weight[(i, j)]) for j in nbrs}
        total = sum(ex.values())
        for j in nbrs:
            m_ij = ex[j] / total
            out[:, i] += m_ij * (x[:, j] @ (w[0] if j == i else w[1]))
        out[:, i] += b
    return out


@pytest.mark.parametrize("skeleton", [H36M16, H36M17])
def test_graph_conv_matches_spec_formula(skeleton):
    torch.manual_seed(1)
    conv = SemGraphConv(5, 4, skeleton.adjacency()).double()
    with torch.no_grad():
        conv.e.normal_(0.0, 1.0)
    x = torch.randn(3, skeleton.num_joints, 5, dtype=torch.float64)
    got = conv(x).detach().numpy()
    want = spec_graph_conv(x.numpy(), skeleton.adjacency(), conv.e.detach().numpy(),
                           conv.W.detach().numpy(), conv.bias.detach().numpy())
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_graph_conv_rejects_adjacency_without_self_loops():
    adj = H36M16.adjacency()
    np.fill_diagonal(adj, 0)
    with pytest.raises(WsgcnError):
        SemGraphConv(2, 3, adj)


# ----------------------------------------------------------------------------- fast vs literal

@pytest.mark.parametrize("skeleton", [H36M16, H36M17])
@pytest.mark.parametrize("nonlocal_layers", [True, False])
@pytest.mark.parametrize("train", [True, False])
def test_fast_equals_literal_outputs_and_gradients(skeleton, nonlocal_layers, train):
    torch.manual_seed(2)
    fast = SemGCN(skeleton, hidden=32, num_blocks=2, nonlocal_layers=nonlocal_layers).double()
    randomize(fast)
    ref = LiteralSemGCN(skeleton, hidden=32, num_blocks=2, nonlocal_layers=nonlocal_layers).double()
    assert list(ref.state_dict()) == list(fast.state_dict())
    ref.load_state_dict(fast.state_dict())
    fast.train(train)
    ref.train(train)
    x = torch.randn(6, skeleton.num_joints, 2, dtype=torch.float64, requires_grad=True)
    y_fast, y_ref = fast(x), ref(x)
    assert y_fast.shape == (6, skeleton.num_joints, 3)
    torch.testing.assert_close(y_fast, y_ref, rtol=0, atol=1e-5)
    g = torch.randn_like(y_fast)
    params_f = [x, *fast.parameters()]
    params_r = [x, *ref.parameters()]
    grads_f = torch.autograd.grad(y_fast, params_f, g)
    grads_r = torch.autograd.grad(y_ref, params_r, g)
    names = ["input", *(n for n, _ in fast.named_parameters())]
    for name, a, b in zip(names, grads_f, grads_r):
        assert a.abs().max() > 0 or b.abs().max() == 0, name
        torch.testing.assert_close(a, b, rtol=0, atol=1e-5, msg=lambda m: f"{name}: {m}")
    if train:  # the BatchNorm running statistics were updated identically
        ref_state = ref.state_dict()
        for name, a in fast.state_dict().items():
            torch.testing.assert_close(a, ref_state[name], rtol=0, atol=1e-9, msg=lambda m: f"{name}: {m}")


def test_fast_equals_literal_float32_full_size():
    torch.manual_seed(3)
    fast = SemGCN(H36M16)
    randomize(fast)
    ref = LiteralSemGCN(H36M16)
    ref.load_state_dict(fast.state_dict())
    x = torch.rand(16, 16, 2) * 2 - 1
    for train in (True, False):
        fast.train(train)
        ref.train(train)
        with torch.no_grad():
            y_fast, y_ref = fast(x), ref(x)
        # float32 rounding only: relative to the output's scale
        assert (y_fast - y_ref).abs().max() <= 1e-5 * y_ref.abs().max()


def test_chunked_inference_equals_one_batch():
    torch.manual_seed(4)
    model = SemGCN(H36M17, hidden=16, num_blocks=1, infer_chunk=7).double()
    randomize(model)
    model.eval()
    x = torch.randn(20, 17, 2, dtype=torch.float64)
    with torch.no_grad():
        chunked = model(x)
    whole = model(x)  # gradients enabled: one pass
    torch.testing.assert_close(chunked, whole.detach(), rtol=0, atol=1e-12)


# ----------------------------------------------------------------------------- behaviour

@pytest.mark.parametrize("skeleton", [H36M16, H36M17])
@pytest.mark.parametrize("nonlocal_layers", [True, False])
@pytest.mark.parametrize("dropout", [None, 0.25])
def test_model_runs_and_trains(skeleton, nonlocal_layers, dropout):
    torch.manual_seed(5)
    model = build_model("semgcn", skeleton, hidden=16, num_blocks=2, nonlocal_layers=nonlocal_layers,
                        dropout=dropout)
    x = torch.rand(8, skeleton.num_joints, 2) * 2 - 1
    y = model(x)
    assert y.shape == (8, skeleton.num_joints, 3) and torch.isfinite(y).all()
    y.square().mean().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())
    model.eval()
    with torch.no_grad():
        torch.testing.assert_close(model(x), model(x))  # eval is deterministic (no dropout)


def test_dropout_is_active_in_training_only():
    torch.manual_seed(6)
    model = SemGCN(H36M16, hidden=16, num_blocks=1, dropout=0.5)
    x = torch.rand(8, 16, 2)
    with torch.no_grad():
        assert not torch.allclose(model(x), model(x))


@pytest.mark.parametrize("skeleton", [H36M16, H36M17])
def test_nonlocal_block_is_identity_at_init(skeleton):
    torch.manual_seed(7)
    block = NonLocalBlock(32, skeleton)
    x = torch.randn(10, skeleton.num_joints, 32)
    for train in (True, False):
        block.train(train)
        torch.testing.assert_close(block(x), x, rtol=0, atol=0)
    with torch.no_grad():
        block.bn.weight.fill_(1.0)
    block.eval()
    assert (block(x) - x).abs().max() > 1e-3


def test_nonlocal_init_is_kaiming_normal_with_zero_biases():
    # docs/METHOD.md §3 / the SemGCN-WS-GCN code: theta, phi, g, the concatenation projection and the
    # output map Kaiming-normal (std sqrt(2 / fan_in)), every bias 0, final BatchNorm 0.
    torch.manual_seed(11)
    C = 256
    for block in (NonLocalBlock(C, H36M16), LiteralSemGCN(H36M16, hidden=C, num_blocks=1).input_nonlocal):
        for name, fan_in in (("theta_weight", C), ("phi_weight", C), ("g_weight", C), ("concat_weight", C),
                             ("out_weight", C // 2)):
            w = getattr(block, name).detach()
            expected = (2.0 / fan_in) ** 0.5
            assert abs(w.std().item() / expected - 1) < 0.2, (name, w.std().item(), expected)
            assert abs(w.mean().item()) < 0.2 * expected, name
        for name in ("theta_bias", "phi_bias", "g_bias", "out_bias"):
            assert torch.count_nonzero(getattr(block, name)) == 0, name
        assert torch.count_nonzero(block.bn.weight) == 0 and torch.count_nonzero(block.bn.bias) == 0


def test_literal_nonlocal_reorders_joints_as_the_original_code():
    # The original concatenates the groups into one joint order and max-pools adjacent pairs
    # of it; the literal model does the same, so its order must be the flattened list of docs/METHOD.md §3.
    block = LiteralSemGCN(H36M16, hidden=8, num_blocks=1).input_nonlocal
    spec = [[2, 3], [5, 6], [1, 4], [0, 7], [8, 9], [14, 15], [11, 12], [10, 13]]
    assert block.order.tolist() == [j for g in spec for j in g]
    assert block.pairs.tolist() == list(range(16))  # pairs are adjacent in that order
    assert [block.order.tolist().index(j) for j in range(16)] == block.restore.tolist()


def test_nonlocal_layers_start_as_identity_in_the_full_network():
    torch.manual_seed(8)
    with_nl = SemGCN(H36M16, hidden=16, num_blocks=2, nonlocal_layers=True)
    without = SemGCN(H36M16, hidden=16, num_blocks=2, nonlocal_layers=False)
    state = {k: v for k, v in with_nl.state_dict().items() if "nonlocal" not in k}
    without.load_state_dict(state)
    x = torch.rand(5, 16, 2)
    with torch.no_grad():
        torch.testing.assert_close(with_nl(x), without(x), rtol=0, atol=1e-6)


def test_bad_input_shape_raises():
    model = SemGCN(H36M16, hidden=16, num_blocks=1)
    with pytest.raises(WsgcnError, match=r"\(B, 16, 2\)"):
        model(torch.zeros(4, 17, 2))


# ----------------------------------------------------------------------------- baseline & factory

def test_martinez_baseline():
    torch.manual_seed(9)
    model = build_model("martinez", H36M17, hidden=64, num_blocks=2, dropout=0.1)
    assert isinstance(model, MartinezBaseline)
    x = torch.rand(4, 17, 2)
    y = model(x)
    assert y.shape == (4, 17, 3)
    y.sum().backward()
    # Linear(34, 64) + BN + 2 blocks of 2 x (Linear(64, 64) + BN) + Linear(64, 51)
    assert n_params(model) == (34 * 64 + 64) + 128 + 4 * (64 * 64 + 64 + 128) + (64 * 51 + 51)
    assert n_params(MartinezBaseline(16)) > 4_000_000  # the published ~4.3 M parameters


def test_build_model_errors():
    with pytest.raises(WsgcnError, match="unknown model"):
        build_model("transformer", H36M16)
    with pytest.raises(WsgcnError, match="nonlocal_layers"):
        build_model("martinez", H36M16, nonlocal_layers=True)
    assert isinstance(build_model("semgcn", H36M16, hidden=8, num_blocks=1, dropout=0), SemGCN)


def test_bench_smoke():
    from wsgcn.bench import format_bench, run_bench

    r = run_bench(joints=17, hidden=16, num_blocks=1, train_batch=8, infer_batch=32, seconds=0.01,
                  threads=1, allocator=False, progress=False)
    for key in ("train_poses_per_s", "infer_poses_per_s", "ref_train_poses_per_s", "ref_infer_poses_per_s",
                "train_speedup", "infer_speedup", "max_abs_diff", "device", "torch_version", "threads"):
        assert key in r
    assert r["threads"] == 1 and r["device"] == "cpu" and r["max_abs_diff"] < 1e-4
    assert r["train_poses_per_s"] > 0 and r["infer_poses_per_s_best"] >= r["infer_poses_per_s"] * 0.999
    assert r["gemm_flops_per_s_cold"] > 0 and r["train_limit_poses_per_s_cold"] > 0
    text = format_bench(r)
    assert "literal" in text and "out of cache (64 MB working set" in text
    with pytest.raises(WsgcnError):
        run_bench(device="cuda:7" if not torch.cuda.is_available() else "nonsense", seconds=0.01)


def test_cold_gemm_rate_cycles_through_the_working_set(monkeypatch: pytest.MonkeyPatch):
    """With a working set, every product gets operands other than the previous one's: 2 MB of
    (64, 16) float32 input/output pairs is 256 pairs, all of them used."""
    from wsgcn import bench

    outs: set[int] = set()
    real_mm = torch.mm

    def spy(a, b, out=None):
        outs.add(out.data_ptr())
        return real_mm(a, b, out=out)

    monkeypatch.setattr(torch, "mm", spy)
    assert bench.gemm_rate(64, 16, torch.device("cpu"), seconds=0.05, working_set_mb=2) > 0
    assert len(outs) == 256
    outs.clear()
    bench.gemm_rate(64, 16, torch.device("cpu"), seconds=0.01)
    assert len(outs) == 1


def test_model_flops_match_a_count_by_hand():
    """The bench's FLOP count (PyTorch's counter + the in-place products) equals the matrix
    arithmetic of docs/METHOD.md §2-§3 counted by hand, and training costs about 3x the forward."""
    from wsgcn.bench import model_flops
    from wsgcn.skeleton import get_skeleton

    sk = get_skeleton(16)
    J, C, G, batch = 16, 32, len(sk.groups), 8
    model = SemGCN(sk, hidden=C, num_blocks=2)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    fwd, train = model_flops(model, J, torch.device("cpu"), batch=batch)

    def gconv(ci: int, co: int) -> int:  # X W0 and (N X) W1, plus the (J, J) mixing N X
        return 2 * (2 * J * ci * co) + 2 * J * J * ci

    h = C // 2
    nonlocal_ = (2 * J * C * C       # phi and g together: C -> C/2 + C/2
                 + 2 * J * C          # a_i = (W_theta^T w_theta) . x_i
                 + 2 * C * h / batch  # W_theta^T w_theta, once per batch
                 + 2 * G * h * C      # W applied to the G pooled g-vectors
                 + 2 * J * G * C)     # sum over groups f(i, g) (W g_g)
    nonlocal_ += 2 * G * h            # b_g = w_phi . phi_g
    expected = gconv(2, C) + 2 * 2 * gconv(C, C) + gconv(C, 3) + 3 * nonlocal_
    assert fwd == pytest.approx(expected, rel=1e-9)
    assert 2.5 * fwd < train < 3.5 * fwd
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
