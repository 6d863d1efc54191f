"""Pictures and animations of 2D input and 3D output (``wsgcn viz``).

* :func:`pose_figure` - one frame: the 2D keypoints (image axes, pixels) beside the 3D pose
  (and the ground truth, dashed, when known).
* :func:`save_animation` - the same for a sequence, as GIF (Pillow, comes with matplotlib) or
  MP4 (needs ffmpeg on PATH), with a progress bar.
* :func:`viz_file` - the command: a ``wsgcn lift`` output (.npz/.json) -> PNG/GIF/MP4, or an
  evaluation JSON (``wsgcn evaluate --json``) -> the per-joint error chart
  (:func:`wsgcn.plots.per_joint_chart`).

Conventions: bones are coloured by side (the person's left blue, right red, centre grey,
as in the per-joint chart); the 3D axes have equal scale; poses in the camera frame
(x right, y down, z forward) are drawn upright (height = -y, depth = z) over a floor grid
under the lowest joint, seen from slightly above and beside the camera.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from matplotlib import animation
from matplotlib.figure import Figure

from .errors import WsgcnError
from .io import atomic_path, load_npz, read_json
from .keypoints import INTERPOLATED, MEAN_POSE
from .figures import CENTRE, GT_COLOUR, LEFT, RIGHT, bone_colour, new_figure, save_figure
from .skeleton import H36M16, H36M17, Skeleton

VIEW = {"elev": 12.0, "azim": -62.0}


def skeleton_for(names: Sequence[str]) -> Skeleton:
    """The Human3.6M skeleton (17 or 16 joints) with exactly these joint names."""
    for sk in (H36M17, H36M16):
        if tuple(str(n) for n in names) == sk.names:
            return sk
    raise WsgcnError(f"joint names {list(names)[:4]}... are neither the 17 nor the 16 Human3.6M joints")


def upright(pose: np.ndarray) -> np.ndarray:
    """(..., 3) camera frame (x right, y down, z forward) -> plot axes (x, depth z, height -y)."""
    p = np.asarray(pose, dtype=np.float64)
    return np.stack([p[..., 0], p[..., 2], -p[..., 1]], axis=-1)


def draw_2d(ax: Any, kp: np.ndarray, skeleton: Skeleton, flags: np.ndarray | None = None,
            limits: tuple[float, float, float, float] | None = None) -> None:
    """Keypoints (J, 2) pixels on image axes (y down); filled joints marked by their flag."""
    for c, p in skeleton.bones:
        ax.plot(kp[[c, p], 0], kp[[c, p], 1], color=bone_colour(skeleton, c), lw=2.2, solid_capstyle="round")
    ax.scatter(kp[:, 0], kp[:, 1], s=14, color="black", zorder=3)
    if flags is not None:
        for code, style, label in ((INTERPOLATED, dict(marker="o", facecolors="none", edgecolors="tab:orange"),
                                    "interpolated"),
                                   (MEAN_POSE, dict(marker="X", color="tab:purple"), "mean-pose fill")):
            m = flags == code
            if m.any():
                ax.scatter(kp[m, 0], kp[m, 1], s=90, lw=1.5, zorder=4, label=label, **style)
        if np.isin(flags, (INTERPOLATED, MEAN_POSE)).any():
            ax.legend(loc="lower right", fontsize=7, framealpha=0.8)
    if limits is not None:
        ax.set_xlim(limits[0], limits[1])
        ax.set_ylim(limits[3], limits[2])  # y down
    elif not ax.yaxis_inverted():
        ax.invert_yaxis()
    ax.set_aspect("equal")
    ax.set_xlabel("u (px)", fontsize=8)
    ax.set_ylabel("v (px)", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.25)


def _limits_2d(kp: np.ndarray) -> tuple[float, float, float, float]:
    """Square pixel limits around all finite keypoints (any leading shape), with a margin."""
    pts = np.asarray(kp, dtype=np.float64).reshape(-1, 2)
    pts = pts[np.isfinite(pts).all(-1)]
    if len(pts) == 0:
        return 0.0, 1.0, 0.0, 1.0
    lo, hi = pts.min(0), pts.max(0)
    c, r = (lo + hi) / 2, max(float((hi - lo).max()) * 0.6, 1.0)
    return c[0] - r, c[0] + r, c[1] - r, c[1] + r


def setup_3d(ax: Any, radius: float, floor: float) -> None:
    """Equal-scale 3D axes of +-radius metres around the root with a floor grid at height ``floor``."""
    ax.set_xlim(-radius, radius)
    ax.set_ylim(-radius, radius)
    ax.set_zlim(floor, floor + 2 * radius)
    ax.set_box_aspect((1, 1, 1), zoom=1.2)
    ax.view_init(**VIEW)
    ticks = np.arange(-np.floor(radius * 2) / 2, radius + 1e-9, 0.5)
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    ax.set_zticks(np.arange(np.ceil(floor * 2) / 2, floor + 2 * radius + 1e-9, 0.5))
    g = np.arange(-radius, radius + 1e-9, 0.25)
    for v in g:
        ax.plot([v, v], [-radius, radius], [floor, floor], color="0.82", lw=0.7)
        ax.plot([-radius, radius], [v, v], [floor, floor], color="0.82", lw=0.7)
    ax.set_xlabel("x (m)", fontsize=8, labelpad=-4)
    ax.set_ylabel("depth (m)", fontsize=8, labelpad=-4)
    ax.set_zlabel("height (m)", fontsize=8, labelpad=-4)
    ax.tick_params(labelsize=6, pad=-1)
    for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
        axis.pane.set_alpha(0.0)


def draw_3d(ax: Any, pose: np.ndarray, skeleton: Skeleton, gt: np.ndarray | None = None) -> None:
    """Pose (J, 3) camera frame metres, drawn upright; ``gt`` (J, 3) dashed black."""
    if gt is not None:
        g = upright(gt)
        for c, p in skeleton.bones:
            ax.plot(g[[c, p], 0], g[[c, p], 1], g[[c, p], 2], color=GT_COLOUR, lw=1.2, ls="--", alpha=0.8)
    q = upright(pose)
    for c, p in skeleton.bones:
        ax.plot(q[[c, p], 0], q[[c, p], 1], q[[c, p], 2], color=bone_colour(skeleton, c), lw=2.6,
                solid_capstyle="round")
    ax.scatter(q[:, 0], q[:, 1], q[:, 2], s=10, color="black", depthshade=False)


def _floor(poses: np.ndarray) -> float:
    """Floor height (plot axes) under root-relative camera-frame poses (T, J, 3): the median over
    frames of the lowest joint, so the grid stays put in an animation."""
    low = np.nanmin(upright(poses)[..., 2], axis=-1)
    low = low[np.isfinite(low)]
    return float(np.median(low)) - 0.02 if low.size else -1.0


def _radius(poses: np.ndarray, floor: float) -> float:
    """Half the side of the cube drawn (m): the poses' horizontal reach and half their height
    above the floor, rounded up to 0.25 m, at least 0.75 m."""
    q = upright(poses)
    if not np.isfinite(q).any():
        return 1.0
    reach = max(float(np.nanmax(np.abs(q[..., :2]))), float(np.nanmax(q[..., 2]) - floor) / 2)
    return float(max(0.75, np.ceil((reach + 0.05) / 0.25) * 0.25))


def pose_figure(kp2d: np.ndarray, pose3d: np.ndarray, skeleton: Skeleton, gt: np.ndarray | None = None,
                flags: np.ndarray | None = None, title: str = "") -> Figure:
    """One frame: 2D input (J, 2) px beside the 3D pose (J, 3) m (and ``gt`` (J, 3), dashed)."""
    fig, ax2, ax3 = _two_panels((9.5, 4.8))
    draw_2d(ax2, kp2d, skeleton, flags, _limits_2d(kp2d))
    ax2.set_title("2D input", fontsize=10)
    both = (pose3d if gt is None else np.concatenate([pose3d, gt]))[None]  # one frame
    floor = _floor(both)
    setup_3d(ax3, _radius(both, floor), floor)
    draw_3d(ax3, pose3d, skeleton, gt)
    ax3.set_title("3D prediction" + (" (dashed: ground truth)" if gt is not None else ""), fontsize=10)
    _legend(fig)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def _two_panels(size: tuple[float, float]) -> tuple[Figure, Any, Any]:
    """A figure with a 2D panel (left) and a larger 3D panel (right)."""
    fig = new_figure(size)
    gs = fig.add_gridspec(1, 2, width_ratios=(1.0, 1.3), left=0.07, right=0.97, bottom=0.12, top=0.88, wspace=0.08)
    return fig, fig.add_subplot(gs[0]), fig.add_subplot(gs[1], projection="3d")


def _legend(fig: Figure) -> None:
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=LEFT, lw=2.5, label="left"), Line2D([], [], color=RIGHT, lw=2.5, label="right"),
               Line2D([], [], color=CENTRE, lw=2.5, label="centre")]
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=8, frameon=False)


def save_animation(path: str | os.PathLike, kp2d: np.ndarray, poses: np.ndarray, skeleton: Skeleton,
                   gt: np.ndarray | None = None, flags: np.ndarray | None = None, fps: float = 25.0,
                   title: str = "", progress: bool = True, labels: Sequence[str] | None = None) -> int:
    """Animate a sequence: ``kp2d`` (T, J, 2) px, ``poses`` (T, J, 3) m, ``gt`` (T, J, 3) optional,
    ``labels`` (T,) frame names for the titles (default 1..T). GIF or MP4 by the suffix of
    ``path``; frames with no pose (NaN) are shown empty. Returns T."""
    from tqdm import tqdm

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".gif", ".mp4"):
        raise WsgcnError(f"{path}: animations are written as .gif or .mp4")
    if suffix == ".mp4" and not (animation.writers.is_available("ffmpeg") and shutil.which("ffmpeg")):
        raise WsgcnError(f"{path}: writing MP4 needs ffmpeg on PATH (not found); write a .gif instead")
    if not (0 < fps <= 120):
        raise WsgcnError(f"--fps must be in (0, 120], got {fps}")
    T = len(poses)
    if T == 0:
        raise WsgcnError(f"{path}: no frames to animate")
    fig, ax2, ax3 = _two_panels((8.6, 4.4))
    lim2 = _limits_2d(kp2d)
    both = poses if gt is None else np.concatenate([poses, gt], axis=1)  # (T, J or 2J, 3)
    floor = _floor(both)
    radius = _radius(both, floor)
    _legend(fig)

    def draw(t: int) -> list:
        ax2.cla()
        ax3.cla()
        ok = np.isfinite(poses[t]).all()
        if ok:
            draw_2d(ax2, kp2d[t], skeleton, None if flags is None else flags[t], lim2)
        else:
            draw_2d(ax2, np.full_like(kp2d[t], np.nan), skeleton, None, lim2)
        setup_3d(ax3, radius, floor)
        if ok:
            draw_3d(ax3, poses[t], skeleton, None if gt is None else gt[t])
        ax2.set_title(f"2D input, frame {labels[t] if labels is not None else t + 1}", fontsize=9)
        ax3.set_title("3D prediction" + (" (dashed: ground truth)" if gt is not None else ""), fontsize=9)
        if title:
            fig.suptitle(title, fontsize=9)
        return []

    anim = animation.FuncAnimation(fig, draw, frames=T, blit=False)
    writer = (animation.PillowWriter(fps=fps) if suffix == ".gif"
              else animation.FFMpegWriter(fps=fps, codec="libx264", extra_args=["-pix_fmt", "yuv420p"]))
    with tqdm(total=T, desc=f"writing {path.name}", unit="frame", disable=not progress) as bar:
        with atomic_path(path) as tmp:
            anim.save(str(tmp), writer=writer, dpi=80, progress_callback=lambda i, n: bar.update(1))
    return T


# ----------------------------------------------------------------------------- the command

def _load_gt(path: str | os.PathLike, names: Sequence[str], frames: int) -> np.ndarray:
    """Ground truth for ``wsgcn viz --gt``: an npz with ``poses_3d`` (T, J, 3) root-relative camera-frame
    metres (Human3.6M-17 order unless ``joint_names`` says otherwise) -> (T, len(names), 3)."""
    z = load_npz(path)
    if "poses_3d" not in z:
        raise WsgcnError(f"{path}: no 'poses_3d' array (T, J, 3) of ground-truth poses")
    g = np.asarray(z["poses_3d"], dtype=np.float64)
    if g.ndim == 4 and g.shape[0] == 1:
        g = g[0]
    gt_names = [str(n) for n in z["joint_names"]] if "joint_names" in z else list(H36M17.names)
    if g.ndim != 3 or g.shape[2] != 3 or g.shape[1] != len(gt_names):
        raise WsgcnError(f"{path}: 'poses_3d' has shape {g.shape}; expected (T, {len(gt_names)}, 3)")
    missing = [n for n in names if n not in gt_names]
    if missing:
        raise WsgcnError(f"{path}: ground truth lacks joints {missing}")
    if len(g) < frames:
        raise WsgcnError(f"{path}: ground truth has {len(g)} frames, the lift output {frames}")
    g = g[:frames, [gt_names.index(n) for n in names]]
    return g - g[:, :1]


def _per_joint(doc: Any, path: Path) -> dict[str, float]:
    pj = doc.get("per_joint") if isinstance(doc, dict) else None
    if isinstance(pj, dict) and pj and all(isinstance(v, dict) for v in pj.values()) and "mpjpe" in pj:
        pj = pj["mpjpe"]
    if not isinstance(pj, dict) or not pj or not all(isinstance(v, (int, float)) for v in pj.values()):
        raise WsgcnError(f"{path}: 'per_joint' must map joint names to errors in mm")
    return {str(k): float(v) for k, v in pj.items()}


def _pick_person(present: np.ndarray, tracks: list[str], person: str | None, src: Path) -> int:
    """Index of the person to show: track id ``person``, or the one present in most frames
    (``present`` (P, T) bool); a clear error when there is none or they are in no frame."""
    if not tracks:
        raise WsgcnError(f"{src}: no people in this lift output")
    if person is None:
        p = int(np.argmax(present.sum(1)))
    elif str(person) in tracks:
        p = tracks.index(str(person))
    else:
        raise WsgcnError(f"{src}: no person with track id {person!r} (track ids: {', '.join(tracks[:10])})")
    if not present[p].any():
        raise WsgcnError(f"{src}: person {tracks[p]} is in no frame of this file (nothing was lifted for them)")
    return p


def viz_file(input_path: str | os.PathLike, out: str | os.PathLike, person: str | None = None,
             frame: int | None = None, gt: str | os.PathLike | None = None, fps: float = 25.0,
             start: int = 0, stop: int | None = None, step: int = 1, progress: bool = True) -> str:
    """``wsgcn viz``: a lift output -> a PNG of one frame or a GIF/MP4 of the sequence (by the
    suffix of ``out``); an evaluation JSON -> the per-joint error chart (PNG). Returns a summary line."""
    from .lift_output import read_lift_output

    src, out = Path(input_path), Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".png", ".gif", ".mp4"):
        raise WsgcnError(f"{out}: --out must end in .png (picture), .gif or .mp4 (animation)")
    if src.suffix.lower() == ".json":
        doc = read_json(src)
        if isinstance(doc, dict) and "per_joint" in doc:
            if suffix != ".png":
                raise WsgcnError(f"{out}: the per-joint chart of an evaluation JSON is a .png")
            from .plots import per_joint_chart

            pj = _per_joint(doc, src)
            meta = doc.get("meta") or {}
            per_joint_chart(pj, out, title=f"per-joint MPJPE ({meta.get('split', 'test')}, "
                                           f"{meta.get('source', '?')} 2D): {Path(str(meta.get('checkpoint', src))).name}")
            return f"wrote {out}: per-joint chart of {len(pj)} joints"
    res = read_lift_output(src)
    names = [str(n) for n in res["joint_names"]]
    skel = skeleton_for(names)
    tracks = [str(t) for t in res["track_ids"]]
    p = _pick_person(res["present"], tracks, person, src)
    poses, kp, flags, present = res["poses_3d"][p], res["keypoints_2d"][p], res["flags"][p], res["present"][p]
    T = len(present)
    g = _load_gt(gt, names, T) if gt is not None else None
    label = f"{src.name}, person {tracks[p]}"
    if suffix == ".png":
        if frame is None:
            frame = int(np.flatnonzero(present)[len(np.flatnonzero(present)) // 2])
        if not (0 <= frame < T):
            raise WsgcnError(f"{src}: --frame {frame} is out of range (0..{T - 1})")
        if not present[frame]:
            raise WsgcnError(f"{src}: person {tracks[p]} is not in frame {frame}")
        fig = pose_figure(kp[frame], poses[frame], skel, None if g is None else g[frame], flags[frame],
                          title=f"{label}, frame {res['frame_ids'][frame]}")
        save_figure(fig, out)
        return f"wrote {out}: frame {frame} of {label}"
    if step < 1 or start < 0:
        raise WsgcnError("--step must be >= 1 and --start >= 0")
    sl = slice(start, stop, step)
    idx = np.arange(T)[sl]
    if idx.size == 0:
        raise WsgcnError(f"{src}: no frames in --start {start} --stop {stop}")
    n = save_animation(out, kp[idx], poses[idx], skel, None if g is None else g[idx], flags[idx], fps=fps,
                       title=label, progress=progress, labels=[str(res["frame_ids"][i]) for i in idx])
    return f"wrote {out}: {n} frames of {label}"
