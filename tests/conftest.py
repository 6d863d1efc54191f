"""Shared fixtures: the in-process CLI, synthetic data and a small slice of the real-motion benchmark
(the data folders built once per test session). Shared helpers live in tests/support."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import pytest


def ci_strict() -> bool:
    """Under ``CI=true`` nothing may pass by skipping: a missing source or dependency fails."""
    return os.environ.get("CI", "").lower() == "true"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """With ``CI=true`` a skipped test (``pytest.skip``, ``importorskip``, ``skipif``) is reported
    as failed, with the skip reason on one line."""
    outcome = yield
    rep = outcome.get_result()
    if ci_strict() and rep.skipped and not hasattr(rep, "wasxfail"):
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        rep.outcome = "failed"
        rep.longrepr = f"skipped, which CI=true does not allow (a source or dependency is missing): {reason}"


@pytest.fixture
def run() -> Callable[..., tuple[int, str, str]]:
    """The ``wsgcn`` command line in this process: ``run(*argv) -> (exit status, stdout, stderr)``
    (:func:`support.cli.run_cli`)."""
    from support.cli import run_cli  # here, not at the top: conftest.py also runs alone (test_ci_strict.py)

    return run_cli


@pytest.fixture(scope="session")
def synthetic_h36m(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Human3.6M-layout data folder of random-walk poses (no registry needed): S1 labelled
    (2 actions), S5 unlabelled, S9 test; 4 cameras each. For tests of mechanics, not accuracy."""
    from synthetic import write_h36m_folder

    out = tmp_path_factory.mktemp("synthetic_h36m")
    write_h36m_folder(out, {"S1": {"Walking 1": 400, "Directions": 300}, "S5": {"Eating": 400},
                            "S9": {"Photo 1": 200}})
    return out


@pytest.fixture(scope="session")
def mocap_slice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with the first 20 s of every real-motion take (all files of
    ``wsgcn data build-mocap``), for training/evaluation/lifting tests."""
    from wsgcn.data import mocap
    from wsgcn.data.sources import SOURCES, SourceUnavailable, fetch_source

    for name in SOURCES:
        try:
            fetch_source(name, progress=False)
        except SourceUnavailable as e:
            pytest.skip(f"motion-capture source unavailable: {e}")
    out = tmp_path_factory.mktemp("mocap_slice")
    mocap.build_mocap(out, progress=False, max_seconds_per_source=20)
    return out
