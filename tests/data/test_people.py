"""The ``people`` benchmark (``wsgcn data build-mocap --benchmark people``), checked on the real
captures (fetched once into the shared cache, like tests/data/test_mocap.py) with the first
seconds of every take: the split keeps the test people out of training, >= 4 test people and
motions, joints inside every image, constant bones, determinism, and ``mocap`` unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from wsgcn.cli import build_parser
from wsgcn.config import load_config
from wsgcn.data import mocap, people
from wsgcn.data.h36m import action_group
from wsgcn.data.joint_centres import bone_lengths
from wsgcn.data.preview import preview
from wsgcn.data.sources import get_source
from wsgcn.data.splits import resolve_subjects
from wsgcn.errors import WsgcnError
from wsgcn.skeleton import H36M17

from support.benchmarks import assert_subjects_equal, build_slice, fetch_sources

SECONDS = 12.0  # first seconds of every take: all of Nick's usable frames, some of the fencer's
MOCAP_DEFINITIONS = "1d8a197d642fa72c"  # mocap's table digest, as in the results table's data/build_info_mocap.json
TRAINING = ("labelled", "unlabelled", "validation")


@pytest.fixture(scope="module")
def source_files() -> dict[str, dict[str, Path]]:
    """The verified files of every source ``people`` reads, and the treadmill capture."""
    return fetch_sources([*(t.source for t in people.PEOPLE.takes), "gaitalytics"])


@pytest.fixture(scope="module")
def built(source_files: dict, tmp_path_factory: pytest.TempPathFactory) -> tuple[mocap.MocapDataset, Path]:
    """The first SECONDS of every take of ``people``, in memory and written to a folder."""
    return build_slice(people.PEOPLE, SECONDS, tmp_path_factory.mktemp("people"))


def test_split_keeps_the_test_people_out_of_training(built: tuple) -> None:
    """The split file is PEOPLE_SPLIT; >= 4 test subjects, one person each, none of them a
    person of the labelled, unlabelled or validation subjects; >= 4 motions in test, one per
    test person, so the per-action rows of `wsgcn evaluate` are per-person rows too."""
    ds, out = built
    split = json.loads((out / "data_split_people.json").read_text())
    assert split == people.PEOPLE_SPLIT == ds.split
    subjects = ds.summary["subjects"]
    train_people = {p for k in TRAINING for s in split[k] for p in subjects[s]["people"]}
    test_people = [p for s in split["test"] for p in subjects[s]["people"]]
    assert len(split["test"]) >= 4 and len(set(test_people)) == len(test_people) == len(split["test"])
    assert not set(test_people) & train_people and not set(split["test"]) & {s for k in TRAINING for s in split[k]}
    motions = {s: {action_group(a) for a in ds.positions_3d[s]} for s in split["test"]}
    assert all(len(m) == 1 for m in motions.values()) and len(set.union(*motions.values())) >= 4
    assert set.union(*motions.values()) == {"box", "freeform", "squat", "fence"}
    assert not set.union(*motions.values()) & {action_group(a) for k in TRAINING for s in split[k]
                                               for a in ds.positions_3d[s]}
    assert len(ds.summary["people"]) == 6


def test_a_run_of_data_name_people_reads_this_split(built: tuple) -> None:
    """`wsgcn train ... --set data.name=people` takes its subject lists from data_split_people.json."""
    _, out = built
    cfg = load_config(Path(__file__).resolve().parents[2] / "configs/mocap_weak.yaml",
                      [f"data.dir={out}", "data.name=people"])
    assert resolve_subjects(cfg) == people.PEOPLE_SPLIT


def test_joints_inside_every_image_and_in_front_of_every_camera(built: tuple) -> None:
    ds, _ = built
    for subject in people.PEOPLE_SPLIT["test"]:
        assert ds.positions_3d[subject], subject  # every test person has frames in this slice
        for action, x in ds.positions_3d[subject].items():
            assert len(x) >= people.MARKER_MIN_FRAMES and np.isfinite(x).all()
            for cam, kp in zip(ds.cameras[subject], ds.positions_2d[subject][action]):
                depth = cam.world_to_camera(x.astype(np.float64))[..., 2]
                assert depth.min() >= 1.0
                assert kp[..., 0].min() >= 0 and kp[..., 0].max() < cam.res_w
                assert kp[..., 1].min() >= 0 and kp[..., 1].max() < cam.res_h


def test_marker_people_have_constant_bones_and_human_statures(built: tuple) -> None:
    """After fit_constant_bones and the 50 Hz interpolation every bone of a marker-captured
    person keeps its length within 1 mm (std; the BVH takes' bound is 1 cm); head top above
    the lower ankle 1.4-1.9 m (median)."""
    ds, _ = built
    for role in people.MARKER_ROLES:
        x = np.concatenate(list(ds.positions_3d[role.subject].values())).astype(np.float64)
        for (c, p), length in bone_lengths(x, H36M17.names).items():
            assert length.std() < 1e-3, (role.key, H36M17.names[c], H36M17.names[p], length.std())
        ankle = np.minimum(x[:, H36M17.index("LFoot"), 2], x[:, H36M17.index("RFoot"), 2])
        assert 1.4 < np.median(x[:, H36M17.index("Head"), 2] - ankle) < 1.9, role.key


def test_mocap_subjects_are_mocaps_arrays(built: tuple, source_files: dict) -> None:
    """The subjects ``people`` shares with ``mocap`` hold ``mocap``'s arrays exactly (3D, exact
    and noisy 2D, cameras): the same takes, windows, yaws, cameras and detector seeds."""
    ds, _ = built
    ref = mocap.assemble_mocap(max_seconds_per_source=SECONDS, progress=False)
    assert set(ref.positions_3d) == {s for k in mocap.SPLIT.values() for s in k}
    assert_subjects_equal(ref, ds)


def test_builds_are_byte_identical_and_mocap_is_unchanged(source_files: dict, tmp_path: Path) -> None:
    """Two ``people`` builds give identical bytes; ``mocap`` beside it in the same folder keeps
    its own files, its table digest and its summary's form (no per-subject entries)."""
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        mocap.build_mocap(out, progress=False, max_seconds_per_source=6, benchmark=people.PEOPLE)
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir()) and len(names) == 6 and all("_people" in n for n in names)
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    again = mocap.build_mocap(a, progress=False, max_seconds_per_source=6, benchmark=people.PEOPLE)
    assert again["up_to_date"]
    mocap.build_mocap(a, progress=False, max_seconds_per_source=6)
    assert len(list(a.iterdir())) == 12
    info = json.loads((a / "build_info_mocap.json").read_text())
    assert info["parameters"]["definitions"] == mocap.MOCAP.definitions() == MOCAP_DEFINITIONS
    assert info["parameters"]["cameras_of"] == mocap.CAMERAS_OF and "subjects" not in info["summary"]
    assert list(info["summary"]["takes"][0]) == ["take", "file", "source", "person", "motion", "licence",
                                                 "source_fps", "source_frames", "duration_s", "frames_50hz",
                                                 "windows", "kept_frames", "dropped_frames", "dropped"]
    split = json.loads((a / "data_split_mocap.json").read_text())  # 6 s: no validation window yet
    assert split["test"] == [mocap.TEST] and split["labelled"] == [mocap.LABELLED]
    assert people.PEOPLE.definitions() != mocap.MOCAP.definitions()
    assert mocap.build_mocap(a, progress=False, max_seconds_per_source=6, benchmark=people.PEOPLE)["up_to_date"]


def test_summary_names_every_take_person_licence_and_the_left_out_capture(built: tuple) -> None:
    ds, out = built
    text = mocap.format_summary({**ds.summary, "out_dir": str(out)})
    for take in people.PEOPLE.takes:
        assert take.file in text and take.person in text and take.subject in text
    for word in ("assimp-csm", "dart", "BSD-2-clause", "Free for any purpose", "CC BY-NC-ND 4.0",
                 "not used: gait-treadmill", "9 of the 17 joints", "test-boxing, test-nick, test-sehoon, test-thomas"):
        assert word in text, word
    nick = next(t for t in ds.summary["takes"] if t["take"] == "dart-nick")
    assert nick["source_dropped"]["marker_missing"] == 676 and nick["source_dropped"]["inconsistent"] == 17
    assert nick["dropped_frames"] == sum(nick["dropped"].values()) == nick["frames_50hz"] - nick["kept_frames"]


def test_the_treadmill_capture_is_not_a_full_body_take(source_files: dict) -> None:
    path = source_files["gaitalytics"]["treadmill_events.c3d"]
    with pytest.raises(WsgcnError, match="not a full-body take"):
        people.convert_marker_take(path, "hbm2-lower-trunk")
    assert "gaitalytics" not in {t.source for t in people.PEOPLE.takes}
    assert get_source("gaitalytics").package == "gaitalytics"


def test_resampling_lands_on_the_takes_50hz_grid() -> None:
    """120 Hz -> 50 Hz: output frame k is at k / 50 s from the take's first frame; every 5th
    falls exactly on a source frame; a motion linear in time is reproduced exactly."""
    t = np.arange(7, 40) / 120.0  # a stretch starting at source frame 7
    x = np.stack([t, 2 * t, -t], axis=-1)[:, None, :] * np.ones((1, 17, 1))
    y = people.resample_stretch(x, 7, 120.0)
    k = np.arange(3, 17)  # 3 / 50 s >= 7 / 120 s > 2 / 50 s; 16 / 50 s <= 39 / 120 s < 17 / 50 s
    assert len(y) == len(k)
    np.testing.assert_allclose(y[:, 0, 0], k / 50.0, atol=1e-12)
    np.testing.assert_array_equal(y[2, 0], x[12 - 7, 0])  # 5 / 50 s = 12 / 120 s


def test_cli_options_and_preview(built: tuple, tmp_path: Path) -> None:
    _, out = built
    args = build_parser().parse_args(["data", "build-mocap", "--benchmark", "people"])
    assert args.benchmark == "people" and build_parser().parse_args(["data", "build-mocap"]).benchmark == "mocap"
    assert build_parser().parse_args(["data", "preview", "--benchmark", "people", "--out", "x.png"]).benchmark == "people"
    with pytest.raises(WsgcnError, match="unknown benchmark"):
        people.get_benchmark("nobody")
    png = tmp_path / "people.png"
    preview(out, png, frames_per_source=1, name="people")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
