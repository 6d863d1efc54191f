#!/usr/bin/env bash
# Create .venv (if missing) and install wsgcn with its test extras.
# torch is pinned to the CPU build that installs in seconds; an unpinned torch pulls a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check "torch==2.13.0" 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]" 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -c "import torch, wsgcn; print(f'wsgcn {wsgcn.__version__} installed (torch {torch.__version__})')"
