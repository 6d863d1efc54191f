"""Detector keypoint formats, joint-format conversions and missing-joint filling.

The pose generator, the COCO face synthesiser and the detector-format writers live in
tests/support (poses.py, detectors.py), shared with tests/test_lift.py and tests/test_viz.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from wsgcn.camera import h36m_cameras
from wsgcn.errors import WsgcnError
from wsgcn.keypoints import (ABSENT, COCO17_NAMES, HEAD_EXTENSION, INTERPOLATED, MEAN_POSE, MEAN_POSE_H36M17,
                             OBSERVED, coco17_to_h36m17, fill_missing, guess_joint_order, prepare_tracks,
                             read_keypoints, to_h36m17)
from wsgcn.keypoints.formats import FORMATS, READERS, detect
from wsgcn.keypoints.probe import Probe

from support.detectors import ALL_FORMATS, BODY25, COCO18, IMAGE_SIZE, SUFFIX, write_format
from support.poses import C, N, synth_coco, synth_poses


# ----------------------------------------------------------------------------- conversions

def _coco_pose() -> np.ndarray:
    kp = np.zeros((17, 2))
    for n, xy in {"nose": (100, 50), "left_eye": (104, 46), "right_eye": (96, 46), "left_ear": (110, 48),
                  "right_ear": (90, 48), "left_shoulder": (130, 90), "right_shoulder": (70, 92),
                  "left_elbow": (140, 140), "right_elbow": (60, 140), "left_wrist": (145, 190),
                  "right_wrist": (55, 188), "left_hip": (120, 200), "right_hip": (80, 202),
                  "left_knee": (122, 280), "right_knee": (78, 282), "left_ankle": (124, 360),
                  "right_ankle": (76, 362)}.items():
        kp[C[n]] = xy
    return kp


def test_openpose_tables_match_the_documented_orders(tmp_path: Path) -> None:
    # Each OpenPose joint gets x = its own index; after reading, COCO joint c must carry the
    # OpenPose index of the same body part, looked up by name in the hand-written lists above.
    for fmt, order in (("openpose-body25", BODY25), ("openpose-coco18", COCO18)):
        d = tmp_path / fmt
        d.mkdir()
        row = [v for i in range(len(order)) for v in (float(i + 1), 5.0, 0.9)]
        (d / "f_000000000000_keypoints.json").write_text(json.dumps({"version": 1.3, "people": [
            {"person_id": [-1], "pose_keypoints_2d": row}]}))
        got = read_keypoints(d)
        assert got.format == "openpose" and got.joints == "coco17"
        expected = [order.index(n) + 1 for n in COCO17_NAMES]
        np.testing.assert_array_equal(got.keypoints[0, 0, :, 0], expected)


def test_coco_to_h36m_rule() -> None:
    kp = _coco_pose()
    out, ok, _ = coco17_to_h36m17(kp, np.ones(17, bool))
    assert ok.all()
    mid = lambda a, b: (kp[C[a]] + kp[C[b]]) / 2  # noqa: E731
    hip, thorax = mid("left_hip", "right_hip"), mid("left_shoulder", "right_shoulder")
    np.testing.assert_allclose(out[N["Hip"]], hip)
    np.testing.assert_allclose(out[N["Thorax"]], thorax)
    np.testing.assert_allclose(out[N["Spine"]], (hip + thorax) / 2)
    np.testing.assert_allclose(out[N["Neck"]], kp[C["nose"]])
    ears = mid("left_ear", "right_ear")
    np.testing.assert_allclose(out[N["Head"]], ears + HEAD_EXTENSION * (ears - thorax))
    assert out[N["Head"], 1] < kp[C["nose"], 1]  # above the face (image y down)
    for h, c in (("RHip", "right_hip"), ("RKnee", "right_knee"), ("RFoot", "right_ankle"), ("LFoot", "left_ankle"),
                 ("LShoulder", "left_shoulder"), ("RElbow", "right_elbow"), ("LWrist", "left_wrist")):
        np.testing.assert_array_equal(out[N[h]], kp[C[c]])


def test_coco_to_h36m_fallbacks_and_missing() -> None:
    kp = _coco_pose()
    ok = np.ones(17, bool)
    ok[[C["left_ear"], C["right_ear"], C["left_hip"]]] = False
    out, valid, _ = coco17_to_h36m17(kp, ok, np.full(17, 0.9))
    thorax = (kp[C["left_shoulder"]] + kp[C["right_shoulder"]]) / 2
    eyes = (kp[C["left_eye"]] + kp[C["right_eye"]]) / 2
    np.testing.assert_allclose(out[N["Head"]], eyes + HEAD_EXTENSION * (eyes - thorax))  # eyes stand in for ears
    for name in ("Hip", "LHip", "Spine"):  # need the missing left hip
        assert not valid[N[name]] and np.isnan(out[N[name]]).all()
    assert valid.sum() == 14


def test_to_h36m_treats_low_scores_zeros_and_nan_as_missing() -> None:
    kp = np.tile(_coco_pose(), (3, 1, 1))
    sc = np.full((3, 17), 0.9)
    sc[0, C["left_wrist"]] = 0.1
    kp[1, C["right_knee"]] = 0
    kp[2, C["nose"]] = np.nan
    _, valid, scores = to_h36m17(kp, sc, "coco17", 0.3)
    assert not valid[0, N["LWrist"]] and not valid[1, N["RKnee"]] and not valid[2, N["Neck"]]
    assert valid.sum() == 3 * 17 - 3
    assert np.nanmin(scores) == pytest.approx(0.9)


# ----------------------------------------------------------------------------- missing joints

def test_interpolation_is_exact_on_linear_motion_and_respects_max_gap() -> None:
    T = 12
    base = MEAN_POSE_H36M17 * 300 + 500
    kp = base + np.arange(T)[:, None, None] * np.array([3.0, -1.0])  # moving linearly
    valid = np.ones((T, 17), bool)
    valid[3:6, N["LWrist"]] = False  # gap of 3
    valid[:2, N["RKnee"]] = False  # at the start: nothing before it
    filled, flags, usable = fill_missing(kp, valid, max_gap=3)
    assert usable.all()
    np.testing.assert_allclose(filled[3:6, N["LWrist"]], kp[3:6, N["LWrist"]])
    assert (flags[3:6, N["LWrist"]] == INTERPOLATED).all()
    assert (flags[:2, N["RKnee"]] == MEAN_POSE).all()
    # the mean pose placed onto an exactly scaled mean pose reproduces it
    np.testing.assert_allclose(filled[:2, N["RKnee"]], kp[:2, N["RKnee"]], atol=1e-9)
    _, flags2, _ = fill_missing(kp, valid, max_gap=2)  # the gap is now too long
    assert (flags2[3:6, N["LWrist"]] == MEAN_POSE).all()
    assert (flags2[~valid] != OBSERVED).all() and (flags2[valid] == OBSERVED).all()


def test_mean_pose_fill_is_placed_on_the_visible_bounding_box() -> None:
    kp = (MEAN_POSE_H36M17 * np.array([250.0, 250.0]) + [400, 300])[None]
    valid = np.ones((1, 17), bool)
    valid[0, [N["RFoot"], N["LFoot"], N["RKnee"], N["LKnee"]]] = False  # legs out of the picture
    filled, flags, _ = fill_missing(kp, valid, max_gap=0)
    legs = [N["RFoot"], N["LFoot"], N["RKnee"], N["LKnee"]]
    assert (flags[0, legs] == MEAN_POSE).all()
    np.testing.assert_allclose(filled[0], kp[0], atol=1e-6)


def test_frames_with_fewer_than_two_known_joints_are_dropped() -> None:
    kp = np.tile(MEAN_POSE_H36M17 * 200 + 300, (4, 1, 1))
    valid = np.ones((4, 17), bool)
    valid[1] = False
    valid[2, 1:] = False  # one joint only
    present = np.array([True, True, True, False])
    filled, flags, usable = fill_missing(kp, valid, present, max_gap=0)
    assert usable.tolist() == [True, False, False, False]
    assert (flags[1:] == ABSENT).all() and np.isnan(filled[1:]).all()
    _, _, usable = fill_missing(kp, valid, present, max_gap=5)  # only joint 0 can be interpolated in frame 1
    assert usable.tolist() == [True, False, False, False]


# ----------------------------------------------------------------------------- readers

@pytest.fixture(scope="module")
def frames() -> dict:
    cam = h36m_cameras()["S1"][0]
    pose, h36m = synth_poses(6, seed=3)
    coco = synth_coco(pose, cam.project)
    scores = np.full((6, 17), 0.9)
    return {"coco": coco[:, None], "h36m": h36m[:, None], "scores": scores[:, None]}


# The writers of support/detectors.py for each entry of the reader table (wsgcn.keypoints.formats.READERS).
WRITERS_OF = {"coco": ["coco"], "mmpose": ["mmpose", "mmpose-demo"], "openpose": ["openpose-body25", "openpose-coco18"],
              "npz": ["ultralytics", "h36m-npz"], "csv": ["h36m-csv"]}


def test_every_format_in_the_reader_table_round_trips(frames: dict, tmp_path: Path) -> None:
    """Each format name is written by the writer above, sniffed as itself (and by no other entry)
    and read as itself, with fmt="auto" and with its own name."""
    assert [r.name for r in READERS] == list(WRITERS_OF) and FORMATS == ("auto", *WRITERS_OF)
    assert sorted(w for ws in WRITERS_OF.values() for w in ws) == sorted(ALL_FORMATS)
    inputs = []
    for name, writers in WRITERS_OF.items():
        for w in writers:
            p = write_format(w, tmp_path / f"{w}{SUFFIX[w]}", frames["coco"], frames["scores"], frames["h36m"])
            inputs.append((name, p))
            if p.is_dir():  # one per-frame file alone is this format too
                inputs.append((name, sorted(p.iterdir())[0]))
    for name, p in inputs:
        probe = Probe(p)
        assert [r.name for r in READERS if r.sniff(probe)] == [name], p
        assert detect(probe).name == name
        assert read_keypoints(p).format == name and read_keypoints(p, fmt=name).format == name


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_every_format_reads_back_the_same_keypoints(fmt: str, frames: dict, tmp_path: Path) -> None:
    p = write_format(fmt, tmp_path / f"in{SUFFIX[fmt]}", frames["coco"], frames["scores"], frames["h36m"])
    got = read_keypoints(p)
    h36 = fmt.startswith("h36m")
    assert got.joints == ("h36m17" if h36 else "coco17")  # npz/CSV order recognised from the geometry
    assert got.num_frames == 6 and got.num_people == 1 and got.present.all()
    want = frames["h36m"] if h36 else frames["coco"]
    np.testing.assert_allclose(got.keypoints[0], want[:, 0], atol=1e-3 if fmt == "ultralytics" else 1e-5)
    np.testing.assert_allclose(got.scores[0], 0.9, atol=1e-6)
    assert got.image_size == (IMAGE_SIZE if fmt in ("ultralytics", "h36m-npz") else None)


def test_people_are_kept_apart_by_track_id_or_detection_index(frames: dict, tmp_path: Path) -> None:
    two = np.concatenate([frames["coco"], frames["coco"] + [300, 0]], 1)  # (T, 2, 17, 2)
    sc = np.concatenate([frames["scores"]] * 2, 1)
    # COCO results with track ids, the second person listed first in odd frames
    rows = []
    for t in range(6):
        for p in ((0, 1) if t % 2 == 0 else (1, 0)):
            rows.append({"image_id": t, "category_id": 1, "score": 0.9, "track_id": [7, 3][p],
                         "keypoints": [float(v) for v in np.concatenate([two[t, p], sc[t, p][:, None]], 1).reshape(-1)]})
    (tmp_path / "tracked.json").write_text(json.dumps(rows))
    got = read_keypoints(tmp_path / "tracked.json")
    assert got.tracked and got.track_ids == ["3", "7"]
    np.testing.assert_allclose(got.keypoints[1], two[:, 0])  # track 7 is person 0 in every frame
    np.testing.assert_allclose(got.keypoints[0], two[:, 1])
    # OpenPose person_id [-1]: by detection index; a frame with one person leaves slot 1 absent
    d = write_format("openpose-body25", tmp_path / "op", two, sc)
    f3 = sorted(d.iterdir())[3]
    doc = json.loads(f3.read_text())
    doc["people"] = doc["people"][:1]
    f3.write_text(json.dumps(doc))
    got = read_keypoints(d)
    assert not got.tracked and got.num_people == 2
    assert got.present[:, 3].tolist() == [True, False] and got.present.sum() == 11


def test_mmpose_single_image_and_folder_layouts(frames: dict, tmp_path: Path) -> None:
    inst = [{"keypoints": frames["coco"][t, 0].tolist(), "keypoint_scores": [0.8] * 17, "bbox": [[0, 0, 9, 9]],
             "bbox_score": 0.9} for t in range(3)]
    (tmp_path / "img.json").write_text(json.dumps(inst[:2]))  # one image, two people
    got = read_keypoints(tmp_path / "img.json")
    assert got.num_frames == 1 and got.num_people == 2 and got.layout.startswith("MMPose")
    d = tmp_path / "preds"
    d.mkdir()
    for t in range(3):  # the inferencer writes one JSON per image: frame_2.json < frame_10.json
        (d / f"frame_{[2, 10, 7][t]}.json").write_text(json.dumps([inst[t]]))
    (d / "frame_11.json").write_text("[]")  # an image without people
    got = read_keypoints(d)
    assert got.frame_ids == ["frame_2", "frame_7", "frame_10", "frame_11"]
    np.testing.assert_allclose(got.keypoints[0, 1], frames["coco"][2, 0])
    assert got.present[0].tolist() == [True, True, True, False]
    # a Halpe-26 model (RTMPose body8-halpe26): the first 17 keypoints are COCO's
    halpe = [{"keypoints": frames["coco"][0, 0].tolist() + [[1.0, 2.0]] * 9, "keypoint_scores": [0.8] * 26}]
    (tmp_path / "halpe.json").write_text(json.dumps(halpe))
    np.testing.assert_allclose(read_keypoints(tmp_path / "halpe.json").keypoints[0, 0], frames["coco"][0, 0])


def test_coco_annotations_give_the_image_size(frames: dict, tmp_path: Path) -> None:
    kp = [float(v) for v in np.concatenate([frames["coco"][0, 0], np.full((17, 1), 2.0)], 1).reshape(-1)]
    doc = {"images": [{"id": 5, "width": 640, "height": 480, "file_name": "a.jpg"},
                      {"id": 9, "width": 640, "height": 480, "file_name": "b.jpg"}],
           "annotations": [{"id": 1, "image_id": 9, "category_id": 1, "num_keypoints": 17, "keypoints": kp},
                           {"id": 2, "image_id": 9, "category_id": 1, "num_keypoints": 0, "keypoints": [0] * 51}],
           "categories": [{"id": 1, "name": "person"}]}
    (tmp_path / "ann.json").write_text(json.dumps(doc))
    got = read_keypoints(tmp_path / "ann.json")
    assert got.image_size == (640, 480) and got.frame_ids == ["5", "9"] and got.num_people == 1
    assert got.present[0].tolist() == [False, True]


def test_joint_order_guess() -> None:
    cam = h36m_cameras()["S1"][0]
    pose, h36m = synth_poses(50, seed=1)
    coco = synth_coco(pose, cam.project)
    assert guess_joint_order(h36m) == "h36m17"
    assert guess_joint_order(coco) == "coco17"
    legs_missing = h36m.copy()
    legs_missing[:, [2, 3, 5, 6]] = np.nan  # upper body only: not decidable
    assert guess_joint_order(legs_missing) is None


def test_prepare_tracks_fills_and_flags(frames: dict, tmp_path: Path) -> None:
    coco, sc = frames["coco"].copy(), frames["scores"].copy()
    sc[2, 0, C["left_wrist"]] = 0.05  # low confidence
    coco[:, 0, C["right_ankle"]] = np.nan  # never seen
    p = write_format("coco", tmp_path / "c.json", coco, sc)
    tr = prepare_tracks(read_keypoints(p), min_score=0.3, max_gap=5)
    assert tr.present.all() and tr.dropped == 0
    assert tr.flags[0, 2, N["LWrist"]] == INTERPOLATED
    assert (tr.flags[0, :, N["RFoot"]] == MEAN_POSE).all()
    assert (np.delete(tr.flags[0], [N["RFoot"]], axis=1)[[0, 1, 3, 4, 5]] == OBSERVED).all()
    assert np.isfinite(tr.keypoints).all()
    # the interpolated wrist lies between its neighbours
    want = (frames["h36m"][1, 0, N["LWrist"]] + frames["h36m"][3, 0, N["LWrist"]]) / 2
    np.testing.assert_allclose(tr.keypoints[0, 2, N["LWrist"]], want, atol=1e-6)


# ----------------------------------------------------------------------------- bad input

def _bad(tmp_path: Path, name: str, content: bytes | str) -> Path:
    p = tmp_path / name
    p.write_bytes(content if isinstance(content, bytes) else content.encode())
    return p


@pytest.mark.parametrize("name,content,fragment", [
    ("schema.json", json.dumps({"foo": 1}), "unrecognised JSON layout"),
    ("empty.json", "[]", "0 people"),
    ("count.json", json.dumps([{"image_id": 1, "keypoints": [1.0] * 48}]), "has 48 numbers; expected 51"),
    ("op.json", json.dumps({"version": 1.3, "people": [{"pose_keypoints_2d": [1.0] * 60}]}), "expected 75 (BODY_25)"),
    ("nopeople.json", json.dumps({"version": 1.3, "people": []}), "no people"),
    ("mm.json", json.dumps([{"frame_id": 0, "instances": [{"keypoints": [[1, 2]] * 15, "keypoint_scores": [1] * 15}]}]),
     "15 keypoints"),
    ("mm3d.json", json.dumps([{"keypoints": [[1, 2, 3]] * 17, "keypoint_scores": [1] * 17}]), "3D predictions"),
    ("latin1.json", b'[{"image_id": 1, "name": "caf\xe9"}]', "not UTF-8"),
    ("trunc.json", '[{"image_id": 1, "keypoints": [1, 2', "invalid JSON"),
    ("text.json", json.dumps([{"image_id": 1, "keypoints": ["a"] * 51}]), "list of numbers"),
    ("rows.csv", "1,2,3\n4,5,6\n", "expected 34"),
    ("words.csv", "x,y\n" + ",".join(["a"] * 34) + "\n", "not a number"),
    ("nothing.csv", "", "0 frames"),
    ("image.jpg", b"\xff\xd8\xff", "give fmt (coco, mmpose"),
    ("ann_listid.json", json.dumps({"images": [{"id": [1]}], "annotations": []}),
     "images[0]: 'id' must be an integer or a string"),
    ("ann_listimg.json", json.dumps({"images": [{"id": 1}], "annotations": [
        {"image_id": [1], "keypoints": [1.0] * 51}]}), "'image_id' must be an integer or a string"),
    ("res_dictimg.json", json.dumps([{"image_id": {"a": 1}, "keypoints": [1.0] * 51}]),
     "'image_id' must be an integer or a string"),
])
def test_bad_files_raise_one_clear_line(tmp_path: Path, name: str, content: str, fragment: str) -> None:
    p = _bad(tmp_path, name, content)
    with pytest.raises(WsgcnError) as e:
        read_keypoints(p)
    msg = str(e.value)
    assert fragment in msg and str(p) in msg and "\n" not in msg


def test_bad_npz_files(tmp_path: Path) -> None:
    good = tmp_path / "good.npz"
    np.savez(good, keypoints=np.ones((4, 17, 3)))
    (tmp_path / "trunc.npz").write_bytes(good.read_bytes()[:60])
    np.savez(tmp_path / "pickled.npz", keypoints=np.array([{"a": 1}], dtype=object))
    np.savez(tmp_path / "joints.npz", keypoints=np.ones((4, 25, 3)))
    np.savez(tmp_path / "flat.npz", keypoints=np.ones((4, 33)))
    np.savez(tmp_path / "empty.npz", keypoints=np.ones((0, 17, 2)))
    for name, fragment in (("trunc", "not a valid npz"), ("pickled", "pickled"), ("joints", "25 keypoints"),
                           ("flat", r"expected \(T, 17, 2\|3\)"), ("empty", "0 people")):
        with pytest.raises(WsgcnError, match=fragment):
            read_keypoints(tmp_path / f"{name}.npz")


def test_nan_only_and_all_missing_give_no_usable_keypoints(tmp_path: Path) -> None:
    np.savez(tmp_path / "nan.npz", keypoints=np.full((5, 17, 2), np.nan), joint_format=np.array("h36m17"))
    with pytest.raises(WsgcnError, match="0 people"):
        read_keypoints(tmp_path / "nan.npz")
    (tmp_path / "nan.csv").write_text(",".join(["nan"] * 34) + "\n")
    with pytest.raises(WsgcnError, match="0 people"):
        read_keypoints(tmp_path / "nan.csv")
    kp = np.tile(_coco_pose(), (3, 1, 1))
    rows = [{"image_id": t, "keypoints": [float(v) for v in np.concatenate([kp[t], np.full((17, 1), 0.1)], 1).ravel()]}
            for t in range(3)]
    (tmp_path / "low.json").write_text(json.dumps(rows))
    with pytest.raises(WsgcnError, match=r"no usable keypoints.*min_score=0.3"):
        prepare_tracks(read_keypoints(tmp_path / "low.json"), min_score=0.3)


def test_ambiguous_npz_needs_joints_flag(tmp_path: Path) -> None:
    _, h36m = synth_poses(5)
    h36m[:, [2, 3, 5, 6]] = 0  # legs not detected: the order cannot be told
    np.savez(tmp_path / "a.npz", keypoints=h36m)
    with pytest.raises(WsgcnError, match="give joints='coco17' or joints='h36m17'"):  # the CLI: --joints
        read_keypoints(tmp_path / "a.npz")
    assert read_keypoints(tmp_path / "a.npz", joints="h36m17").joints == "h36m17"
    with pytest.raises(WsgcnError, match="does not apply"):
        read_keypoints(tmp_path / "a.npz", fmt="coco", joints="h36m17")
