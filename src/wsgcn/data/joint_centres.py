"""From skin markers to the 17 Human3.6M joints, in metres in the benchmark's z-up world.

Human3.6M's own joints come from a skeleton fitted to Vicon markers; here every joint centre is
computed from the markers of each frame by a fixed rule (docs/BENCHMARK.md, "Joint centres
from markers"). A :class:`MarkerSet` names, for one marker protocol, the markers each rule
reads (``{s}`` stands for the side letter ``L`` or ``R``).

* **Hip joint centres**: Harrington et al. (2007, J Biomech 40:595-602), the regression on
  pelvis width PW (distance between the ASIS markers) and pelvis depth PD (distance between
  the ASIS and the PSIS midpoints), in the pelvis frame (origin: ASIS midpoint; x anterior, y
  superior, z right), in millimetres: ``x = -0.24 PD - 9.9``, ``y = -0.30 PW - 10.9``,
  ``z = +-(0.33 PW + 7.3)``. PW and PD are the take's medians (constants of the person), the
  frame follows the markers frame by frame. **Hip** (pelvis) is the midpoint of the two.
* **Knee, ankle, elbow, wrist**: the midpoint of a lateral/medial marker pair where the
  protocol has both; where it has only the lateral marker, the centre lies a stated
  half-width from it on the joint's flexion axis (:func:`axis_offset_centre`; the ankle:
  along the knee's medial direction, see :func:`ankle_from_lateral`).
* **Shoulder**: the midpoint of the front and back shoulder markers, or, with an acromion
  marker only, that marker moved :data:`ACROMION_DROP` down the thorax's long axis.
* **Thorax** (base of the neck): midpoint of C7 and the sternal notch marker (CLAV / JN;
  a take that never shows it: :func:`thorax_without_notch`). **Spine**:
  :data:`SPINE_FRACTION` of the way from the pelvis centre to the thorax.
* **Neck/Nose** and **Head** (top): fixed points of the head frame of the four head-band
  markers, :data:`NECK_DROP` below and :data:`HEAD_TOP` above their centroid.

A protocol without arm or head markers (gaitalytics' lower-limb + trunk set) leaves those
joints NaN: it cannot give the 17 joints. A frame is not ``valid`` where a needed marker is
missing after short gaps were filled, or a marker pair is inconsistent
(:data:`PAIR_TOLERANCE`); :func:`consistent_frames` also drops frames whose bones jump
(:data:`BONE_TOLERANCE`), and :func:`fit_constant_bones` gives every bone its median length,
as a skeleton fitted to the markers would.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import WsgcnError
from ..skeleton import H36M17
from .markers import MAX_GAP_SECONDS, MarkerTrial, fill_gaps
from .rigs import Y_UP_TO_Z_UP

# Harrington et al. 2007, hip joint centre from PW and PD (mm): (coefficient, intercept).
HARRINGTON_X = (-0.24, -9.9)  # anterior, from PD
HARRINGTON_Y = (-0.30, -10.9)  # superior, from PW
HARRINGTON_Z = (0.33, 7.3)  # lateral (+ right, - left), from PW

KNEE_HALF_WIDTH = 0.055
"""Metres from a lateral knee marker's centre to the knee centre: half the marker-to-marker
knee width (knee width + one marker diameter) measured in these captures (0.045-0.057 m)."""
ANKLE_HALF_WIDTH = 0.042
"""Metres from a lateral malleolus marker to the ankle centre (measured pairs: 0.041-0.043)."""
ELBOW_HALF_WIDTH = 0.040
"""Metres from a lateral elbow marker to the elbow centre (measured pairs: 0.032-0.048)."""
ACROMION_DROP = 0.05
"""Metres from an acromion marker down to the shoulder (glenohumeral) centre: our round
estimate (acromion marker radius plus the few centimetres from the acromion's top to the
humeral head's centre), not a published regression."""
SPINE_FRACTION = 0.47
"""Human3.6M's Spine joint lies at about 47 % of the way from its pelvis centre to its thorax."""
NECK_DROP = 0.07
"""Metres from the head-band centroid down (head frame) to the top of the neck (skull base)."""
HEAD_TOP = 0.10
"""Metres from the head-band centroid up (head frame) to the top of the head."""
PAIR_TOLERANCE = 0.01
"""Metres a lateral/medial marker pair's distance may differ from its median over the take
before that frame's midpoint is discarded (a mislabelled or slipping marker)."""
BONE_TOLERANCE = 0.03
"""Metres a derived bone may differ from its median length over the take before the frame is
dropped as inconsistent (a ghost or mislabelled marker: :func:`consistent_frames`)."""
THORAX_FROM_C7 = (0.09, -0.02)
"""Where a take never shows its sternal notch marker (Nick's CLAV): the thorax lies this far
(forward, up; metres) from C7 in the frame of C7, T10 and the sternum marker (see
:func:`thorax_without_notch`): the mean position of the C7-notch midpoint in that frame over
the three other captures (8.6 cm forward, 1.9 cm down), rounded."""


@dataclass(frozen=True)
class Centre:
    """How one limb joint centre is found: ``lateral`` (and ``medial``) marker names with a
    ``{s}`` side placeholder; with a medial marker the centre is the pair's midpoint, without
    one it lies ``half_width`` metres medial of the lateral marker."""

    lateral: str
    medial: str | None = None
    half_width: float = 0.0


@dataclass(frozen=True)
class MarkerSet:
    """One marker protocol: the file's up axis and the markers every rule reads.

    ``asis``/``psis`` front/back pelvis markers; ``shoulder`` a front/back pair or, with
    ``acromion`` True, one acromion marker; ``c7``, ``sternal_notch`` trunk markers;
    ``head_front``/``head_back`` the head-band markers; arm and head fields None where the
    protocol has no such markers."""

    name: str
    description: str
    up: str
    asis: str
    psis: str
    knee: Centre
    ankle: Centre
    c7: str
    t10: str
    sternal_notch: str | None
    sternum: str | None = None
    shoulder: Centre | None = None
    acromion: bool = False
    elbow: Centre | None = None
    wrist: Centre | None = None
    head_front: str | None = None
    head_back: str | None = None

    def markers(self) -> list[str]:
        """Every marker name the rules read, both sides."""
        names = [n for n in (self.c7, self.t10, self.sternal_notch, self.sternum) if n]
        pats = [self.asis, self.psis, self.head_front, self.head_back]
        for c in (self.knee, self.ankle, self.shoulder, self.elbow, self.wrist):
            if c is not None:
                pats += [c.lateral, c.medial]
        return names + [p.format(s=s) for p in pats if p for s in "LR"]


CMU_VICON = MarkerSet(
    name="cmu-vicon", up="y",
    description="CMU/Vicon full-body set (dart's C3D files): waist, knee and elbow pairs, wrist pairs",
    asis="{s}FWT", psis="{s}BWT",
    knee=Centre("{s}KNE", "{s}KNI"), ankle=Centre("{s}ANK", half_width=ANKLE_HALF_WIDTH),
    shoulder=Centre("{s}FSH", "{s}BSH"), elbow=Centre("{s}ELB", "{s}IEL"), wrist=Centre("{s}OWR", "{s}IWR"),
    c7="C7", t10="T10", sternal_notch="CLAV", sternum="STRN", head_front="{s}FHD", head_back="{s}BHD",
)
VICON_IQ_CSM = MarkerSet(
    name="vicon-iq-csm", up="z",
    description="Vicon iQ full-body set of ThomasFechten.csm: lateral knee/ankle/elbow markers, acromion, "
                "wrist bar",
    asis="{s}FWT", psis="{s}BWT",
    knee=Centre("{s}KNE", half_width=KNEE_HALF_WIDTH), ankle=Centre("{s}ANK", half_width=ANKLE_HALF_WIDTH),
    shoulder=Centre("{s}SHO"), acromion=True, elbow=Centre("{s}ELB", half_width=ELBOW_HALF_WIDTH),
    wrist=Centre("{s}WRA", "{s}WRB"),
    c7="C7", t10="T10", sternal_notch="CLAV", head_front="{s}FHD", head_back="{s}BHD",
)
HBM2_LOWER = MarkerSet(
    name="hbm2-lower-trunk", up="z",
    description="Vicon Nexus LowerLimb_Trunk_HBM2 set (gaitalytics' C3D): pelvis, legs with medial markers, "
                "trunk; no arm or head markers",
    asis="{s}ASIS", psis="{s}PSIS",
    knee=Centre("{s}LEK", "{s}MEK"), ankle=Centre("{s}LM", "{s}MM"),
    c7="C7", t10="T10", sternal_notch="JN",
)
MARKER_SETS: dict[str, MarkerSet] = {m.name: m for m in (CMU_VICON, VICON_IQ_CSM, HBM2_LOWER)}


@dataclass
class DerivedJoints:
    """Joint centres of one marker capture.

    ``joints`` (T, 17, 3) metres in the z-up world (Human3.6M order), NaN where a joint cannot
    be computed (a needed marker missing in that frame, or absent from the protocol);
    ``available`` the joints the protocol gives; ``valid`` (T,) frames where all of them are
    finite; ``filled`` frames interpolated per marker; ``pelvis_width``/``pelvis_depth`` the
    take's PW and PD (metres)."""

    joints: np.ndarray
    available: tuple[str, ...]
    valid: np.ndarray
    filled: dict[str, int]
    pelvis_width: float
    pelvis_depth: float

    @property
    def dropped(self) -> int:
        """Frames that are not ``valid``: a needed marker missing for longer than a fillable
        gap, or a marker pair inconsistent there."""
        return int(np.sum(~self.valid))


def _unit(v: np.ndarray) -> np.ndarray:
    """(..., 3) vectors scaled to length 1 (NaN stays NaN)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _perpendicular(v: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """(T, 3) component of ``v`` perpendicular to the unit vectors ``axis`` (T, 3)."""
    return v - np.einsum("ti,ti->t", v, axis)[:, None] * axis


def pelvis_frame(lasis: np.ndarray, rasis: np.ndarray, lpsis: np.ndarray,
                 rpsis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame pelvis frame from (T, 3) marker positions: origin (T, 3) the ASIS midpoint and
    (T, 3, 3) rotation whose columns are the axes x anterior, y superior, z right."""
    origin = 0.5 * (lasis + rasis)
    z = _unit(rasis - lasis)
    x = _unit(_perpendicular(origin - 0.5 * (lpsis + rpsis), z))
    y = np.cross(z, x)
    return origin, np.stack([x, y, z], axis=-1)


def harrington_offsets(width: float, depth: float) -> dict[str, np.ndarray]:
    """Hip joint centres in the pelvis frame (metres; x anterior, y superior, z right) from
    pelvis width and depth in metres: Harrington et al. (2007)."""
    w, d = width * 1e3, depth * 1e3
    x = HARRINGTON_X[0] * d + HARRINGTON_X[1]
    y = HARRINGTON_Y[0] * w + HARRINGTON_Y[1]
    z = HARRINGTON_Z[0] * w + HARRINGTON_Z[1]
    return {"L": np.array([x, y, -z]) * 1e-3, "R": np.array([x, y, z]) * 1e-3}


def axis_offset_centre(lateral: np.ndarray, proximal: np.ndarray, distal: np.ndarray, half_width: float,
                       sign: float) -> np.ndarray:
    """(T, 3) centre of a hinge joint from its lateral marker B, the proximal joint centre P and
    a distal point D: the point E at ``half_width`` from B with B - E perpendicular to both
    E -> P and E -> D (the lateral marker lies on the flexion axis, which is perpendicular to
    both segments). Writing u = E - B, s = P - B, w = D - B: u.s = u.w = |u|^2 = d^2, so
    u = a s + b w + c (s x w) with (a, b) from the 2 x 2 Gram system and c from |u| = d; of
    the two mirror solutions, ``sign`` (+1 or -1) picks the one with c of that sign (medial
    for the side and joint: see :data:`MEDIAL_SIGN`). A straight limb gives c = 0."""
    s, w = proximal - lateral, distal - lateral
    ss, ww, sw = (np.einsum("ti,ti->t", a, b) for a, b in ((s, s), (w, w), (s, w)))
    det = ss * ww - sw * sw
    d2 = half_width ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        a = d2 * (ww - sw) / det
        b = d2 * (ss - sw) / det
        in_plane = a[:, None] * s + b[:, None] * w
        n = np.cross(s, w)
        c = np.sqrt(np.clip(d2 - np.sum(in_plane ** 2, axis=-1), 0.0, None) / np.sum(n ** 2, axis=-1))
    return lateral + in_plane + sign * c[:, None] * n


MEDIAL_SIGN = {("knee", "L"): 1.0, ("knee", "R"): -1.0, ("elbow", "L"): -1.0, ("elbow", "R"): 1.0}
"""Sign of the cross-product term of :func:`axis_offset_centre` that points medially. With
P above and D in front of the hinge (a bent elbow: the forearm folds forwards) s x w points
to the person's left; a bent knee folds backwards, so there it points right."""


def ankle_from_lateral(ankle_marker: np.ndarray, knee_centre: np.ndarray, knee_medial: np.ndarray,
                       half_width: float) -> np.ndarray:
    """(T, 3) ankle centre: the lateral malleolus marker moved ``half_width`` along the knee's
    medial direction ``knee_medial`` (T, 3), made perpendicular to the shank (knee centre ->
    marker), i.e. with the ankle's axis taken parallel to the knee's."""
    shank = _unit(knee_centre - ankle_marker)
    return ankle_marker + half_width * _unit(_perpendicular(knee_medial, shank))


def thorax_frame(c7: np.ndarray, t10: np.ndarray, sternum: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T, 3) up (T10 -> C7) and (T, 3) forward (C7 -> sternum marker, perpendicular to up)
    unit vectors of the thorax."""
    up = _unit(c7 - t10)
    return up, _unit(_perpendicular(sternum - c7, up))


def thorax_without_notch(c7: np.ndarray, t10: np.ndarray, sternum: np.ndarray) -> np.ndarray:
    """(T, 3) thorax of a take without a sternal-notch marker: C7 moved by
    :data:`THORAX_FROM_C7` along the thorax frame's forward and up axes."""
    up, forward = thorax_frame(c7, t10, sternum)
    return c7 + THORAX_FROM_C7[0] * forward + THORAX_FROM_C7[1] * up


class WorldMarkers:
    """Marker trajectories by name in the z-up world, with the ``{s}`` side patterns."""

    def __init__(self, trial: MarkerTrial, up: str) -> None:
        if up not in ("y", "z"):
            raise WsgcnError(f"unsupported up axis {up!r}")
        axes = Y_UP_TO_Z_UP if up == "y" else np.eye(3)
        self.world = trial.positions @ axes.T
        self.index = {n: i for i, n in enumerate(trial.labels)}

    def __call__(self, pattern: str, side: str = "") -> np.ndarray:
        """(T, 3) metres of one marker, NaN where missing."""
        return self.world[:, self.index[pattern.format(s=side)]]

    def centre(self, c: Centre, side: str) -> np.ndarray:
        """(T, 3) midpoint of a marker pair (``c.medial`` must be set); NaN in frames where the
        pair's distance differs from its median over the take by more than
        :data:`PAIR_TOLERANCE` (one of the two mislabelled or slipping)."""
        assert c.medial is not None
        a, b = self(c.lateral, side), self(c.medial, side)
        gap = np.linalg.norm(a - b, axis=-1)
        mid = 0.5 * (a + b)
        with np.errstate(invalid="ignore"):
            mid[np.abs(gap - np.nanmedian(gap)) > PAIR_TOLERANCE] = np.nan
        return mid


def _legs(m: WorldMarkers, ms: MarkerSet, hips: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Knee and ankle centres of both sides (joint name -> (T, 3))."""
    out = {}
    for s in "LR":
        knee_marker = m(ms.knee.lateral, s)
        if ms.knee.medial:
            knee = m.centre(ms.knee, s)
            medial = m(ms.knee.medial, s) - knee_marker
        else:
            knee = axis_offset_centre(knee_marker, hips[s], m(ms.ankle.lateral, s), ms.knee.half_width,
                                      MEDIAL_SIGN["knee", s])
            medial = knee - knee_marker
        if ms.ankle.medial:
            ankle = m.centre(ms.ankle, s)
        else:
            ankle = ankle_from_lateral(m(ms.ankle.lateral, s), knee, medial, ms.ankle.half_width)
        out[s + "Knee"], out[s + "Foot"] = knee, ankle
    return out


def _arms(m: WorldMarkers, ms: MarkerSet) -> dict[str, np.ndarray]:
    """Shoulder, elbow and wrist centres of both sides (joint name -> (T, 3))."""
    assert ms.shoulder is not None and ms.elbow is not None and ms.wrist is not None
    out = {}
    for s in "LR":
        if ms.acromion:
            down = -_unit(m(ms.c7) - m(ms.t10))
            shoulder = m(ms.shoulder.lateral, s) + ACROMION_DROP * down
        else:
            shoulder = m.centre(ms.shoulder, s)
        wrist = m.centre(ms.wrist, s)
        if ms.elbow.medial:
            elbow = m.centre(ms.elbow, s)
        else:
            elbow = axis_offset_centre(m(ms.elbow.lateral, s), shoulder, wrist, ms.elbow.half_width,
                                       MEDIAL_SIGN["elbow", s])
        out[s + "Shoulder"], out[s + "Elbow"], out[s + "Wrist"] = shoulder, elbow, wrist
    return out


def _head(m: WorldMarkers, ms: MarkerSet) -> dict[str, np.ndarray]:
    """Neck (skull base) and head top from the four head-band markers."""
    assert ms.head_front is not None and ms.head_back is not None
    band = {(f, s): m(p, s) for f, p in (("f", ms.head_front), ("b", ms.head_back)) for s in "LR"}
    centroid = sum(band.values()) / 4.0
    forward = band["f", "L"] + band["f", "R"] - band["b", "L"] - band["b", "R"]
    left = band["f", "L"] + band["b", "L"] - band["f", "R"] - band["b", "R"]
    up = _unit(np.cross(forward, left))
    return {"Neck": centroid - NECK_DROP * up, "Head": centroid + HEAD_TOP * up}


def _pelvis(m: WorldMarkers, ms: MarkerSet) -> tuple[dict[str, np.ndarray], float, float]:
    """Both hip joint centres (Harrington), the take's pelvis width and depth (metres)."""
    la, ra, lp, rp = m(ms.asis, "L"), m(ms.asis, "R"), m(ms.psis, "L"), m(ms.psis, "R")
    width = float(np.nanmedian(np.linalg.norm(ra - la, axis=-1)))
    depth = float(np.nanmedian(np.linalg.norm(0.5 * (la + ra) - 0.5 * (lp + rp), axis=-1)))
    if not (np.isfinite(width) and np.isfinite(depth)):
        raise WsgcnError("the pelvis markers are never all seen: no hip joint centres")
    origin, rot = pelvis_frame(la, ra, lp, rp)
    offsets = harrington_offsets(width, depth)
    return {s: origin + rot @ offsets[s] for s in "LR"}, width, depth


def derive_joints(trial: MarkerTrial, marker_set: MarkerSet | str,
                  max_gap_seconds: float = MAX_GAP_SECONDS) -> DerivedJoints:
    """The 17 Human3.6M joints of a marker capture (metres, z-up world): short gaps filled
    (:func:`~wsgcn.data.markers.fill_gaps`), then every rule of the module docstring frame by
    frame. Frames where a joint the protocol gives is NaN are not ``valid`` (dropped)."""
    ms = MARKER_SETS[marker_set] if isinstance(marker_set, str) else marker_set
    missing = [n for n in ms.markers() if n not in trial.labels]
    if missing:
        raise WsgcnError(f"marker set {ms.name!r}: the capture lacks markers {missing}")
    trial, filled = fill_gaps(trial, max_gap_seconds)
    m = WorldMarkers(trial, ms.up)
    hips, width, depth = _pelvis(m, ms)
    joints = {"LHip": hips["L"], "RHip": hips["R"], "Hip": 0.5 * (hips["L"] + hips["R"]), **_legs(m, ms, hips)}
    if ms.sternal_notch and np.isfinite(m(ms.sternal_notch)).any():
        joints["Thorax"] = 0.5 * (m(ms.c7) + m(ms.sternal_notch))
    elif ms.sternum:
        joints["Thorax"] = thorax_without_notch(m(ms.c7), m(ms.t10), m(ms.sternum))
    else:
        raise WsgcnError(f"marker set {ms.name!r} has no sternal-notch or sternum marker")
    joints["Spine"] = joints["Hip"] + SPINE_FRACTION * (joints["Thorax"] - joints["Hip"])
    if ms.shoulder is not None:
        joints.update(_arms(m, ms))
    if ms.head_front is not None:
        joints.update(_head(m, ms))
    out = np.full((trial.num_frames, H36M17.num_joints, 3), np.nan)
    for name, xyz in joints.items():
        out[:, H36M17.index(name)] = xyz
    available = tuple(n for n in H36M17.names if n in joints)
    idx = [H36M17.index(n) for n in available]
    valid = np.isfinite(out[:, idx]).all(axis=(1, 2))
    return DerivedJoints(joints=out, available=available, valid=valid, filled=filled,
                         pelvis_width=width, pelvis_depth=depth)


def bone_lengths(joints: np.ndarray, available: tuple[str, ...]) -> dict[tuple[int, int], np.ndarray]:
    """(child, parent) -> (T,) metres, for every Human3.6M bone whose two joints are ``available``."""
    have = {H36M17.index(n) for n in available}
    return {(c, p): np.linalg.norm(joints[:, c] - joints[:, p], axis=-1)
            for c, p in H36M17.bones if c in have and p in have}


def consistent_frames(derived: DerivedJoints, tolerance: float = BONE_TOLERANCE) -> tuple[np.ndarray, dict[str, int]]:
    """(T,) bool: valid frames where every bone is within ``tolerance`` metres of its median
    length over the valid frames; and, per joint (a bone's child), the number of valid frames
    it puts out."""
    ok = derived.valid.copy()
    counts: dict[str, int] = {}
    for (c, _), length in bone_lengths(derived.joints, derived.available).items():
        with np.errstate(invalid="ignore"):
            bad = derived.valid & (np.abs(length - np.median(length[derived.valid])) > tolerance)
        if bad.any():
            counts[H36M17.names[c]] = int(bad.sum())
        ok &= ~bad
    return ok, counts


def fit_constant_bones(joints: np.ndarray, available: tuple[str, ...], frames: np.ndarray) -> np.ndarray:
    """(T, 17, 3) copy of ``joints`` whose bones all have their median length over ``frames``
    (T,) bool: from the pelvis outwards, each joint is moved along its bone (parent -> joint)
    so that the bone gets that length; directions are kept. The analogue of Human3.6M's
    skeleton fitted to markers (constant bone lengths); the pelvis itself does not move."""
    lengths = {c: float(np.median(v[frames])) for (c, _), v in bone_lengths(joints, available).items()}
    out = joints.copy()
    for c, p in H36M17.bones:  # parents come before their children
        if c in lengths:
            out[:, c] = out[:, p] + lengths[c] * _unit(joints[:, c] - joints[:, p])
    return out
