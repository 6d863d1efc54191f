#!/usr/bin/env python
"""Where each source rig puts its joints: hip width, thigh, hip width / thigh, shank,
pelvis-to-thorax and shoulder width (medians, cm), for the BVH takes of the benchmark and the
marker captures (joints computed from markers), as one Markdown table.

    python scripts/rig_measures.py [--max-seconds S]

BVH takes: the benchmark's conversion (``wsgcn.data.mocap.convert_take``, 50 Hz, before
placement). Marker takes: the raw joints of ``wsgcn.data.joint_centres`` over their
consistent frames (docs/BENCHMARK.md, "Joint centres from markers"). Sources are fetched
and verified into the shared cache like the build's.
"""

from __future__ import annotations

import argparse

import numpy as np

from wsgcn.data.marker_takes import MARKER_TAKES, load_marker_take, rig_measures
from wsgcn.data.mocap import TAKES, convert_take
from wsgcn.data.sources import fetch_source

COLUMNS = (("hip_width", "hip width"), ("thigh", "thigh"), ("hip_width_over_thigh", "hip width / thigh"),
           ("shank", "shank"), ("pelvis_thorax", "pelvis-thorax"), ("shoulder_width", "shoulder width"))


def rows(max_seconds: float | None) -> list[tuple[str, str, dict[str, float]]]:
    """(take, source and method, measures) of every BVH take and every marker take."""
    out = []
    for take in TAKES:
        path = fetch_source(take.source, progress=False)[take.file]
        world, _, _ = convert_take(path, take.rig, max_seconds)
        out.append((take.key, f"{take.file} (BVH rig `{take.rig}`)", rig_measures(world)))
    for mt in MARKER_TAKES:
        loaded = load_marker_take(mt.key)
        out.append((mt.key, f"{mt.file} (markers, `{mt.marker_set}`)",
                    rig_measures(loaded.joints.joints, loaded.frames)))
    return out


def table(measures: list[tuple[str, str, dict[str, float]]]) -> str:
    """The Markdown table: lengths in cm (1 decimal), the ratio with 2 decimals."""
    head = "| take | file (joints) | " + " | ".join(label for _, label in COLUMNS) + " |"
    lines = [head, "|" + "---|" * (2 + len(COLUMNS))]
    for key, what, m in measures:
        cells = []
        for name, _ in COLUMNS:
            v = m[name]
            if not np.isfinite(v):
                cells.append("–")
            else:
                cells.append(f"{v:.2f}" if name == "hip_width_over_thigh" else f"{100 * v:.1f}")
        lines.append(f"| {key} | {what} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--max-seconds", type=float, default=None, help="only the first seconds of every BVH take")
    args = ap.parse_args()
    print(table(rows(args.max_seconds)))


if __name__ == "__main__":
    main()
