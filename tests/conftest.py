"""Shared fixtures: a small slice of the real-motion benchmark, built once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest


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
