"""A picture of a built multi-camera dataset: for a few frames of every motion, the 2D
keypoints in each camera drawn inside the image frame, and the 3D skeleton.

Bones are coloured by side as in every wsgcn picture (:mod:`wsgcn.figures`: left blue, right
red, trunk and head grey), so a person sees at a glance whether left/right, head and feet are
where they belong.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import WsgcnError
from ..figures import CENTRE, GUIDE, LEFT, RIGHT, bone_colour, new_figure, save_figure
from ..skeleton import H36M17
from .h36m import action_group, load_rig, read_positions_2d, read_positions_3d


def _pick_frames(data3d: dict[str, dict[str, np.ndarray]], per_group: int) -> list[tuple[str, str, int]]:
    """(subject, action, frame) triples: the middle frame of ``per_group`` sequences spread
    evenly over the sequences of every motion group (in file order)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for s, actions in data3d.items():
        for a in actions:
            groups.setdefault(action_group(a), []).append((s, a))
    picks = []
    for seqs in groups.values():
        chosen = sorted({int((k + 0.5) / per_group * len(seqs)) for k in range(per_group)})
        picks.extend((s, a, len(data3d[s][a]) // 2) for s, a in (seqs[i] for i in chosen))
    return picks


def preview(data_dir: Path, out_png: Path, frames_per_source: int = 3, name: str = "mocap") -> None:
    """Draw ``frames_per_source`` frames of every motion group of dataset ``name`` in
    ``data_dir`` (one row per frame: the 2D ground truth in each camera, then the 3D world
    skeleton, z up, metres) and write the PNG to ``out_png``."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    data_dir = Path(data_dir)
    if frames_per_source < 1:
        raise WsgcnError(f"frames_per_source must be at least 1, got {frames_per_source}")
    data3d = read_positions_3d(data_dir / f"data_3d_{name}.npz")
    data2d, _ = read_positions_2d(data_dir / f"data_2d_{name}_gt.npz")
    rig = load_rig(data_dir, name)
    picks = _pick_frames(data3d, frames_per_source)
    if not picks:
        raise WsgcnError(f"{data_dir}: no sequences to draw")
    n_cams = max(len(rig[s]) for s, _, _ in picks)
    rows, cols = len(picks), n_cams + 1
    fig = new_figure((3.2 * cols, 3.3 * rows))
    head, lfoot, rfoot = H36M17.index("Head"), H36M17.index("LFoot"), H36M17.index("RFoot")
    for r, (s, a, f) in enumerate(picks):
        for c, cam in enumerate(rig[s]):
            ax = fig.add_subplot(rows, cols, r * cols + c + 1)
            kp = data2d[s][a][c][f, :, :2]
            ax.add_patch(Rectangle((0, 0), cam.res_w, cam.res_h, fill=False, lw=1.0, ec=GUIDE))
            for child, parent in H36M17.bones:
                ax.plot(kp[[child, parent], 0], kp[[child, parent], 1], color=bone_colour(H36M17, child), lw=1.8)
            ax.scatter(kp[head, 0], kp[head, 1], s=14, color=CENTRE, zorder=3)
            ax.text(kp[lfoot, 0], kp[lfoot, 1] + 25, "L", color=LEFT, fontsize=7, ha="center", va="top")
            ax.text(kp[rfoot, 0], kp[rfoot, 1] + 25, "R", color=RIGHT, fontsize=7, ha="center", va="top")
            ax.set_xlim(-20, cam.res_w + 20)
            ax.set_ylim(cam.res_h + 20, -20)  # image coordinates: y down
            ax.set_aspect("equal")
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            ax.set_title(f"camera {c + 1} ({cam.id})", fontsize=7)
            if c == 0:
                ax.set_ylabel(f"{s}\n{a}, frame {f}", fontsize=7)
        ax3 = fig.add_subplot(rows, cols, r * cols + cols, projection="3d")
        p = data3d[s][a][f]
        for child, parent in H36M17.bones:
            ax3.plot(p[[child, parent], 0], p[[child, parent], 1], p[[child, parent], 2],
                     color=bone_colour(H36M17, child), lw=1.6)
        ax3.scatter(*p[head], s=14, color=CENTRE)
        centre = p[0]
        ax3.set_xlim(centre[0] - 1, centre[0] + 1)
        ax3.set_ylim(centre[1] - 1, centre[1] + 1)
        ax3.set_zlim(0, 2)
        ax3.set_box_aspect((1, 1, 1))
        ax3.view_init(elev=15, azim=-70)
        ax3.tick_params(labelsize=5, pad=0)
        ax3.set_title("3D world (m, z up)", fontsize=7)
    handles = [Line2D([], [], color=LEFT, label="left"), Line2D([], [], color=RIGHT, label="right"),
               Line2D([], [], color=CENTRE, label="trunk / head (dot: head top)")]
    fig.legend(handles=handles, loc="upper center", ncol=3, fontsize=9, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.25 / rows))
    save_figure(fig, Path(out_png), dpi=80, tight=False)
