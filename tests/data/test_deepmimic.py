"""The DeepMimic clips of pybullet 3.2.7 (:mod:`wsgcn.data.deepmimic`) and the ``motions``
benchmark (:mod:`wsgcn.data.motions`), on the real files (fetched once into the shared cache,
like tests/data/test_people.py): parsing and forward kinematics of every clip, constant bones,
left and right, the 50 Hz grid, malformed files, and the build (only the unlabelled pool grows;
``people``'s arrays unchanged; deterministic)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from wsgcn.cli import BENCHMARK_NAMES, build_parser
from wsgcn.config import load_config
from wsgcn.data import deepmimic as dm
from wsgcn.data import mocap, motions, people
from wsgcn.data.joint_centres import bone_lengths
from wsgcn.data.rigs import Y_UP_TO_Z_UP
from wsgcn.data.sources import SOURCES, SourceUnavailable, _wheel_options, fetch_source, get_source
from wsgcn.data.splits import resolve_subjects
from wsgcn.errors import WsgcnError
from wsgcn.skeleton import H36M17

from support.benchmarks import assert_subjects_equal, build_slice, fetch_sources

SECONDS = 12.0  # first seconds of every take: every clip whole (<= 4.4 s), a validation window of CMU
PEOPLE_DEFINITIONS = "e1e8651ce6c6433a"  # people's table digest, as in data/build_info_people.json

PYBULLET_REFERENCE = {  # (clip, key frame, URDF joint): world position [m, y up] from pybullet 3.2.7 itself
    ("walk", 10, "right_ankle"): (0.25296, 0.05866, 0.03328),
    ("walk", 10, "left_wrist"): (0.31542, 0.83503, -0.28505),
    ("walk", 10, "neck"): (0.36241, 1.33315, 0.00694),
    ("cartwheel", 80, "right_ankle"): (0.24062, 1.45798, -1.35213),
    ("cartwheel", 80, "left_wrist"): (-0.44686, 0.03934, -0.62472),
    ("backflip", 14, "neck"): (-0.92942, 0.94481, -0.01431),
}
"""loadURDF(humanoid.urdf, globalScaling=0.25), the pose set with resetBasePositionAndOrientation
(root quaternion normalised), resetJointStateMultiDof / resetJointState, then getLinkState(...,
computeForwardKinematics=True)[4] (the link frame); measured once, rounded to 10 micrometres."""


@pytest.fixture(scope="module")
def clip_dir() -> Path:
    """The verified cache folder of the pybullet source (15 clips and the URDF)."""
    try:
        files = fetch_source(dm.SOURCE, progress=False)
    except SourceUnavailable as e:  # a skip here; CI=true makes it a failure (tests/conftest.py)
        pytest.skip(f"motion-capture source unavailable: {e}")
    return files[dm.URDF].parent


@pytest.fixture(scope="module")
def body(clip_dir: Path) -> dm.Humanoid:
    return dm.read_humanoid(clip_dir / dm.URDF)


def _clip(clip_dir: Path, motion: str) -> dm.Clip:
    return dm.read_clip(clip_dir / f"{dm.CLIP_PREFIX}{motion}{dm.CLIP_SUFFIX}")


def test_the_urdf_gives_the_documented_body(body: dm.Humanoid) -> None:
    """Offsets x 0.25 as in docs/BENCHMARK.md (cm): hips 8.49 to the side, thigh 42.15, shank
    40.99, chest 23.62 and neck 22.39 above their parents, shoulders (-2.41, 24.35, +-18.31),
    upper arm 27.48, forearm 25.89; knees and elbows turn about z; the head sphere 17.5 cm up
    the neck link, radius 10.25 cm. Right is +z (the side of right_hip), forward +x."""
    o = {n: body.origins[body.names.index(n)] for n in body.names}
    np.testing.assert_allclose(o["right_hip"], [0, 0, 0.084887], atol=1e-6)
    np.testing.assert_allclose(o["left_hip"], [0, 0, -0.084887], atol=1e-6)
    np.testing.assert_allclose([-o["right_knee"][1], -o["right_ankle"][1], o["chest"][1], o["neck"][1]],
                               [0.421546, 0.40987, 0.236151, 0.223894], atol=1e-6)
    np.testing.assert_allclose(o["left_shoulder"], [-0.02405, 0.2435, -0.18311], atol=1e-6)
    np.testing.assert_allclose([-o["right_elbow"][1], -o["right_wrist"][1]], [0.274788, 0.258947], atol=1e-6)
    for j in ("right_knee", "left_knee", "right_elbow", "left_elbow"):
        assert body.kinds[body.names.index(j)] == "revolute"
        np.testing.assert_array_equal(body.axes[body.names.index(j)], [0, 0, 1])
    assert (body.head_centre, body.head_radius) == pytest.approx((0.175, 0.1025))
    assert body.names[0] == "root" and all(p < j for j, p in enumerate(body.parents) if p >= 0)


def test_every_clip_parses_and_its_kinematics_match_pybullet(clip_dir: Path, body: dm.Humanoid) -> None:
    """15 clips, 1,620 key frames at 16-60 Hz, 33.6 s; every quaternion unit after parsing;
    forward kinematics equal to pybullet's own at the reference frames (0.1 mm)."""
    clips = {m: _clip(clip_dir, m) for m in dm.MOTIONS}
    assert sum(c.num_frames for c in clips.values()) == 1620
    assert sum(c.times[-1] for c in clips.values()) == pytest.approx(33.565, abs=0.01)
    assert {c.fps for c in clips.values()} == {16.0, 24.0, 30.0, 60.0}
    for m, c in clips.items():
        assert np.all(np.diff(c.times) > 0) and c.rotations.shape == (c.num_frames, 9, 4), m
        np.testing.assert_allclose(np.linalg.norm(c.rotations, axis=-1), 1.0, atol=1e-12)
        x = dm.humanoid_motion(c, body).positions
        assert np.isfinite(x).all() and x.shape == (c.num_frames, len(body.names), 3)
    for (m, i, joint), expected in PYBULLET_REFERENCE.items():
        x = dm.humanoid_motion(clips[m], body).positions[i, body.names.index(joint)]
        np.testing.assert_allclose(x, expected, atol=1e-4, err_msg=f"{m} frame {i} {joint}")


def test_rest_pose_and_joint_senses(body: dm.Humanoid) -> None:
    """Identity rotations: the body stands along +y with the right hip at +z. A knee angle of
    -90 degrees (its limit is [-3.14, 0]) swings the shank backwards (-x: the feet point +x);
    an elbow angle of +90 degrees (limit [0, 3.14]) swings the forearm forwards."""
    clip = dm.Clip(np.array([0.0, 0.02]), np.array([[0.0, 0.9, 0.0]] * 2), np.tile([0.0, 0, 0, 1], (2, 9, 1)),
                   np.array([[0.0] * 4, [-np.pi / 2, np.pi / 2, 0.0, 0.0]]), "none")
    x = dm.humanoid_motion(clip, body).positions
    at = {n: x[:, body.names.index(n)] for n in body.names}
    np.testing.assert_allclose(at["right_ankle"][0], [0, 0.9 - 0.421546 - 0.40987, 0.084887], atol=1e-6)
    np.testing.assert_allclose(at["right_ankle"][1] - at["right_knee"][1], [-0.40987, 0, 0], atol=1e-6)
    np.testing.assert_allclose(at["right_wrist"][1] - at["right_elbow"][1], [0.258947, 0, 0], atol=1e-6)


def test_bones_are_constant_over_every_resampled_clip(clip_dir: Path, body: dm.Humanoid) -> None:
    """Slerp then forward kinematics: every bone of the 17 joints keeps its length (std < 1 mm;
    in fact < 1e-9 m) over each 50 Hz clip; standing in walk, head top 1.5-1.6 m above the ankles."""
    for m in dm.MOTIONS:
        x = dm.clip_joints(dm.resample_clip(_clip(clip_dir, m)), body)
        for (c, p), length in bone_lengths(x, H36M17.names).items():
            assert length.std() < 1e-3, (m, H36M17.names[c], H36M17.names[p], length.std())
            assert length.std() < 1e-9
        if m == "walk":
            ankle = np.minimum(x[:, H36M17.index("LFoot"), 2], x[:, H36M17.index("RFoot"), 2])
            assert 1.5 < np.median(x[:, H36M17.index("Head"), 2] - ankle) < 1.6


def test_right_is_the_bodys_right_and_knees_bend_forward(clip_dir: Path, body: dm.Humanoid) -> None:
    """In walk (z-up world), with forward the feet's direction (ankle frames' +x) and up +z, the
    right hip and shoulder lie to the right of the left ones in the first (standing) frame and in
    every frame; the walker travels forward; the knees bend forwards."""
    clip = dm.resample_clip(_clip(clip_dir, "walk"))
    motion = dm.humanoid_motion(clip, body)
    x = dm.clip_joints(clip, body)
    feet = [motion.rotations[:, body.names.index(n)] @ np.array([1.0, 0, 0]) for n in ("left_ankle", "right_ankle")]
    forward = np.mean(feet, axis=0) @ Y_UP_TO_Z_UP.T
    right = np.cross(forward, [0.0, 0.0, 1.0])
    for a, b in (("RHip", "LHip"), ("RShoulder", "LShoulder")):
        side = np.einsum("ti,ti->t", x[:, H36M17.index(a)] - x[:, H36M17.index(b)], right)
        assert side[0] > 0.1 and (side > 0).all(), a
    assert np.dot(x[-1, 0] - x[0, 0], forward[0]) > 1.0  # 1.2 m forward in 1.27 s
    for s in "RL":
        hip, knee, ankle = (x[:, H36M17.index(s + n)] for n in ("Hip", "Knee", "Foot"))
        u = (ankle - hip) / np.linalg.norm(ankle - hip, axis=1, keepdims=True)
        bend = (knee - hip) - np.einsum("ti,ti->t", knee - hip, u)[:, None] * u
        assert (np.einsum("ti,ti->t", bend, forward) > -0.005).all(), s


def test_resampling_lands_on_the_50hz_grid(clip_dir: Path) -> None:
    """Output frame k at k / 50 s from the first key frame (uneven key frames included); a root
    moving linearly in time is reproduced exactly; the backflip (16 Hz): every 25th output frame
    is every 8th key frame (0.5 s), exactly."""
    times = np.array([0.0, 0.03, 0.05, 0.1, 0.13])
    clip = dm.Clip(times, np.stack([times, 2 * times, -times], axis=1), np.tile([0.0, 0, 0, 1], (5, 9, 1)),
                   np.zeros((5, 4)), "none")
    out = dm.resample_clip(clip)
    np.testing.assert_allclose(out.times, np.arange(7) / 50.0)
    np.testing.assert_allclose(out.root[:, 0], out.times, atol=1e-12)
    flip = _clip(clip_dir, "backflip")
    fine = dm.resample_clip(flip)
    assert fine.num_frames == 88 and flip.times[-1] == pytest.approx(1.75)
    for k in range(0, 88, 25):
        np.testing.assert_allclose(fine.root[k], flip.root[k * 8 // 25], atol=1e-12)
        np.testing.assert_allclose(np.abs(np.sum(fine.rotations[k] * flip.rotations[k * 8 // 25], axis=-1)), 1.0,
                                   atol=1e-12)


Q = [1.0, 0.0, 0.0, 0.0]  # an identity quaternion, w x y z
GOOD = [0.1, 0.0, 0.9, 0.0] + Q * 4 + [0.0] + Q * 2 + [0.0] + Q + [0.0] + Q * 2 + [0.0]
"""A valid frame: duration, root position; root, chest, neck, right hip; right knee; right ankle,
shoulder; right elbow; left hip; left knee; left ankle, shoulder; left elbow."""


@pytest.mark.parametrize("frames, message", [
    ("{", "not a readable DeepMimic clip"),
    ({"Loop": "wrap"}, "'Frames' list of at least 2 frames"),
    ([GOOD], "'Frames' list of at least 2 frames"),
    ([GOOD, GOOD[:43]], "frame 1 has 43 values, expected 44"),
    ([GOOD, "frame"], "frame 1 is not a list of 44 values"),
    ([GOOD[:12] + [0.0] * 4 + GOOD[16:], GOOD], "frame 0: the quaternion of neck is zero"),
    ([[0.0] + GOOD[1:], GOOD], "frame 0 has a duration <= 0 s"),
    ([GOOD, GOOD[:5] + ["x"] + GOOD[6:]], "frame 1 holds a value that is not a number"),
    ([GOOD, GOOD[:5] + [float("nan")] + GOOD[6:]], "frame 1 holds NaN or infinity"),
])
def test_a_malformed_clip_is_a_one_line_error(tmp_path: Path, frames: object, message: str) -> None:
    assert len(GOOD) == dm.VALUES_PER_FRAME
    path = tmp_path / "humanoid3d_bad.txt"
    doc = frames if isinstance(frames, (str, dict)) else {"Loop": "none", "Frames": frames}
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    with pytest.raises(WsgcnError) as err:
        dm.DeepMimicTake("bad").convert(path, None)
    assert message in str(err.value) and str(path) in str(err.value) and "\n" not in str(err.value)
    good = tmp_path / "humanoid3d_good.txt"
    good.write_text(json.dumps({"Loop": "none", "Frames": [GOOD, GOOD]}))
    assert dm.read_clip(good).num_frames == 2


def test_the_source_is_a_pinned_wheel_apart_from_the_mocap_sources() -> None:
    """The wheel is chosen by its own tags (not the running interpreter's); only the 15 clips and
    the URDF are kept; ``mocap``'s builds and tests never fetch it."""
    src = get_source(dm.SOURCE)
    assert src.kind == "wheel" and src.package == "pybullet" and src.version == "3.2.7" and len(src.wheel_sha256) == 64
    assert _wheel_options(src.wheel) == [
        "--only-binary", ":all:", "--implementation", "cp", "--python-version", "311", "--abi", "cp311",
        "--platform", "manylinux_2_17_x86_64", "--platform", "manylinux2014_x86_64"]
    assert sorted(f.name for f in src.files) == sorted([dm.URDF] + [take.file for take in dm.DEEPMIMIC_TAKES])
    assert dm.SOURCE not in SOURCES and dm.SOURCE not in {t.source for t in people.PEOPLE.takes}
    with pytest.raises(SourceUnavailable, match="not a wheel file name"):
        _wheel_options("pybullet-3.2.7.tar.gz")


def test_a_wheel_that_does_not_verify_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A downloaded file with the pinned name but another SHA-256 is refused, and so is a wheel
    that verifies but lacks a member; nothing reaches the cache (pip replaced by a stub)."""
    import dataclasses
    import zipfile

    from wsgcn.data import sources

    src = get_source(dm.SOURCE)

    def fake_pip(cmd: list[str], cwd: Path, timeout: float = 600) -> object:
        dl = Path(cmd[cmd.index("-d") + 1])
        dl.mkdir(parents=True)
        with zipfile.ZipFile(dl / src.wheel, "w") as zf:  # a fixed time stamp: the same bytes every call
            zf.writestr(zipfile.ZipInfo("pybullet_data/humanoid/humanoid.urdf", (2020, 1, 1, 0, 0, 0)), "<robot/>")
        return type("Done", (), {"returncode": 0, "stdout": "", "stderr": ""})()

    monkeypatch.setattr(sources, "_run", fake_pip)
    with pytest.raises(SourceUnavailable, match=r"has SHA-256 [0-9a-f]{12}\.\.\., expected 5d858abf7c12"):
        fetch_source(src, tmp_path / "cache", progress=False)
    fake_pip(["-d", str(tmp_path / "probe")], tmp_path)
    digest = sources.sha256_file(tmp_path / "probe" / src.wheel)
    with pytest.raises(SourceUnavailable, match="no item named 'pybullet_data/data/motions/humanoid3d_walk.txt'"):
        fetch_source(dataclasses.replace(src, wheel_sha256=digest), tmp_path / "cache", progress=False)
    assert not (tmp_path / "cache").exists()


@pytest.fixture(scope="module")
def source_files(clip_dir: Path) -> dict[str, dict[str, Path]]:
    """The verified files of every source ``motions`` reads."""
    return fetch_sources([*(t.source for t in motions.MOTIONS.takes)])


@pytest.fixture(scope="module")
def built(source_files: dict, tmp_path_factory: pytest.TempPathFactory) -> tuple[mocap.MocapDataset, Path]:
    """The first SECONDS of every take of ``motions``, in memory and written to a folder."""
    return build_slice(motions.MOTIONS, SECONDS, tmp_path_factory.mktemp("motions"))


def test_the_clips_join_the_unlabelled_pool_and_nothing_else_changes(built: tuple) -> None:
    """The split file is people's with ``unlabelled-deepmimic`` added to the unlabelled subjects
    (S6's cameras, 15 sequences of 15 motions, all 1,684 frames: none leaves an image); every
    subject of ``people`` holds ``people``'s arrays exactly (3D, exact and noisy 2D, cameras)."""
    ds, out = built
    split = json.loads((out / "data_split_motions.json").read_text())
    assert split == motions.MOTIONS_SPLIT == ds.split
    assert split["unlabelled"] == ["unlabelled-lafan1", dm.UNLABELLED_DEEPMIMIC]
    assert {k: v for k, v in split.items() if k != "unlabelled"} == \
        {k: v for k, v in people.PEOPLE_SPLIT.items() if k != "unlabelled"}
    assert ds.summary["splits"]["validation"]["frames"] > 0
    clips = ds.positions_3d[dm.UNLABELLED_DEEPMIMIC]
    assert sorted(clips) == sorted(f"{m} 0" for m in dm.MOTIONS) and sum(map(len, clips.values())) == 1684
    assert motions.MOTIONS_CAMERAS_OF[dm.UNLABELLED_DEEPMIMIC] == "S6"
    for action, x in clips.items():
        for cam, kp in zip(ds.cameras[dm.UNLABELLED_DEEPMIMIC], ds.positions_2d[dm.UNLABELLED_DEEPMIMIC][action]):
            assert cam.world_to_camera(x.astype(np.float64))[..., 2].min() >= 1.0
            assert kp[..., 0].min() >= 0 and kp[..., 0].max() < cam.res_w
            assert kp[..., 1].min() >= 0 and kp[..., 1].max() < cam.res_h
    ref = mocap.assemble_mocap(max_seconds_per_source=SECONDS, progress=False, benchmark=people.PEOPLE)
    assert set(ds.positions_3d) - set(ref.positions_3d) == {dm.UNLABELLED_DEEPMIMIC}
    assert_subjects_equal(ref, ds)


def test_a_run_of_data_name_motions_reads_this_split(built: tuple) -> None:
    """`wsgcn train ... --set data.name=motions` takes its subject lists from data_split_motions.json."""
    _, out = built
    cfg = load_config(Path(__file__).resolve().parents[2] / "configs/mocap_weak.yaml",
                      [f"data.dir={out}", "data.name=motions"])
    assert resolve_subjects(cfg) == motions.MOTIONS_SPLIT


def test_builds_are_byte_identical(built: tuple, tmp_path: Path) -> None:
    """A second build writes the same bytes; ``motions`` has its own digest; ``people``'s is unchanged."""
    _, first = built
    mocap.build_mocap(tmp_path, progress=False, max_seconds_per_source=SECONDS, benchmark=motions.MOTIONS)
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in tmp_path.iterdir()) and len(names) == 6
    assert all("_motions" in n for n in names)
    for name in names:
        assert (first / name).read_bytes() == (tmp_path / name).read_bytes(), name
    assert people.PEOPLE.definitions() == PEOPLE_DEFINITIONS != motions.MOTIONS.definitions()
    info = json.loads((first / "build_info_motions.json").read_text())
    assert info["sources"][dm.SOURCE]["kind"] == "wheel" and len(info["sources"][dm.SOURCE]["files"]) == 16


def test_summary_cli_and_preview(built: tuple, tmp_path: Path) -> None:
    ds, out = built
    text = mocap.format_summary({**ds.summary, "out_dir": str(out)})
    for word in ("unlabelled-lafan1, unlabelled-deepmimic", "humanoid3d_getup_faceup.txt", dm.PERSON,
                 "deepmimic: pybullet 3.2.7 wheel: zlib", "15 motions", "CC BY-NC-ND 4.0"):
        assert word in text, word
    assert sorted(BENCHMARK_NAMES) == sorted(motions.BENCHMARKS)
    assert motions.get_benchmark("motions") is motions.MOTIONS and motions.get_benchmark("people") is people.PEOPLE
    for cmd in (["data", "build-mocap"], ["data", "preview", "--out", "x.png"]):
        assert build_parser().parse_args(cmd + ["--benchmark", "motions"]).benchmark == "motions"
    with pytest.raises(WsgcnError, match="unknown benchmark"):
        motions.get_benchmark("nobody")
    from wsgcn.data.preview import preview

    png = tmp_path / "motions.png"
    preview(out, png, frames_per_source=1, name="motions")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
