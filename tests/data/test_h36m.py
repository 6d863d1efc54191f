"""Human3.6M / custom-dataset files: npz reading and writing, sequences, CDF preparation."""

from __future__ import annotations

import io
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest

from wsgcn.camera import h36m_cameras, project, save_cameras
from wsgcn.data.h36m import (H36M_SUBJECTS, action_group, load_rig, load_sequences, read_positions_2d,
                             read_positions_3d, write_positions_2d, write_positions_3d)
from wsgcn.data.h36m_prepare import prepare_h36m
from wsgcn.errors import WsgcnError
from wsgcn.skeleton import H36M16, H36M17, H36M17_TO_16, H36M32_TO_17

from synthetic import META16, META17, project_views, world_poses


@pytest.fixture()
def h36m_dir(tmp_path: Path) -> tuple[Path, dict]:
    """A data folder with S1 (2 actions) and S9 (1 action); the 2D of S1 'Walking 1' has 5 extra frames."""
    rng = np.random.default_rng(0)
    rig = h36m_cameras()
    pos3 = {"S1": {"Walking 1": world_poses(rng, 30), "Directions": world_poses(rng, 12)},
            "S9": {"Photo 1": world_poses(rng, 20)}}
    pos2 = {s: {a: project_views(w, rig[s]) for a, w in acts.items()} for s, acts in pos3.items()}
    pos2["S1"]["Walking 1"] = [np.concatenate([v, rng.uniform(0, 1000, (5, 17, 2)).astype(np.float32)])
                               for v in pos2["S1"]["Walking 1"]]
    write_positions_3d(tmp_path / "data_3d_h36m.npz", pos3)
    write_positions_2d(tmp_path / "data_2d_h36m_gt.npz", pos2, META17)
    return tmp_path, pos3


# ----------------------------------------------------------------------------- npz layer

def test_files_are_readable_like_videopose3d_does(h36m_dir: tuple[Path, dict]) -> None:
    d, pos3 = h36m_dir
    raw = np.load(d / "data_3d_h36m.npz", allow_pickle=True)["positions_3d"].item()
    np.testing.assert_array_equal(raw["S1"]["Directions"], pos3["S1"]["Directions"])
    z = np.load(d / "data_2d_h36m_gt.npz", allow_pickle=True)
    assert z["metadata"].item()["num_joints"] == 17
    kp = z["positions_2d"].item()
    assert len(kp["S9"]["Photo 1"]) == 4 and kp["S9"]["Photo 1"][2].shape == (20, 17, 2)
    back = read_positions_3d(d / "data_3d_h36m.npz")
    assert back["S9"]["Photo 1"].dtype == np.float32
    np.testing.assert_array_equal(back["S9"]["Photo 1"], pos3["S9"]["Photo 1"])
    pos2, meta = read_positions_2d(d / "data_2d_h36m_gt.npz")
    assert meta["keypoints_symmetry"] == META17["keypoints_symmetry"]
    assert pos2["S1"]["Walking 1"][0].shape == (35, 17, 2)


def test_load_sequences(h36m_dir: tuple[Path, dict]) -> None:
    d, pos3 = h36m_dir
    rig = h36m_cameras()
    seqs = load_sequences(d, "h36m", "gt")
    assert [(s.subject, s.action, s.camera) for s in seqs] == (
        [("S1", "Directions", c) for c in range(4)] + [("S1", "Walking 1", c) for c in range(4)]
        + [("S9", "Photo 1", c) for c in range(4)])
    for s in seqs:
        world = pos3[s.subject][s.action]
        t = len(world)
        assert s.num_frames == t  # the 2D's extra frames are cut
        assert s.pose_3d.shape == (t, 17, 3) and s.root.shape == (t, 3) and s.keypoints_2d.shape == (t, 17, 2)
        assert s.pose_3d.dtype == s.root.dtype == s.keypoints_2d.dtype == np.float32
        assert s.confidence is None
        assert s.camera_params.id == rig[s.subject][s.camera].id
        np.testing.assert_array_equal(s.pose_3d[:, 0], 0)
        absolute = (s.pose_3d + s.root[:, None]).astype(np.float64)
        assert np.all(absolute[..., 2] > 1.0)  # in front of the camera
        # back to the world: the 17 joints of the file, in the 17-joint order
        back = s.camera_params.camera_to_world(absolute)
        np.testing.assert_allclose(back, world[:, list(H36M32_TO_17)], atol=2e-5)
        # projecting root + pose reproduces the stored 2D
        np.testing.assert_allclose(project(absolute, s.camera_params.intrinsics), s.keypoints_2d, atol=2e-3)
    # the four cameras see the pose differently
    assert not np.allclose(seqs[0].keypoints_2d, seqs[1].keypoints_2d)


def test_shorter_2d_cuts_the_3d(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    rig = h36m_cameras()
    world = world_poses(rng, 10)
    views = project_views(world, rig["S6"])
    views[2] = views[2][:7]  # one camera's detections stop early
    write_positions_3d(tmp_path / "data_3d_h36m.npz", {"S6": {"Posing": world}})
    write_positions_2d(tmp_path / "data_2d_h36m_gt.npz", {"S6": {"Posing": views}}, META17)
    seqs = load_sequences(tmp_path, "h36m", "gt")
    assert [s.num_frames for s in seqs] == [10, 10, 7, 10]
    s = seqs[2]
    assert s.root.shape == (7, 3) and s.keypoints_2d.shape == (7, 17, 2)
    np.testing.assert_allclose(s.camera_params.camera_to_world(s.pose_3d + s.root[:, None].astype(np.float64)),
                               world[:7, list(H36M32_TO_17)], atol=2e-5)


def test_subject_selection_and_unknown_subject(h36m_dir: tuple[Path, dict]) -> None:
    d, _ = h36m_dir
    seqs = load_sequences(d, "h36m", "gt", subjects=["S9"])
    assert {s.subject for s in seqs} == {"S9"} and len(seqs) == 4
    with pytest.raises(WsgcnError, match=r"data_3d_h36m\.npz.*'S2'.*available: \['S1', 'S9'\]"):
        load_sequences(d, "h36m", "gt", subjects=["S1", "S2"])


def test_confidence_column_and_17_joint_3d(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    rig = h36m_cameras()
    world = world_poses(rng, 8, joints=17)
    views = [np.concatenate([v, rng.uniform(0, 1, (8, 17, 1)).astype(np.float32)], axis=-1)
             for v in project_views(world, rig["S5"])]
    write_positions_3d(tmp_path / "data_3d_h36m.npz", {"S5": {"Eating": world}})
    write_positions_2d(tmp_path / "data_2d_h36m_det.npz", {"S5": {"Eating": views}}, META17)
    seqs = load_sequences(tmp_path, "h36m", "det")
    assert len(seqs) == 4
    np.testing.assert_array_equal(seqs[2].confidence, views[2][..., 2])
    np.testing.assert_array_equal(seqs[2].keypoints_2d, views[2][..., :2])
    np.testing.assert_allclose(seqs[1].camera_params.camera_to_world(seqs[1].pose_3d + seqs[1].root[:, None]),
                               world, atol=2e-5)


def test_custom_dataset_with_its_cameras_file(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    h36m = h36m_cameras()
    rig = {"A": h36m["S1"][:2], "B": h36m["S8"][1:4]}
    world = {"A": {"jump 1": world_poses(rng, 6, 17)}, "B": {"run 1": world_poses(rng, 7, 17)}}
    write_positions_3d(tmp_path / "data_3d_toy.npz", world)
    write_positions_2d(tmp_path / "data_2d_toy_gt.npz",
                       {s: {a: project_views(w, rig[s]) for a, w in acts.items()} for s, acts in world.items()},
                       META17)
    with pytest.raises(WsgcnError, match=r"data_cameras_toy\.json"):
        load_sequences(tmp_path, "toy", "gt")
    save_cameras(tmp_path / "data_cameras_toy.json", rig)
    seqs = load_sequences(tmp_path, "toy", "gt")
    assert [(s.subject, s.camera) for s in seqs] == [("A", 0), ("A", 1), ("B", 0), ("B", 1), ("B", 2)]
    assert seqs[3].camera_params.id == h36m["S8"][2].id
    for s in seqs:
        absolute = s.pose_3d.astype(np.float64) + s.root[:, None]
        np.testing.assert_allclose(s.camera_params.project(absolute), s.keypoints_2d, atol=2e-3)


def test_load_rig(tmp_path: Path) -> None:
    assert load_rig(tmp_path, "h36m")["S11"][3].id == "60457274"
    save_cameras(tmp_path / "data_cameras_h36m.json", {"S1": h36m_cameras()["S1"][:1]})
    assert list(load_rig(tmp_path, "h36m")) == ["S1"]  # the file beside the data wins
    with pytest.raises(WsgcnError, match="data_cameras_other.json"):
        load_rig(tmp_path, "other")
    with pytest.raises(WsgcnError, match="invalid dataset name"):
        load_rig(tmp_path, "../elsewhere")


@pytest.mark.parametrize("which", ["3d", "2d"])
def test_missing_file(h36m_dir: tuple[Path, dict], which: str) -> None:
    d, _ = h36m_dir
    name = "data_3d_h36m.npz" if which == "3d" else "data_2d_h36m_gt.npz"
    (d / name).unlink()
    with pytest.raises(WsgcnError, match=name.replace(".", r"\.") + ": file not found"):
        load_sequences(d, "h36m", "gt")


def _savez(path: Path, **arrays) -> None:
    with open(path, "wb") as f:
        np.savez(f, **arrays)


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_bytes(b"this is not a zip file"), "not a valid npz"),
    (lambda p: p.write_bytes(pickle.dumps({"positions_3d": {}})), "not a valid npz"),  # a bare pickle is not opened
    (lambda p: p.write_bytes(b"PK\x03\x04 truncated"), "not a valid npz"),
    (lambda p: _savez(p, poses=np.zeros((3, 32, 3))), "missing key 'positions_3d'"),
    (lambda p: _savez(p, positions_3d=np.zeros((3, 32, 3))), "pickled dict"),
    (lambda p: _savez(p, positions_3d={"S1": {"Walking": np.zeros((3, 32))}}), r"\['S1'\]\['Walking'\] has shape \(3, 32\)"),
    (lambda p: _savez(p, positions_3d={"S1": {"Walking": np.full((3, 32, 3), np.nan)}}), "NaN"),
    (lambda p: _savez(p, positions_3d={"S1": {"Walking": "text"}}), "not a numeric array"),
    (lambda p: _savez(p, positions_3d={"S1": [np.zeros((3, 32, 3))]}), "dict action"),
    (lambda p: _savez(p, positions_3d={"S1": {"A": np.zeros((3, 32, 3)), "B": np.zeros((3, 17, 3))}}), "joints"),
])
def test_malformed_3d_file(tmp_path: Path, make, message: str) -> None:
    path = tmp_path / "data_3d_bad.npz"
    make(path)
    with pytest.raises(WsgcnError, match=message) as e:
        read_positions_3d(path)
    assert str(path) in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("make, message", [
    (lambda p: _savez(p, positions_2d={"S1": {"W": [np.zeros((3, 17, 2))]}}), "missing key 'metadata'"),
    (lambda p: _savez(p, positions_2d={"S1": {"W": [np.zeros((3, 17, 2))]}}, metadata={"num_joints": 17}),
     "keypoints_symmetry"),
    (lambda p: _savez(p, positions_2d={"S1": {"W": [np.zeros((3, 17, 4))]}}, metadata=META17), r"\(T, J, 2 or 3\)"),
    (lambda p: _savez(p, positions_2d={"S1": {"W": [np.zeros((3, 16, 2))]}}, metadata=META17), "metadata says 17"),
    (lambda p: _savez(p, positions_2d={"S1": {"W": []}}, metadata=META17), "one \\(T, J, 2\\) array per camera"),
])
def test_malformed_2d_file(tmp_path: Path, make, message: str) -> None:
    path = tmp_path / "data_2d_bad_gt.npz"
    make(path)
    with pytest.raises(WsgcnError, match=message) as e:
        read_positions_2d(path)
    assert str(path) in str(e.value)


def test_2d_and_3d_must_match(h36m_dir: tuple[Path, dict]) -> None:
    d, pos3 = h36m_dir
    rig = h36m_cameras()
    pos2 = {s: {a: project_views(w, rig[s]) for a, w in acts.items()} for s, acts in pos3.items()}
    p2 = d / "data_2d_h36m_x.npz"

    del pos2["S9"]["Photo 1"]
    pos2["S9"]["Photo 2"] = project_views(pos3["S9"]["Photo 1"], rig["S9"])
    write_positions_2d(p2, pos2, META17)
    with pytest.raises(WsgcnError, match=r"data_2d_h36m_x\.npz: subject 'S9' lacks action\(s\) \['Photo 1'\]"):
        load_sequences(d, "h36m", "x")
    pos2["S9"]["Photo 1"] = pos2["S9"].pop("Photo 2")
    write_positions_2d(p2, pos2 | {"S9": pos2["S9"] | {"Directions": pos2["S9"]["Photo 1"]}}, META17)
    assert len(load_sequences(d, "h36m", "x")) == 12  # a 2D-only action is left out
    assert len(load_sequences(d, "h36m", "x", subjects=["S1"])) == 8  # only requested subjects are checked

    pos2["S9"] = {"Photo 1": project_views(pos3["S9"]["Photo 1"], rig["S9"])[:3]}
    write_positions_2d(p2, pos2, META17)
    with pytest.raises(WsgcnError, match="3 camera views but built-in Human3.6M cameras has 4"):
        load_sequences(d, "h36m", "x")

    del pos2["S9"]
    write_positions_2d(p2, pos2, META17)
    with pytest.raises(WsgcnError, match="subject 'S9' is missing"):
        load_sequences(d, "h36m", "x")

    rng = np.random.default_rng(3)
    write_positions_3d(d / "data_3d_h36m.npz", {"S1": {a: world_poses(rng, 4, 20) for a in pos2["S1"]}})
    with pytest.raises(WsgcnError, match=r"data_3d_h36m\.npz: positions_3d\['S1'\]\['Directions'\] has 20 joints"):
        load_sequences(d, "h36m", "x")


def test_write_rejects_bad_input(tmp_path: Path) -> None:
    with pytest.raises(WsgcnError, match="has shape"):
        write_positions_3d(tmp_path / "a.npz", {"S1": {"W": np.zeros((4, 17))}})
    with pytest.raises(WsgcnError, match="num_joints"):
        write_positions_2d(tmp_path / "b.npz", {"S1": {"W": [np.zeros((4, 17, 2))]}}, {"keypoints_symmetry": [[], []]})
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("action, group", [
    ("Walking 1", "Walking"), ("Walking", "Walking"), ("WalkDog", "WalkingDog"), ("WalkDog 1", "WalkingDog"),
    ("WalkingDog 1", "WalkingDog"), ("Photo", "TakingPhoto"), ("TakingPhoto 1", "TakingPhoto"),
    ("Photo_2", "TakingPhoto"), ("SittingDown 2", "SittingDown"), ("Sitting 1", "Sitting"),
    ("WalkTogether 1", "WalkTogether"), ("Discussion 2", "Discussion"), ("Eating_1", "Eating"),
    ("jump 3", "jump"), ("01_01 jumps", "01_01"), ("dance", "dance"),
])
def test_action_group(action: str, group: str) -> None:
    assert action_group(action) == group


def test_paper_split() -> None:
    subjects = [s for part in H36M_SUBJECTS.values() for s in part]
    assert len(subjects) == len(set(subjects)) == 7
    assert H36M_SUBJECTS["labelled"] == ["S1"] and H36M_SUBJECTS["test"] == ["S9", "S11"]
    assert set(subjects) == set(h36m_cameras())


# ----------------------------------------------------------------------------- 16-joint 2D files

def drop_neck(views: list[np.ndarray]) -> list[np.ndarray]:
    """17-joint 2D views -> the same views with 16 joints (h36m16 order: no Neck/Nose)."""
    return [np.ascontiguousarray(v[:, list(H36M17_TO_16)]) for v in views]


@pytest.fixture()
def h36m16_dir(tmp_path: Path) -> Path:
    """S1 (2 actions), S5, S9; 2D sources 'gt' (17 joints), 'gt16' (the same without Neck/Nose),
    'det' (17 joints + confidence) and 'det16' (its 16-joint copy)."""
    rng = np.random.default_rng(5)
    rig = h36m_cameras()
    pos3 = {"S1": {"Walking 1": world_poses(rng, 30), "Directions": world_poses(rng, 20)},
            "S5": {"Eating": world_poses(rng, 24)}, "S9": {"Photo 1": world_poses(rng, 16)}}
    gt = {s: {a: project_views(w, rig[s]) for a, w in acts.items()} for s, acts in pos3.items()}
    det = {s: {a: [np.concatenate([v, rng.uniform(0, 1, (*v.shape[:2], 1)).astype(np.float32)], axis=-1)
                   for v in views] for a, views in acts.items()} for s, acts in gt.items()}
    write_positions_3d(tmp_path / "data_3d_h36m.npz", pos3)
    for src, pos in (("gt", gt), ("det", det)):
        write_positions_2d(tmp_path / f"data_2d_h36m_{src}.npz", pos, META17)
        write_positions_2d(tmp_path / f"data_2d_h36m_{src}16.npz",
                           {s: {a: drop_neck(v) for a, v in acts.items()} for s, acts in pos.items()}, META16)
    return tmp_path


def _h36m_cfg(d: Path, source: str, *extra: str):
    from wsgcn.config import load_config

    return load_config(None, [f"data.dir={d}", "data.name=h36m", f"data.source={source}", "data.joints=16",
                              "data.labelled=[S1]", "data.unlabelled=[S5]", "data.test=[S9]", *extra])


def test_16_joint_2d_sequences_and_confidence(h36m16_dir: Path) -> None:
    d = h36m16_dir
    neck = H36M17.index("Neck")
    keep = list(H36M17_TO_16)
    for src in ("gt", "det"):
        full, short = load_sequences(d, "h36m", src), load_sequences(d, "h36m", src + "16")
        assert [(s.subject, s.action, s.camera) for s in short] == [(s.subject, s.action, s.camera) for s in full]
        for a, b in zip(full, short):
            assert a.missing_2d == () and b.missing_2d == ("Neck",)
            assert b.keypoints_file == str(d / f"data_2d_h36m_{src}16.npz")
            assert b.keypoints_2d.shape == a.keypoints_2d.shape and b.keypoints_2d.dtype == np.float32
            np.testing.assert_array_equal(b.keypoints_2d[:, keep], a.keypoints_2d[:, keep])
            assert np.isnan(b.keypoints_2d[:, neck]).all()
            np.testing.assert_array_equal(b.pose_3d, a.pose_3d)
            np.testing.assert_array_equal(b.root, a.root)
            if src == "gt":
                assert a.confidence is None and b.confidence is None
            else:  # (T, 16, 3): the confidence column is kept; the absent Neck has confidence 0
                assert b.confidence.shape == a.confidence.shape == (a.num_frames, 17)
                np.testing.assert_array_equal(b.confidence[:, keep], a.confidence[:, keep])
                np.testing.assert_array_equal(b.confidence[:, neck], 0)


@pytest.mark.parametrize("src, extra", [("gt", ["train.root=gt"]), ("gt", ["train.supervision=full"]),
                                        ("det", ["data.validation=[S9]"])])
def test_16_joint_2d_gives_the_same_run_data_as_17(h36m16_dir: Path, src: str, extra: list[str]) -> None:
    from wsgcn.data.splits import load_test
    from wsgcn.train import load_run_data

    d = h36m16_dir
    a, test_a = load_run_data(_h36m_cfg(d, src, *extra)), load_test(_h36m_cfg(d, src, *extra))
    b, test_b = load_run_data(_h36m_cfg(d, src + "16", *extra)), load_test(_h36m_cfg(d, src + "16", *extra))
    assert len(a.labelled) > 0 and len(a.validation) > 0 and len(test_a) == 4 * 16
    pairs = [(a.labelled, b.labelled), (a.unlabelled, b.unlabelled), (a.validation, b.validation), (test_a, test_b)]
    for split in ("test", "validation"):
        pairs.append((load_test(_h36m_cfg(d, src, *extra), split=split),
                      load_test(_h36m_cfg(d, src + "16", *extra), split=split)))
    for x, y in pairs:
        assert x.inputs.shape[1:] == (16, 2) and x.targets.shape[1:] == (16, 3)
        for f in ("inputs", "targets", "root", "intrinsics", "action", "subject"):
            np.testing.assert_array_equal(getattr(x, f).numpy(), getattr(y, f).numpy(), err_msg=f)  # NaN == NaN
        assert (x.actions, x.subjects) == (y.actions, y.subjects)
        assert np.isfinite(y.inputs.numpy()).all()


def test_16_joint_2d_with_17_joint_config_is_refused(h36m16_dir: Path) -> None:
    from wsgcn.data.splits import load_test
    from wsgcn.train import load_run_data

    d = h36m16_dir
    load_run_data(_h36m_cfg(d, "gt", "data.joints=17"))  # the 17-joint file is fine
    msg = r"data_2d_h36m_gt16\.npz: 16-joint 2D keypoints \(no Neck/Nose\) need data\.joints: 16"
    with pytest.raises(WsgcnError, match=msg) as e:
        load_run_data(_h36m_cfg(d, "gt16", "data.joints=17"))
    assert str(d / "data_2d_h36m_gt16.npz") in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(WsgcnError, match=msg.replace("gt16", "det16")):  # evaluation too, with confidence
        load_test(_h36m_cfg(d, "det16", "data.joints=17"))


def test_other_2d_joint_counts_are_refused(h36m16_dir: Path) -> None:
    d = h36m16_dir
    pos2, _ = read_positions_2d(d / "data_2d_h36m_gt16.npz")
    meta15 = {"num_joints": 15, "keypoints_symmetry": [[4, 5, 6], [1, 2, 3]]}
    write_positions_2d(d / "data_2d_h36m_gt15.npz",
                       {s: {a: [v[:, :15] for v in views] for a, views in acts.items()} for s, acts in pos2.items()},
                       meta15)
    with pytest.raises(WsgcnError, match=r"data_2d_h36m_gt15\.npz: positions_2d\['S1'\]\['Directions'\]\[0\] "
                                         r"has 15 joints; expected 32 \(raw Human3\.6M\), 17 \(Human3\.6M-17\) "
                                         r"or 16 \(Human3\.6M-17 without Neck/Nose\)"):
        load_sequences(d, "h36m", "gt15")
    # 3D stays 32 or 17 joints
    rng = np.random.default_rng(6)
    write_positions_3d(d / "data_3d_h36m.npz",
                       {s: {a: world_poses(rng, 4, 16) for a in acts} for s, acts in pos2.items()})
    with pytest.raises(WsgcnError, match=r"data_3d_h36m\.npz: positions_3d\['S1'\]\['Directions'\] has 16 joints"):
        load_sequences(d, "h36m", "gt16")


def test_train_and_evaluate_with_16_joint_2d(mocap_slice: Path, tmp_path: Path) -> None:
    """A 16-joint copy of the mocap slice's ground-truth 2D trains and evaluates to exactly
    the numbers of the 17-joint file (the 16 joints used are the same)."""
    import shutil

    from wsgcn.config import load_config
    from wsgcn.evaluate import evaluate
    from wsgcn.train import train

    d = tmp_path / "data"
    shutil.copytree(mocap_slice, d)
    pos2, meta = read_positions_2d(d / "data_2d_mocap_gt.npz")
    assert meta["num_joints"] == 17
    meta16 = dict(meta, num_joints=16, keypoints_symmetry=[list(H36M16.joints_left), list(H36M16.joints_right)])
    write_positions_2d(d / "data_2d_mocap_gt16.npz",
                       {s: {a: drop_neck(v) for a, v in acts.items()} for s, acts in pos2.items()}, meta16)
    results = {}
    for src in ("gt", "gt16"):
        cfg = load_config(Path("configs/mocap_weak.yaml"), [
            f"data.dir={d}", f"data.source={src}", "data.unlabelled_stride=16", "data.eval_stride=4",
            "train.epochs=1", "train.warmup_epochs=0", "train.max_steps_per_epoch=3", "train.batch_size=64",
            "model.hidden=32", "model.num_blocks=1"])
        train(cfg, tmp_path / src, progress=False)
        results[src] = evaluate(tmp_path / src)
    a, b = results["gt"], results["gt16"]
    assert b["meta"]["source"] == "gt16" and b["num_poses"] == a["num_poses"] > 0
    for k in ("mpjpe", "p_mpjpe", "n_mpjpe"):
        for kind in ("action_wise", "frame_wise"):
            assert np.isfinite(b[k][kind])
            assert abs(a[k][kind] - b[k][kind]) <= 1e-6, (k, kind)
    assert b["per_joint"].keys() == a["per_joint"].keys() and len(b["per_joint"]) == 16
    for j in a["per_joint"]:
        assert abs(a["per_joint"][j] - b["per_joint"][j]) <= 1e-6, j


# ----------------------------------------------------------------------------- CDF preparation

def _write_cdf(path: Path, pose_mm: np.ndarray, name: str = "Pose") -> None:
    """A D3_Positions-like CDF: variable 'Pose' with one record of shape (T, 96), millimetres."""
    from cdflib.cdfwrite import CDF

    path.parent.mkdir(parents=True, exist_ok=True)
    t, c = pose_mm.shape
    cdf = CDF(str(path), delete=True)
    cdf.write_var({"Variable": name, "Data_Type": CDF.CDF_DOUBLE, "Num_Elements": 1, "Rec_Vary": True,
                   "Dim_Sizes": [t, c]}, var_attrs={}, var_data=pose_mm.reshape(1, t, c))
    cdf.close()


@pytest.fixture(scope="module")
def cdf_poses() -> dict[str, dict[str, np.ndarray]]:
    """(T, 96) millimetre poses per subject/action, as in the original files."""
    rng = np.random.default_rng(10)
    return {
        "S1": {"Directions 1": world_poses(rng, 5).reshape(5, 96).astype(np.float64) * 1000,
               "TakingPhoto": world_poses(rng, 3).reshape(3, 96).astype(np.float64) * 1000},
        "S9": {"Walking": world_poses(rng, 4).reshape(4, 96).astype(np.float64) * 1000},
        "S2": {"Walking": world_poses(rng, 2).reshape(2, 96).astype(np.float64) * 1000},  # no cameras
        "S11": {"Directions": world_poses(rng, 2).reshape(2, 96).astype(np.float64) * 1000},  # corrupted video
    }


def _check_prepared(out: Path, poses: dict[str, dict[str, np.ndarray]], summary: dict) -> None:
    assert summary["subjects"] == ["S1", "S9"]
    assert summary["actions"] == 3 and summary["frames"] == 5 + 3 + 4
    assert any("S2" in n for n in summary["notes"]) and any("S11" in n for n in summary["notes"])
    pos3 = np.load(out / "data_3d_h36m.npz", allow_pickle=True)["positions_3d"].item()
    assert {s: sorted(a) for s, a in pos3.items()} == {"S1": ["Directions 1", "TakingPhoto"], "S9": ["Walking"]}
    rig = h36m_cameras()
    z = np.load(out / "data_2d_h36m_gt.npz", allow_pickle=True)
    meta, pos2 = z["metadata"].item(), z["positions_2d"].item()
    assert meta["num_joints"] == 17
    assert meta["keypoints_symmetry"] == [list(H36M17.joints_left), list(H36M17.joints_right)]
    for s, acts in pos3.items():
        for a, world in acts.items():
            assert world.dtype == np.float32 and world.shape == (len(poses[s][a]), 32, 3)
            np.testing.assert_allclose(world, poses[s][a].reshape(-1, 32, 3) / 1000.0, atol=1e-6)
            assert len(pos2[s][a]) == 4
            for cam, kp in zip(rig[s], pos2[s][a]):
                assert kp.shape == (len(world), 17, 2)
                joints = poses[s][a].reshape(-1, 32, 3)[:, list(H36M32_TO_17)] / 1000.0
                np.testing.assert_allclose(kp, cam.project(cam.world_to_camera(joints)), atol=2e-3)


def test_prepare_from_extracted_tree(tmp_path: Path, cdf_poses: dict) -> None:
    root = tmp_path / "h36m"
    for s, acts in cdf_poses.items():
        for a, pose in acts.items():
            _write_cdf(root / s / "MyPoseFeatures" / "D3_Positions" / f"{a}.cdf", pose)
    _write_cdf(root / "S1" / "MyPoseFeatures" / "D3_Angles" / "Directions 1.cdf", cdf_poses["S1"]["Directions 1"])
    out = tmp_path / "data"
    summary = prepare_h36m(root, out, progress=False)
    _check_prepared(out, cdf_poses, summary)
    # end to end: the prepared files load as sequences
    seqs = load_sequences(out, "h36m", "gt")
    assert len(seqs) == 12 and seqs[0].subject == "S1"
    for s in seqs:
        np.testing.assert_allclose(s.camera_params.project(s.pose_3d.astype(np.float64) + s.root[:, None]),
                                   s.keypoints_2d, atol=2e-3)


def test_prepare_from_tgz_archives(tmp_path: Path, cdf_poses: dict) -> None:
    staging = tmp_path / "staging"
    archives = tmp_path / "archives"
    archives.mkdir()
    for s, acts in cdf_poses.items():
        with tarfile.open(archives / f"Poses_D3_Positions_{s}.tgz", "w:gz") as tf:
            for a, pose in acts.items():
                f = staging / s / f"{a}.cdf"
                _write_cdf(f, pose)
                tf.add(f, arcname=f"{s}/MyPoseFeatures/D3_Positions/{a}.cdf")
            # a member whose name climbs out of any folder is read, never written there
            info = tarfile.TarInfo(f"../../{s}_escape/D3_Positions/readme.txt")
            info.size = 3
            tf.addfile(info, io.BytesIO(b"hi\n"))
    out = tmp_path / "data"
    summary = prepare_h36m(archives, out, progress=False)
    _check_prepared(out, cdf_poses, summary)
    assert not any(p.name.endswith("_escape") for p in tmp_path.parent.iterdir())
    # one .tgz on its own works too
    summary = prepare_h36m(archives / "Poses_D3_Positions_S9.tgz", tmp_path / "one", progress=False)
    assert summary["subjects"] == ["S9"] and summary["frames"] == 4


def test_prepare_errors(tmp_path: Path, cdf_poses: dict) -> None:
    with pytest.raises(WsgcnError, match="archive not found"):
        prepare_h36m(tmp_path / "nowhere", tmp_path / "out", progress=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(WsgcnError, match="no Human3.6M D3_Positions CDF files"):
        prepare_h36m(empty, tmp_path / "out", progress=False)
    bad = tmp_path / "bad" / "S5" / "MyPoseFeatures" / "D3_Positions" / "Posing.cdf"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"\x00not a cdf file at all" * 10)
    with pytest.raises(WsgcnError, match=r"Posing\.cdf: not a readable CDF file"):
        prepare_h36m(tmp_path / "bad", tmp_path / "out", progress=False)
    wrong = tmp_path / "wrong" / "S5" / "MyPoseFeatures" / "D3_Positions" / "Posing.cdf"
    _write_cdf(wrong, cdf_poses["S9"]["Walking"][:, :90])
    with pytest.raises(WsgcnError, match=r"Posing\.cdf: 'Pose' has shape \(1, 4, 90\)"):
        prepare_h36m(tmp_path / "wrong", tmp_path / "out", progress=False)
    _write_cdf(wrong, cdf_poses["S9"]["Walking"], name="Angles")
    with pytest.raises(WsgcnError, match=r"Posing\.cdf: no 'Pose' variable"):
        prepare_h36m(tmp_path / "wrong", tmp_path / "out", progress=False)
    broken_tgz = tmp_path / "tgz" / "Poses_D3_Positions_S6.tgz"
    broken_tgz.parent.mkdir()
    broken_tgz.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(WsgcnError, match=r"Poses_D3_Positions_S6\.tgz: not a readable tar archive"):
        prepare_h36m(broken_tgz.parent, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.npz"))
