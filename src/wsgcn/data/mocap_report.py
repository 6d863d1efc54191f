"""The human-readable report of a real-motion build (``wsgcn data build-mocap`` prints it):
the build's summary (:func:`wsgcn.data.mocap.build_mocap`) as a plain-text table."""

from __future__ import annotations

from typing import Any

from .placement import MIN_DEPTH


def format_summary(summary: dict[str, Any]) -> str:
    """The build's summary as a plain-text table (per take, per split, licences, notes)."""
    lines = []
    head = f"{'take':<13} {'file':<16} {'person':<22} {'motion':<6} {'Hz':>4} {'frames':>7} " \
           f"{'seconds':>8} {'at 50Hz':>8} {'kept':>7} {'dropped':>8}"
    lines.append(head)
    lines.append("-" * len(head))
    for t in summary["takes"]:
        lines.append(f"{t['take']:<13} {t['file']:<16} {t['person']:<22} {t['motion']:<6} "
                     f"{t['source_fps']:>4.0f} {t['source_frames']:>7} {t['duration_s']:>8.1f} "
                     f"{t['frames_50hz']:>8} {t['kept_frames']:>7} {t['dropped_frames']:>8}")
    lines.append("-" * len(head))
    lines.append(f"{'total':<13} {'':<16} {len(summary['people']):>2} people{'':<13} {'':<6} {'':>4} "
                 f"{sum(t['source_frames'] for t in summary['takes']):>7} "
                 f"{sum(t['duration_s'] for t in summary['takes']):>8.1f} "
                 f"{sum(t['frames_50hz'] for t in summary['takes']):>8} {summary['total_frames']:>7} "
                 f"{summary['dropped_frames']:>8}")
    lines.append("")
    lines.append(f"{'split':<11} {'subjects':<22} {'sequences':>9} {'frames':>7} {'poses (x4 cameras)':>19}")
    for k, v in summary["splits"].items():
        lines.append(f"{k:<11} {', '.join(v['subjects']) or '-':<22} {v['sequences']:>9} {v['frames']:>7} "
                     f"{v['poses']:>19}")
    lines.append(f"labelled fraction of the training frames: {summary['labelled_fraction_of_training']:.3f}")
    drops = {k: sum(t["dropped"][k] for t in summary["takes"]) for k in ("outside_image", "near_camera",
                                                                          "short_or_split")}
    lines.append(f"dropped frames: {drops['outside_image']} outside an image, {drops['near_camera']} "
                 f"closer than {MIN_DEPTH:g} m to a camera, {drops['short_or_split']} outside the kept "
                 "stretch of their window")
    lines.append("")
    lines.append("licences:")
    for k, text in summary["licences"].items():
        lines.append(f"  {k}: {text}")
    if "lafan1" in summary["licences"]:
        lines.append("NOTE: the LaFAN1-derived files (subject unlabelled-lafan1) are for local research use "
                     "only: never redistribute the built files.")
    for note in summary.get("notes", []):
        lines.append(f"note: {note}")
    if summary.get("up_to_date"):
        lines.append(f"{summary.get('out_dir', '')}: already up to date (use --force to rebuild)")
    else:
        lines.append(f"built in {summary.get('seconds', 0):.1f} s into {summary.get('out_dir', '')}")
    return "\n".join(lines)
