"""scripts/reproduce_table.py: fingerprints, behaviour probes, skip decisions and the results page."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "reproduce_table.py"


@pytest.fixture(scope="module")
def rt():
    spec = importlib.util.spec_from_file_location("reproduce_table", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["reproduce_table"] = mod  # dataclass-free, but keep the usual import contract
    spec.loader.exec_module(mod)
    yield mod
    sys.modules.pop("reproduce_table", None)


@pytest.fixture()
def src_copy(tmp_path: Path, rt) -> Path:
    """A copy of the training-path modules (the same relative paths under a tmp src folder)."""
    dst = tmp_path / "src"
    for p in rt.code_files(rt.SRC):
        rel = p.relative_to(rt.SRC)
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(p, dst / rel)
    return dst


def test_code_fingerprint_ignores_comments_and_docstrings(rt, src_copy: Path):
    base = rt.code_fingerprint(src_copy)
    assert base == rt.code_fingerprint(src_copy)  # deterministic
    losses = src_copy / "wsgcn" / "losses.py"
    text = losses.read_text()
    # docstring and comment edits: same fingerprint
    losses.write_text('"""A rewritten module docstring."""\n# a new comment\n' + text.split('"""', 2)[2]
                      .replace("\n\n", "\n\n# another comment\n", 1))
    assert rt.code_fingerprint(src_copy) == base
    # a code edit: another fingerprint
    losses.write_text(text + "\nEPS = 1e-9\n")
    assert rt.code_fingerprint(src_copy) != base
    losses.write_text(text)
    assert rt.code_fingerprint(src_copy) == base
    # a docstring-only function (body becomes `pass`) and a function docstring change
    losses.write_text(text + '\n\ndef _f():\n    """one"""\n')
    fp1 = rt.code_fingerprint(src_copy)
    losses.write_text(text + '\n\ndef _f():\n    """two, longer"""  # and a comment\n')
    assert rt.code_fingerprint(src_copy) == fp1 != base
    # a missing module is skipped; a file outside the training path is not hashed
    (src_copy / "wsgcn" / "runtime.py").unlink(missing_ok=True)
    fp2 = rt.code_fingerprint(src_copy)
    (src_copy / "wsgcn" / "viz.py").write_text("X = 1\n")
    assert rt.code_fingerprint(src_copy) == fp2


def test_code_files_cover_the_training_path(rt):
    names = {p.relative_to(rt.SRC).as_posix() for p in rt.code_files()}
    assert {"wsgcn/train/loop.py", "wsgcn/train/steps.py", "wsgcn/config.py", "wsgcn/losses.py", "wsgcn/models/semgcn.py",
            "wsgcn/data/batches.py", "wsgcn/data/splits.py"} <= names
    assert "wsgcn/cli.py" not in names and "wsgcn/viz.py" not in names


def test_config_fingerprint_ignores_threads_not_seed(rt):
    base = rt.would_be_config("mocap_full", ["train.seed=0", "train.threads=1"])
    fp = rt.config_fingerprint(base)
    assert rt.config_fingerprint(rt.would_be_config("mocap_full", ["train.seed=0", "train.threads=4"])) == fp
    assert rt.config_fingerprint(rt.would_be_config("mocap_full", ["train.seed=0", "train.device=cpu",
                                                                   "data.dir=/elsewhere"])) == fp
    assert rt.config_fingerprint(rt.would_be_config("mocap_full", ["train.seed=1", "train.threads=1"])) != fp
    assert rt.config_fingerprint(rt.would_be_config("mocap_full", ["train.seed=0", "model.hidden=64"])) != fp
    # the dict itself is not modified
    assert base["train"]["threads"] == 1 and base["data"]["dir"] == "data"


def test_config_keys_added_later_keep_older_summaries_current(rt):
    """A key added after summaries were made (train.precision, train.multiview_weight) leaves the fingerprint of a config
    at its neutral value as it was before the key existed; another value changes it."""
    cfg = rt.would_be_config("mocap_weak", ["train.seed=0"])
    assert cfg["train"]["precision"] == "fp32"
    before_the_key = json.loads(json.dumps(cfg))
    del before_the_key["train"]["precision"]
    assert rt.config_fingerprint(cfg) == rt.config_fingerprint(before_the_key)
    assert rt.config_fingerprint(rt.would_be_config("mocap_weak", ["train.seed=0", "train.precision=bf16"])) \
        != rt.config_fingerprint(cfg)
    # train.multiview_weight (issue 15): 0 trains as before the key existed
    assert cfg["train"]["multiview_weight"] == 0.0
    del before_the_key["train"]["multiview_weight"]
    assert rt.config_fingerprint(cfg) == rt.config_fingerprint(before_the_key)
    assert rt.config_fingerprint(rt.would_be_config("mocap_weak", ["train.seed=0", "train.multiview_weight=0.1"])) \
        != rt.config_fingerprint(cfg)
    # train.multiview_form: absolute is the form the multi-view rows were trained with before the key existed
    mv = rt.would_be_config("mocap_weak_mv", ["train.seed=0"])
    assert mv["train"]["multiview_form"] == "absolute"
    mv_before = json.loads(json.dumps(mv))
    del mv_before["train"]["multiview_form"]
    assert rt.config_fingerprint(mv) == rt.config_fingerprint(mv_before)
    assert rt.config_fingerprint(rt.would_be_config("mocap_weak_mv", ["train.seed=0", "train.multiview_form=relative"])) \
        != rt.config_fingerprint(mv)


def test_skip_logic(rt):
    expected = {"code": "c" * 64, "config": "f" * 64, "data": "d" * 64}
    same = {"fingerprint": dict(expected)}
    assert rt.classify(same, expected) == "valid" and rt.usable("valid", False)
    assert rt.classify({"fingerprint": {**expected, "config": "0" * 64}}, expected) == "stale-config"
    assert rt.classify({"fingerprint": {**expected, "data": "0" * 64}}, expected) == "stale-data"
    code = rt.classify({"fingerprint": {**expected, "code": "0" * 64}}, expected)
    assert code == "stale-code" and not rt.usable(code, False) and rt.usable(code, True)
    assert not rt.usable("stale-config", True) and not rt.usable("stale-data", True)
    assert rt.classify(None, expected) == "missing"
    assert rt.classify(same, {**expected, "data": None}) == "valid"  # data not at hand: not checked


def test_skip_logic_through_the_planner(rt, tmp_path: Path, monkeypatch):
    """A summary on disk with the planned fingerprints is reused; one for another config is not."""
    a = rt.parse_args(["--summaries", str(tmp_path / "results"), "--out", str(tmp_path / "runs"),
                       "--data", str(tmp_path / "nodata"), "--bone-weights"])
    monkeypatch.setattr(rt, "ORACLE_SET", "train.eval_every=1")  # no dependency on train.oracle_test here
    fps = rt.Fingerprints(None)
    row = rt.find_row("full", None)
    job = rt.table_job(row, "gt", 0, None, a)
    fp = fps(job)
    s = fake_summary(rt, "full", None, "gt", 0, fingerprint=fp)
    rt.write_summary(job["summary"], s)
    assert json.loads(Path(job["summary"]).read_text())["fingerprint"] == fp
    assert rt.classify(rt.read_summary(job["summary"]), fps(rt.table_job(row, "gt", 0, None, a))) == "valid"
    a2 = rt.parse_args(["--summaries", str(tmp_path / "results"), "--extra-set", "train.epochs=3", "--bone-weights"])
    assert rt.classify(rt.read_summary(job["summary"]), fps(rt.table_job(row, "gt", 0, None, a2))) == "stale-config"
    c = rt.collect(a, fps)
    assert [x["key"] for x in c["summaries"]] == ["full"] and not c["unused"]
    assert rt.collect(a2, fps)["unused"][0][1] == "stale-config"


def fake_summary(rt, key: str, root: str | None, source: str, seed: int, *, mpjpe: float = 150.0,
                 oracle: float = 140.0, epochs: int = 20, best_epoch: int = 12, late_gain: float = 0.0,
                 fingerprint: dict | None = None) -> dict:
    """A plausible summary as build_summary writes it; validation decreases, levels off at
    ``best_epoch`` unless ``late_gain`` (fraction) is still gained in the last quarter."""
    row = rt.find_row(key, root)
    curve = []
    for e in range(1, epochs + 1):
        v = 200.0 - 60.0 * min(e, best_epoch) / best_epoch
        if e > 0.75 * epochs:
            v -= 140.0 * late_gain * (e - 0.75 * epochs) / (0.25 * epochs)
        curve.append({"epoch": e, "step": 10 * e, "phase": "full", "loss": 0.01, "loss_sup": 0.01, "loss_rep": 0.0,
                      "loss_bone": 0.0, "lr": 0.001, "val_mpjpe": round(v, 2), "test_mpjpe": round(v + 5, 2)})
    best = min(curve, key=lambda c: c["val_mpjpe"])
    curve = rt.compact_curve(curve)
    return {
        "schema": 1, "kind": "table", "label": row["label"], "key": key, "tag": rt.row_tag(row),
        "config_name": row["config"], "overrides": row["overrides"], "extra_overrides": [], "sets": [],
        "root": root, "source": source, "seed": seed,
        "fingerprint": fingerprint or {"code": "c", "config": "f", "data": "d"},
        "best_epoch": best["epoch"], "best_val_mpjpe": best["val_mpjpe"], "best_val_p_mpjpe": 100.0,
        "epochs": epochs, "epochs_done": epochs, "warmup_epochs": 5 if key.startswith("weak") else 0,
        "test": {"mpjpe": {"action_wise": mpjpe, "frame_wise": mpjpe + 1}, "p_mpjpe": {"action_wise": 110.0,
                 "frame_wise": 111.0}, "n_mpjpe": {"action_wise": 140.0, "frame_wise": 141.0}, "pck150": 60.0,
                 "auc": 30.0, "num_poses": 1000, "epoch": best["epoch"],
                 "per_action": {"boxing": {"mpjpe": mpjpe, "p_mpjpe": 110.0, "n_mpjpe": 140.0, "num_poses": 1000}}},
        "oracle": {"epoch": epochs, "test_mpjpe": oracle, "test_p_mpjpe": oracle - 30},
        "train_s": 120.0, "job_wall_s": 150.0, "threads": 1, "jobs": 2,
        "machine": {"cpu": "Test CPU @ 1 GHz", "cpu_count": 2}, "config": {}, "curve": curve,
    }


def test_results_page_from_two_summaries(rt, tmp_path: Path):
    s0 = fake_summary(rt, "full", None, "gt", 0, mpjpe=150.0, oracle=140.0)
    s1 = fake_summary(rt, "full", None, "gt", 1, mpjpe=154.0, oracle=144.0)
    w0 = fake_summary(rt, "weak", "solve", "gt", 0, mpjpe=180.0, oracle=170.0, best_epoch=20, late_gain=0.1)
    results, figure = tmp_path / "docs" / "RESULTS.md", tmp_path / "docs" / "img" / "results_curves.png"
    rt.write_results([s0, s1, w0], results, figure, unused=[(tmp_path / "old.json", "stale-config")])
    text = results.read_text()
    assert "152.0 ± 2.0" in text  # mean ± std over the two seeds (honest MPJPE)
    assert "142.0 ± 2.0" in text  # oracle MPJPE
    assert "oracle MPJPE (best epoch on test, frame-wise)" in text and "never used for selection" in text
    assert "full (2 seeds)" in text and "0, 1 (2)" in text
    assert "NOT levelled off" in text  # the weak row still improves in its last quarter
    full_line = next(ln for ln in text.splitlines() if ln.startswith("- full, root –"))
    assert "levelled off" in full_line and "NOT" not in full_line and "60 %" in full_line
    assert "img/results_curves.png" in text and "old.json" in text
    assert "Test CPU @ 1 GHz" in text and "6 min in training steps" in text
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(results.parent.glob(".RESULTS.md.*"))  # written via a temporary file


def test_ordering_check_both_figures(rt, tmp_path: Path):
    vals = {"full": (150, 190), "weak": (160, 150), "weak_nobone": (170, 160), "weak_nowarmup": (180, 170)}
    ss = [fake_summary(rt, k, None if k == "full" else "gt", "noisy", 0, mpjpe=m, oracle=o) for k, (m, o) in vals.items()]
    rt.write_results(ss, tmp_path / "R.md", tmp_path / "f.png")
    text = (tmp_path / "R.md").read_text()
    assert "honest MPJPE: measured order full < weak < weak_nobone < weak_nowarmup (the paper ordering holds)" in text
    assert "oracle MPJPE: measured order weak < weak_nobone < weak_nowarmup < full (differs" in text


def test_summary_file_is_small_and_roundtrips(rt, tmp_path: Path):
    s = fake_summary(rt, "weak", "gt", "gt", 0, epochs=300, best_epoch=150)
    rt.write_summary(tmp_path / "s.json", s)
    text = (tmp_path / "s.json").read_text()
    assert json.loads(text) == s and len(text) < 40_000
    assert rt.compact_curve([{"epoch": 1, "loss": 0.123456789, "val_mpjpe": 123.4567, "train_s": 3},
                             {"epoch": 2, "loss": 0.1}]) == \
        {"epoch": [1, 2], "loss": [0.123457, 0.1], "val_mpjpe": [123.46, None]}
    assert rt.curve_rows({"epoch": [1, 2], "val_mpjpe": [123.46, None]}) == [{"epoch": 1, "val_mpjpe": 123.46},
                                                                               {"epoch": 2}]


def test_last_quarter_gain(rt):
    flat = fake_summary(rt, "full", None, "gt", 0, best_epoch=10)
    assert rt.last_quarter_gain(flat) == 0.0
    late = fake_summary(rt, "full", None, "gt", 0, best_epoch=15, late_gain=0.1)
    assert rt.last_quarter_gain(late) > 0.02 and not rt.convergence([late])["ok"]
    assert rt.convergence([flat])["ok"]


def test_scheduler_respects_max_runs_and_budget(rt, monkeypatch):
    started = []
    monkeypatch.setattr(rt, "run_job", lambda job, a: started.append(job["n"]) or {"n": job["n"]})
    done = []
    a = rt.parse_args(["--max-runs", "3", "--jobs", "2"])
    left = rt.Scheduler(a, rt.time.monotonic()).run([{"n": i, "run": str(i)} for i in range(5)],
                                                    lambda job, s: done.append(s["n"]))
    assert sorted(started) == [0, 1, 2] and sorted(done) == [0, 1, 2] and [j["n"] for j in left] == [3, 4]
    a = rt.parse_args(["--budget-min", "0"])
    assert len(rt.Scheduler(a, rt.time.monotonic()).run([{"n": 9, "run": "9"}], lambda j, s: None)) == 1
    monkeypatch.setattr(rt, "run_job", lambda job, a: (_ for _ in ()).throw(OSError("boom")))
    sched = rt.Scheduler(rt.parse_args([]), rt.time.monotonic())
    assert sched.run([{"n": 1, "run": "1"}, {"n": 2, "run": "2"}], lambda j, s: None) == [] and len(sched.failed) == 2


def _probe(val: float = 200.0, epochs: int = 3) -> dict:
    return {"epochs": [{"step": 18 * (e + 1), "phase": "warmup" if e == 0 else "weak", "lr": 0.001,
                        "loss": 0.5 / (e + 1), "loss_sup": 0.4 / (e + 1), "loss_rep": 0.1, "loss_bone": 0.0,
                        "val_mpjpe": val - 10.0 * e, "val_p_mpjpe": 150.0 - e, "test_mpjpe": val + 20.0,
                        "test_p_mpjpe": 160.0} for e in range(epochs)],
            "eval": {"mpjpe": {"action_wise": val + 20.0, "frame_wise": val + 21.0}, "num_poses": 6140}}


def test_same_probe_tolerates_float_noise_not_changes(rt):
    p = _probe()
    assert rt.same_probe(p, _probe())
    assert rt.same_probe(p, _probe(val=200.0 * (1 + 1e-5)))     # another CPU's float sums
    assert not rt.same_probe(p, _probe(val=200.0 * (1 + 1e-2)))  # another computation
    assert not rt.same_probe(p, _probe(epochs=2))                # another epoch count
    q = _probe()
    q["epochs"][1]["step"] = 37                                  # another epoch length: exact
    assert not rt.same_probe(p, q)
    q = _probe()
    del q["epochs"][2]["loss_bone"]                              # a loss term gone
    assert not rt.same_probe(p, q)
    q = _probe()
    q["epochs"][0]["phase"] = "weak"                             # no warm-up
    assert not rt.same_probe(p, q)
    assert not rt.same_probe({"eval": {}}, {"eval": {}})         # nothing to compare is no match


def test_older_code_with_the_same_probe_counts_as_current(rt, tmp_path: Path, monkeypatch):
    """A summary of other code is usable when the cached probes of both codes agree (and only then);
    without data no probe of the current code is computed."""
    a = rt.parse_args(["--summaries", str(tmp_path / "results"), "--out", str(tmp_path / "runs"),
                       "--data", str(tmp_path / "nodata"), "--bone-weights"])
    monkeypatch.setattr(rt, "ORACLE_SET", "train.eval_every=1")
    monkeypatch.setattr(rt, "run_probe", lambda *args, **kw: pytest.fail("no probe may run without data"))
    fps = rt.Fingerprints(None, a.summaries)
    row = rt.find_row("weak", "solve")
    job = rt.table_job(row, "gt", 0, None, a)
    old_code = "0" * 64
    s = fake_summary(rt, "weak", "solve", "gt", 0, fingerprint={**fps(job), "code": old_code})
    rt.write_summary(job["summary"], s)
    assert fps.classify(rt.read_summary(job["summary"]), job) == "stale-code"  # no probes yet

    def cache(code: str, probe: dict) -> None:
        _write_probes(Path(a.summaries), code, {rt._machine()["cpu"]: {"weak_solve": probe}})

    cache(old_code, _probe())
    cache(fps.code, _probe(val=200.0 * (1 + 1e-6)))
    fps = rt.Fingerprints(None, a.summaries)
    assert fps.classify(rt.read_summary(job["summary"]), job) == "same-behaviour"
    c = rt.collect(a, fps)
    assert [x["_status"] for x in c["summaries"]] == ["same-behaviour"]
    rt.write_results(c["summaries"], tmp_path / "RESULTS.md", tmp_path / "img" / "c.png", summaries_dir=a.summaries)
    page = (tmp_path / "RESULTS.md").read_text()
    assert "1 run(s) were made by earlier training code whose behaviour probe" in page and "†" not in page
    # another behaviour of the current code: the older run is stale again
    cache(fps.code, _probe(val=230.0))
    fps = rt.Fingerprints(None, a.summaries)
    assert fps.classify(rt.read_summary(job["summary"]), job) == "stale-code"
    assert rt.collect(a, fps)["unused"][0][1] == "stale-code"


AMD, INTEL = "AMD EPYC", "Intel(R) Xeon(R) Processor"


def _write_probes(summaries: Path, code: str, sets: dict, data: str = "d" * 64) -> Path:
    """A schema-2 probe file of ``code``: ``sets`` maps a CPU model to ``{row_tag: probe}``."""
    path = summaries / "probes" / f"{code[:16]}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    machines = {cpu: {"machine": {"cpu": cpu, "cpu_count": 2}, "data": data, "created": "2026-12-01T00:00:00+0000",
                      "probes": probes} for cpu, probes in sets.items()}
    path.write_text(json.dumps({"schema": 2, "code": code, "machines": machines}))
    return path


def _probes(rt, summaries: Path, code: str, cpu: str = INTEL, data: str | None = None, compute: bool = False):
    """A probe cache as seen from a machine with CPU ``cpu`` (``data``: the data fingerprint at hand)."""
    p = rt.Probes(summaries, None, code, compute=compute, machine={"cpu": cpu, "cpu_count": 2})
    p.data = data
    return p


def test_probes_link_transitively_across_machines(rt, tmp_path: Path):
    """old ~ mid on AMD and mid ~ new on Intel: old behaves like new, though never probed on one machine."""
    old, mid, new, other = "a" * 64, "b" * 64, "c" * 64, "e" * 64
    amd, intel = _probe(200.0), _probe(200.0 * 1.012)  # the same code on two CPUs: 1.2 % apart
    _write_probes(tmp_path, old, {AMD: {"weak_solve": amd}})
    _write_probes(tmp_path, mid, {AMD: {"weak_solve": _probe(200.0 * (1 + 1e-6))}, INTEL: {"weak_solve": intel}})
    _write_probes(tmp_path, new, {INTEL: {"weak_solve": _probe(200.0 * 1.012 * (1 - 1e-6))}})
    _write_probes(tmp_path, other, {AMD: {"weak_solve": _probe(230.0)}})  # changed behaviour
    row = rt.find_row("weak", "solve")
    p = _probes(rt, tmp_path, new)
    assert p.same(old, row) and p.same(mid, row) and p.same(new, row)
    assert not p.same(other, row) and not p.same("f" * 64, row)  # another behaviour; never probed
    assert not p.same(old, rt.find_row("full", None))  # no probes of that row
    for code in (old, mid, other):  # the same answers from the other machine (probes are not computed)
        assert _probes(rt, tmp_path, new, cpu=AMD).same(code, row) == p.same(code, row)
    # without the bridge (mid's Intel probes) old and new are not linked
    _write_probes(tmp_path, mid, {AMD: {"weak_solve": amd}})
    assert not _probes(rt, tmp_path, new).same(old, row)


def test_probes_of_different_machines_never_link(rt, tmp_path: Path):
    old, new = "a" * 64, "c" * 64
    _write_probes(tmp_path, old, {AMD: {"weak_solve": _probe()}})
    _write_probes(tmp_path, new, {INTEL: {"weak_solve": _probe()}})  # equal numbers, other CPU
    row = rt.find_row("weak", "solve")
    assert not _probes(rt, tmp_path, new).same(old, row)
    assert not _probes(rt, tmp_path, new, data="d" * 64).same(old, row)
    assert _probes(rt, tmp_path, new).get(old, row) is None  # this machine's set only
    assert _probes(rt, tmp_path, new).get(old, row, cpu=AMD) == _probe()


def test_probes_of_different_data_never_link(rt, tmp_path: Path):
    old, new = "a" * 64, "c" * 64
    _write_probes(tmp_path, old, {INTEL: {"weak_solve": _probe()}}, data="0" * 64)
    _write_probes(tmp_path, new, {INTEL: {"weak_solve": _probe()}}, data="d" * 64)
    row = rt.find_row("weak", "solve")
    assert not _probes(rt, tmp_path, new).same(old, row)  # data not at hand: equal data still required
    assert not _probes(rt, tmp_path, new, data="d" * 64).same(old, row)
    assert not _probes(rt, tmp_path, new, data="0" * 64).same(old, row)  # the current code's probe: other data
    assert _probes(rt, tmp_path, new, data="d" * 64).get(old, row) is None
    _write_probes(tmp_path, old, {INTEL: {"weak_solve": _probe()}}, data="d" * 64)
    assert _probes(rt, tmp_path, new, data="d" * 64).same(old, row)


def test_schema1_probe_files_are_read_and_migrated(rt, tmp_path: Path):
    """A schema-1 file (one machine at the top) reads as that machine's set; adding another
    machine's probes rewrites it in the current schema with every number kept."""
    old, new = "a" * 64, "c" * 64
    v1 = {"schema": 1, "code": old, "data": "d" * 64, "probes": {"weak_solve": _probe(200.123456789)},
          "machine": {"cpu": AMD, "cpu_count": 2, "torch": "2.13.0+cpu"}, "created": "2026-12-02T00:08:37+0000"}
    path = tmp_path / "probes" / f"{old[:16]}.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(v1, indent=2))
    f = rt.probe_file(json.loads(path.read_text()))
    assert f["schema"] == rt.PROBE_SCHEMA == 2 and f["code"] == old and list(f["machines"]) == [AMD]
    assert f["machines"][AMD] == {k: v1[k] for k in ("machine", "data", "created", "probes")}
    assert rt.probe_file({**v1, "schema": 99}) is None and rt.probe_file({"schema": 2, "code": old}) is None
    _write_probes(tmp_path, new, {AMD: {"weak_solve": _probe(200.123456789 * (1 + 1e-7))}})
    row = rt.find_row("weak", "solve")
    assert _probes(rt, tmp_path, new, cpu=AMD).same(old, row)
    assert _probes(rt, tmp_path, new, cpu=INTEL).same(old, row)  # the link was made on AMD; asked from Intel
    # another machine's probes of the same code: the file becomes schema 2, the AMD set unchanged
    p = _probes(rt, tmp_path, new, data="d" * 64)
    p.put(old, {"weak_solve": _probe(202.0)}, "d" * 64, {"cpu": INTEL, "cpu_count": 2},
          created="2026-12-06T07:00:00+0000")
    w = json.loads(path.read_text())
    assert w["schema"] == 2 and w["code"] == old and set(w) == {"schema", "code", "machines"}
    assert w["machines"][AMD] == f["machines"][AMD]
    assert w["machines"][INTEL]["probes"] == {"weak_solve": _probe(202.0)} and w["machines"][INTEL]["data"] == "d" * 64
    assert _probes(rt, tmp_path, new).get(old, row) == _probe(202.0)  # read back from this machine's set


def test_current_probe_computed_on_this_machine_only_when_it_can_link(rt, tmp_path: Path, monkeypatch):
    """The current code's probe is computed (on this machine, beside the other machines' sets) only
    when the older code is linked to something probed here; --probe-src adds another code's set."""
    old, mid, new = "a" * 64, "b" * 64, "c" * 64
    calls = []

    def fake_run_probe(row, data_dir, src, workdir=None):
        calls.append((rt.row_tag(row), str(src)))
        return _probe(200.0 * 1.012)

    monkeypatch.setattr(rt, "run_probe", fake_run_probe)
    _write_probes(tmp_path, old, {AMD: {"weak_solve": _probe(), "full": _probe()}})
    _write_probes(tmp_path, new, {AMD: {"full": _probe(300.0)}})
    row, full = rt.find_row("weak", "solve"), rt.find_row("full", None)
    p = _probes(rt, tmp_path, new, data="d" * 64, compute=True)
    assert not p.same(old, row) and not calls  # nothing linked to `old` was probed on Intel
    assert not p.same(old, full) and not calls  # the current code's probes differ on AMD
    _write_probes(tmp_path, mid, {AMD: {"weak_solve": _probe()}})
    p = _probes(rt, tmp_path, new, data="d" * 64, compute=True)
    assert not p.same(old, row) and not calls  # mid is linked to old, but not probed on Intel either
    # --probe-src of mid on this (Intel) machine: its AMD set is kept
    p.add(Path("/elsewhere/src"), mid, [row])
    assert calls == [("weak_solve", "/elsewhere/src")]
    mid_file = json.loads(p.path(mid).read_text())
    assert set(mid_file["machines"]) == {AMD, INTEL} and mid_file["machines"][INTEL]["machine"]["cpu"] == INTEL
    assert p.same(old, row) and len(calls) == 2  # now the current code's Intel probe closes the chain
    new_file = json.loads(p.path(new).read_text())
    assert new_file["machines"][AMD]["probes"] == {"full": _probe(300.0)}  # the other machine's set kept
    assert new_file["machines"][INTEL]["probes"] == {"weak_solve": _probe(200.0 * 1.012)}
    assert p.same(old, row) and len(calls) == 2  # cached
    q = _probes(rt, tmp_path, new, data="d" * 64, compute=True)
    assert q.same(mid, row) and q.same(old, row) and len(calls) == 2  # read back, nothing computed


@pytest.mark.slow
def test_probe_sees_behaviour_not_code_moves(rt, mocap_slice: Path, tmp_path: Path):
    """Real probes (tiny data): an edit that computes the same gives another code fingerprint but the
    same probe; an edit of a loss gives another probe."""
    full = rt.SRC  # the package itself (the copy holds only the training-path modules)
    tree = tmp_path / "pkg"
    shutil.copytree(full, tree, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    row = rt.find_row("martinez", None)
    base = rt.run_probe(row, mocap_slice, full, tmp_path)
    losses = tree / "wsgcn" / "losses.py"
    text = losses.read_text()
    losses.write_text(text + "\n_UNUSED = 1\n")  # new code, same computation
    assert rt.code_fingerprint(tree) != rt.code_fingerprint(full)
    assert rt.same_probe(base, rt.run_probe(row, mocap_slice, tree, tmp_path))
    losses.write_text(text + "\n_mse = mse_3d\n\n\ndef mse_3d(pred, target):\n    return 1.5 * _mse(pred, target)\n")
    changed = rt.run_probe(row, mocap_slice, tree, tmp_path)
    assert not rt.same_probe(base, changed)
    assert changed["epochs"][0]["loss"] == pytest.approx(1.5 * base["epochs"][0]["loss"], rel=1e-4)


# ----------------------------------------------------------------------------- the `people` benchmark

PEOPLE_POSES = {"box": 6140, "fence": 1500, "freeform": 548, "squat": 3556}


def fake_people_eval(base: float, epoch: int = 12) -> dict:
    """An evaluation JSON as `wsgcn evaluate --set data.name=people` writes it (person k: base + 10 k)."""
    per = {a: {"mpjpe": base + 10 * k, "p_mpjpe": base - 30 + 10 * k, "n_mpjpe": base, "num_poses": n}
           for k, (a, n) in enumerate(sorted(PEOPLE_POSES.items()))}
    mean = {m: sum(d[m] for d in per.values()) / 4 for m in ("mpjpe", "p_mpjpe")}
    return {**{m: {"action_wise": v, "frame_wise": v + 1} for m, v in mean.items()}, "per_action": per,
            "num_poses": sum(PEOPLE_POSES.values()), "meta": {"epoch": epoch, "dataset": "people"}}


def test_people_block_and_section(rt, tmp_path: Path):
    """The block holds per-person MPJPE/P-MPJPE and their mean; the section averages only the seeds
    with a block (of the people files at hand) and says how many runs have one."""
    block = rt.people_block(fake_people_eval(130.0), "p" * 64, "gt")
    assert block["per_action"]["box"] == {"mpjpe": 130.0, "p_mpjpe": 100.0, "num_poses": 6140}
    assert block["per_action"]["squat"]["mpjpe"] == 160.0 and block["per_action"]["fence"]["mpjpe"] == 140.0
    assert block["mpjpe"]["action_wise"] == 145.0
    assert block["data_fingerprint"] == "p" * 64 and block["epoch"] == 12 and block["source"] == "gt"
    s0, s1, s2 = (fake_summary(rt, "full", None, "gt", k) for k in range(3))
    s0["people"] = block
    s1["people"] = rt.people_block(fake_people_eval(134.0), "p" * 64, "gt")
    w0 = fake_summary(rt, "weak", "solve", "gt", 0)
    w0["people"] = rt.people_block(fake_people_eval(150.0), "q" * 64, "gt")  # other people files: not used
    results = tmp_path / "RESULTS.md"
    rt.write_results([s0, s1, s2, w0], results, tmp_path / "f.png", people_data={"gt": "p" * 64})
    text = results.read_text()
    sec = text[text.index("## Per person (the `people` benchmark)"):]
    assert "**2 of the 4 runs on this page have been evaluated on `people`** (2 of `gt`)" in sec
    assert "1 run(s) were evaluated on other `people` files" in sec
    assert "| model | root | seeds (n) | box | freeform | squat | fence | mean |" in sec
    mp = sec[sec.index("MPJPE per person"):sec.index("P-MPJPE per person")]
    # seeds 0 and 1 only; box 130/134, freeform 150/154, squat 160/164, fence 140/144, mean 145/149
    assert "| full | – | 0, 1 (2) | 132.0 ± 2.0 | 152.0 ± 2.0 | 162.0 ± 2.0 | 142.0 ± 2.0 | 147.0 ± 2.0 |" in mp
    assert "WS-GCN" not in mp  # the weak row has no usable block
    assert "| full | – | 0, 1 (2) | 102.0 ± 2.0 |" in sec[sec.index("P-MPJPE per person"):]
    assert "box 6140, freeform 548, squat 3556, fence 1500" in sec
    rt.write_results([s0, s1, s2, w0], results, tmp_path / "f.png")  # fingerprints not at hand: not checked
    assert "**3 of the 4 runs" in results.read_text()
    rt.write_results([s2], results, tmp_path / "f.png")
    assert "**0 of the 1 runs on this page have been evaluated on `people`**; the others have none" \
        in results.read_text()


def _planned(rt, tmp_path: Path, monkeypatch, *extra: str):
    a = rt.parse_args(["--summaries", str(tmp_path / "results"), "--out", str(tmp_path / "runs"),
                       "--data", str(tmp_path / "data"), "--results", str(tmp_path / "RESULTS.md"),
                       "--bone-weights", "--no-probes", *extra])
    monkeypatch.setattr(rt, "ORACLE_SET", "train.eval_every=1")  # no dependency on train.oracle_test here
    return a, rt.Fingerprints(None)


def test_summary_without_people_block_stays_valid(rt, tmp_path: Path, monkeypatch):
    a, fps = _planned(rt, tmp_path, monkeypatch)
    job = rt.table_job(rt.find_row("full", None), "gt", 0, None, a)
    s = fake_summary(rt, "full", None, "gt", 0, fingerprint=fps(job))
    assert "people" not in s and rt.classify(s, fps(job)) == "valid"
    assert rt.classify({**s, "people": rt.people_block(fake_people_eval(130.0), "p" * 64, "gt")}, fps(job)) == "valid"
    rt.write_summary(job["summary"], s)
    c = rt.collect(a, fps)
    assert len(c["summaries"]) == 1 and not c["unused"]
    # without the people files nothing is evaluated and the summary is unchanged
    monkeypatch.setattr(rt, "evaluate_people", lambda *x: pytest.fail("evaluated without people files"))
    assert not rt.add_people(s, Path(job["run"]), a.data) and "people" not in s


def _fake_run(rt, run: Path, s: dict, job: dict, last_epoch: int | None = None) -> None:
    """A run folder as training leaves it (no weights): best checkpoint files and metrics.jsonl."""
    cfg = rt.would_be_config(job["config"], rt.job_sets(job))
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "best.safetensors").write_bytes(b"weights")
    (run / "checkpoints" / "best.json").write_text(json.dumps(
        {"epoch": s["test"]["epoch"], "best_epoch": s["best_epoch"], "best": s["best_val_mpjpe"], "config": cfg}))
    n = cfg["train"]["epochs"] if last_epoch is None else last_epoch
    (run / "metrics.jsonl").write_text("".join(json.dumps({"epoch": e}) + "\n" for e in range(1, n + 1)))


def test_people_only_adds_blocks_where_run_folders_are_kept(rt, tmp_path: Path, monkeypatch):
    a, fps = _planned(rt, tmp_path, monkeypatch, "--people-only", "--sources", "gt")
    (tmp_path / "data").mkdir()
    for name in rt.PEOPLE_FILES:
        (tmp_path / "data" / name.format(source="gt")).write_bytes(name.encode())
    paths = {}
    for key, root, seed, folder in (("full", None, 0, "finished"), ("full", None, 1, "gone"),
                                    ("weak", "gt", 0, "training")):
        job = rt.table_job(rt.find_row(key, root), "gt", seed, None, a)
        s = fake_summary(rt, key, root, "gt", seed, fingerprint=fps(job))
        rt.write_summary(job["summary"], s)
        paths[folder] = Path(job["summary"])
        if folder != "gone":
            _fake_run(rt, Path(job["run"]), s, job, None if folder == "finished" else 3)
    before = {k: p.read_text() for k, p in paths.items()}
    calls = []
    monkeypatch.setattr(rt, "evaluate_people", lambda run, data, source: calls.append(run) or fake_people_eval(130.0))
    assert rt.people_only(a) == 0
    assert [Path(c).name for c in calls] == ["full_seed0"]
    s = json.loads(paths["finished"].read_text())
    assert s["people"]["data_fingerprint"] == rt.people_fingerprint(a.data, "gt")
    assert s["people"]["per_action"]["fence"]["mpjpe"] == 140.0 and s["people"]["p_mpjpe"]["action_wise"] == 115.0
    assert {k: v for k, v in s.items() if k != "people"} == json.loads(before["finished"])
    assert paths["gone"].read_text() == before["gone"] and paths["training"].read_text() == before["training"]
    text = (tmp_path / "RESULTS.md").read_text()
    assert "**1 of the 3 runs on this page have been evaluated on `people`** (1 of `gt`)" in text
    assert rt.people_only(a) == 0 and len(calls) == 1  # up to date: not evaluated again


def test_finished_run_gets_the_block_only_with_people_files(rt, tmp_path: Path, monkeypatch):
    """run_job (training and evaluation stubbed) adds the block when the people files are in --data."""
    a, fps = _planned(rt, tmp_path, monkeypatch)
    monkeypatch.setattr(rt.subprocess, "run", lambda *x, **k: None)
    monkeypatch.setattr(rt, "build_summary", lambda job, run, fp, a, wall: fake_summary(rt, "full", None, "gt", 0))
    monkeypatch.setattr(rt, "evaluate_people", lambda run, data, source: fake_people_eval(130.0))
    job = rt.table_job(rt.find_row("full", None), "gt", 0, None, a)
    job["fp"] = fps(job)
    assert "people" not in rt.run_job(job, a)  # no people files
    (tmp_path / "data").mkdir(exist_ok=True)
    for name in rt.PEOPLE_FILES:
        (tmp_path / "data" / name.format(source="gt")).write_bytes(name.encode())
    s = rt.run_job(job, a)
    assert s["people"]["mpjpe"]["action_wise"] == 145.0
    assert json.loads(Path(job["summary"]).read_text())["people"] == s["people"]


def _summ(key: str, root, seed: int, test: float, val: float) -> dict:
    return {"key": key, "root": root, "seed": seed, "source": "gt", "best_val_mpjpe": val,
            "test": {"mpjpe": {"action_wise": test}}}


def test_bf16_parity_and_gap_lines(rt):
    """The results page's bf16-against-fp32 lines (issue 16) and gap-to-full lines (issue 15):
    means, stds as the table shows them (population), the verdict and the relative gap."""
    full = [_summ("full", None, k, t, 70.0 + k) for k, t in enumerate((118.0, 120.0, 122.0))]  # std 1.633
    bf16 = [_summ("full_bf16", None, k, t, 71.0) for k, t in enumerate((120.5, 121.5))]        # +1.0 mm
    weak = [_summ("weak", "solve", k, t, 100.0) for k, t in enumerate((140.0, 140.2, 139.8))]  # std 0.163
    weak16 = [_summ("weak_bf16", "solve", k, 141.0, 100.0) for k in range(3)]                  # +1.0 mm
    mv = [_summ("weak_mv", "solve", k, 126.4, 95.0) for k in range(3)]
    groups = rt._groups(full + bf16 + weak + weak16 + mv, "gt")
    par = rt._bf16_parity(groups, "gt")
    assert len(par) == 4
    assert "full, bf16" in par[0] and "test MPJPE" in par[0] and "+1.0 mm, within one fp32 seed std" in par[0]
    assert "bf16 121.0 ± 0.5 (2 seeds) against fp32 120.0 ± 1.6 (3 seeds)" in par[0]
    assert "WS-GCN), bf16" in par[2] and "+1.0 mm, outside one fp32 seed std" in par[2]
    gaps = rt._gaps(groups, "gt")
    assert gaps == [
        "- `gt`, `root: solve`: weak, warm-up, bone (WS-GCN): 140.0 mm (3 seeds), +16.7 % against full supervision "
        "(120.0 mm, 3 seeds).",
        "- `gt`, `root: solve`: WS-GCN + multi-view (beyond the paper): 126.4 mm (3 seeds), +5.3 % against full "
        "supervision (120.0 mm, 3 seeds)."]


def test_bf16_rows_are_not_trained_without_native_bf16(rt, monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(rt, "_bf16_native", lambda: (False, "this CPU has neither AMX-BF16 nor AVX512-BF16"))
    code = rt.main(["--rows", "full_bf16", "weak_bf16", "--sources", "gt", "--seeds", "0", "--dry-run", "--no-probes",
                    "--bone-weights", "--out", str(tmp_path / "runs"), "--summaries", str(tmp_path / "s"),
                    "--results", str(tmp_path / "R.md"), "--data", str(tmp_path / "nodata")])
    out = capsys.readouterr().out
    assert code == 0
    assert "bf16 rows (full_bf16, weak_bf16) not trained here: this CPU has neither AMX-BF16 nor AVX512-BF16" in out
    assert "full_bf16" not in out.split("not trained here")[1]
    monkeypatch.setattr(rt, "_bf16_native", lambda: (True, "CPU with AMX-BF16"))
    rt.main(["--rows", "full_bf16", "weak_bf16", "--sources", "gt", "--seeds", "0", "--dry-run", "--no-probes",
             "--bone-weights", "--out", str(tmp_path / "runs"), "--summaries", str(tmp_path / "s"),
             "--results", str(tmp_path / "R.md"), "--data", str(tmp_path / "nodata")])
    out = capsys.readouterr().out
    assert "full_bf16" in out and "weak_bf16" in out and "not trained here" not in out


def test_paired_differences_use_the_seeds_both_rows_have(rt):
    """Same-seed differences (a seed's luck cancels): mean ± std of the per-seed differences over
    the seeds both rows have, not the difference of the rows' means."""
    weak = [_summ("weak", "gt", k, t, 100.0) for k, t in enumerate((140.0, 130.0, 120.0))]
    nobone = [_summ("weak_nobone", "gt", k, t, 100.0) for k, t in enumerate((143.0, 132.0))]  # no seed 2
    lines = rt._paired(rt._groups(weak + nobone, "gt"), "gt")
    assert lines == ["- bone penalty, root gt: -2.5 mm ± 0.5 (seeds 0, 1: -3.0, -2.0; `weak` (root gt) minus "
                     "`weak_nobone` (root gt))"]


def test_motions_rows_train_on_motions_and_are_tested_like_the_others(rt, tmp_path, capsys):
    """The `motions` rows: data.name=motions, no oracle pass (its test people differ), the data
    fingerprint over the `motions` files (the `mocap` rows' unchanged), and a one-line refusal
    when those files are missing."""
    a = rt.parse_args(["--out", str(tmp_path / "o"), "--summaries", str(tmp_path / "s")])
    job = rt.table_job(rt.find_row("weak_motions", "solve"), "gt", 0, None, a)
    sets = rt.job_sets(job)
    assert "data.name=motions" in sets and rt.ORACLE_SET not in sets and job["data_name"] == "motions"
    assert rt.ORACLE_SET in rt.job_sets(rt.table_job(rt.find_row("weak", "solve"), "gt", 0, None, a))
    for name in ("mocap", "motions"):
        for f in rt.DATA_FILES:
            (tmp_path / "d" / f.replace("mocap", name).format(source="gt")).parent.mkdir(exist_ok=True)
            (tmp_path / "d" / f.replace("mocap", name).format(source="gt")).write_bytes(name.encode())
    d = str(tmp_path / "d")
    assert rt.data_fingerprint(d, "gt") == rt.files_fingerprint(d, "gt", rt.DATA_FILES)
    assert rt.data_fingerprint(d, "gt", "motions") not in (None, rt.data_fingerprint(d, "gt"))
    rt.main(["--rows", "weak_motions", "--sources", "gt", "--seeds", "0", "--dry-run", "--no-probes",
             "--bone-weights", "--out", str(tmp_path / "o"), "--summaries", str(tmp_path / "s"),
             "--results", str(tmp_path / "R.md"), "--data", str(tmp_path / "nodata")])
    out = capsys.readouterr().out
    assert f"rows on `motions` not trained: no motions files in {tmp_path / 'nodata'}" in out


def test_noisy_source_is_cut_to_the_paper_rows(rt, monkeypatch, capsys, tmp_path):
    """By default the `noisy` source trains only the paper's four rows with `root: gt` (the cut of
    issue 12), `gt` every row; rows named with --rows train on every source given."""
    monkeypatch.setattr(rt, "_bf16_native", lambda: (True, "CPU with AMX-BF16"))
    common = ["--seeds", "0", "--dry-run", "--no-probes", "--bone-weights", "--out", str(tmp_path / "o"),
              "--summaries", str(tmp_path / "s"), "--results", str(tmp_path / "R.md"), "--data", str(tmp_path / "d")]
    rt.main(["--sources", "noisy", *common])
    planned = {line.split()[1] for line in capsys.readouterr().out.splitlines() if line.startswith("noisy ")}
    assert planned == {"full", "weak_nobone_gt", "weak_gt", "weak_nowarmup_gt"}
    rt.main(["--sources", "gt", *common])
    planned = {line.split()[1] for line in capsys.readouterr().out.splitlines() if line.startswith("gt ")}
    # every row but the two `motions` ones (no motions files in this empty data folder)
    assert {"weak_solve", "martinez", "weak_mv_nobone_solve", "weak_bf16_solve"} <= planned \
        and len(planned) == len(rt.ROWS) - 2
    rt.main(["--sources", "noisy", "--rows", "weak", "--roots", "solve", *common])
    planned = {line.split()[1] for line in capsys.readouterr().out.splitlines() if line.startswith("noisy ")}
    assert planned == {"weak_solve"}
    assert rt.table_size() == (len(rt.ROWS) + 4) * 3


def test_multiview_weight_sweep_reports_the_validation_best_against_the_config(rt, tmp_path: Path, monkeypatch, capsys):
    """--mv-weights: one validation run per weight (the config's own weight taken from the table's
    seed-0 run, the same training), the page names the best weight and whether the config holds it;
    without --mv-weights the sweep found on disk stays on the page and nothing is held back."""
    monkeypatch.setattr(rt, "ORACLE_SET", "train.eval_every=1")  # no dependency on train.oracle_test here
    common = ["--summaries", str(tmp_path / "s"), "--out", str(tmp_path / "o"), "--data", str(tmp_path / "nodata"),
              "--bone-weights", "--no-probes", "--results", str(tmp_path / "R.md")]
    a = rt.parse_args([*common, "--mv-weights", "0.03", "0.3"])
    fps = rt.Fingerprints(None)
    cv = rt.would_be_config("mocap_weak_mv", [])["train"]["multiview_weight"]
    table = rt.table_job(rt.find_row("weak_mv", "solve"), "gt", 0, None, a)
    s = fake_summary(rt, "weak_mv", "solve", "gt", 0, fingerprint=fps(table))
    rt.write_summary(table["summary"], s)
    state = rt.mv_sweep(a, fps)
    assert [j["weight"] for j in state["jobs"]] == sorted([0.03, 0.3, cv])  # the config's weight is always compared
    assert state["pending"] and state["choice"] is None
    own = next(j for j in state["jobs"] if j["weight"] == cv)
    assert own["from_table"] == table["summary"] and own["result"]["best_val_mpjpe"] == 140.0
    assert rt.job_sets(state["jobs"][0])[:2] == ["data.source=gt", "train.seed=0"]
    assert "train.multiview_weight=0.03" in rt.job_sets(state["jobs"][0]) and "train.root=solve" in rt.job_sets(state["jobs"][0])
    assert rt.ORACLE_SET not in rt.job_sets(state["jobs"][0])  # a sweep never evaluates the test split

    assert rt.main(["--rows", "weak_mv", "--roots", "solve", "--sources", "gt", "--seeds", "0", "--dry-run",
                    *common, "--mv-weights", "0.03", "0.3"]) == 0
    out = capsys.readouterr().out
    assert "sweep  multi-view weight 0.03 (gt, seed 0): train" in out and "weight 0.3 (gt, seed 0): train" in out
    assert f"sweep  multi-view weight {cv:g} (gt, seed 0): reuse the table's seed-0 run" in out
    assert "2 to train" in out

    for w, val in ((0.03, 150.0), (0.3, 130.0)):  # 0.3 beats the config's weight (140.0 mm)
        job = rt.tuning_job(w, a, "mv")
        rt.write_summary(job["summary"], {**fake_summary(rt, "weak_mv", "solve", "gt", 0, fingerprint=fps(job)),
                                          "kind": "tuning", "weight": w, "best_val_mpjpe": val})
    plain = rt.parse_args(common)  # no --mv-weights: the weights found in tuning/ (+ the config's)
    state = rt.mv_sweep(plain, fps)
    assert state["choice"] == 0.3 and not state["pending"]
    text = " ".join(rt.mv_sweep_lines(state))
    assert "0.03 → 150.0 mm" in text and f"{cv:g} → 140.0 mm (the table's seed-0 run)" in text
    assert "best **0.3**" in text and f"holds {cv:g}" in text and "not the weight best on validation" in text
    rt.rebuild(plain, fps)
    page = (tmp_path / "R.md").read_text()
    assert "best **0.3**" in page and "for the multi-view weight sweep" in page
    assert any(x["key"] == "weak_mv" for x in rt.collect(plain, fps)["summaries"])  # the row is not held back

    # the config's weight best on validation
    job = rt.tuning_job(0.3, a, "mv")
    rt.write_summary(job["summary"], {**rt.read_summary(job["summary"]), "best_val_mpjpe": 145.0})
    text = " ".join(rt.mv_sweep_lines(rt.mv_sweep(plain, fps)))
    assert f"best **{cv:g}**, the weight `configs/mocap_weak_mv.yaml` holds" in text
    with pytest.raises(SystemExit):
        rt.parse_args([*common, "--mv-weights", "-1"])
