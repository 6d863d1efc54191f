"""The human-readable report of a real-motion build (``wsgcn data build-mocap`` prints it):
the build's summary (:func:`wsgcn.data.mocap.build_mocap`) as a plain-text table."""

from __future__ import annotations

from typing import Any

from .placement import MIN_DEPTH


def format_summary(summary: dict[str, Any]) -> str:
    """The build's summary as a plain-text table (per take, per split, licences, notes); a
    detailed summary (``people``) also gives each take's licence, marker drops and subject, and
    one row per subject."""
    detailed = "subjects" in summary
    lines = _detailed_takes(summary) if detailed else _takes(summary)
    lines.append("")
    width = max([22] + [len(", ".join(v["subjects"])) for v in summary["splits"].values()])
    lines.append(f"{'split':<11} {'subjects':<{width}} {'sequences':>9} {'frames':>7} {'poses (x4 cameras)':>19}")
    for k, v in summary["splits"].items():
        lines.append(f"{k:<11} {', '.join(v['subjects']) or '-':<{width}} {v['sequences']:>9} {v['frames']:>7} "
                     f"{v['poses']:>19}")
    lines.append(f"labelled fraction of the training frames: {summary['labelled_fraction_of_training']:.3f}")
    drops = {k: sum(t["dropped"].get(k, 0) for t in summary["takes"])
             for k in ("outside_image", "near_camera", "short_or_split", "no_joints")}
    lines.append(f"dropped frames: {drops['outside_image']} outside an image, {drops['near_camera']} "
                 f"closer than {MIN_DEPTH:g} m to a camera, {drops['short_or_split']} outside the kept "
                 "stretch of their window" + (f", {drops['no_joints']} without usable markers (50 Hz)"
                                              if detailed else ""))
    if detailed:
        lines += [""] + _subject_rows(summary)
    lines.append("")
    lines.append("licences:")
    for k, text in summary["licences"].items():
        lines.append(f"  {k}: {text}")
    if "lafan1" in summary["licences"]:
        lines.append("NOTE: the LaFAN1-derived files (subject unlabelled-lafan1) are for local research use "
                     "only: never redistribute the built files.")
    for x in summary.get("excluded", []):
        lines.append(f"not used: {x['take']} ({x['file']}, {x['person']}, {x['motion']}): {x['reason']}")
    for note in summary.get("notes", []):
        lines.append(f"note: {note}")
    if summary.get("up_to_date"):
        lines.append(f"{summary.get('out_dir', '')}: already up to date (use --force to rebuild)")
    else:
        lines.append(f"built in {summary.get('seconds', 0):.1f} s into {summary.get('out_dir', '')}")
    return "\n".join(lines)


def _takes(summary: dict[str, Any]) -> list[str]:
    """The per-take table of a ``mocap`` summary."""
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
    return lines


def _widths(rows: list[dict[str, Any]], defaults: dict[str, int]) -> dict[str, int]:
    """Column widths: each default, or the longest entry of that key where longer (the ``people``
    summary keeps its defaults, so its report is unchanged)."""
    return {k: max([w] + [len(str(r[k])) for r in rows]) for k, w in defaults.items()}


def _detailed_takes(summary: dict[str, Any]) -> list[str]:
    """The per-take table of a detailed summary: person, licence, source frames and the marker
    takes' source frames dropped (a marker missing > 0.1 s, a bone jump, a too short stretch),
    then 50 Hz frames kept and dropped, and the subject."""
    w = _widths(summary["takes"], {"take": 13, "file": 21, "person": 21, "motion": 8})
    head = (f"{'take':<{w['take']}} {'file':<{w['file']}} {'person':<{w['person']}} {'motion':<{w['motion']}} "
            f"{'licence':<10} {'Hz':>4} {'frames':>6} "
            f"{'no-mark':>7} {'jump':>5} {'short':>5} {'at 50Hz':>7} {'kept':>6} {'dropped':>7}  subject")
    lines = ["frames: source frames; no-mark / jump / short: source frames of a marker take dropped "
             "(a needed marker missing > 0.1 s, a bone off its median > 3 cm, a stretch < 0.1 s); "
             "at 50 Hz / kept / dropped: after resampling", head, "-" * len(head)]
    for t in summary["takes"]:
        d = t.get("source_dropped")
        marks = (f"{d['marker_missing']:>7} {d['inconsistent']:>5} {d['short_stretch']:>5}" if d
                 else f"{'-':>7} {'-':>5} {'-':>5}")
        lines.append(f"{t['take']:<{w['take']}} {t['file']:<{w['file']}} {t['person']:<{w['person']}} "
                     f"{t['motion']:<{w['motion']}} {t['licence']:<10} "
                     f"{t['source_fps']:>4.0f} {t['source_frames']:>6} {marks} {t['frames_50hz']:>7} "
                     f"{t['kept_frames']:>6} {t['dropped_frames']:>7}  {t['subject']}")
    lines.append("-" * len(head))
    lines.append(f"{'total':<{w['take']}} {'':<{w['file']}} {str(len(summary['people'])) + ' people':<{w['person']}} "
                 f"{'':<{w['motion']}} {'':<10} {'':>4} "
                 f"{sum(t['source_frames'] for t in summary['takes']):>6} {'':>7} {'':>5} {'':>5} "
                 f"{sum(t['frames_50hz'] for t in summary['takes']):>7} {summary['total_frames']:>6} "
                 f"{summary['dropped_frames']:>7}")
    return lines


MAX_MOTIONS_LISTED = 4
"""A subject row lists its motions up to this many, else gives their number (the per-take
table above names them)."""


def _subject_rows(summary: dict[str, Any]) -> list[str]:
    """One row per subject of a detailed summary: its split, people, motions, sequences, frames."""
    split_of = {s: k for k, v in summary["splits"].items() for s in v["subjects"]}
    rows = [{**v, "subject": s, "people": ", ".join(v["people"]),
             "motions": ", ".join(v["motions"]) if len(v["motions"]) <= MAX_MOTIONS_LISTED
             else f"{len(v['motions'])} motions"} for s, v in summary["subjects"].items()]
    w = _widths(rows, {"subject": 18, "people": 22, "motions": 14})
    head = (f"{'subject':<{w['subject']}} {'split':<11} {'people':<{w['people']}} {'motions':<{w['motions']}} "
            f"{'sequences':>9} {'frames':>7}")
    lines = [head]
    for r in rows:
        lines.append(f"{r['subject']:<{w['subject']}} {split_of.get(r['subject'], '-'):<11} "
                     f"{r['people']:<{w['people']}} {r['motions']:<{w['motions']}} "
                     f"{r['sequences']:>9} {r['frames']:>7}")
    return lines
