"""The marker captures the registries ship, their joints, per-rig measures and a picture.

:data:`MARKER_TAKES` names each capture's source file and marker protocol;
:func:`load_marker_take` reads it and computes its joints (:mod:`wsgcn.data.joint_centres`);
:func:`rig_measures` summarises where a rig puts its joints (hip width, thigh length,
pelvis-to-thorax length; for these takes and the BVH rigs alike: ``scripts/rig_measures.py``);
:func:`marker_preview` draws one frame of every take, markers and joints together.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import WsgcnError
from ..skeleton import H36M17
from .joint_centres import MARKER_SETS, DerivedJoints, WorldMarkers, consistent_frames, derive_joints
from .markers import MarkerTrial, fill_gaps, read_markers
from .sources import fetch_source

if TYPE_CHECKING:
    from mpl_toolkits.mplot3d.axes3d import Axes3D


@dataclass(frozen=True)
class MarkerTake:
    """One marker capture: ``source`` (a key of :data:`~wsgcn.data.sources.MARKER_SOURCES`),
    its ``file``, the ``marker_set`` (a key of :data:`~wsgcn.data.joint_centres.MARKER_SETS`),
    the ``motion`` and the ``person``."""

    key: str
    source: str
    file: str
    marker_set: str
    motion: str
    person: str


MARKER_TAKES: tuple[MarkerTake, ...] = (
    MarkerTake("dart-nick", "dart-doc", "nick_freeform_001.c3d", "cmu-vicon", "freeform", "Nick01"),
    MarkerTake("dart-squat", "dart-doc", "squat.c3d", "cmu-vicon", "squat", "SehoonVSK35"),
    MarkerTake("csm-fencing", "assimp-testmodels-csm", "ThomasFechten.csm", "vicon-iq-csm", "fence", "Thomas"),
    MarkerTake("gait-treadmill", "gaitalytics", "treadmill_events.c3d", "hbm2-lower-trunk", "walk", "SI02"),
)


@dataclass
class LoadedTake:
    """A read capture (``trial``, unfilled), its joints and its consistent frames (T,) bool."""

    take: MarkerTake
    trial: MarkerTrial
    joints: DerivedJoints
    frames: np.ndarray


def load_marker_take(key: str, cache_dir: Path | None = None, allow_download: bool = True) -> LoadedTake:
    """Fetch (verified), read and convert one of :data:`MARKER_TAKES`."""
    take = next((t for t in MARKER_TAKES if t.key == key), None)
    if take is None:
        raise WsgcnError(f"unknown marker take {key!r}; known: {[t.key for t in MARKER_TAKES]}")
    path = fetch_source(take.source, cache_dir, allow_download=allow_download, progress=False)[take.file]
    trial = read_markers(path)
    joints = derive_joints(trial, take.marker_set)
    return LoadedTake(take, trial, joints, consistent_frames(joints)[0])


def rig_measures(joints: np.ndarray, frames: np.ndarray | None = None) -> dict[str, float]:
    """Medians over ``frames`` (T,) bool (default all) of where a rig puts its joints, from
    (T, 17, 3) Human3.6M joints in metres: ``hip_width`` (LHip-RHip), ``thigh`` (hip-knee,
    mean of both sides), ``hip_width_over_thigh``, ``shank`` (knee-ankle), ``pelvis_thorax``
    (Hip-Thorax) and ``shoulder_width`` (LShoulder-RShoulder; NaN where absent)."""
    x = np.asarray(joints, dtype=np.float64)
    if frames is not None:
        x = x[frames]

    def dist(a: str, b: str) -> float:
        with np.errstate(invalid="ignore"):
            d = np.linalg.norm(x[:, H36M17.index(a)] - x[:, H36M17.index(b)], axis=-1)
        return float(np.median(d)) if np.isfinite(d).any() else float("nan")

    thigh = 0.5 * (dist("LHip", "LKnee") + dist("RHip", "RKnee"))
    return {"hip_width": dist("LHip", "RHip"), "thigh": thigh,
            "hip_width_over_thigh": dist("LHip", "RHip") / thigh,
            "shank": 0.5 * (dist("LKnee", "LFoot") + dist("RKnee", "RFoot")),
            "pelvis_thorax": dist("Hip", "Thorax"), "shoulder_width": dist("LShoulder", "RShoulder")}


def _draw_take(ax: "Axes3D", loaded: LoadedTake) -> None:
    """The markers the protocol reads (grey dots) and the joints (bones by side) of the take's
    middle consistent frame, on a 3D axes ``ax``."""
    from ..figures import CENTRE, GUIDE, bone_colour

    index = np.flatnonzero(loaded.frames)
    if len(index) == 0:
        raise WsgcnError(f"{loaded.take.key}: no consistent frame to draw")
    f = int(index[len(index) // 2])
    ms = MARKER_SETS[loaded.take.marker_set]
    markers = WorldMarkers(fill_gaps(loaded.trial)[0], ms.up)
    used = [markers.index[n] for n in ms.markers()]
    pts = markers.world[f, used]
    p = loaded.joints.joints[f]
    ax.scatter(pts[:, 0], pts[:, 1], pts[:, 2], s=4, color=GUIDE, depthshade=False)
    for child, parent in H36M17.bones:
        if np.isfinite(p[[child, parent]]).all():
            ax.plot(*p[[child, parent]].T, color=bone_colour(H36M17, child), lw=1.8)
    ax.scatter(*p[np.isfinite(p).all(axis=1)].T, s=10, color=CENTRE, depthshade=False)
    c = np.nanmean(p, axis=0)
    ax.set_xlim(c[0] - 0.9, c[0] + 0.9)
    ax.set_ylim(c[1] - 0.9, c[1] + 0.9)
    ax.set_zlim(min(0.0, np.nanmin(pts[:, 2])), max(1.8, np.nanmin(pts[:, 2]) + 1.8))
    ax.set_box_aspect((1, 1, 1))
    ax.tick_params(labelsize=5, pad=0)
    t = loaded.take
    ax.set_title(f"{t.file} ({t.person}, {t.motion})\nframe {f} of {loaded.trial.num_frames}, "
                 f"{loaded.trial.rate:.0f} Hz", fontsize=7)


def marker_preview(out_png: Path, cache_dir: Path | None = None, allow_download: bool = True) -> Path:
    """Write a PNG with one 3D panel per marker take: the markers the joint rules read (grey)
    and the joints computed from them (left blue, right red, trunk and head grey), metres, z up."""
    from matplotlib.lines import Line2D

    from ..figures import CENTRE, GUIDE, LEFT, RIGHT, new_figure, save_figure

    loaded = [load_marker_take(t.key, cache_dir, allow_download) for t in MARKER_TAKES]
    fig = new_figure((4.2 * len(loaded), 4.8))
    for i, take in enumerate(loaded):
        ax = fig.add_subplot(1, len(loaded), i + 1, projection="3d")
        ax.view_init(elev=10, azim=-60)
        _draw_take(ax, take)
    handles = [Line2D([], [], color=LEFT, label="left"), Line2D([], [], color=RIGHT, label="right"),
               Line2D([], [], color=CENTRE, label="trunk / head (dots: joints)"),
               Line2D([], [], color=GUIDE, marker="o", ls="", ms=3, label="markers")]
    fig.legend(handles=handles, loc="upper center", ncol=4, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.92))
    save_figure(fig, Path(out_png), dpi=90, tight=False)
    return Path(out_png)
