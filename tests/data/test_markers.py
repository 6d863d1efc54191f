"""Marker captures (C3D, Vicon CSM) and the joint centres computed from them, checked on the
real files (fetched once into the shared cache, $WSGCN_CACHE or ~/.cache/wsgcn, like
tests/data/test_mocap.py): the readers' facts, hostile files, gap filling, the hip joint
centre regression, bone lengths, left and right."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from wsgcn.data import joint_centres as jc
from wsgcn.data.marker_takes import MARKER_TAKES, marker_preview, rig_measures
from wsgcn.data.markers import MarkerTrial, fill_gaps, read_c3d, read_csm, read_markers
from wsgcn.data.sources import MARKER_SOURCES, SourceUnavailable, fetch_source
from wsgcn.errors import WsgcnError
from wsgcn.skeleton import H36M17

# file -> (source, marker set, frames, rate [Hz], labelled points, subject as the file names it)
TAKES = {
    "nick_freeform_001.c3d": ("dart-doc", "cmu-vicon", 1101, 120.0, 53, "Nick01"),
    "squat.c3d": ("dart-doc", "cmu-vicon", 2539, 120.0, 53, "SehoonVSK35"),
    "ThomasFechten.csm": ("assimp-testmodels-csm", "vicon-iq-csm", 2439, 120.0, 43, "Thomas_Neu"),
    # 26 markers, 36 model segment points, 46 model outputs (angles, forces, ...), 16 marker aliases
    "treadmill_events.c3d": ("gaitalytics", "hbm2-lower-trunk", 1206, 100.0, 124, "SI02"),
}

# Bones whose raw marker-derived length varies by more than 1 cm (std over the consistent
# frames), with the bound allowed and why (docs/BENCHMARK.md, "Joint centres from markers").
# Nick: the left waist markers slide with hip flexion; the neck follows a head band that
# slips. ThomasFechten: the upper-body markers sit on a fencing jacket, and the right ankle
# marker is a ghost for the first 9 s (most of those frames are dropped as inconsistent).
RAW_EXCEPTIONS = {
    "nick_freeform_001.c3d": {("LHip", "LKnee"): 0.015, ("Thorax", "Neck"): 0.012},
    "ThomasFechten.csm": {("RShoulder", "RElbow"): 0.014, ("RKnee", "RFoot"): 0.013,
                          ("Thorax", "LShoulder"): 0.012},
}
HEELS_TOES = {"cmu-vicon": ("{s}HEL", "{s}TOE"), "vicon-iq-csm": ("{s}HEL", "{s}TOE"),
              "hbm2-lower-trunk": ("{s}HEE", "{s}MT2")}


@pytest.fixture(scope="session")
def marker_files() -> dict[str, Path]:
    """Every marker capture's verified file (downloaded once into the shared cache)."""
    out: dict[str, Path] = {}
    for name in MARKER_SOURCES:
        try:
            out.update(fetch_source(name, progress=False))
        except SourceUnavailable as e:  # a skip here; CI=true makes it a failure (tests/conftest.py)
            pytest.skip(f"motion-capture source unavailable: {e}")
    return out


@pytest.fixture(scope="module")
def derived(marker_files: dict[str, Path]) -> dict[str, tuple[MarkerTrial, jc.DerivedJoints, np.ndarray]]:
    """file -> (trial, its joints, its consistent frames)."""
    out = {}
    for name, (_, marker_set, *_) in TAKES.items():
        trial = read_markers(marker_files[name])
        joints = jc.derive_joints(trial, marker_set)
        out[name] = (trial, joints, jc.consistent_frames(joints)[0])
    return out


# ----------------------------------------------------------------------------- readers

@pytest.mark.parametrize("name", list(TAKES))
def test_readers_give_the_files_facts(derived: dict, name: str) -> None:
    """Frames, rate, labelled points and subject as the files declare them; metres and the up
    axis (C7 1.2-1.5 m above the lateral ankle markers' lowest point, median)."""
    trial, _, _ = derived[name]
    _, _, frames, rate, points, subject = TAKES[name]
    assert (trial.num_frames, trial.rate, len(trial.labels), trial.subject) == (frames, rate, points, subject)
    assert trial.declared_frames == frames and trial.positions.shape == (frames, points, 3)
    ms = jc.MARKER_SETS[TAKES[name][1]]
    axis = "xyz".index(ms.up)  # dart's captures are y-up, the others z-up
    floor = min(np.nanmin(trial.marker(ms.ankle.lateral.format(s=s))[:, axis]) for s in "LR")
    c7 = np.nanmedian(trial.marker("C7")[:, axis]) - floor
    assert 1.2 < c7 < 1.5, c7


def test_csm_reader_on_a_small_file(tmp_path: Path) -> None:
    """Header fields, DROPOUT for a missing marker, millimetres -> metres; a short or broken
    file is a WsgcnError naming the file and the problem."""
    head = ("$Filename x.csm\n$Actor Someone\n\n$FirstFrame 5\n$LastFrame 7\n$Rate 60.000\n\n"
            "$Order\nAAA BBB \n\n$Points\n")
    good = tmp_path / "small.csm"
    good.write_text(head + "5 1 2 3 4 5 6\n6 DROPOUT 7 8 9\n7 10 11 12 DROPOUT\n")
    trial = read_csm(good)
    assert (trial.num_frames, trial.rate, trial.labels, trial.subject) == (3, 60.0, ("AAA", "BBB"), "Someone")
    np.testing.assert_allclose(trial.positions[0], [[0.001, 0.002, 0.003], [0.004, 0.005, 0.006]])
    assert trial.seen().tolist() == [[True, True], [False, True], [True, False]]
    short = tmp_path / "short.csm"
    short.write_text(head + "5 1 2 3 4 5 6\n6 1 2 3 4 5 6\n")
    with pytest.raises(WsgcnError, match=r"short.csm: CSM file declares 3 frames but holds 2"):
        read_csm(short)
    bad = tmp_path / "bad.csm"
    for rows, message in (("5 1 2 3 4 5\n6 1 2 3 4 5 6\n7 1 2 3 4 5 6\n", "marker 2 has fewer than 3"),
                          ("5 1 2 3 4 5 6 7\n6 1 2 3 4 5 6\n7 1 2 3 4 5 6\n", "values more than 2 markers"),
                          ("5 1 2 x 4 5 6\n6 1 2 3 4 5 6\n7 1 2 3 4 5 6\n", "could not convert"),
                          ("5 1 2 3 4 5 6\n9 1 2 3 4 5 6\n7 1 2 3 4 5 6\n", "frame number 9, expected 6")):
        bad.write_text(head + rows)
        with pytest.raises(WsgcnError, match=f"bad.csm: bad CSM point row .*{message}"):
            read_csm(bad)
    bad.write_text("$Rate 60\nnothing else\n")
    with pytest.raises(WsgcnError, match="not a CSM file"):
        read_csm(bad)
    bad.write_text(head.replace("$Rate 60.000", "$Rate fast") + "5 1 2 3 4 5 6\n")
    with pytest.raises(WsgcnError, match=r"lacks a valid \$Rate"):
        read_csm(bad)


def test_c3d_reader_rejects_hostile_files(marker_files: dict[str, Path], tmp_path: Path) -> None:
    """A truncated C3D (the first 400 kB of Nick's 938 kB) is an error, not a shorter take;
    random bytes, an empty file, a missing file and an unknown suffix are clear errors."""
    data = marker_files["nick_freeform_001.c3d"].read_bytes()
    cut = tmp_path / "cut.c3d"
    cut.write_bytes(data[:400_000])
    with pytest.raises(WsgcnError, match=r"cut.c3d: C3D file declares 1101 frames but holds \d+ \(truncated"):
        read_c3d(cut)
    for name, content in (("head.c3d", data[:3000]), ("noise.c3d", bytes(range(256)) * 3), ("empty.c3d", b"")):
        (tmp_path / name).write_bytes(content)
        with pytest.raises(WsgcnError, match=f"{name}: (not a readable C3D file|C3D file declares)"):
            read_c3d(tmp_path / name)
    with pytest.raises(WsgcnError, match="not found"):
        read_markers(tmp_path / "missing.c3d")
    with pytest.raises(WsgcnError, match="unknown marker file type '.trc'"):
        read_markers(tmp_path / "x.trc")


def test_short_gaps_are_filled_and_long_ones_kept() -> None:
    """At 120 Hz, a gap of 12 frames (0.1 s) is filled by the spline (a smooth path comes
    back to within 0.1 mm), one of 13 frames is not, nor gaps at either end."""
    t = np.arange(240) / 120.0
    path = np.stack([np.sin(t), np.cos(2 * t), 0.1 * t], axis=-1)
    pos = np.repeat(path[:, None], 2, axis=1)
    pos[50:62, 0] = np.nan  # 12 frames
    pos[100:113, 0] = np.nan  # 13 frames
    pos[:3, 1] = np.nan
    pos[-2:, 1] = np.nan
    trial = MarkerTrial(labels=("A", "B"), positions=pos, rate=120.0, subject="", declared_frames=240)
    out, filled = fill_gaps(trial)
    assert filled == {"A": 12}
    np.testing.assert_allclose(out.positions[50:62, 0], path[50:62], atol=1e-4)
    assert np.isnan(out.positions[100:113, 0]).all() and np.isnan(out.positions[:3, 1]).all()
    assert np.isnan(out.positions[-2:, 1]).all()
    assert np.isnan(trial.positions[50:62, 0]).all()  # the input is not changed


# ----------------------------------------------------------------------------- joint centres

def test_axis_offset_centre_recovers_a_hinge() -> None:
    """A hinge at E with its lateral marker B on the flexion axis, straight and bent 90
    degrees, on both sides: the rule recovers E from B, P and D (to a micrometre: a straight limb takes a square root of
    a rounding error)."""
    e = np.zeros((1, 3))
    up, fwd, right = np.array([[0, 0, 1.0]]), np.array([[1.0, 0, 0]]), np.array([[0, -1.0, 0]])
    for joint, distal_dir in (("elbow", fwd), ("knee", -fwd)):
        for side, lateral in (("L", -right), ("R", right)):
            for distal in (e - 0.25 * up, e + 0.25 * distal_dir):  # straight, bent
                b = e + 0.05 * lateral
                got = jc.axis_offset_centre(b, e + 0.3 * up, distal, 0.05, jc.MEDIAL_SIGN[joint, side])
                np.testing.assert_allclose(got, e, atol=1e-6, err_msg=f"{joint} {side}")


def test_harrington_offsets_are_the_published_regression() -> None:
    """PW 0.25 m, PD 0.16 m: x = -0.24 * 160 - 9.9, y = -0.30 * 250 - 10.9, z = 0.33 * 250 + 7.3 mm."""
    off = jc.harrington_offsets(0.25, 0.16)
    np.testing.assert_allclose(off["R"], [-0.0483, -0.0859, 0.0898], atol=1e-9)
    np.testing.assert_allclose(off["L"], off["R"] * [1, 1, -1])


@pytest.mark.parametrize("name", list(TAKES))
def test_hip_centres_lie_where_the_pelvis_markers_put_them(derived: dict, name: str) -> None:
    """In the pelvis frame (origin mid-ASIS; x anterior, y superior, z right) every hip centre
    lies 4-9 cm behind the ASIS line, 6-11 cm below it, 6-11 cm to its own side, medial of
    its ASIS marker and in front of the PSIS midpoint; 6-14 cm from its ASIS marker."""
    trial, d, ok = derived[name]
    ms = jc.MARKER_SETS[TAKES[name][1]]
    m = jc.WorldMarkers(fill_gaps(trial)[0], ms.up)
    la, ra, lp, rp = (m(p, s)[ok] for p in (ms.asis, ms.psis) for s in "LR")
    origin, rot = jc.pelvis_frame(la, ra, lp, rp)
    for side, asis, sign in (("L", la, -1), ("R", ra, 1)):
        local = np.einsum("tji,tj->ti", rot, d.joints[ok, H36M17.index(side + "Hip")] - origin)
        assert np.all((-0.09 < local[:, 0]) & (local[:, 0] < -0.04)), (side, local[:, 0].min(), local[:, 0].max())
        assert np.all((-0.11 < local[:, 1]) & (local[:, 1] < -0.06)), (side, local[:, 1].min())
        assert np.all((0.06 < sign * local[:, 2]) & (sign * local[:, 2] < 0.11))
        assert np.all(sign * local[:, 2] < d.pelvis_width / 2) and np.all(local[:, 0] > -d.pelvis_depth)
        dist = np.linalg.norm(d.joints[ok, H36M17.index(side + "Hip")] - asis, axis=-1)
        assert 0.06 < dist.min() and dist.max() < 0.14, (side, dist.min(), dist.max())


def test_hip_centres_agree_with_the_vicon_model_of_the_gait_capture(derived: dict) -> None:
    """The treadmill capture also holds Vicon Nexus' own hip centres (LFEP, RFEP: its model's
    proximal femur points): ours lie within 4 cm of them (measured: 2.6 cm, ours 2 cm lower
    and 1.5 cm wider)."""
    trial, d, ok = derived["treadmill_events.c3d"]
    for ours, theirs in (("LHip", "LFEP"), ("RHip", "RFEP")):
        gap = np.linalg.norm(d.joints[ok, H36M17.index(ours)] - trial.marker(theirs)[ok], axis=-1)
        assert np.median(gap) < 0.04, (ours, np.median(gap))


@pytest.mark.parametrize("name", list(TAKES))
def test_bone_lengths_are_constant(derived: dict, name: str) -> None:
    """Raw marker-derived bones vary by at most 1 cm (std over the consistent frames), except
    the stated bones of RAW_EXCEPTIONS; after :func:`fit_constant_bones` every bone is
    constant and the joints moved by less than 1 cm on average."""
    _, d, ok = derived[name]
    assert ok.sum() > 0.3 * len(ok), ok.sum()
    allowed = RAW_EXCEPTIONS.get(name, {})
    for (c, p), length in jc.bone_lengths(d.joints, d.available).items():
        bone = (H36M17.names[p], H36M17.names[c])
        assert 0.05 < length[ok].mean() < 0.55, bone
        assert length[ok].std() < allowed.get(bone, 0.01), (bone, length[ok].std())
    fitted = jc.fit_constant_bones(d.joints, d.available, ok)
    for length in jc.bone_lengths(fitted, d.available).values():
        assert length[ok].std() < 1e-9
    have = [H36M17.index(n) for n in d.available]
    assert np.linalg.norm(fitted[ok][:, have] - d.joints[ok][:, have], axis=-1).mean() < 0.01


@pytest.mark.parametrize("name", list(TAKES))
def test_left_and_right_follow_the_marker_names(derived: dict, name: str) -> None:
    """Each L*/R* joint's nearest side marker (mean distance) carries its side's prefix, and
    that side is the anatomical one: with forward from heel to toe and z up, the left hip
    lies to the left in more than 90 % of the frames."""
    trial, d, ok = derived[name]
    ms = jc.MARKER_SETS[TAKES[name][1]]
    m = jc.WorldMarkers(fill_gaps(trial)[0], ms.up)
    sided = [n for n in set(ms.markers()) if n[0] in "LR"]
    for j, joint in enumerate(H36M17.names):
        if joint[0] not in "LR" or joint not in d.available:
            continue
        dist = {n: np.nanmean(np.linalg.norm(m(n)[ok] - d.joints[ok, j], axis=-1)) for n in sided}
        nearest = min(dist, key=dist.__getitem__)
        assert nearest[0] == joint[0], (name, joint, nearest)
    heel, toe = HEELS_TOES[ms.name]
    forward = sum(m(toe, s) - m(heel, s) for s in "LR")[ok]
    forward[:, 2] = 0
    left = (d.joints[:, H36M17.index("LHip")] - d.joints[:, H36M17.index("RHip")])[ok]
    side = np.einsum("ti,ti->t", np.cross([0.0, 0.0, 1.0], forward), left)
    side = side[np.isfinite(side)]  # a heel or toe marker can be missing
    assert len(side) > 0.3 * ok.sum() and np.mean(side > 0) > 0.9, (name, len(side), np.mean(side > 0))


def test_full_body_takes_give_all_17_joints_and_a_stature(derived: dict) -> None:
    """Dart's and the CSM capture give every joint, upright (head top 1.45-1.75 m above the
    lower ankle, median), the head top within 4 cm of dart's head-top marker ARIEL; the
    lower-limb + trunk protocol gives the 9 joints it can."""
    for name in ("nick_freeform_001.c3d", "squat.c3d", "ThomasFechten.csm"):
        trial, d, ok = derived[name]
        assert d.available == H36M17.names
        x = d.joints[ok]
        assert 1.45 < np.median(x[:, H36M17.index("Head"), 2] - x[:, [3, 6], 2].min(axis=1)) < 1.75
        if "ARIEL" in trial.labels:
            ariel = jc.WorldMarkers(fill_gaps(trial)[0], "y")("ARIEL")[ok]
            assert np.nanmedian(np.linalg.norm(x[:, H36M17.index("Head")] - ariel, axis=-1)) < 0.04
    _, d, _ = derived["treadmill_events.c3d"]
    assert set(d.available) == {"Hip", "RHip", "RKnee", "RFoot", "LHip", "LKnee", "LFoot", "Spine", "Thorax"}
    assert np.isnan(d.joints[:, H36M17.index("Head")]).all()


def test_dropped_frames_are_counted(derived: dict) -> None:
    """Frames with a needed marker missing for more than 0.1 s are not valid; the count is
    the number of such frames (Nick: dozens of his markers drop out; the treadmill capture:
    none)."""
    _, nick, _ = derived["nick_freeform_001.c3d"]
    assert nick.dropped == int(np.sum(~nick.valid)) and 0 < nick.dropped < len(nick.valid)
    assert np.isnan(nick.joints[~nick.valid]).any(axis=(1, 2)).all()
    assert derived["treadmill_events.c3d"][1].dropped == 0


def test_a_capture_without_the_protocols_markers_is_an_error(derived: dict) -> None:
    trial = derived["treadmill_events.c3d"][0]
    with pytest.raises(WsgcnError, match=r"marker set 'cmu-vicon': the capture lacks markers \["):
        jc.derive_joints(trial, "cmu-vicon")


def test_marker_takes_name_the_files_of_the_tests() -> None:
    assert {t.file: (t.source, t.marker_set) for t in MARKER_TAKES} == {f: v[:2] for f, v in TAKES.items()}


def test_rig_measures_of_a_known_pose() -> None:
    """A pose with hips 20 cm apart, thighs 40 cm, shanks 38 cm, thorax 50 cm above the
    pelvis, shoulders 36 cm apart (every other joint left NaN)."""
    x = np.full((2, 17, 3), np.nan)
    for name, xyz in {"Hip": (0, 0, 1.0), "LHip": (0, 0.1, 1.0), "RHip": (0, -0.1, 1.0), "LKnee": (0, 0.1, 0.6),
                      "RKnee": (0, -0.1, 0.6), "LFoot": (0, 0.1, 0.22), "RFoot": (0, -0.1, 0.22),
                      "Thorax": (0, 0, 1.5), "LShoulder": (0, 0.18, 1.5), "RShoulder": (0, -0.18, 1.5)}.items():
        x[:, H36M17.index(name)] = xyz
    m = rig_measures(x)
    expected = {"hip_width": 0.2, "thigh": 0.4, "hip_width_over_thigh": 0.5, "shank": 0.38,
                "pelvis_thorax": 0.5, "shoulder_width": 0.36}
    assert m.keys() == expected.keys()
    np.testing.assert_allclose([m[k] for k in expected], list(expected.values()), atol=1e-12)


def test_marker_preview_png(marker_files: dict[str, Path], tmp_path: Path) -> None:
    png = marker_preview(tmp_path / "markers.png")
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50000
