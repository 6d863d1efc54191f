"""Real-motion benchmarks for the data tests: their verified sources, and the first seconds of
every take built in memory and written to a folder."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np
import pytest

from wsgcn.data import mocap
from wsgcn.data.benchmark_spec import Benchmark
from wsgcn.data.sources import SourceUnavailable, fetch_source


def fetch_sources(names: Iterable[str]) -> dict[str, dict[str, Path]]:
    """The verified files of the sources ``names`` (fetched once into the shared cache); a skip
    when one is unavailable, which CI=true makes a failure (tests/conftest.py)."""
    out = {}
    for name in sorted(set(names)):
        try:
            out[name] = fetch_source(name, progress=False)
        except SourceUnavailable as e:
            pytest.skip(f"motion-capture source unavailable: {e}")
    return out


def build_slice(benchmark: Benchmark, seconds: float, out: Path) -> tuple[mocap.MocapDataset, Path]:
    """The first ``seconds`` of every take of ``benchmark``, in memory and written to ``out``."""
    ds = mocap.assemble_mocap(max_seconds_per_source=seconds, progress=False, benchmark=benchmark)
    mocap.write_mocap(ds, out, max_seconds_per_source=seconds)
    return ds, out


def assert_subjects_equal(ref: mocap.MocapDataset, ds: mocap.MocapDataset) -> None:
    """Every subject of ``ref`` holds exactly the same arrays in ``ds``: 3D, exact and noisy 2D
    of every action, and its cameras' positions."""
    for s, actions in ref.positions_3d.items():
        assert actions.keys() == ds.positions_3d[s].keys()
        for a, x in actions.items():
            np.testing.assert_array_equal(x, ds.positions_3d[s][a])
            for u, v in zip(ref.positions_2d_noisy[s][a] + ref.positions_2d[s][a],
                            ds.positions_2d_noisy[s][a] + ds.positions_2d[s][a]):
                np.testing.assert_array_equal(u, v)
        assert [c.position.tolist() for c in ref.cameras[s]] == [c.position.tolist() for c in ds.cameras[s]]
