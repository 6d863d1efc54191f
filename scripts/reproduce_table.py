#!/usr/bin/env python
"""Reproduce the paper's table on the real-motion benchmark in parts; rebuild docs/RESULTS.md.

The table is trained over several sessions; docs/RESULTS.md is rebuilt from the run summaries
committed under docs/results/.

Rows (``--rows`` keys): ``full``; ``weak_nobone`` (weak, warm-up, no bone); ``weak`` (WS-GCN:
weak, warm-up, bone); ``weak_nowarmup`` (weak, bone, no warm-up) -- the weak ones with
``root: gt`` (the paper's) and ``root: solve`` (reads no 3D of an unlabelled subject,
``--roots``) -- plus ``semgcn_nonl`` (SemGCN without non-local layers) and ``martinez`` (the
Martinez et al. baseline), both fully supervised; beyond the paper, ``weak_mv`` (WS-GCN plus the
multi-view consistency term, config ``mocap_weak_mv``) and ``weak_mv_nobone`` (the same without
the bone penalty), with either root; ``weak_motions`` (WS-GCN trained on the ``motions``
benchmark: the unlabelled pool plus the DeepMimic clips; needs its files in ``--data``); ``full_bf16`` and ``weak_bf16`` (``root: solve``): the
``full`` and WS-GCN rows in bfloat16 mixed precision (``train.precision=bf16``, issue 16; trained
only on a CPU with AMX-BF16 or AVX512-BF16, elsewhere skipped with one line), compared with their
float32 rows in the section "bf16 against fp32"; on the ``gt`` 2D source, and the paper's four
rows with ``root: gt`` also on ``noisy`` (the table's cut, ``NOISY_ROWS``; rows named with
``--rows`` train on every ``--sources`` given), over several seeds (``--seeds``; mean ± std).

Every table run trains with ``train.oracle_test=true``: the checkpoint is still selected on the
validation split (the honest figures), and the test split is also evaluated after every epoch for
the *oracle* figure (best epoch on test, frame-wise: what the original WS-GCN code reports; never
used for selection). After training and ``wsgcn evaluate``, a small JSON summary is written to
``docs/results/runs/<source>/<row>[_<root>]_seed<k>.json`` (commit it). A summary holds the
fingerprints of the training code (source of the training-path modules with comments and
docstrings removed), of the resolved config (without train.threads, train.device, data.dir) and of
the data files; a run whose summary matches all three is not trained again. A summary of other
training code still counts when that code's *behaviour probe* agrees with the current code's (the
row's config trained for 3 short epochs from seed 0 and evaluated; within 0.1 % on every number):
edits that move code around do not retrain the table, edits that change what it computes do.
Probes are compared only when made on the same machine (CPU model: float32 sums differ by ~1 %
between CPUs), and agreement is transitive: older code counts when a chain of codes links it to the
current code, each link two codes whose probes on one common machine agree. Probes are cached per
code fingerprint in ``<summaries>/probes/``, one set per CPU model (commit them); the current
code's on this machine are computed when a summary needs them (about a minute per row),
``--probe-src DIR`` computes those of another checkout on this machine (e.g. the commit that made
older summaries, to bridge a change of machine). Run folders go to
``--out`` (not committed); an interrupted run resumes there (a run folder started under other
fingerprints is moved to ``<out>/_stale/`` and the run starts again).

Before the table, the bone-length weight of the rows with the bone penalty is chosen on the
validation split (``--bone-weights``: one `mocap_weak` run per weight, seed 0, 2D source
``--tune-source``, `root: solve`; the test split is never read). These runs leave summaries under
``docs/results/tuning/bone_<w>.json`` too; ``--bone-weights`` with no values keeps the configs'
value. The bone rows wait until the whole sweep is done. ``--mv-weights W ...`` (opt-in) runs the
same kind of sweep for ``train.multiview_weight`` (`mocap_weak_mv`, `root: solve`, seed 0; summaries
``docs/results/tuning/mv_<w>.json``) but holds nothing back: the multi-view rows train with the
weight ``configs/mocap_weak_mv.yaml`` holds, and RESULTS.md says whether it is the one best on
validation (if not, change the config and those rows retrain: the config stays the source of truth).

docs/RESULTS.md (and docs/img/results_curves.png) is rebuilt from *all* valid summaries on disk
after every finished run, whichever part of the table this invocation trains.

Per person (the `people` benchmark, docs/BENCHMARK.md: `mocap`'s training arrays, 4 test people):
when a table run is summarised and the `people` files of its 2D source are in ``--data``
(``wsgcn data build-mocap --out DATA --benchmark people``), its best checkpoint is also evaluated
on `people` (``wsgcn evaluate --set data.name=people``; no training) and the summary gets a
``people`` block: MPJPE and P-MPJPE per test person/motion (frame-wise within each), their
action-wise mean, and the fingerprint of the `people` files. The block is optional (fingerprints
and validity of a summary do not depend on it); RESULTS.md averages it over the seeds that have
it (section "Per person"), blocks of other `people` files left out. ``--people-only`` adds it to
existing summaries whose run folders under ``--out`` still hold their finished run (others are left
as they are) and rebuilds RESULTS.md.

    python scripts/reproduce_table.py --dry-run                      # what would train, what is reused
    python scripts/reproduce_table.py --max-runs 10                  # one part: at most 10 new runs
    python scripts/reproduce_table.py --budget-min 50 --jobs 2 --threads 1
    python scripts/reproduce_table.py --rows full weak --roots solve --sources gt --seeds 0 1 2
    python scripts/reproduce_table.py --collect-only                 # only rebuild RESULTS.md
    python scripts/reproduce_table.py --rows weak_mv --roots solve --sources gt --seeds 0 --mv-weights 0.03 0.3 1
    python scripts/reproduce_table.py --collect-only --accept-stale  # also use runs of older code
    python scripts/reproduce_table.py --people-only --sources gt     # per-person rows of kept run folders

Runs are taken seed by seed (every row and source of seed 0, then seed 1, ...), so a partial
table has every row early. Folders: ``--data`` (built when missing), ``--out`` (run folders),
``--summaries`` (default docs/results), ``--results`` (default docs/RESULTS.md), ``--figure``
(default img/results_curves.png beside ``--results``). A finished run folder started under the current
fingerprints (its summary lost or outdated) is summarised again without training. ``--accept-stale`` (alias ``--force-stale``) reuses summaries whose
*code* fingerprint differs (marked in the table); other stale summaries are listed, never used.
"""

from __future__ import annotations

import argparse
import ast
import functools
import hashlib
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"  # the folder holding the `wsgcn` package

ROWS: list[dict[str, Any]] = [
    {"key": "full", "label": "full", "config": "mocap_full", "overrides": [], "root": None,
     "paper": (41.95, 33.40)},
    {"key": "weak_nobone", "label": "weak, warm-up, no bone", "config": "mocap_weak_nobone", "overrides": [],
     "root": "gt", "paper": (53.16, 43.77)},
    {"key": "weak_nobone", "label": "weak, warm-up, no bone", "config": "mocap_weak_nobone", "overrides": [],
     "root": "solve", "paper": (53.16, 43.77)},
    {"key": "weak", "label": "weak, warm-up, bone (WS-GCN)", "config": "mocap_weak", "overrides": [],
     "root": "gt", "paper": (49.23, 39.88)},
    {"key": "weak", "label": "weak, warm-up, bone (WS-GCN)", "config": "mocap_weak", "overrides": [],
     "root": "solve", "paper": (49.23, 39.88)},
    {"key": "weak_nowarmup", "label": "weak, bone, no warm-up", "config": "mocap_weak_nowarmup", "overrides": [],
     "root": "gt", "paper": (63.50, 52.14)},
    {"key": "weak_nowarmup", "label": "weak, bone, no warm-up", "config": "mocap_weak_nowarmup", "overrides": [],
     "root": "solve", "paper": (63.50, 52.14)},
    # beyond the paper (issue 15, docs/METHOD.md §5): WS-GCN plus the multi-view consistency term
    {"key": "weak_mv", "label": "WS-GCN + multi-view (beyond the paper)", "config": "mocap_weak_mv",
     "overrides": [], "root": "gt", "paper": None},
    {"key": "weak_mv", "label": "WS-GCN + multi-view (beyond the paper)", "config": "mocap_weak_mv",
     "overrides": [], "root": "solve", "paper": None},
    {"key": "weak_mv_nobone", "label": "multi-view, warm-up, no bone (beyond the paper)", "config": "mocap_weak_mv",
     "overrides": ["train.bone_weight=0"], "root": "gt", "paper": None},
    {"key": "weak_mv_nobone", "label": "multi-view, warm-up, no bone (beyond the paper)", "config": "mocap_weak_mv",
     "overrides": ["train.bone_weight=0"], "root": "solve", "paper": None},
    # the scale-blind (relative) form of the term, weight 0.03 = 0.1 x the unlabelled person's mean squared
    # joint norm (0.27 m^2): the same starting strength as the absolute form's 0.1 (docs/METHOD.md §5)
    {"key": "weak_mv_rel", "label": "WS-GCN + multi-view, relative form (beyond the paper)", "config": "mocap_weak_mv",
     "overrides": ["train.multiview_form=relative", "train.multiview_weight=0.03"], "root": "gt", "paper": None},
    {"key": "weak_mv_rel", "label": "WS-GCN + multi-view, relative form (beyond the paper)", "config": "mocap_weak_mv",
     "overrides": ["train.multiview_form=relative", "train.multiview_weight=0.03"], "root": "solve", "paper": None},
    # WS-GCN trained on the `motions` benchmark: the unlabelled pool plus the 15 DeepMimic clips
    # (issue 14; the same labelled, validation and test data): does unlabelled motion variety help?
    # Evaluated on `mocap`'s test person like every row (and on `people`); no oracle figure (its
    # per-epoch test pass would run on `motions`' four test people, not comparable).
    {"key": "weak_motions", "label": "WS-GCN, unlabelled pool + DeepMimic clips (`motions`)", "config": "mocap_weak",
     "overrides": ["data.name=motions"], "root": "gt", "paper": None, "data_name": "motions", "oracle": False},
    {"key": "weak_motions", "label": "WS-GCN, unlabelled pool + DeepMimic clips (`motions`)", "config": "mocap_weak",
     "overrides": ["data.name=motions"], "root": "solve", "paper": None, "data_name": "motions", "oracle": False},
    # bf16 mixed precision (issue 16): the same configs in bfloat16, for the accuracy-parity comparison
    {"key": "full_bf16", "label": "full, bf16", "config": "mocap_full", "overrides": ["train.precision=bf16"],
     "root": None, "paper": None, "bf16_of": "full"},
    {"key": "weak_bf16", "label": "weak, warm-up, bone (WS-GCN), bf16", "config": "mocap_weak",
     "overrides": ["train.precision=bf16"], "root": "solve", "paper": None, "bf16_of": "weak"},
    {"key": "semgcn_nonl", "label": "SemGCN without non-local (full)", "config": "mocap_full",
     "overrides": ["model.nonlocal_layers=false"], "root": None, "paper": (42.14, 33.53)},
    {"key": "martinez", "label": "Martinez et al. baseline (full)", "config": "mocap_full",
     "overrides": ["model.arch=martinez", "model.hidden=1024", "model.num_blocks=2", "model.dropout=0.5"],
     "root": None, "paper": (44.40, 35.25)},
]
ROW_KEYS = list(dict.fromkeys(r["key"] for r in ROWS))

BONE_CONFIGS = ("mocap_weak", "mocap_weak_nowarmup")  # rows whose bone weight is chosen by the sweep
# validation sweeps of a loss weight (seed 0, `root: solve`, --tune-source; the test split is never read):
# the bone sweep chooses the weight of BONE_CONFIGS' rows; the multi-view sweep (--mv-weights, opt-in) only
# reports whether the config's weight is the best on validation (the config stays the source of truth)
SWEEPS = {
    "bone": {"config": "mocap_weak", "set": "train.bone_weight", "row": ("weak", "solve"),
             "label": "bone-weight sweep", "what": "bone weight"},
    "mv": {"config": "mocap_weak_mv", "set": "train.multiview_weight", "row": ("weak_mv", "solve"),
           "label": "multi-view weight sweep", "what": "multi-view weight"},
}
BF16_ROWS = tuple(r["key"] for r in ROWS if r.get("bf16_of"))  # trained only where bf16 is native
PAPER_ORDER = ("full", "weak", "weak_nobone", "weak_nowarmup")  # lowest MPJPE first, as in the paper
DEFAULT_SEEDS = [0, 1, 2]
DEFAULT_SOURCES = ["gt", "noisy"]
# the complete table: every row on `gt`; on `noisy` only the paper's four rows in its setting (`root: gt`),
# cut to fit the machine time (issue 12: cut the source's rows, never the convergence); an explicit
# --rows trains the rows given on every source given
NOISY_ROWS = (("full", None), ("weak_nobone", "gt"), ("weak", "gt"), ("weak_nowarmup", "gt"))
MIN_SEEDS = 3  # rows with fewer seeds are marked "(n seeds)"
ORACLE_SET = "train.oracle_test=true"
ORACLE_TEXT = "oracle: best epoch on test, frame-wise (the original code's protocol; never used for selection)"
SCHEMA = 1

# training-path modules of src/wsgcn whose code (not comments/docstrings) makes a run's numbers
CODE_GLOBS = ["wsgcn/models/*.py", "wsgcn/train/*.py"]
CODE_FILES = ["wsgcn/data/batches.py", "wsgcn/data/splits.py", "wsgcn/data/h36m.py", "wsgcn/data/views.py",
              *(f"wsgcn/{m}.py" for m in ("losses", "camera", "codec", "train", "config", "metrics", "skeleton",
                                          "checkpoint", "distributed", "runtime", "evaluate"))]
# (wsgcn/train.py: the training module before it became the wsgcn/train/ package)
# resolved-config keys that do not change the results
CONFIG_IGNORED = (("train", "threads"), ("train", "device"), ("data", "dir"))
# config keys added after summaries were made, with the value that trains as before the key existed:
# dropped from the fingerprint when they hold that value, so older summaries stay current
CONFIG_LATER_DEFAULTS = {("train", "precision"): "fp32", ("train", "multiview_weight"): 0.0,
                         ("train", "multiview_form"): "absolute"}
DATA_FILES = ("data_3d_mocap.npz", "data_2d_mocap_{source}.npz", "data_cameras_mocap.json", "data_split_mocap.json")
# the `people` benchmark (docs/BENCHMARK.md): same training arrays as `mocap`, 4 test people; a finished table
# run is evaluated on it as it is (never retrained) and its summary gets a `people` block
PEOPLE_FILES = tuple(f.replace("mocap", "people") for f in DATA_FILES)
PEOPLE_ACTIONS = ("box", "freeform", "squat", "fence")  # one test person each; column order of RESULTS.md
PEOPLE_SET = "data.name=people"


def in_table(row: dict[str, Any], source: str) -> bool:
    """Whether ``row`` on 2D ``source`` belongs to the complete table (``NOISY_ROWS``)."""
    return source != "noisy" or (row["key"], row["root"]) in NOISY_ROWS


def table_size() -> int:
    """Runs in the complete table: its (row, source) cells times the default seeds."""
    return sum(in_table(r, s) for r in ROWS for s in DEFAULT_SOURCES) * len(DEFAULT_SEEDS)


# ----------------------------------------------------------------------------- fingerprints

def _normalised_source(text: str) -> str:
    """``text`` parsed and unparsed without docstrings (comments never survive ``ast``)."""
    tree = ast.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return ast.unparse(tree)


def code_files(src: Path = SRC) -> list[Path]:
    """The training-path modules under ``src`` that exist, sorted by path."""
    files = {p for g in CODE_GLOBS for p in src.glob(g) if p.is_file()}
    files |= {src / f for f in CODE_FILES if (src / f).is_file()}
    return sorted(files, key=lambda p: p.relative_to(src).as_posix())


def code_fingerprint(src: Path | None = None) -> str:
    """sha256 over the training-path modules (path + source without comments and docstrings):
    comment and docstring edits do not invalidate finished runs, code edits do."""
    src = SRC if src is None else Path(src)
    h = hashlib.sha256()
    for p in code_files(src):
        text = p.read_text(encoding="utf-8")
        try:
            norm = _normalised_source(text)
        except SyntaxError:  # a file caught half-edited: its raw text (matches nothing finished)
            norm = "RAW\n" + text
        h.update(p.relative_to(src).as_posix().encode() + b"\0" + norm.encode() + b"\0")
    return h.hexdigest()


def config_fingerprint(cfg: dict[str, Any]) -> str:
    """sha256 of a resolved config dict without the keys that do not change results."""
    d = json.loads(json.dumps(cfg))
    for section, key in CONFIG_IGNORED:
        if isinstance(d.get(section), dict):
            d[section].pop(key, None)
    for (section, key), value in CONFIG_LATER_DEFAULTS.items():
        if isinstance(d.get(section), dict) and d[section].get(key, value) == value:
            d[section].pop(key, None)
    return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()


def would_be_config(config: str, sets: list[str]) -> dict[str, Any]:
    """The resolved config a job would train with (no run needed)."""
    from wsgcn.config import load_config

    return load_config(ROOT / "configs" / f"{config}.yaml", list(sets)).to_dict()


@functools.lru_cache(maxsize=None)
def data_fingerprint(data_dir: str, source: str, name: str = "mocap") -> str | None:
    """sha256 over the files of benchmark ``name`` a run of ``source`` reads; None when one is missing."""
    return files_fingerprint(data_dir, source, tuple(f.replace("mocap", name) for f in DATA_FILES))


def files_fingerprint(data_dir: str, source: str, files: tuple[str, ...]) -> str | None:
    """sha256 over ``files`` (names with ``{source}``) of ``data_dir``; None when one is missing."""
    h = hashlib.sha256()
    for name in files:
        p = Path(data_dir) / name.format(source=source)
        if not p.is_file():
            return None
        h.update(p.name.encode() + b"\0")
        with open(p, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def people_fingerprint(data_dir: str | os.PathLike, source: str) -> str | None:
    """As :func:`data_fingerprint`, over the `people` files of ``source`` (not cached: files built
    while the script runs count); None when one is missing."""
    return files_fingerprint(str(Path(data_dir).resolve()), source, PEOPLE_FILES)


def classify(summary: dict[str, Any] | None, expected: dict[str, Any],
             same_behaviour: Any = None) -> str:
    """``valid`` when the summary's fingerprints equal ``expected`` (a None data fingerprint:
    data not checked); ``same-behaviour`` when only the code fingerprint differs and
    ``same_behaviour(summary_code_fingerprint)`` says the older code trains like the current code
    (behaviour probes compared per machine, transitively, see :class:`Probes`); else ``missing``,
    ``stale-config``, ``stale-data`` or ``stale-code``."""
    if summary is None:
        return "missing"
    fp = summary.get("fingerprint") or {}
    if fp.get("config") != expected.get("config"):
        return "stale-config"
    if expected.get("data") is not None and fp.get("data") != expected["data"]:
        return "stale-data"
    if fp.get("code") != expected.get("code"):
        if same_behaviour is not None and fp.get("code") and same_behaviour(fp["code"]):
            return "same-behaviour"
        return "stale-code"
    return "valid"


def usable(status: str, accept_stale: bool) -> bool:
    return status in ("valid", "same-behaviour") or (accept_stale and status == "stale-code")


# ----------------------------------------------------------------------------- behaviour probes
#
# A code fingerprint changes with every edit of the training path, also with edits that do not change
# what training computes (a function moved to another module, a renamed variable). A *behaviour probe*
# tells those apart: it trains the row's config for PROBE_EPOCHS short epochs from seed 0 through the
# command line (full passes over the data, one learning-rate decay inside, warm-up of one epoch where
# the row has one, the test split evaluated every epoch) and evaluates the result with `wsgcn evaluate`.
# Two training codes whose probes *made on the same machine* (CPU model) and the same data agree within
# PROBE_RTOL on every number (epoch length, learning rate, every loss term, validation and test errors
# per epoch, the evaluation) are taken to train alike. Probes of different CPUs are never compared: the
# same code gives probes about 1 % apart on an AMD EPYC and an Intel Xeon (float32 summation order).
# "Trains alike" is transitive: per row, codes are linked by a union-find over all cached probes, so
# old ~ mid (both probed on CPU A) and mid ~ new (both probed on CPU B) make old ~ new, and a summary of
# the older code stays usable. Probes are cached per code fingerprint in <summaries>/probes/<fp>.json
# (committed), one probe set per CPU model in each file; the current code's probe on this machine is
# computed when needed. What a probe cannot see: code that acts only after its ~3 epochs.

PROBE_EPOCHS = 3
PROBE_DECAY_STEPS = 40  # the learning rate decays inside the probe (weak: 54 steps, full: 111)
PROBE_RTOL = 1e-3       # reruns on one machine; a changed computation moves far more (other CPUs: ~1 %)
PROBE_KEYS = ("step", "phase", "lr", "loss", "loss_sup", "loss_rep", "loss_bone", "val_mpjpe", "val_p_mpjpe",
              "test_mpjpe", "test_p_mpjpe")
# schema 2: {"schema", "code", "machines": {cpu: {"machine", "data", "created", "probes": {row_tag: probe}}}};
# schema 1 (one machine: "machine", "data", "created", "probes" at the top) is read as schema 2
PROBE_SCHEMA = 2


def probe_sets(row: dict[str, Any]) -> list[str]:
    """The ``--set`` overrides of the behaviour probe of ``row`` (after the row's own)."""
    cfg = would_be_config(row["config"], list(row["overrides"]))
    warm = cfg["train"]["supervision"] == "weak" and cfg["train"]["warmup_epochs"] > 0
    return [*row["overrides"], *([f"train.root={row['root']}"] if row["root"] else []),
            "data.source=gt", "train.seed=0", "train.threads=1", ORACLE_SET, f"train.epochs={PROBE_EPOCHS}",
            f"train.warmup_epochs={1 if warm else 0}", f"train.lr_decay_steps={PROBE_DECAY_STEPS}",
            "train.max_steps_per_epoch=0"]


def run_probe(row: dict[str, Any], data_dir: str | os.PathLike, src: str | os.PathLike,
              workdir: str | os.PathLike | None = None) -> dict[str, Any]:
    """Train and evaluate the probe of ``row`` with the ``wsgcn`` package under ``src`` (in a
    temporary folder under ``workdir``, default the system's)."""
    import tempfile

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(src).resolve()), *filter(None, [env.get("PYTHONPATH")])])
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        run = Path(tmp) / "run"
        cmd = [sys.executable, "-m", "wsgcn", "train", str(ROOT / "configs" / f"{row['config']}.yaml"),
               "--out", str(run), "--quiet", "--set", f"data.dir={Path(data_dir).resolve()}"]
        for s in probe_sets(row):
            cmd += ["--set", s]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
        subprocess.run([sys.executable, "-m", "wsgcn", "evaluate", str(run), "--json", str(Path(tmp) / "eval.json")],
                       check=True, stdout=subprocess.DEVNULL, env=env)
        rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines() if x.strip()]
        res = json.loads((Path(tmp) / "eval.json").read_text())
    return {"epochs": [{k: r[k] for k in PROBE_KEYS if k in r} for r in rows],
            "eval": {k: res[k] for k in ("mpjpe", "p_mpjpe", "n_mpjpe", "num_poses") if k in res}}


def _numbers(x: Any, path: str = "") -> Iterable[tuple[str, Any]]:
    if isinstance(x, dict):
        for k, v in x.items():
            yield from _numbers(v, f"{path}/{k}")
    elif isinstance(x, list):
        yield f"{path}#len", len(x)
        for i, v in enumerate(x):
            yield from _numbers(v, f"{path}/{i}")
    else:
        yield path, x


def same_probe(p: dict[str, Any], q: dict[str, Any], rtol: float = PROBE_RTOL) -> bool:
    """True when two probes hold the same entries (epoch count, keys) and every number agrees
    within ``rtol`` (strings and integers exactly). Compare only probes of one machine."""
    a, b = dict(_numbers(p)), dict(_numbers(q))
    if a.keys() != b.keys() or not any(k.endswith("/val_mpjpe") for k in a):
        return False
    for k, x in a.items():
        y = b[k]
        if isinstance(x, float) or isinstance(y, float):
            if not (isinstance(x, (int, float)) and isinstance(y, (int, float))) \
                    or not math.isclose(x, y, rel_tol=rtol, abs_tol=1e-9):
                return False
        elif x != y:
            return False
    return True


def probe_rel_diff(p: dict[str, Any], q: dict[str, Any]) -> tuple[float, str]:
    """The largest relative difference between the float entries two probes share, with its path."""
    a, b = dict(_numbers(p)), dict(_numbers(q))
    worst = (0.0, "")
    for k, x in a.items():
        y = b.get(k)
        if isinstance(x, float) and isinstance(y, (int, float)) and x != y:
            worst = max(worst, (abs(x - y) / max(abs(x), abs(y)), k))
    return worst


def machine_key(machine: dict[str, Any] | None) -> str:
    """The key probe sets are kept under: the CPU model (``_machine()["cpu"]``)."""
    return str((machine or {}).get("cpu") or "unknown")


def probe_file(f: Any) -> dict[str, Any] | None:
    """A parsed probe file in the current schema (a schema-1 file becomes one machine's set, every
    number kept); None when it is no probe file or of an unknown schema."""
    if not isinstance(f, dict) or not isinstance(f.get("code"), str):
        return None
    if f.get("schema") == PROBE_SCHEMA and isinstance(f.get("machines"), dict):
        return f
    if f.get("schema") == 1 and isinstance(f.get("probes"), dict):
        cpu = machine_key(f.get("machine"))
        return {"schema": PROBE_SCHEMA, "code": f["code"],
                "machines": {cpu: {k: f.get(k) for k in ("machine", "data", "created", "probes")}}}
    return None


class _UnionFind:
    """Disjoint sets of code fingerprints (an unknown code is a set of its own)."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        while self.parent.get(x, x) != x:
            self.parent[x] = self.parent.get(self.parent[x], self.parent[x])  # path halving
            x = self.parent[x]
        return x

    def union(self, x: str, y: str) -> None:
        self.parent.setdefault(x, x)
        self.parent.setdefault(y, y)
        self.parent[self.find(x)] = self.find(y)


class Probes:
    """Behaviour probes cached under ``<summaries>/probes/``, one file per code fingerprint holding
    one probe set per machine (CPU model). Probes of the current code (``src``) on this machine are
    computed when asked for and missing (only with the data at hand). ``machine``: this machine's
    description (default :func:`_machine`)."""

    def __init__(self, summaries: str | os.PathLike, data_dir: str | None, code: str, src: Path = SRC,
                 compute: bool = True, machine: dict[str, Any] | None = None):
        self.dir = Path(summaries) / "probes"
        self.data_dir, self.code, self.src, self.compute = data_dir, code, src, compute
        self.data = data_fingerprint(str(Path(data_dir).resolve()), "gt") if data_dir else None
        self.machine = machine or _machine()
        self.cpu = machine_key(self.machine)
        self._files: dict[str, dict[str, Any] | None] = {}
        self._scanned = False
        self._links: dict[str, _UnionFind] = {}

    def path(self, code: str) -> Path:
        return self.dir / f"{code[:16]}.json"

    def _file(self, code: str) -> dict[str, Any] | None:
        if code not in self._files:
            f = probe_file(read_summary(self.path(code)))
            self._files[code] = f if f and f["code"] == code else None
        return self._files[code]

    def files(self) -> dict[str, dict[str, Any]]:
        """Every readable probe file under the cache folder, by code fingerprint."""
        if not self._scanned:
            for p in sorted(self.dir.glob("*.json")):
                f = probe_file(read_summary(p))
                if f and self.path(f["code"]).name == p.name:
                    self._files.setdefault(f["code"], f)
            self._scanned = True
        return {c: f for c, f in self._files.items() if f is not None}

    def probe_set(self, code: str, cpu: str | None = None) -> dict[str, Any] | None:
        """The probe set of ``code`` made on machine ``cpu`` (default this one) on the data at hand
        (data not checked when it is not at hand)."""
        f = self._file(code)
        s = f["machines"].get(self.cpu if cpu is None else cpu) if f else None
        if not isinstance(s, dict) or not isinstance(s.get("probes"), dict):
            return None
        return s if self.data is None or s.get("data") == self.data else None

    def get(self, code: str, row: dict[str, Any], cpu: str | None = None) -> dict[str, Any] | None:
        """The probe of ``row`` for the code with fingerprint ``code`` made on machine ``cpu``
        (default this one): cached, else computed for the current code on this machine."""
        s = self.probe_set(code, cpu)
        tag = row_tag(row)
        if s is not None and tag in s["probes"]:
            return s["probes"][tag]
        if code == self.code and cpu in (None, self.cpu) and self.compute and self.data is not None:
            return self.add(self.src, code, [row])[tag]
        return None

    def put(self, code: str, probes: dict[str, dict[str, Any]], data: str | None,
            machine: dict[str, Any], created: str | None = None) -> dict[str, Any]:
        """Cache ``probes`` (``{row_tag: probe}``) of code ``code`` made on ``machine`` with data
        ``data``; other machines' sets are kept, this machine's is replaced when its data differ."""
        from wsgcn.io import write_json

        f = self._file(code) or {"schema": PROBE_SCHEMA, "code": code, "machines": {}}
        cpu = machine_key(machine)
        s = f["machines"].get(cpu)
        if not isinstance(s, dict) or s.get("data") != data or not isinstance(s.get("probes"), dict):
            s = {"probes": {}}
        s = {"machine": machine, "data": data, "created": created or time.strftime("%Y-%m-%dT%H:%M:%S%z"),
             "probes": {**s["probes"], **probes}}
        f = {"schema": PROBE_SCHEMA, "code": code, "machines": {**f["machines"], cpu: s}}
        self.dir.mkdir(parents=True, exist_ok=True)
        write_json(self.path(code), f)
        self._files[code] = f
        self._links.clear()
        return s

    def add(self, src: Path, code: str, rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Compute the probes of ``rows`` on this machine with the package under ``src``
        (fingerprint ``code``) and cache them (after every row)."""
        s: dict[str, Any] = {"probes": {}}
        for row in rows:
            t0 = time.perf_counter()
            probe = run_probe(row, self.data_dir, src)
            s = self.put(code, {row_tag(row): probe}, self.data, self.machine)
            print(f"behaviour probe {row_tag(row)} ({code[:12]}, {self.cpu}): {time.perf_counter() - t0:.0f} s",
                  flush=True)
        return s["probes"]

    def _groups(self, tag: str) -> dict[tuple[str, str], list[tuple[str, dict[str, Any]]]]:
        """The cached probes of row ``tag`` that may be compared: by (machine, data fingerprint)."""
        groups: dict[tuple[str, str], list[tuple[str, dict[str, Any]]]] = {}
        for code, f in self.files().items():
            for cpu, s in f["machines"].items():
                if not isinstance(s, dict) or not isinstance(s.get("probes"), dict) or not s.get("data"):
                    continue
                if tag in s["probes"] and (self.data is None or s["data"] == self.data):
                    groups.setdefault((cpu, s["data"]), []).append((code, s["probes"][tag]))
        return groups

    def links(self, row: dict[str, Any]) -> _UnionFind:
        """Codes that train alike on ``row``: joined where their probes on one machine and data agree."""
        tag = row_tag(row)
        if tag not in self._links:
            uf = _UnionFind()
            for members in self._groups(tag).values():
                for i, (a, p) in enumerate(members):
                    uf.parent.setdefault(a, a)
                    for b, q in members[:i]:
                        if uf.find(a) != uf.find(b) and same_probe(p, q):
                            uf.union(a, b)
            self._links[tag] = uf
        return self._links[tag]

    def same(self, code: str, row: dict[str, Any]) -> bool:
        """Does the training code with fingerprint ``code`` behave like the current code on ``row``'s
        probe: a chain of codes links the two, each link two codes whose probes made on one machine
        agree? The current code's probe on this machine is computed when it could close a chain."""
        if code == self.code:
            return True
        uf = self.links(row)
        if uf.find(code) == uf.find(self.code):
            return True
        mine = self.probe_set(self.code)
        if not self.compute or self.data is None or (mine is not None and row_tag(row) in mine["probes"]):
            return False  # nothing to compute, or the current code's probe here links to no chain of `code`
        here = [c for c, _ in self._groups(row_tag(row)).get((self.cpu, self.data), [])]
        if not any(uf.find(c) == uf.find(code) for c in here):
            return False  # nothing linked to `code` was probed on this machine: a new probe links nothing
        self.get(self.code, row)
        uf = self.links(row)
        return uf.find(code) == uf.find(self.code)


# ----------------------------------------------------------------------------- jobs

def row_tag(row: dict[str, Any]) -> str:
    return row["key"] + (f"_{row['root']}" if row["root"] else "")


def find_row(key: str, root: str | None) -> dict[str, Any] | None:
    return next((r for r in ROWS if r["key"] == key and r["root"] == root), None)


def job_sets(job: dict[str, Any]) -> list[str]:
    """The ``--set`` overrides of a job, besides data.dir and train.threads."""
    return [f"data.source={job['source']}", f"train.seed={job['seed']}",
            *([ORACLE_SET] if job["kind"] == "table" and job.get("oracle", True) else []), *job["overrides"],
            *([f"train.root={job['root']}"] if job["root"] else []), *job["extra"]]


def table_job(row: dict[str, Any], source: str, seed: int, bone: float | None, a: argparse.Namespace) -> dict[str, Any]:
    overrides = list(row["overrides"])
    if bone is not None and row["config"] in BONE_CONFIGS:
        overrides.append(f"train.bone_weight={bone:g}")
    name = f"{row_tag(row)}_seed{seed}"
    return {"kind": "table", "key": row["key"], "label": row["label"], "config": row["config"],
            "overrides": overrides, "extra": list(a.extra_set), "root": row["root"], "source": source,
            "seed": seed, "tag": row_tag(row), "run": str(Path(a.out) / source / name),
            "data_name": row.get("data_name", "mocap"), "oracle": row.get("oracle", True),
            "summary": str(Path(a.summaries) / "runs" / source / f"{name}.json")}


def tuning_job(weight: float, a: argparse.Namespace, sweep: str = "bone") -> dict[str, Any]:
    """One validation run of a loss-weight sweep (:data:`SWEEPS`): seed 0, `root: solve`, ``--tune-source``."""
    sw = SWEEPS[sweep]
    return {"kind": "tuning", "key": f"{sweep}_sweep", "label": sw["label"], "config": sw["config"],
            "overrides": [f"{sw['set']}={weight:g}"], "extra": list(a.extra_set), "root": "solve",
            "source": a.tune_source, "seed": 0, "weight": weight, "tag": f"{sweep}_{weight:g}",
            "run": str(Path(a.out) / f"{sweep}_sweep" / f"{sweep}_{weight:g}"),
            "summary": str(Path(a.summaries) / "tuning" / f"{sweep}_{weight:g}.json")}


class Fingerprints:
    """Expected fingerprints of jobs, with the code fingerprint computed once per instance, and
    the behaviour probes (``summaries``: where they are cached; ``probe``: compute the current
    code's probes when a summary of other code needs them)."""

    def __init__(self, data_dir: str | None, summaries: str | os.PathLike | None = None, probe: bool = True):
        self.data_dir = data_dir
        self.code = code_fingerprint()
        self.probes = Probes(summaries, data_dir, self.code, compute=probe) if summaries is not None else None

    def __call__(self, job: dict[str, Any]) -> dict[str, Any]:
        data = (data_fingerprint(str(Path(self.data_dir).resolve()), job["source"], job.get("data_name", "mocap"))
                if self.data_dir else None)
        return {"code": self.code, "config": config_fingerprint(would_be_config(job["config"], job_sets(job))),
                "data": data}

    def classify(self, summary: dict[str, Any] | None, job: dict[str, Any]) -> str:
        """:func:`classify` of ``summary`` against ``job``, older code judged by its behaviour probe."""
        row = (find_row(job["key"], job["root"]) if job["kind"] == "table"
               else find_row(*SWEEPS[job["key"].removesuffix("_sweep")]["row"]))
        same = None
        if self.probes is not None and row is not None:
            same = functools.partial(self.probes.same, row=row)
        return classify(summary, job.get("fp") or self(job), same)


def read_summary(path: str | os.PathLike) -> dict[str, Any] | None:
    try:
        s = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return s if isinstance(s, dict) else None


def bone_sweep(a: argparse.Namespace, fps: Fingerprints) -> dict[str, Any]:
    """State of the bone-weight sweep: its jobs with their summaries and status, the chosen
    weight (None: keep the configs' value, or not chosen yet when ``pending``)."""
    return _sweep_state("bone", a.bone_weights, a, fps)


def mv_sweep(a: argparse.Namespace, fps: Fingerprints) -> dict[str, Any]:
    """State of the multi-view weight sweep: the weights of ``--mv-weights``, or else those whose
    summaries lie in ``<summaries>/tuning/`` (so the page keeps the sweep once it ran), with the
    weight best on validation (``choice``) and the weight `mocap_weak_mv` holds (``config_value``)."""
    weights = list(a.mv_weights)
    if not weights:
        for path in sorted((Path(a.summaries) / "tuning").glob("mv_*.json")):
            w = (read_summary(path) or {}).get("weight")
            if isinstance(w, (int, float)) and w not in weights:
                weights.append(float(w))
    cv = would_be_config(SWEEPS["mv"]["config"], [])["train"]["multiview_weight"]
    if weights and not any(math.isclose(w, cv, rel_tol=1e-9) for w in weights):
        weights.append(float(cv))  # a sweep always compares with the config's weight

    def table_run(job: dict[str, Any]) -> dict[str, Any] | None:
        # the config's own weight: the table's seed-0 run of that row is the same training (its per-epoch
        # test pass only reads the test split), so it stands in for a sweep run of its own
        if not math.isclose(job["weight"], cv, rel_tol=1e-9):
            return None
        tj = table_job(find_row(*SWEEPS["mv"]["row"]), job["source"], 0, None, a)
        ts = read_summary(tj["summary"])
        status = fps.classify(ts, tj)
        if not usable(status, a.accept_stale) or ts.get("best_val_mpjpe") is None:
            return None  # no validation figure to compare: the sweep trains this weight itself
        return {"result": ts, "status": status, "from_table": tj["summary"]}

    return {**_sweep_state("mv", sorted(weights), a, fps, stand_in=table_run), "config_value": cv}


def _sweep_state(sweep: str, weights: Iterable[float], a: argparse.Namespace, fps: Fingerprints,
                 stand_in: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None) -> dict[str, Any]:
    """The jobs of a sweep with their summaries and status, and the weight best on validation once every
    weight has a usable result (``stand_in(job)``: another usable result for a job without its own)."""
    out: dict[str, Any] = {"sweep": sweep, "jobs": [], "choice": None, "pending": False}
    for w in weights:
        job = tuning_job(w, a, sweep)
        job["fp"] = fps(job)
        s = read_summary(job["summary"])
        job["status"] = fps.classify(s, job)
        job["result"] = s if usable(job["status"], a.accept_stale) else None
        if job["result"] is None and stand_in is not None:
            job.update(stand_in(job) or {})
        out["jobs"].append(job)
    if out["jobs"]:
        if all(j["result"] is not None and j["result"].get("best_val_mpjpe") is not None for j in out["jobs"]):
            out["choice"] = min(out["jobs"], key=lambda j: j["result"]["best_val_mpjpe"])["weight"]
        else:
            out["pending"] = True
    return out


# ----------------------------------------------------------------------------- running one job

def _machine() -> dict[str, Any]:
    cpu = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        from importlib.metadata import version

        torch_version = version("torch")
    except Exception:  # noqa: BLE001 - informational only
        torch_version = None
    return {"cpu": cpu or platform.processor() or platform.machine(), "cpu_count": os.cpu_count(),
            "arch": platform.machine(), "system": platform.system(), "python": platform.python_version(),
            "torch": torch_version}


def _sig(x: Any, digits: int = 6) -> Any:
    return float(f"{x:.{digits}g}") if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) else x


def _mm(x: Any) -> Any:
    return round(float(x), 2) if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) else x


CURVE_MM = ("val_mpjpe", "val_p_mpjpe", "test_mpjpe", "test_p_mpjpe")
CURVE_SIG = ("loss", "loss_sup", "loss_rep", "loss_bone", "lr")


def compact_curve(rows: Iterable[dict[str, Any]]) -> dict[str, list[Any]]:
    """The training curve by column (one list per key, one entry per epoch; None where a value
    was not measured): epoch, step, phase, the loss terms and lr (6 significant digits), the
    validation/test errors (0.01 mm)."""
    rows = list(rows)
    out: dict[str, list[Any]] = {}
    for k in ("epoch", "step", "phase", *CURVE_SIG, *CURVE_MM):
        if any(r.get(k) is not None for r in rows):
            f = _mm if k in CURVE_MM else _sig if k in CURVE_SIG else (lambda x: x)
            out[k] = [None if r.get(k) is None else f(r[k]) for r in rows]
    return out


def curve_rows(curve: dict[str, list[Any]] | list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The curve of a summary as one dict per epoch (measured values only)."""
    if not curve:
        return []
    if isinstance(curve, list):
        return curve
    n = max(len(v) for v in curve.values())
    return [{k: v[i] for k, v in curve.items() if i < len(v) and v[i] is not None} for i in range(n)]


def _oracle(metas: list[dict[str, Any]], curve: list[dict[str, Any]]) -> dict[str, Any] | None:
    for m in metas:
        o = m.get("oracle")
        if isinstance(o, dict) and o.get("test_mpjpe") is not None:
            return {"epoch": o.get("epoch"), "test_mpjpe": _mm(o["test_mpjpe"]),
                    "test_p_mpjpe": _mm(o.get("test_p_mpjpe"))}
    pts = [c for c in curve_rows(curve) if c.get("test_mpjpe") is not None]
    if not pts:
        return None
    b = min(pts, key=lambda c: c["test_mpjpe"])
    return {"epoch": b["epoch"], "test_mpjpe": b["test_mpjpe"], "test_p_mpjpe": b.get("test_p_mpjpe")}


def _test_block(res: dict[str, Any], epoch: Any) -> dict[str, Any]:
    out: dict[str, Any] = {k: {w: _mm(res[k][w]) for w in ("action_wise", "frame_wise")}
                           for k in ("mpjpe", "p_mpjpe", "n_mpjpe") if k in res}
    out.update({k: _mm(res[k]) for k in ("pck150", "auc") if k in res})
    out["num_poses"] = res.get("num_poses")
    out["epoch"] = epoch
    out["per_action"] = {a: {k: (v if k == "num_poses" else _mm(v)) for k, v in d.items()}
                         for a, d in sorted((res.get("per_action") or {}).items())}
    return out


def build_summary(job: dict[str, Any], run: Path, fp: dict[str, Any], a: argparse.Namespace,
                  wall_s: float | None) -> dict[str, Any]:
    """The small JSON record of a finished run (see the module docstring)."""
    rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines() if x.strip()]
    best = json.loads((run / "checkpoints" / "best.json").read_text())
    last_p = run / "checkpoints" / "last.json"
    last = json.loads(last_p.read_text()) if last_p.is_file() else {}
    cfg = best["config"]
    curve = compact_curve(rows)
    fp = dict(fp)
    actual = config_fingerprint(cfg)
    if actual != fp["config"]:
        print(f"WARNING {run}: the run's resolved config differs from the one planned for it "
              "(its summary will not be reused)", flush=True)
        fp["config"] = actual
    best_row = next((r for r in rows if r.get("epoch") == best.get("best_epoch")), {})
    s: dict[str, Any] = {
        "schema": SCHEMA, "kind": job["kind"], "label": job["label"], "key": job["key"], "tag": job["tag"],
        "config_name": job["config"], "overrides": job["overrides"], "extra_overrides": job["extra"],
        "sets": job_sets(job), "root": job["root"], "source": job["source"], "seed": job["seed"],
        **({"weight": job["weight"]} if "weight" in job else {}),
        "fingerprint": fp,
        "best_epoch": best.get("best_epoch"), "best_val_mpjpe": _mm(best.get("best")),
        "best_val_p_mpjpe": _mm(best_row.get("val_p_mpjpe")),
        "epochs": cfg["train"]["epochs"], "epochs_done": rows[-1]["epoch"] if rows else 0,
        "warmup_epochs": cfg["train"]["warmup_epochs"] if cfg["train"]["supervision"] == "weak" else 0,
    }
    if job["kind"] == "table":
        res = json.loads((run / "eval_test.json").read_text())
        s["test"] = _test_block(res, best.get("epoch"))
        s["oracle"] = _oracle([last, best], curve)
    s.update({
        # seconds in training steps (validation/test passes excluded), summed over every call of a resumed run
        "train_s": round(sum(float(r.get("train_s") or 0.0) for r in rows), 1),
        "job_wall_s": None if wall_s is None else round(wall_s, 1),  # train+evaluate calls that finished it
        "threads": (last.get("config") or cfg)["train"]["threads"], "jobs": a.jobs,
        "machine": _machine(), "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "run": str(run),
        "config": cfg, "curve": curve,
    })
    return s


def dumps_summary(s: dict[str, Any]) -> str:
    """Indented JSON with the curve one column per line (small files)."""
    body = {k: v for k, v in s.items() if k != "curve"}
    text = json.dumps(body, indent=1)
    curve = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v, separators=(',', ':'))}"
                        for k, v in (s.get("curve") or {}).items())
    return text[:-2] + ',\n "curve": {\n' + curve + ("\n" if curve else "") + " }\n}\n"


def write_summary(path: str | os.PathLike, s: dict[str, Any]) -> None:
    from wsgcn.io import write_text  # temporary file + os.replace

    write_text(path, dumps_summary(s))


# ----------------------------------------------------------------------------- the `people` benchmark

def evaluate_people(run: Path, data_dir: str | os.PathLike, source: str) -> dict[str, Any]:
    """``wsgcn evaluate`` of the run's best checkpoint on the `people` test people (2D ``source``):
    the evaluation JSON (written to a temporary folder: nothing is written into the run folder)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "eval_people.json"
        subprocess.run([sys.executable, "-m", "wsgcn", "evaluate", str(run / "checkpoints" / "best.safetensors"),
                        "--data", str(Path(data_dir).resolve()), "--source", source, "--set", PEOPLE_SET,
                        "--json", str(out)], check=True, stdout=subprocess.DEVNULL)
        return json.loads(out.read_text())


def people_block(res: dict[str, Any], data_fp: str, source: str) -> dict[str, Any]:
    """The summary's ``people`` block from a `people` evaluation ``res``: MPJPE and P-MPJPE per
    test person/motion (frame-wise within each), their action-wise (and frame-wise) mean, the
    poses per person, the evaluated epoch and the fingerprint of the `people` files."""
    return {"data_fingerprint": data_fp, "source": source, "epoch": _get(res, "meta", "epoch"),
            **{k: {w: _mm(res[k][w]) for w in ("action_wise", "frame_wise")} for k in ("mpjpe", "p_mpjpe")},
            "num_poses": res.get("num_poses"),
            "per_action": {a: {"mpjpe": _mm(d["mpjpe"]), "p_mpjpe": _mm(d["p_mpjpe"]),
                               "num_poses": d.get("num_poses")}
                           for a, d in sorted((res.get("per_action") or {}).items())},
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def add_people(s: dict[str, Any], run: Path, data_dir: str | os.PathLike) -> bool:
    """Evaluate the best checkpoint of ``run`` (the run of summary ``s``) on `people` and store the
    block in ``s``; False (``s`` unchanged) when the `people` files of its source are not under
    ``data_dir`` or the evaluation fails (a summary without the block stays valid)."""
    fp = people_fingerprint(data_dir, s["source"])
    if fp is None:
        return False
    try:
        res = evaluate_people(run, data_dir, s["source"])
    except (OSError, ValueError, KeyError, subprocess.CalledProcessError) as e:
        print(f"WARNING {run}: evaluation on `people` failed ({type(e).__name__}: {e}); summary kept without it",
              flush=True)
        return False
    s["people"] = people_block(res, fp, s["source"])
    return True


def run_folder_state(s: dict[str, Any], run: Path) -> str | None:
    """None when ``run`` holds the finished run of summary ``s`` with its best checkpoint (last epoch
    of metrics.jsonl = train.epochs; best epoch, checkpoint epoch and config as in ``s``), else why not."""
    best_p = run / "checkpoints" / "best.json"
    if not (run / "checkpoints" / "best.safetensors").is_file() or not best_p.is_file():
        return "no best checkpoint (run folder gone?)"
    best = read_summary(best_p) or {}
    try:
        rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines() if x.strip()]
    except (OSError, ValueError):
        return "no readable metrics.jsonl"
    epochs = _get(best, "config", "train", "epochs")
    if not rows or epochs is None or rows[-1].get("epoch") != epochs:
        return f"not finished (epoch {rows[-1].get('epoch') if rows else 0}/{epochs})"
    if best.get("best_epoch") != s.get("best_epoch") or best.get("epoch") != _get(s, "test", "epoch"):
        return "best checkpoint differs from the summary's"
    if config_fingerprint(best["config"]) != _get(s, "fingerprint", "config"):
        return "config differs from the summary's"
    return None


def people_only(a: argparse.Namespace) -> int:
    """``--people-only``: add the ``people`` block to the summaries of ``--sources``/``--rows``/
    ``--roots``/``--seeds`` whose run folders under ``--out`` hold their finished run (no training;
    summaries whose folders are gone are left as they are), then rebuild RESULTS.md."""
    missing = [x for x in a.sources if people_fingerprint(a.data, x) is None]
    if missing:
        sys.exit(f"reproduce_table: --people-only needs the `people` files of {', '.join(missing)} under --data "
                 f"{a.data} (wsgcn data build-mocap --out {a.data} --benchmark people)")
    n_new = 0
    for source in a.sources:
        for path in sorted((Path(a.summaries) / "runs" / source).glob("*.json")):
            s = read_summary(path)
            row = find_row(s.get("key"), s.get("root")) if s and s.get("kind", "table") == "table" else None
            if row is None or row["key"] not in a.rows or (row["root"] and row["root"] not in a.roots) \
                    or s.get("seed") not in a.seeds:
                continue
            run = Path(table_job(row, source, s["seed"], None, a)["run"])
            why = run_folder_state(s, run)
            if why is None and _get(s, "people", "data_fingerprint") == people_fingerprint(a.data, source) \
                    and _get(s, "people", "epoch") == _get(s, "test", "epoch"):
                why = "people block up to date"
            if why is not None:
                print(f"{path.name}: left as it is ({why})", flush=True)
            elif add_people(s, run, a.data):
                write_summary(path, s)
                n_new += 1
                print(f"{path.name}: people " + ", ".join(f"{k} {v['mpjpe']:.1f}/{v['p_mpjpe']:.1f}" for k, v in
                                                           s["people"]["per_action"].items())
                      + f"; mean {s['people']['mpjpe']['action_wise']:.1f}/"
                        f"{s['people']['p_mpjpe']['action_wise']:.1f} mm", flush=True)
    c = rebuild(a)
    print(f"{n_new} summaries got a people block; wrote {a.results} from {len(c['summaries'])} summaries "
          f"({len(c['unused'])} not used)", flush=True)
    return 0


def _move_aside(run: Path, out: Path) -> None:
    dest = out / "_stale" / run.parent.name / f"{run.name}.{time.strftime('%Y%m%d-%H%M%S')}"
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(run), str(dest))
    print(f"moved {run} (started under other fingerprints) to {dest}", flush=True)


def run_job(job: dict[str, Any], a: argparse.Namespace) -> dict[str, Any]:
    """Train (or resume) and evaluate one job, then write and return its summary."""
    from wsgcn.io import write_json

    run = Path(job["run"])
    fp = {**job["fp"], "code": code_fingerprint()}
    marker = run / "table_job.json"
    if run.is_dir() and any(run.iterdir()):
        m = read_summary(marker)
        if m is None or m.get("fingerprint") != fp:
            _move_aside(run, Path(a.out))
    t0 = time.perf_counter()
    ws = [sys.executable, "-m", "wsgcn"]
    if (run / "checkpoints" / "last.safetensors").is_file():  # continue an interrupted run
        cmd = ws + ["train", "--resume", str(run), "--quiet", "--set", f"train.threads={a.threads}"]
    else:
        cmd = ws + ["train", str(ROOT / "configs" / f"{job['config']}.yaml"), "--out", str(run), "--quiet"]
        for s in [f"data.dir={Path(a.data).resolve()}", f"train.threads={a.threads}", *job_sets(job)]:
            cmd += ["--set", s]
        write_json(marker, {"fingerprint": fp, "sets": job_sets(job)})
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    if job["kind"] == "table":
        result = run / "eval_test.json"
        best_st = run / "checkpoints" / "best.safetensors"
        if not result.is_file() or result.stat().st_mtime < best_st.stat().st_mtime:
            # the table's test set is `mocap`'s (the boxer), whatever benchmark the run trained on
            same = [] if job.get("data_name", "mocap") == "mocap" else ["--set", "data.name=mocap"]
            subprocess.run(ws + ["evaluate", str(run), "--json", str(result), *same], check=True,
                           stdout=subprocess.DEVNULL)
    if code_fingerprint() != fp["code"]:
        print(f"WARNING {run}: the training code changed during the run; its summary is marked stale", flush=True)
        fp["code"] += "+changed-during-run"
    s = build_summary(job, run, fp, a, time.perf_counter() - t0)
    if job["kind"] == "table":
        add_people(s, run, a.data)  # with the `people` files at hand: the per-person rows (no training)
    write_summary(job["summary"], s)
    return s


# ----------------------------------------------------------------------------- scheduling

class Scheduler:
    """Start jobs side by side while ``--max-runs`` and ``--budget-min`` allow."""

    def __init__(self, a: argparse.Namespace, t0: float):
        self.a, self.t0, self.started, self.failed = a, t0, 0, []
        self.lock = threading.Lock()

    def may_start(self) -> bool:
        if self.a.max_runs is not None and self.started >= self.a.max_runs:
            return False
        return self.a.budget_min is None or (time.monotonic() - self.t0) < self.a.budget_min * 60

    def run(self, jobs: list[dict[str, Any]], on_done) -> list[dict[str, Any]]:
        """Run ``jobs`` in order; return the ones not started."""
        queue = list(jobs)

        def worker() -> None:
            while True:
                with self.lock:
                    if not queue or not self.may_start():
                        return
                    job = queue.pop(0)
                    self.started += 1
                try:
                    s = run_job(job, self.a)
                except Exception as e:  # noqa: BLE001 - one failed run must not stop the others
                    print(f"FAILED {job['run']}: {type(e).__name__}: {e}", flush=True)
                    with self.lock:
                        self.failed.append(job)
                    continue
                with self.lock:
                    on_done(job, s)

        n = max(1, min(self.a.jobs, len(queue)))
        with ThreadPoolExecutor(max_workers=n) as pool:
            for f in [pool.submit(worker) for _ in range(n)]:
                f.result()
        return queue


# ----------------------------------------------------------------------------- collecting

def collect(a: argparse.Namespace, fps: Fingerprints | None = None) -> dict[str, Any]:
    """Every summary on disk, classified against the current code, configs and data."""
    fps = fps or Fingerprints(a.data if _has_data(a.data) else None, a.summaries, a.probes)
    sweep = bone_sweep(a, fps)
    mv = mv_sweep(a, fps)
    used, unused = [], []
    for path in sorted((Path(a.summaries) / "runs").glob("*/*.json")):
        s = read_summary(path)
        if s is None or s.get("kind", "table") != "table":
            unused.append((path, "unreadable"))
            continue
        row = find_row(s.get("key"), s.get("root"))
        if row is None:
            unused.append((path, "unknown row"))
            continue
        if row["config"] in BONE_CONFIGS and sweep["pending"]:
            unused.append((path, "bone weight not chosen yet"))
            continue
        job = table_job(row, s["source"], s["seed"], sweep["choice"], a)
        status = fps.classify(s, job)
        if usable(status, a.accept_stale):
            used.append({**s, "_status": status, "_path": str(path)})
        else:
            unused.append((path, status))
    people = ({x: people_fingerprint(fps.data_dir, x) for x in _sources(used)} if fps.data_dir else None)
    return {"summaries": used, "unused": unused, "sweep": sweep, "mv_sweep": mv,
            "data_checked": fps.data_dir is not None, "people_data": people}


def _has_data(data: str) -> bool:
    return (Path(data) / "data_3d_mocap.npz").is_file()


def rebuild(a: argparse.Namespace, fps: Fingerprints | None = None) -> dict[str, Any]:
    c = collect(a, fps)
    figure = Path(a.figure) if a.figure else Path(a.results).parent / "img" / "results_curves.png"
    write_results(c["summaries"], a.results, figure, sweep=c["sweep"], mv_sweep=c["mv_sweep"], unused=c["unused"],
                  data_checked=c["data_checked"], summaries_dir=a.summaries, people_data=c["people_data"])
    return c


# ----------------------------------------------------------------------------- RESULTS.md

def fmt(xs: list[float], digits: int = 1) -> str:
    xs = [x for x in xs if x is not None]
    if not xs:
        return "–"
    return f"{np.mean(xs):.{digits}f} ± {np.std(xs):.{digits}f}" if len(xs) > 1 else f"{xs[0]:.{digits}f}"


def _get(s: dict[str, Any], *keys: str) -> Any:
    for k in keys:
        if not isinstance(s, dict):
            return None
        s = s.get(k)
    return s


def last_quarter_gain(s: dict[str, Any]) -> float | None:
    """Relative improvement of the best validation MPJPE during the last quarter of training:
    (best up to 3/4 of the epochs - best overall) / best up to 3/4; None without such points."""
    pts = [(c["epoch"], c["val_mpjpe"]) for c in curve_rows(s.get("curve")) if c.get("val_mpjpe") is not None]
    q = 0.75 * (s.get("epochs") or 0)
    before = [v for e, v in pts if e <= q]
    if not before or not any(e > q for e, _ in pts):
        return None
    b = min(before)
    return (b - min(v for _, v in pts)) / b if b > 0 else None


def last_quarter_mean_gain(s: dict[str, Any]) -> float | None:
    """Relative improvement of the *mean* validation MPJPE within the last quarter of training:
    (mean of its first half - mean of its second half) / mean of its first half. The per-epoch
    validation error is noisy (±10 mm from epoch to epoch here), so the minimum keeps falling
    by chance; the two means show whether the curve itself still goes down at the end. None
    without such points."""
    pts = [(c["epoch"], c["val_mpjpe"]) for c in curve_rows(s.get("curve")) if c.get("val_mpjpe") is not None]
    n = s.get("epochs") or 0
    first = [v for e, v in pts if 0.75 * n < e <= 0.875 * n]
    second = [v for e, v in pts if e > 0.875 * n]
    if not first or not second:
        return None
    m = float(np.mean(first))
    return (m - float(np.mean(second))) / m if m > 0 else None


def convergence(rs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median best epoch as a fraction of the epochs, mean last-quarter gains (of the best and
    of the mean validation MPJPE) and whether validation has levelled off (best epoch before
    the last fifth, or either gain < 2 %)."""
    fr = [s["best_epoch"] / s["epochs"] for s in rs if (s.get("best_epoch") or 0) > 0 and s.get("epochs")]
    gains = [g for g in map(last_quarter_gain, rs) if g is not None]
    mgains = [g for g in map(last_quarter_mean_gain, rs) if g is not None]
    frac = float(np.median(fr)) if fr else None
    gain = float(np.mean(gains)) if gains else None
    mgain = float(np.mean(mgains)) if mgains else None
    ok = ((frac is not None and frac <= 0.8) or (gain is not None and gain < 0.02)
          or (mgain is not None and mgain < 0.02))
    return {"frac": frac, "gain": gain, "mean_gain": mgain, "ok": ok}


def _groups(summaries: list[dict[str, Any]], source: str) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    out = []
    for row in ROWS:
        rs = sorted((s for s in summaries if s.get("source") == source and s.get("key") == row["key"]
                     and s.get("root") == row["root"]), key=lambda s: s.get("seed", 0))
        if rs:
            out.append((row, rs))
    return out


def _ordering(groups, source: str, figure: str, value) -> list[str]:
    out = []
    for root in ("gt", "solve"):
        vals = {}
        for row, rs in groups:
            if row["key"] in PAPER_ORDER and row["root"] in (None, root):
                xs = [v for v in map(value, rs) if v is not None]
                if xs:
                    vals[row["key"]] = float(np.mean(xs))
        if len(vals) < len(PAPER_ORDER):
            continue
        measured = sorted(PAPER_ORDER, key=lambda k: vals[k])
        holds = list(measured) == list(PAPER_ORDER)
        out.append(f"- `{source}`, `root: {root}`, {figure}: measured order {' < '.join(measured)} "
                   f"({'the paper ordering holds' if holds else 'differs from the paper ordering ' + ' < '.join(PAPER_ORDER)}).")
    return out


def _gaps(groups, source: str) -> list[str]:
    """How far each weak row's mean test MPJPE is behind the fully supervised row's, per root."""
    means = {}
    for row, rs in groups:
        xs = [v for v in (_get(s, "test", "mpjpe", "action_wise") for s in rs) if v is not None]
        if xs:
            means[(row["key"], row["root"])] = (float(np.mean(xs)), len(xs))
    if ("full", None) not in means:
        return []
    full, nf = means[("full", None)]
    out = []
    for root in ("gt", "solve"):
        for key in ("weak", "weak_mv", "weak_mv_nobone", "weak_mv_rel"):
            if (key, root) in means:
                m, n = means[(key, root)]
                label = next(r["label"] for r, _ in groups if r["key"] == key)
                out.append(f"- `{source}`, `root: {root}`: {label}: {m:.1f} mm ({_seeds(n)}), "
                           f"{100 * (m / full - 1):+.1f} % against full supervision ({full:.1f} mm, {_seeds(nf)}).")
    return out


def _seeds(n: int) -> str:
    return f"{n} seed" + ("" if n == 1 else "s")


def _bf16_parity(groups, source: str) -> list[str]:
    """The bf16 rows against their float32 rows: test and validation MPJPE, mean ± std over the
    seeds, and whether the bf16 mean lies within one float32 seed std (issue 16's criterion)."""
    by = {(row["key"], row["root"]): rs for row, rs in groups}
    out = []
    for row, rs in groups:
        ref = by.get((row.get("bf16_of"), row["root"]))
        if not row.get("bf16_of") or ref is None:
            continue
        for what, get in (("test MPJPE", lambda s: _get(s, "test", "mpjpe", "action_wise")),
                          ("validation MPJPE", lambda s: s.get("best_val_mpjpe"))):
            a = [v for v in map(get, ref) if v is not None]
            b = [v for v in map(get, rs) if v is not None]
            if not a or not b:
                continue
            sd = float(np.std(a)) if len(a) > 1 else float("nan")  # the std the table shows
            diff = float(np.mean(b) - np.mean(a))
            verdict = ("within one fp32 seed std" if abs(diff) <= sd else
                       "outside one fp32 seed std" if sd == sd else "one fp32 seed: no std")
            out.append(f"- `{source}`, {row['label']}, root {row['root'] or '–'}, {what}: bf16 {fmt(b)} "
                       f"({_seeds(len(b))}) against fp32 {fmt(a)} ({_seeds(len(a))}): {diff:+.1f} mm, {verdict}.")
    return out


PAIRS = (  # (row, root), (row, root), what the difference measures; same seed = same start
    (("weak", "gt"), ("weak_nobone", "gt"), "bone penalty, root gt"),
    (("weak", "solve"), ("weak_nobone", "solve"), "bone penalty, root solve"),
    (("weak", "gt"), ("weak_nowarmup", "gt"), "warm-up, root gt"),
    (("weak", "solve"), ("weak_nowarmup", "solve"), "warm-up, root solve"),
    (("weak", "solve"), ("weak", "gt"), "solving the root (solve against gt)"),
    (("weak_mv", "gt"), ("weak", "gt"), "multi-view term, root gt"),
    (("weak_mv", "solve"), ("weak", "solve"), "multi-view term, root solve"),
    (("weak_mv", "solve"), ("weak_mv", "gt"), "solving the root with the multi-view term (solve against gt)"),
    (("weak_mv_nobone", "gt"), ("weak_mv", "gt"), "no bone penalty with the multi-view term, root gt"),
    (("weak_mv_nobone", "solve"), ("weak_mv", "solve"), "no bone penalty with the multi-view term, root solve"),
    (("weak_mv_rel", "gt"), ("weak_mv", "gt"), "relative against absolute form of the multi-view term, root gt"),
    (("weak_mv_rel", "solve"), ("weak_mv", "solve"), "relative against absolute form of the multi-view term, root solve"),
    (("weak", "solve"), ("full", None), "weak (WS-GCN, root solve) against full supervision"),
    (("full", None), ("semgcn_nonl", None), "non-local layers (full supervision)"),
    (("full", None), ("martinez", None), "SemGCN with non-local layers against the Martinez baseline (full)"),
    (("weak_motions", "gt"), ("weak", "gt"), "DeepMimic clips in the unlabelled pool (`motions`), root gt"),
    (("weak_motions", "solve"), ("weak", "solve"), "DeepMimic clips in the unlabelled pool (`motions`), root solve"),
    (("full_bf16", None), ("full", None), "bf16 against fp32, full"),
    (("weak_bf16", "solve"), ("weak", "solve"), "bf16 against fp32, WS-GCN root solve"),
)


def _row_name(key_root: tuple[str, str | None]) -> str:
    key, root = key_root
    return f"`{key}`" + (f" (root {root})" if root else "")


def _paired(groups, source: str) -> list[str]:
    """Per-seed differences of test MPJPE between rows that differ in one thing. A seed fixes the
    initial weights and the labelled batches (and, for the weak rows with a warm-up, the whole
    warm-up), so the runs of one seed are paired and their difference is far less noisy than the
    difference of the rows' means (one seed's luck is shared)."""
    by = {(row["key"], row["root"]): {s.get("seed"): _get(s, "test", "mpjpe", "action_wise") for s in rs}
          for row, rs in groups}
    out = []
    for a, b, what in PAIRS:
        if a not in by or b not in by:
            continue
        seeds = sorted(k for k in by[a] if k in by[b] and by[a][k] is not None and by[b][k] is not None)
        if not seeds:
            continue
        d = [by[a][k] - by[b][k] for k in seeds]
        per = ", ".join(f"{x:+.1f}" for x in d)
        out.append(f"- {what}: {float(np.mean(d)):+.1f} mm"
                   + (f" ± {float(np.std(d)):.1f}" if len(d) > 1 else "")
                   + f" (seeds {', '.join(map(str, seeds))}: {per}; {_row_name(a)} minus {_row_name(b)})")
    return out


def _sources(summaries: list[dict[str, Any]]) -> list[str]:
    found = {s.get("source") for s in summaries}
    return [x for x in DEFAULT_SOURCES if x in found] + sorted(x for x in found if x not in DEFAULT_SOURCES)


def people_usable(s: dict[str, Any], people_data: dict[str, str | None] | None) -> bool:
    """Does summary ``s`` hold a ``people`` block made on the `people` files at hand (not checked
    where ``people_data`` has no fingerprint for its source)?"""
    fp = _get(s, "people", "data_fingerprint")
    want = (people_data or {}).get(s.get("source"))
    return fp is not None and (want is None or fp == want)


def _people_table(summaries: list[dict[str, Any]], source: str, metric: str, actions: list[str]) -> list[str]:
    """One markdown table of ``metric`` (``mpjpe``/``p_mpjpe``) per person, a row per table row."""
    lines = [f"| model | root | seeds (n) | {' | '.join(actions)} | mean |",
             "|---|---|---|" + "---|" * (len(actions) + 1)]
    for row, rs in _groups(summaries, source):
        label = row["label"] + (" †" if any(s.get("_status") == "stale-code" for s in rs) else "")
        cells = [fmt([_get(s, "people", "per_action", x, metric) for s in rs]) for x in actions]
        cells.append(fmt([_get(s, "people", metric, "action_wise") for s in rs]))
        lines.append(f"| {label} | {row['root'] or '–'} | {', '.join(str(s.get('seed')) for s in rs)} ({len(rs)}) "
                     f"| {' | '.join(cells)} |")
    return lines


def people_section(summaries: list[dict[str, Any]], people_data: dict[str, str | None] | None = None) -> list[str]:
    """The "Per person" section of RESULTS.md: the runs' `people` evaluations (mean ± std over the
    seeds that have one), saying how many runs have one."""
    have = [s for s in summaries if people_usable(s, people_data)]
    other = [s for s in summaries if s.get("people") and not people_usable(s, people_data)]
    lines = ["## Per person (the `people` benchmark)", "",
             "The runs above (trained on `mocap`; both benchmarks train on the same arrays) evaluated with their "
             "best checkpoint on the `people` benchmark's test set, as they are (no retraining): 4 people never "
             "seen in training, each in a motion of its own (box: `mocap`'s test person, the same poses; freeform: "
             "Nick; squat: Sehoon; fence: Thomas; docs/BENCHMARK.md, \"The `people` benchmark\"). MPJPE and P-MPJPE "
             "in mm, frame-wise within each person; *mean*: the action-wise mean of the four (each person counts "
             "once); mean ± std over the seeds listed, which are only the runs evaluated on `people`.", "",
             f"**{len(have)} of the {len(summaries)} runs on this page have been evaluated on `people`**"
             + (f" ({', '.join(f'{n} of `{x}`' for x, n in Counter(s.get('source') for s in have).items())})"
                if have else "")
             + ("; the others have none (summarised without the `people` files at hand, or before this "
                "evaluation existed; `python scripts/reproduce_table.py --people-only` adds it to those whose run "
                "folders are kept)."
                if len(have) < len(summaries) else ".")]
    if other:
        lines.append(f"{len(other)} run(s) were evaluated on other `people` files than the ones at hand: not used.")
    if not have:
        return lines + [""]
    poses: dict[str, int] = {}
    for s in have:
        for x, d in s["people"]["per_action"].items():
            poses.setdefault(x, d.get("num_poses"))
    actions = [x for x in PEOPLE_ACTIONS if x in poses] + sorted(x for x in poses if x not in PEOPLE_ACTIONS)
    lines += ["Test poses per person: " + ", ".join(f"{x} {poses[x]}" for x in actions)
              + " (4 cameras of the same frames: the rows of the small ones are noisy).", ""]
    for source in _sources(have):
        for metric, name in (("mpjpe", "MPJPE"), ("p_mpjpe", "P-MPJPE")):
            lines += [f"### 2D source `{source}`: {name} per person (mm)", "",
                      *_people_table(have, source, metric, actions), ""]
    return lines


def write_results(summaries: list[dict[str, Any]], results: str | os.PathLike, figure: str | os.PathLike, *,
                  sweep: dict[str, Any] | None = None, mv_sweep: dict[str, Any] | None = None,
                  unused: Iterable[tuple[Any, str]] = (),
                  data_checked: bool = True, summaries_dir: str | os.PathLike | None = None,
                  people_data: dict[str, str | None] | None = None) -> None:
    """Write the results page (and its figure) from run summaries (the dicts
    :func:`build_summary` writes; ``_status`` ``stale-code`` marks accepted older-code runs;
    ``people_data``: fingerprints of the `people` files at hand by source, see :func:`people_section`;
    ``sweep``/``mv_sweep``: the states :func:`bone_sweep` and :func:`mv_sweep` return)."""
    from wsgcn.io import write_text

    results, figure = Path(results), Path(figure)
    unused = list(unused)
    sdir = Path(summaries_dir) if summaries_dir else results.parent / "results"
    try:
        sdir_txt = sdir.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        sdir_txt = str(sdir)
    train_min = sum(float(s.get("train_s") or 0.0) for s in summaries) / 60
    tuning = [j["result"] for j in (sweep or {}).get("jobs", []) if j.get("result")]
    tune_min = sum(float(s.get("train_s") or 0.0) for s in tuning) / 60
    mv_tuning = [j["result"] for j in (mv_sweep or {}).get("jobs", []) if j.get("result") and not j.get("from_table")]
    mv_min = sum(float(s.get("train_s") or 0.0) for s in mv_tuning) / 60
    machines = Counter((_get(s, "machine", "cpu") or "unknown CPU", _get(s, "machine", "cpu_count"))
                       for s in [*summaries, *tuning, *mv_tuning])
    setups = Counter((s.get("threads"), s.get("jobs")) for s in summaries)
    complete = table_size()
    n_default = sum(1 for s in summaries if s.get("source") in DEFAULT_SOURCES and s.get("seed") in DEFAULT_SEEDS
                    and (row := find_row(s.get("key"), s.get("root"))) is not None and in_table(row, s["source"]))
    stale_used = [s for s in summaries if s.get("_status") == "stale-code"]
    lines = [
        "# Results on the real-motion benchmark",
        "",
        f"Built by `python scripts/reproduce_table.py` from {len(summaries)} run summaries (`{sdir_txt}/runs/`, one "
        "JSON per run, committed with the code; the table is trained in parts over several sessions and a run "
        "whose summary matches the current training code, resolved config and data is not trained again).",
        f"The complete table is {len(ROWS)} rows on the `gt` 2D source and the paper's {len(NOISY_ROWS)} rows "
        f"(`root: gt`) on `noisy` (cut to fit the machine time: fewer rows, not shorter training), "
        f"× {len(DEFAULT_SEEDS)} seeds = {complete} runs; {n_default} of them are here"
        + (" (**partial**; rows with fewer than 3 seeds are marked)." if n_default < complete else "."),
        f"Machine time: {train_min:.0f} min in training steps summed over these runs"
        + (f", + {tune_min:.0f} min for the bone-weight sweep" if tuning else "")
        + (f", + {mv_min:.0f} min for the multi-view weight sweep" if mv_tuning else "")
        + " (time in training steps: validation and test passes excluded; it varies with what else the "
        "machine runs)"
        + ("; " + "; ".join(f"{n} run(s) on {cpu} ({cnt} CPU cores)" for (cpu, cnt), n in machines.most_common())
           if machines else "")
        + ("; " + "; ".join(f"{n} table run(s) with {t} torch thread(s), {j} training(s) side by side"
                            for (t, j), n in setups.most_common()) if setups else "") + ".",
        "",
        "Test: the unseen boxing performer (`test-boxing`); labelled: CMU subject 01; unlabelled: the LaFAN1",
        "performer; checkpoints selected on `validation-cmu01` (held-out windows of the labelled person).",
        "MPJPE and P-MPJPE in mm, action-wise mean (the paper's convention; MPJPE averages over all 16 joints",
        "including the root), mean ± std over the seeds listed. `root: gt` reads the unlabelled subjects' 3D root",
        "(the paper's setting); `root: solve` solves it from the 2D keypoints and reads no 3D of those subjects.",
        "",
        "**Oracle columns**: the *oracle* MPJPE / P-MPJPE is the lowest test error over all epochs (the test split",
        "evaluated after every epoch, frame-wise mean over all test poses): the original WS-GCN code's protocol and",
        "what its paper's numbers correspond to. It is **never used for selection** and is optimistic by",
        "construction; the honest figures are the MPJPE / P-MPJPE columns (checkpoint chosen on validation).",
        "What these numbers say, and why the ordering differs from the paper's: README.md, section",
        "\"Results on the real-motion benchmark\".",
        "",
    ]
    if not data_checked:
        lines += ["*The data files were not at hand when this page was built: the summaries' data fingerprints "
                  "were not checked.*", ""]
    probed = [s for s in summaries if s.get("_status") == "same-behaviour"]
    if probed:
        lines += [f"{len(probed)} run(s) were made by earlier training code whose behaviour probe (the row's "
                  f"config for {PROBE_EPOCHS} short epochs from seed 0: epoch length, learning rate, every loss term, "
                  f"validation and test errors per epoch, and the evaluation) agrees with the current code's within "
                  f"{PROBE_RTOL:.1%}; they count as current (probes: `{sdir_txt}/probes/`). Probes are compared only "
                  "between runs on the same machine (CPU model; float32 sums differ between CPUs), and agreement is "
                  "transitive: a chain of code versions links the older code to the current one, each link two "
                  "versions whose probes on one common machine agree.", ""]
    if stale_used:
        lines += [f"**{len(stale_used)} run(s) come from older training code** (accepted with `--accept-stale`; "
                  "marked † in the tables).", ""]
    if sweep and sweep.get("jobs"):
        done = [j for j in sweep["jobs"] if j.get("result")]
        txt = ", ".join(f"{j['weight']:g} → {j['result']['best_val_mpjpe']:.1f} mm" for j in done)
        if sweep.get("choice") is not None:
            lines += ["Bone-length weight of the rows with the bone penalty, chosen on validation before the table "
                      f"(`mocap_weak`, `root: solve`, 2D source `{sweep['jobs'][0]['source']}`, seed 0; the test "
                      f"split is not read): {txt}; chosen **{sweep['choice']:g}** (the paper uses 1.0 on Human3.6M).", ""]
        else:
            lines += [f"Bone-weight sweep not finished yet ({len(done)} of {len(sweep['jobs'])} weights: {txt or 'none'}); "
                      "the rows with the bone penalty wait for it.", ""]
    lines += mv_sweep_lines(mv_sweep)
    if summaries:
        lines += [f"Validation MPJPE per epoch (mean over seeds): ![validation curves]"
                  f"({Path(os.path.relpath(figure, results.parent)).as_posix()})", ""]
    for source in _sources(summaries):
        groups = _groups(summaries, source)
        lines += [f"## 2D source `{source}`", "",
                  "| model | root | seeds (n) | MPJPE | P-MPJPE | MPJPE frame-wise | oracle MPJPE (best epoch on test, "
                  "frame-wise) | oracle P-MPJPE | val MPJPE | best epoch / epochs | training min | paper (H36M) |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        conv_lines = []
        for row, rs in groups:
            n = len(rs)
            label = row["label"] + (f" ({n} seed{'s' if n != 1 else ''})" if n < MIN_SEEDS else "")
            label += " †" if any(s.get("_status") == "stale-code" for s in rs) else ""
            paper = row.get("paper")
            epochs = sorted({s.get("epochs") for s in rs if s.get("epochs")})
            bests = [s["best_epoch"] for s in rs if s.get("best_epoch") is not None]
            best_txt = (f"{np.median(bests):g} / {'/'.join(str(e) for e in epochs)}" if bests and epochs else "–")
            lines.append(
                f"| {label} | {row['root'] or '–'} | {', '.join(str(s.get('seed')) for s in rs)} ({n}) "
                f"| {fmt([_get(s, 'test', 'mpjpe', 'action_wise') for s in rs])} "
                f"| {fmt([_get(s, 'test', 'p_mpjpe', 'action_wise') for s in rs])} "
                f"| {fmt([_get(s, 'test', 'mpjpe', 'frame_wise') for s in rs])} "
                f"| {fmt([_get(s, 'oracle', 'test_mpjpe') for s in rs])} "
                f"| {fmt([_get(s, 'oracle', 'test_p_mpjpe') for s in rs])} "
                f"| {fmt([s.get('best_val_mpjpe') for s in rs])} | {best_txt} "
                f"| {np.mean([float(s.get('train_s') or 0) for s in rs]) / 60:.1f} "
                f"| {f'{paper[0]:.2f} / {paper[1]:.2f}' if paper else '–'} |")
            c = convergence(rs)
            frac = "–" if c["frac"] is None else f"{100 * c['frac']:.0f} %"
            gain = "–" if c["gain"] is None else f"{100 * c['gain']:.1f} %"
            mgain = "–" if c.get("mean_gain") is None else f"{100 * c['mean_gain']:.1f} %"
            verdict = ("levelled off" if c["ok"] else
                       "**NOT levelled off** (best epoch in the last fifth and the last quarter still improves "
                       "validation by 2 % or more: train longer)")
            conv_lines.append(f"- {row['label']}, root {row['root'] or '–'}: median best epoch at {frac} of the "
                              f"epochs; the last quarter improved the best validation MPJPE by {gain}, and the mean "
                              f"of its second half was {mgain} below that of its first half "
                              f"(mean over {n} seed{'s' if n != 1 else ''}): {verdict}.")
        lines += ["", "Convergence (validation has levelled off when the median best epoch is before the last "
                  "fifth of training, or the last quarter improves the best validation MPJPE by less than 2 %, "
                  "or the mean validation MPJPE of the last eighth is less than 2 % below that of the eighth "
                  "before it):", "",
                  *conv_lines, ""]
        order = (_ordering(groups, source, "honest MPJPE", lambda s: _get(s, "test", "mpjpe", "action_wise"))
                 + _ordering(groups, source, "oracle MPJPE", lambda s: _get(s, "oracle", "test_mpjpe")))
        if order:
            lines += ["Ordering (the paper's: " + " < ".join(PAPER_ORDER) + "):", "", *order, ""]
        parity = _bf16_parity(groups, source)
        if parity:
            lines += ["bf16 against fp32 (issue 16: parity means the bf16 mean within one float32 seed std):", "",
                      *parity, ""]
        paired = _paired(groups, source)
        if paired:
            lines += ["Paired differences of test MPJPE (mm; same seed, the first row minus the second; a seed "
                      "fixes the initial weights and the labelled batches, and for the weak rows with a warm-up the "
                      "whole warm-up, so one seed's luck is shared and cancels; mean ± std over the seeds both rows "
                      "have):", "", *paired, ""]
        gaps = _gaps(groups, source)
        if gaps:
            lines += ["Gap to full supervision (mean test MPJPE, action-wise; issue 15 asks for the multi-view row "
                      "with `root: solve` within 10 %):", "", *gaps, ""]
    if summaries:
        lines += people_section(summaries, people_data)
    if unused:
        lines += ["## Summaries not used", "",
                  "Stale summaries (made with other code, configs or data) are listed here and never used "
                  "(older code only with `--accept-stale`); the next run of the script trains them again.", ""]
        for path, why in unused:
            try:
                p = Path(path).resolve().relative_to(ROOT).as_posix()
            except ValueError:
                p = str(path)
            lines.append(f"- `{p}`: {why}")
        lines.append("")
    if summaries:
        plot_curves(summaries, figure)
    write_text(results, "\n".join(lines).rstrip("\n") + "\n")


def mv_sweep_lines(mv: dict[str, Any] | None) -> list[str]:
    """The results page's paragraph on the multi-view weight sweep (empty without one): validation
    MPJPE per weight and whether `mocap_weak_mv`'s weight, which the table's multi-view rows train
    with, is the one best on validation."""
    if not mv or not mv.get("jobs"):
        return []
    done = [j for j in mv["jobs"] if j.get("result") and j["result"].get("best_val_mpjpe") is not None]
    txt = ", ".join(f"{j['weight']:g} → {j['result']['best_val_mpjpe']:.1f} mm"
                    + (" (the table's seed-0 run)" if j.get("from_table") else "") for j in done) or "none"
    head = (f"Multi-view weight (`train.multiview_weight`, absolute form) on validation (`mocap_weak_mv`, "
            f"`root: solve`, 2D source `{mv['jobs'][0]['source']}`, seed 0, one run per weight; the test split is not "
            f"read): {txt}")
    cv = mv.get("config_value")
    if mv.get("choice") is None:
        return [head + f" ({len(done)} of {len(mv['jobs'])} weights done; the table's multi-view rows train with the "
                       f"config's {cv:g} meanwhile).", ""]
    best = mv["choice"]
    if cv is not None and math.isclose(best, cv, rel_tol=1e-9):
        verdict = f"best **{best:g}**, the weight `configs/mocap_weak_mv.yaml` holds and the multi-view rows use."
    else:
        verdict = (f"best **{best:g}**; `configs/mocap_weak_mv.yaml` holds {cv:g}, which the multi-view rows below "
                   f"train with: not the weight best on validation (set it to {best:g} and retrain those rows).")
    return [head + "; " + verdict, ""]


def plot_curves(summaries: list[dict[str, Any]], path: str | os.PathLike) -> None:
    """Validation MPJPE per epoch, one panel per 2D source, one line per row (mean over seeds),
    the end of the warm-up marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from wsgcn.io import atomic_path

    sources = _sources(summaries)
    fig, axes = plt.subplots(1, len(sources), figsize=(6.5 * len(sources), 4.5), squeeze=False, sharey=True)
    for ax, source in zip(axes[0], sources):
        warm = set()
        for i, (row, rs) in enumerate(_groups(summaries, source)):
            per = [{c["epoch"]: c["val_mpjpe"] for c in curve_rows(s.get("curve")) if c.get("val_mpjpe") is not None}
                   for s in rs]
            epochs = sorted(set.intersection(*(set(p) for p in per))) if per else []
            if not epochs:
                continue
            ys = [float(np.mean([p[e] for p in per])) for e in epochs]
            ls = "--" if row["root"] == "solve" else "-"
            ax.plot(epochs, ys, ls, color=f"C{ROW_KEYS.index(row['key'])}", lw=1.4,
                    label=f"{row['label']}" + (f", root {row['root']}" if row["root"] else "") + f" ({len(rs)})")
            warm |= {s["warmup_epochs"] for s in rs if s.get("warmup_epochs")}
        for w in sorted(warm):
            ax.axvline(w, color="0.5", ls=":", lw=1)
            ax.text(w, 1.0, " end of warm-up", transform=ax.get_xaxis_transform(), va="top", fontsize=7, color="0.4")
        ax.set_title(f"2D source {source}")
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6.5)
    axes[0][0].set_ylabel("validation MPJPE (mm, mean over seeds)")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100, bbox_inches="tight")
    plt.close(fig)


# ----------------------------------------------------------------------------- main

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", nargs="+", default=None, metavar="KEY",
                    help=f"rows to train: {', '.join(ROW_KEYS)} (default: the complete table, i.e. every row on "
                         "`gt` and the paper's four rows with `root: gt` on `noisy`; rows given here train on "
                         "every --sources)")
    ap.add_argument("--roots", nargs="+", default=["gt", "solve"], choices=["gt", "solve"],
                    help="root modes of the weak rows (the fully supervised rows have none)")
    ap.add_argument("--sources", nargs="+", default=DEFAULT_SOURCES)
    ap.add_argument("--seeds", type=int, nargs="+", default=DEFAULT_SEEDS)
    ap.add_argument("--max-runs", type=int, default=None, metavar="N",
                    help="train at most N runs (new or resumed, sweep included), then stop")
    ap.add_argument("--budget-min", type=float, default=None, metavar="M", help="start no new run after M minutes")
    ap.add_argument("--jobs", type=int, default=2, help="trainings run side by side")
    ap.add_argument("--threads", type=int, default=1, help="torch threads per training")
    ap.add_argument("--bone-weights", type=float, nargs="*", default=[0.01, 0.1, 1.0],
                    help="candidates for train.bone_weight, chosen on validation (none: keep the configs' value)")
    ap.add_argument("--mv-weights", type=float, nargs="*", default=[],
                    help="candidates for train.multiview_weight (absolute form): one `mocap_weak_mv` run per weight "
                         "on validation, before the table; the page says which is best and whether the config "
                         "holds it (the multi-view rows keep the config's weight; default: no sweep)")
    ap.add_argument("--tune-source", default="gt", help="2D source of the weight sweeps")
    ap.add_argument("--data", default="data")
    ap.add_argument("--out", default="runs/table", help="run folders (not committed)")
    ap.add_argument("--summaries", default=str(ROOT / "docs" / "results"), help="summary folder (committed)")
    ap.add_argument("--results", default=str(ROOT / "docs" / "RESULTS.md"))
    ap.add_argument("--figure", default=None, help="curves figure (default: img/results_curves.png beside --results)")
    ap.add_argument("--accept-stale", "--force-stale", dest="accept_stale", action="store_true",
                    help="reuse summaries whose code fingerprint differs (marked in the table)")
    ap.add_argument("--no-probes", dest="probes", action="store_false",
                    help="do not compute behaviour probes of the current code (summaries of older code then "
                         "count only where cached probes already link them)")
    ap.add_argument("--probe-src", metavar="DIR", default=None,
                    help="compute and cache the behaviour probes of the wsgcn package under DIR (the src/ folder of "
                         "another checkout, e.g. the commit that made older summaries) as made on this machine, "
                         "then stop")
    ap.add_argument("--dry-run", action="store_true", help="print what would train and what is reused; train nothing")
    ap.add_argument("--collect-only", action="store_true", help="train nothing: rebuild RESULTS.md from the summaries")
    ap.add_argument("--people-only", action="store_true",
                    help="train nothing: evaluate on the `people` benchmark the finished runs under --out whose "
                         "summaries lack the people block (or hold one of other people files), add it, rebuild "
                         "RESULTS.md")
    ap.add_argument("--extra-set", nargs="*", default=[], help=argparse.SUPPRESS)  # appended to every job (tiny runs)
    a = ap.parse_args(argv)
    a.rows_given = a.rows is not None
    a.rows = a.rows if a.rows_given else list(ROW_KEYS)
    bad = [r for r in a.rows if r not in ROW_KEYS]
    if bad:
        ap.error(f"unknown row(s) {', '.join(bad)}; valid: {', '.join(ROW_KEYS)}")
    if any(w < 0 for w in [*a.bone_weights, *a.mv_weights]):
        ap.error("--bone-weights and --mv-weights must be >= 0")
    if a.jobs < 1 or a.threads < 0 or (a.max_runs is not None and a.max_runs < 0):
        ap.error("--jobs must be >= 1, --threads and --max-runs >= 0")
    return a


def _check_oracle_support() -> None:
    from wsgcn.config import load_config
    from wsgcn.errors import WsgcnError

    try:
        load_config(None, [ORACLE_SET])
    except WsgcnError as e:
        sys.exit(f"reproduce_table: this wsgcn has no train.oracle_test yet ({e})")


@functools.lru_cache(maxsize=1)
def _bf16_native() -> tuple[bool, str]:
    """Does this CPU compute bfloat16 natively (AMX-BF16 or AVX512-BF16)? Else the bf16 rows would
    train in float32 (``train.precision`` falls back) and are not trained."""
    from wsgcn.precision import bf16_support

    return bf16_support("cpu")


def _describe(job: dict[str, Any]) -> str:
    if job["kind"] == "tuning":
        what = SWEEPS[job["key"].removesuffix("_sweep")]["what"]
        return f"sweep  {what} {job['weight']:g} ({job['source']}, seed 0)"
    return f"{job['source']:5s} {job['tag']:22s} seed {job['seed']}"


def _pending_state(job: dict[str, Any]) -> str:
    last = Path(job["run"]) / "checkpoints" / "last.json"
    m = read_summary(Path(job["run"]) / "table_job.json")
    if last.is_file() and m is not None and m.get("fingerprint") == job["fp"]:
        meta = read_summary(last) or {}
        done, total = meta.get("epoch"), _get(meta, "config", "train", "epochs")
        if isinstance(done, int) and isinstance(total, int) and done >= total:
            return "summarise the finished run folder (no training)"
        return f"resume (epoch {done}/{total})"
    return "train" + ("" if job["status"] == "missing" else f" ({job['status']})")


def probe_other_code(a: argparse.Namespace) -> int:
    """``--probe-src``: cache the behaviour probes of the rows in ``--rows``/``--roots`` for the
    package under ``a.probe_src`` as made on this machine (other machines' probes of that code are
    kept) and say whether that code behaves like the current code (probes per machine, transitive)."""
    src = Path(a.probe_src)
    if not (src / "wsgcn" / "__init__.py").is_file():
        sys.exit(f"reproduce_table: --probe-src {src}: no wsgcn package there (give the src/ folder of a checkout)")
    if not _has_data(a.data):
        sys.exit(f"reproduce_table: --probe-src needs the benchmark data under --data {a.data}")
    fps = Fingerprints(a.data, a.summaries, a.probes)
    code = code_fingerprint(src)
    rows = [r for r in ROWS if r["key"] in a.rows and (r["root"] is None or r["root"] in a.roots)]
    fps.probes.add(src, code, rows)
    for row in rows:
        same = fps.probes.same(code, row) if a.probes else None
        print(f"{row_tag(row):22s} code {code[:12]} vs current {fps.code[:12]} ({fps.probes.cpu}): "
              + ("identical code" if code == fps.code else
                 "not compared (--no-probes)" if same is None else "same behaviour" if same else "DIFFERENT"))
    return 0


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    t0 = time.monotonic()
    _check_oracle_support()
    if a.probe_src:
        return probe_other_code(a)
    if a.people_only:
        return people_only(a)
    if a.collect_only:
        c = rebuild(a)
        print(f"wrote {a.results} from {len(c['summaries'])} summaries ({len(c['unused'])} not used)")
        return 0
    data = Path(a.data)
    if not _has_data(a.data) and not a.dry_run:
        subprocess.run([sys.executable, "-m", "wsgcn", "data", "build-mocap", "--out", str(data)], check=True)
    fps = Fingerprints(a.data if _has_data(a.data) else None, a.summaries, a.probes)
    if fps.data_dir is None:
        print(f"(no data under {a.data}: data fingerprints not checked)")
    sched = Scheduler(a, t0)
    plan: list[tuple[dict[str, Any], str]] = []

    # 1. the bone-weight sweep (validation only), unless its summaries are all usable
    sweep = bone_sweep(a, fps)
    tune = [j for j in sweep["jobs"] if j["result"] is None]
    bone_rows = any(r["config"] in BONE_CONFIGS for r in ROWS if r["key"] in a.rows)
    if not bone_rows:
        tune = []
    if bone_rows:
        plan += [(j, "reuse" if j["result"] is not None else _pending_state(j)) for j in sweep["jobs"]]
    # 1b. the multi-view weight sweep, only when asked (--mv-weights); it does not hold the table back
    mv = mv_sweep(a, fps) if a.mv_weights else {"jobs": []}
    tune += [j for j in mv["jobs"] if j["result"] is None]
    plan += [(j, ("reuse the table's seed-0 run" if j.get("from_table") else "reuse") if j["result"] is not None
              else _pending_state(j)) for j in mv["jobs"]]

    def finished(job: dict[str, Any], s: dict[str, Any]) -> None:
        if job["kind"] == "tuning":
            print(f"{_describe(job)}: validation MPJPE {s['best_val_mpjpe']:.1f} mm", flush=True)
            rebuild(a)
        else:
            o = _get(s, "oracle", "test_mpjpe")
            print(f"{_describe(job)}: MPJPE {s['test']['mpjpe']['action_wise']:.1f} mm, P-MPJPE "
                  f"{s['test']['p_mpjpe']['action_wise']:.1f} mm (val {s['best_val_mpjpe']:.1f}"
                  + (f", oracle {o:.1f}" if o is not None else "") + f") in {s['train_s'] / 60:.1f} min", flush=True)
            rebuild(a)  # the page after every run (fresh fingerprints: the code may have been edited)

    if tune and not a.dry_run:
        sched.run(tune, finished)
        sweep = bone_sweep(a, fps)
        mv = mv_sweep(a, fps) if a.mv_weights else mv
    if mv.get("choice") is not None:
        print("multi-view weight: " + ", ".join(f"{j['weight']:g} → {j['result']['best_val_mpjpe']:.1f} mm"
                                                for j in mv["jobs"])
              + f"; best {mv['choice']:g} (configs/mocap_weak_mv.yaml: {mv['config_value']:g})", flush=True)
    if sweep["choice"] is not None:
        print("bone weight: " + ", ".join(f"{j['weight']:g} → {j['result']['best_val_mpjpe']:.1f} mm"
                                          for j in sweep["jobs"]) + f"; chosen {sweep['choice']:g}", flush=True)

    # 2. the table, seed by seed
    jobs, waiting = [], []
    native, why = _bf16_native()
    missing: set[str] = set()
    if not native and any(k in a.rows for k in BF16_ROWS):
        print(f"bf16 rows ({', '.join(BF16_ROWS)}) not trained here: {why}", flush=True)
    for seed in a.seeds:
        for source in a.sources:
            for row in ROWS:
                if row["key"] not in a.rows or (row["root"] is not None and row["root"] not in a.roots) \
                        or not (a.rows_given or in_table(row, source)):
                    continue
                if row["key"] in BF16_ROWS and not native:
                    continue
                name = row.get("data_name", "mocap")
                if name != "mocap" and not (Path(a.data) / f"data_3d_{name}.npz").is_file():
                    if name not in missing:
                        print(f"rows on `{name}` not trained: no {name} files in {a.data} "
                              f"(wsgcn data build-mocap --out {a.data} --benchmark {name})", flush=True)
                    missing.add(name)
                    continue
                if row["config"] in BONE_CONFIGS and sweep["pending"]:
                    waiting.append(table_job(row, source, seed, None, a))
                    continue
                job = table_job(row, source, seed, sweep["choice"], a)
                job["fp"] = fps(job)
                job["status"] = fps.classify(read_summary(job["summary"]), job)
                if usable(job["status"], a.accept_stale):
                    plan.append((job, "reuse" + {"stale-code": " (stale code, accepted)",
                                                 "same-behaviour": " (older code, same behaviour probe)"}
                                      .get(job["status"], "")))
                else:
                    jobs.append(job)
                    plan.append((job, _pending_state(job)))
    if a.dry_run:
        budget = a.max_runs if a.max_runs is not None else math.inf
        n_train = 0
        for job, state in plan:
            if not state.startswith("reuse"):
                state += "" if n_train < budget else "  [after --max-runs]"
                n_train += 1
            print(f"{_describe(job)}: {state}")
        for job in waiting:
            print(f"{_describe(job)}: waits for the bone-weight sweep")
        n_reuse = sum(1 for _, s in plan if s.startswith("reuse"))
        print(f"{n_train} to train (in this invocation: {min(n_train, budget)}), {n_reuse} reused, "
              f"{len(waiting)} waiting for the sweep" + (f"; --budget-min {a.budget_min:g} may stop earlier"
                                                         if a.budget_min is not None else ""))
        stale = [(p, w) for p, w in collect(a, fps)["unused"]]
        for p, why in stale:
            print(f"not used: {p} ({why})")
        return 0
    left = sched.run(jobs, finished)
    c = rebuild(a)
    wall = (time.monotonic() - t0) / 60
    print(f"wrote {a.results} from {len(c['summaries'])} summaries ({len(c['unused'])} not used); "
          f"this invocation: {sched.started} run(s) started in {wall:.1f} min"
          + (f", {len(left)} left for a later part" if left else "")
          + (f", {len(waiting)} waiting for the bone-weight sweep" if waiting else "")
          + (f", {len(sched.failed)} FAILED" if sched.failed else ""), flush=True)
    return 1 if sched.failed else 0


if __name__ == "__main__":
    sys.exit(main())
