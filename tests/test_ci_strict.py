"""Under CI=true a skipped test fails (tests/conftest.py): CI cannot pass by skipping."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

CONFTEST = Path(__file__).resolve().parent / "conftest.py"
SAMPLE = '''
import pytest

def test_runs():
    assert True

def test_needs_a_missing_source():
    pytest.skip("motion-capture source unavailable: no network")

def test_needs_a_missing_module():
    pytest.importorskip("a_module_that_is_not_installed_anywhere")

@pytest.mark.xfail(reason="known", strict=False)
def test_expected_failure():
    assert False
'''


def _pytest(folder: Path, ci: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)],
                          capture_output=True, text=True, env=env, cwd=folder)


def test_skips_fail_under_ci_and_skip_elsewhere(tmp_path: Path) -> None:
    shutil.copy(CONFTEST, tmp_path / "conftest.py")
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    local = _pytest(tmp_path, None)
    assert local.returncode == 0, local.stdout
    assert "1 passed, 2 skipped, 1 xfailed" in local.stdout
    ci = _pytest(tmp_path, "true")
    assert ci.returncode == 1, ci.stdout
    assert "2 failed, 1 passed, 1 xfailed" in ci.stdout
    assert "CI=true does not allow" in ci.stdout and "motion-capture source unavailable" in ci.stdout
    assert "a_module_that_is_not_installed_anywhere" in ci.stdout
