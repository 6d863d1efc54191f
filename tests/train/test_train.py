"""Training on a small slice of the real-motion benchmark: it learns, writes every file a user
reads, resumes exactly, and evaluation reports the keys of docs/METHOD.md §8."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from wsgcn.checkpoint import build_model_from_config, load_model, read_checkpoint
from wsgcn.cli import main
from wsgcn.config import load_config
from wsgcn.errors import WsgcnError
from wsgcn.train import load_run_data, lr_at, train, validate

from synthetic import synthetic_config


def _cfg(data_dir: Path, *extra: str):
    return load_config(Path("configs/mocap_weak.yaml"), [
        f"data.dir={data_dir}", "data.stride=1", "data.unlabelled_stride=8", "train.epochs=3", "train.warmup_epochs=1", "train.max_steps_per_epoch=6",
        "train.batch_size=64", "model.hidden=32", "model.num_blocks=1", *extra])


def test_one_epoch_lowers_validation_error_and_writes_every_file(mocap_slice: Path, tmp_path: Path):
    cfg = _cfg(mocap_slice, "train.epochs=1", "train.max_steps_per_epoch=100", "train.supervision=full")
    torch.manual_seed(cfg.train.seed)
    data = load_run_data(cfg)
    before = validate(build_model_from_config(cfg), data.validation)["val_mpjpe"]
    summary = train(cfg, tmp_path / "run", progress=False)
    after = summary["best_val_mpjpe"]
    assert after < 0.8 * before, (before, after)
    run = tmp_path / "run"
    for f in ("config.yaml", "metrics.jsonl", "metrics.csv", "curves.png", "report.md",
              "checkpoints/best.safetensors", "checkpoints/best.json",
              "checkpoints/last.safetensors", "checkpoints/last.json"):
        assert (run / f).is_file() and (run / f).stat().st_size > 0, f
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert len(rows) == 1 and rows[0]["phase"] == "full" and rows[0]["step"] == 100
    assert abs(rows[0]["val_mpjpe"] - after) < 1e-9
    assert (run / "metrics.csv").read_text().splitlines()[0].startswith("epoch,step,phase,lr,loss")
    assert (run / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    meta = json.loads((run / "checkpoints/best.json").read_text())
    assert meta["epoch"] == 1 and meta["config"]["train"]["supervision"] == "full"


def test_weak_run_uses_reprojection_after_warmup_and_reports_root_mode(mocap_slice: Path, tmp_path: Path):
    train(_cfg(mocap_slice, "train.epochs=2", "train.warmup_epochs=1"), tmp_path / "run", progress=False)
    rows = [json.loads(line) for line in (tmp_path / "run/metrics.jsonl").read_text().splitlines()]
    assert [r["phase"] for r in rows] == ["warmup", "weak"]
    assert rows[0]["loss_rep"] == 0 and rows[1]["loss_rep"] > 0 and rows[1]["loss_bone"] > 0
    report = (tmp_path / "run/report.md").read_text()
    assert "root: solve" in report and "no 3D label of an unlabelled subject is read" in report


@pytest.mark.slow
def test_resume_after_interruption_equals_uninterrupted_run(mocap_slice: Path, tmp_path: Path):
    cfg = _cfg(mocap_slice, "model.dropout=0.1")
    train(cfg, tmp_path / "a", progress=False)
    train(_cfg(mocap_slice, "model.dropout=0.1"), tmp_path / "b", progress=False, stop_after_epochs=2)
    assert json.loads((tmp_path / "b/checkpoints/last.json").read_text())["epoch"] == 2
    stale = tmp_path / "b/checkpoints/.last.safetensors.k1ll3d.safetensors"  # a write cut short by SIGKILL
    stale.write_bytes(b"half a checkpoint")
    train(None, tmp_path / "b", resume=True, progress=False)
    assert not stale.exists()
    ta, ma = read_checkpoint(tmp_path / "a/checkpoints/last.safetensors")
    tb, mb = read_checkpoint(tmp_path / "b/checkpoints/last.safetensors")
    assert ta.keys() == tb.keys()
    for k in ta:
        assert torch.equal(ta[k], tb[k]), k
    assert ma["history"][-1]["val_mpjpe"] == mb["history"][-1]["val_mpjpe"]
    assert [h["phase"] for h in mb["history"]] == ["warmup", "weak", "weak"]
    assert len((tmp_path / "b/metrics.jsonl").read_text().splitlines()) == 3


def test_root_solve_blanks_the_unlabelled_3d(synthetic_h36m: Path):
    data = load_run_data(synthetic_config(synthetic_h36m))  # root: solve
    assert len(data.unlabelled) > 0
    assert torch.isnan(data.unlabelled.targets).all() and torch.isnan(data.unlabelled.root).all()
    assert torch.isfinite(data.unlabelled.inputs).all() and torch.isfinite(data.labelled.targets).all()
    gt = load_run_data(synthetic_config(synthetic_h36m, "train.root=gt"))
    assert torch.isfinite(gt.unlabelled.root).all()
    # the data layer keeps the rows as the files hold them; the policy is training's
    from wsgcn.data.splits import load_splits

    raw = load_splits(synthetic_config(synthetic_h36m))
    assert torch.isfinite(raw.unlabelled.targets).all() and torch.isfinite(raw.unlabelled.root).all()
    full = load_run_data(synthetic_config(synthetic_h36m, "train.supervision=full"))
    assert len(full.unlabelled) == 0 and len(full.labelled) == len(raw.labelled) + len(raw.unlabelled)


def test_a_run_reads_its_data_files_once(synthetic_h36m: Path, tmp_path: Path, monkeypatch):
    """Labelled, unlabelled, validation and (oracle) test rows come from one read of each file."""
    from wsgcn.data import h36m

    reads = []
    for name in ("read_positions_3d", "read_positions_2d"):
        real = getattr(h36m, name)
        monkeypatch.setattr(h36m, name, lambda path, _real=real, _n=name: reads.append((_n, path)) or _real(path))
    cfg = synthetic_config(synthetic_h36m, "train.epochs=1", "train.warmup_epochs=1", "train.max_steps_per_epoch=1",
                           "train.oracle_test=true")
    train(cfg, tmp_path / "run", progress=False)
    assert sorted(n for n, _ in reads) == ["read_positions_2d", "read_positions_3d"]
    assert "test_mpjpe" in json.loads((tmp_path / "run/metrics.jsonl").read_text().splitlines()[0])


def test_training_into_an_existing_run_is_refused(synthetic_h36m: Path, tmp_path: Path):
    cfg = synthetic_config(synthetic_h36m, "train.epochs=1", "train.warmup_epochs=1", "train.max_steps_per_epoch=2")
    train(cfg, tmp_path / "run", progress=False)
    before = (tmp_path / "run/checkpoints/last.safetensors").read_bytes()
    with pytest.raises(WsgcnError, match="already holds a run.*--resume"):
        train(cfg, tmp_path / "run", progress=False)
    assert (tmp_path / "run/checkpoints/last.safetensors").read_bytes() == before


def test_root_gt_and_full_supervision_run(mocap_slice: Path, tmp_path: Path):
    s1 = train(_cfg(mocap_slice, "train.root=gt", "train.epochs=2"), tmp_path / "gt", progress=False)
    s2 = train(_cfg(mocap_slice, "train.supervision=full", "train.epochs=1"), tmp_path / "full", progress=False)
    assert s1["finished"] and s2["finished"]
    assert "ground-truth 3D root" in (tmp_path / "gt/report.md").read_text()
    rows = [json.loads(x) for x in (tmp_path / "full/metrics.jsonl").read_text().splitlines()]
    assert rows[0]["phase"] == "full" and rows[0]["loss_rep"] == 0


def test_lr_schedule_is_a_staircase_counted_from_step_one():
    # the k-th step (1-based) runs at lr * decay ** (k // decay_steps), as the original code:
    # steps 1..9 at lr, step 10 is the first decayed one
    cfg = load_config(None, ["train.lr=1e-3", "train.lr_decay=0.5", "train.lr_decay_steps=10"])
    assert [lr_at(cfg, s) for s in (1, 9, 10, 19, 20, 25)] == [1e-3, 1e-3, 5e-4, 5e-4, 2.5e-4, 2.5e-4]


def test_evaluate_writes_spec_json_and_chart(mocap_slice: Path, tmp_path: Path, capsys):
    run = tmp_path / "run"
    train(_cfg(mocap_slice, "train.epochs=1", "train.warmup_epochs=0"), run, progress=False)
    code = main(["evaluate", str(run), "--json", str(tmp_path / "e.json"), "--chart", str(tmp_path / "pj.png")])
    assert code == 0
    out = capsys.readouterr().out
    assert "action-wise" in out and "frame-wise" in out
    res = json.loads((tmp_path / "e.json").read_text())
    for k in ("mpjpe", "p_mpjpe", "n_mpjpe"):
        assert set(res[k]) == {"action_wise", "frame_wise"}
    for k in ("per_action", "per_joint", "pck150", "auc", "num_poses"):
        assert k in res
    assert len(res["per_joint"]) == 16 and res["meta"]["split"] == "test"
    # the reported number is the one an independent computation gives
    model, meta = load_model(run)
    from wsgcn.data.splits import load_test
    test = load_test(load_config(Path("configs/mocap_weak.yaml"), [f"data.dir={mocap_slice}"]))
    with torch.no_grad():
        pred = model(test.inputs).numpy()
    pred = pred - pred[:, :1]
    frame_wise = np.mean(np.linalg.norm(pred - test.targets.numpy(), axis=-1)) * 1000
    assert abs(frame_wise - res["mpjpe"]["frame_wise"]) < 1e-3
    assert res["num_poses"] == len(test)
    assert (tmp_path / "pj.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("argv,msg", [
    (["train", "configs/nope.yaml"], "config file not found"),
    (["train", "configs/mocap_weak.yaml", "--set", "train.epoch=3"], "did you mean 'epochs'"),
    (["train", "--resume", "/nonexistent/run"], "nothing to resume"),
    (["evaluate", "/nonexistent/run"], "no such checkpoint or run folder"),
])
def test_cli_user_errors_exit_2_with_one_line(argv, msg, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert msg in err and err.count("\n") == 1 and "Traceback" not in err


# ----------------------------------------------------------------------------- fidelity (docs/METHOD.md §5, §7-§8)

def test_weak_step_runs_two_forward_passes(mocap_slice: Path):
    from wsgcn.skeleton import get_skeleton
    from wsgcn.train import TwoStreams, step_losses

    cfg = _cfg(mocap_slice)
    data = load_run_data(cfg)
    torch.manual_seed(0)
    model = build_model_from_config(cfg).train()
    bn = model.input_layer.bn
    il, iu = torch.arange(64), torch.arange(64)
    before = int(bn.num_batches_tracked)
    out = step_losses(TwoStreams(model), cfg, data, il, iu, get_skeleton(16))
    assert int(bn.num_batches_tracked) == before + 2  # BatchNorm saw two batches
    assert out["loss_rep"] > 0 and torch.isfinite(out["loss"])
    # BatchNorm normalised the labelled batch with its own statistics: the labelled prediction
    # is the one a labelled-only pass gives (one pass over 128 mixed rows would differ).
    with torch.no_grad():
        alone, _ = TwoStreams(model)(data.labelled.inputs[il])
        both, _ = TwoStreams(model)(data.labelled.inputs[il], data.unlabelled.inputs[iu])
        mixed = model(torch.cat([data.labelled.inputs[il], data.unlabelled.inputs[iu]]))[:64]
    torch.testing.assert_close(both, alone, rtol=0, atol=0)
    assert (mixed - alone).abs().max() > 1e-4


def test_batchnorm_counts_two_batches_per_weak_step_and_warmup_epochs_are_unlabelled_passes(
        mocap_slice: Path, tmp_path: Path):
    cfg = _cfg(mocap_slice, "train.epochs=2", "train.warmup_epochs=1", "train.max_steps_per_epoch=0")
    data = load_run_data(cfg)
    per_pass_u, per_pass_l = len(data.unlabelled) // 64, len(data.labelled) // 64
    assert per_pass_u != per_pass_l  # otherwise the test could not tell the two apart
    train(cfg, tmp_path / "run", progress=False)
    rows = [json.loads(x) for x in (tmp_path / "run/metrics.jsonl").read_text().splitlines()]
    assert [r["phase"] for r in rows] == ["warmup", "weak"]
    assert rows[0]["step"] == per_pass_u and rows[1]["step"] - rows[0]["step"] == per_pass_u
    tensors, _ = read_checkpoint(tmp_path / "run/checkpoints/last.safetensors")
    tracked = tensors["model.input_layer.bn.num_batches_tracked"]
    assert int(tracked) == per_pass_u + 2 * per_pass_u  # warm-up: 1 per step; weak: 2 per step


def test_oracle_is_labelled_and_never_changes_which_checkpoint_is_best(mocap_slice: Path, tmp_path: Path, capsys):
    sets = ("train.epochs=4", "train.max_steps_per_epoch=4")
    train(_cfg(mocap_slice, *sets), tmp_path / "plain", progress=False)
    train(_cfg(mocap_slice, *sets, "train.oracle_test=true"), tmp_path / "oracle", progress=False)
    a, ma = read_checkpoint(tmp_path / "plain/checkpoints/best.safetensors")
    b, mb = read_checkpoint(tmp_path / "oracle/checkpoints/best.safetensors")
    assert ma["best_epoch"] == mb["best_epoch"] and all(torch.equal(a[k], b[k]) for k in a)
    rows = [json.loads(x) for x in (tmp_path / "oracle/metrics.jsonl").read_text().splitlines()]
    assert all("test_mpjpe" in r for r in rows)
    assert not any("test_mpjpe" in json.loads(x) for x in (tmp_path / "plain/metrics.jsonl").read_text().splitlines())
    best_on_test = min(rows, key=lambda r: r["test_mpjpe"])
    last = json.loads((tmp_path / "oracle/checkpoints/last.json").read_text())
    assert last["oracle"]["epoch"] == best_on_test["epoch"]
    assert last["oracle"]["test_mpjpe"] == best_on_test["test_mpjpe"]
    assert "oracle" in last["oracle"]["label"] and "never used for selection" in last["oracle"]["label"]
    assert "oracle: best epoch on test, frame-wise" in (tmp_path / "oracle/report.md").read_text()
    # the test subjects' frame-wise error of that epoch, as evaluate prints it beside the honest figure
    assert main(["evaluate", str(tmp_path / "oracle"), "--json", str(tmp_path / "e.json")]) == 0
    out = capsys.readouterr().out
    assert "oracle - best epoch on test" in out
    res = json.loads((tmp_path / "e.json").read_text())
    assert res["oracle"]["epoch"] == best_on_test["epoch"] and res["meta"]["selected_on"] == "validation"
    assert main(["evaluate", str(tmp_path / "plain"), "--json", str(tmp_path / "p.json")]) == 0
    assert "oracle" not in json.loads((tmp_path / "p.json").read_text())


def test_all_labelled_trains_on_the_validation_subjects_too(mocap_slice: Path, tmp_path: Path):
    cfg = _cfg(mocap_slice, "train.epochs=2", "train.max_steps_per_epoch=2", "data.all_labelled=true",
               "train.oracle_test=true")
    usual = load_run_data(_cfg(mocap_slice))
    data = load_run_data(cfg)
    assert len(data.validation) == 0 and len(data.labelled) == len(usual.labelled) + len(usual.validation)
    summary = train(cfg, tmp_path / "run", progress=False)
    assert summary["best_epoch"] == 2 and summary["oracle"] is not None  # best = last epoch
    meta = json.loads((tmp_path / "run/checkpoints/best.json").read_text())
    assert meta["epoch"] == 2 and meta["selected_on"].startswith("last epoch")
    assert "no validation split" in (tmp_path / "run/report.md").read_text()
    with pytest.raises(WsgcnError, match="no validation split"):
        from wsgcn.evaluate import evaluate
        evaluate(tmp_path / "run", split="validation")
