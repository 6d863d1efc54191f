"""``wsgcn lift`` and the Lifter API, end to end on real motion capture.

The tests whose point is accuracy (every detector format against the ground truth, the Python
API's routes, the absolute root) run on real motion: frames of the benchmark slice built once per
session (``mocap_slice`` in conftest.py), and a tiny SemGCN trained on its training subjects for a
few hundred steps (seconds), so errors against the ground truth mean something; without the
motion-capture sources (no registry access) they fall back to synthetic poses. The tests of the
mechanics (missing joints and their flags, several people, outputs, errors) need only well-formed
poses and a checkpoint: they use the synthetic data folder (``synthetic_h36m``) and randomly
initialised models, and never the registries.
"""

from __future__ import annotations

import json
import math
import pickle
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from wsgcn import cli
from wsgcn.camera import (Camera, h36m_cameras, normalize_screen_coordinates, project, save_cameras,
                          solve_root_numpy)
from wsgcn.checkpoint import build_model_from_config, save_checkpoint
from wsgcn.config import load_config
from wsgcn.data.h36m import load_sequences
from wsgcn.errors import WsgcnError
from wsgcn.keypoints import ABSENT, COCO17_NAMES, INTERPOLATED, MEAN_POSE, OBSERVED, ParameterError
from wsgcn.lift import LiftOptions, LiftSummary, Lifter, lift_file
from wsgcn.lift_output import read_lift_output
from wsgcn.lift_cli import lift_flag
from wsgcn.skeleton import H36M16, H36M17

from support.detectors import ALL_FORMATS, SUFFIX, write_format
from support.poses import synth_coco, synth_poses

COCO_FORMATS = [f for f in ALL_FORMATS if not f.startswith("h36m")]
H36M_FORMATS = ["h36m-npz", "h36m-csv"]
# Tolerance of the COCO route: COCO has no spine, thorax or head top; they are derived (thorax =
# mid-shoulders, spine = mid(pelvis, thorax), head = extrapolated from the ears), which moves
# those joints by a few pixels (head: ~10-15 px). The resulting 3D error may differ from the
# Human3.6M route by at most this much (mm); a left/right mix-up costs > 100 mm.
COCO_ROUTE_TOLERANCE_MM = 15.0


# ----------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def motion(request: pytest.FixtureRequest) -> dict:
    """One test sequence of the real-motion benchmark slice (the session's ``mocap_slice``) seen by
    one camera, and training poses: every other sequence, all cameras (the test only needs a model
    that has learnt something). Synthetic poses when the motion-capture sources are unavailable."""
    try:
        data_dir = request.getfixturevalue("mocap_slice")
    except pytest.skip.Exception:  # pragma: no cover - no registry access
        cam = h36m_cameras()["S1"][0]
        pose, kp = synth_poses(8000, seed=0)
        tp, tk = synth_poses(150, seed=99)
        return {"source": "synthetic", "train_x": kp, "train_y": pose - pose[:, :1], "kp": tk,
                "pose": tp - tp[:, :1], "root": tp[:, 0], "cam": cam, "cam_xyz": tp}
    split = json.loads((Path(data_dir) / "data_split_mocap.json").read_text())
    seqs = load_sequences(data_dir, "mocap", "gt")
    test = next(q for q in seqs if q.subject == split["test"][0] and q.camera == 0)
    train = [q for q in seqs if (q.subject, q.action) != (test.subject, test.action)]
    xyz = (test.pose_3d + test.root[:, None])[::2].astype(np.float64)  # camera frame, 25 Hz
    return {"source": "real", "train_x": np.concatenate([q.keypoints_2d for q in train]),
            "train_y": np.concatenate([q.pose_3d for q in train]),
            "kp": test.keypoints_2d[::2].astype(np.float64), "pose": xyz - xyz[:, :1], "root": xyz[:, 0],
            "cam": test.camera_params, "cam_xyz": xyz}


@pytest.fixture(scope="module")
def synthetic_view(synthetic_h36m: Path) -> dict:
    """The synthetic data folder's test sequence (S9, 200 frames of random-walk poses) seen by its
    first camera, in the keys of :func:`motion` that the tests of the mechanics use: 2D keypoints
    (pixels), the camera and the camera-frame 3D. No registry needed."""
    test = next(q for q in load_sequences(synthetic_h36m, "h36m", "gt", ["S9"]) if q.camera == 0)
    return {"kp": test.keypoints_2d.astype(np.float64), "cam": test.camera_params,
            "cam_xyz": (test.pose_3d + test.root[:, None]).astype(np.float64)}


def _size(cam: Camera) -> tuple[int, int]:
    return int(cam.res_w), int(cam.res_h)


@pytest.fixture(scope="module")
def ckpt17(motion: dict, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny 17-joint SemGCN trained (supervised, 400 steps, cosine learning rate) on the training poses."""
    cfg = load_config(None, ["model.hidden=32", "model.num_blocks=1", "model.nonlocal_layers=false", "data.joints=17"])
    torch.manual_seed(0)
    model = build_model_from_config(cfg)
    x = torch.tensor(normalize_screen_coordinates(motion["train_x"], *_size(motion["cam"])), dtype=torch.float32)
    y = torch.tensor(motion["train_y"], dtype=torch.float32)
    opt = torch.optim.Adam(model.parameters(), 3e-3)
    steps = 400
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * s / steps)))
    g = torch.Generator().manual_seed(0)
    model.train()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny batches: one thread is fastest and immune to a busy machine
    try:
        for _ in range(steps):
            idx = torch.randint(0, len(x), (256,), generator=g)
            p = model(x[idx])
            loss = ((p - p[:, :1] - y[idx]) ** 2).sum(-1).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    finally:
        torch.set_num_threads(threads)
    path = tmp_path_factory.mktemp("ckpt") / "tiny17.safetensors"
    save_checkpoint(path, model.eval(), {"config": cfg.to_dict(), "epoch": 1, "step": steps})
    return path


@pytest.fixture(scope="module")
def rand17(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised 17-joint SemGCN of :func:`ckpt17`'s size (for the mechanics, not accuracy)."""
    cfg = load_config(None, ["model.hidden=32", "model.num_blocks=1", "model.nonlocal_layers=false", "data.joints=17"])
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("ckpt") / "rand17.safetensors"
    save_checkpoint(path, build_model_from_config(cfg).eval(), {"config": cfg.to_dict(), "epoch": 0})
    return path


@pytest.fixture(scope="module")
def ckpt16(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised 16-joint WS-GCN (the paper's joint set, non-local layers on)."""
    cfg = load_config(None, ["model.hidden=16", "model.num_blocks=1", "data.joints=16"])
    torch.manual_seed(1)
    path = tmp_path_factory.mktemp("ckpt") / "rand16.safetensors"
    save_checkpoint(path, build_model_from_config(cfg).eval(), {"config": cfg.to_dict(), "epoch": 0})
    return path


def mpjpe_mm(pred: np.ndarray, gt: np.ndarray) -> float:
    """Mean joint error after root alignment (mm), over the joints both have."""
    return float(np.linalg.norm((pred - pred[:, :1]) - (gt - gt[:, :1]), axis=-1).mean() * 1000)


def _inputs(view: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    coco = synth_coco(view["cam_xyz"], view["cam"].project)  # COCO-17 as a detector would see it
    return coco[:, None], view["kp"][:, None], np.full((len(coco), 1, 17), 0.9)


def _lift(run, fmt: str, path: Path, ckpt: Path, tmp: Path, size: tuple[int, int], *extra: object) -> dict:
    out = tmp / f"{fmt}.npz"
    args = [path, "--checkpoint", ckpt, "--out", out, "--quiet", *extra]
    if fmt not in ("ultralytics", "h36m-npz"):  # these files carry the image size
        args += ["--width", size[0], "--height", size[1]]
    rc, stdout, err = run("lift", *args)
    assert rc == 0, err
    assert "wrote" in stdout
    return read_lift_output(out)


# ----------------------------------------------------------------------------- end to end

def test_every_detector_format_lifts_to_the_same_3d(motion: dict, ckpt17: Path, run, tmp_path: Path) -> None:
    coco, h36m, scores = _inputs(motion)
    size, gt = _size(motion["cam"]), motion["pose"]
    res = {}
    for fmt in ALL_FORMATS:
        p = write_format(fmt, tmp_path / f"in-{fmt}{SUFFIX[fmt]}", coco, scores, h36m, image_size=size)
        res[fmt] = _lift(run, fmt, p, ckpt17, tmp_path, size)
        r = res[fmt]
        assert r["poses_3d"].shape == (1, len(gt), 17, 3) and r["present"].all()
        assert list(r["joint_names"]) == list(H36M17.names) and (r["flags"] == OBSERVED).all()
        np.testing.assert_allclose(r["poses_3d"][0, :, 0], 0, atol=1e-6)  # root-relative

    # The formats of one family carry the same numbers, so they must give the same 3D.
    for family in (COCO_FORMATS, H36M_FORMATS):
        for fmt in family[1:]:
            np.testing.assert_allclose(res[fmt]["poses_3d"], res[family[0]]["poses_3d"], atol=2e-4, err_msg=fmt)
    # The Human3.6M route equals the Python API on the true 2D, and the model has learnt something.
    direct = Lifter.from_checkpoint(ckpt17).lift(motion["kp"], size)
    np.testing.assert_allclose(res["h36m-npz"]["poses_3d"][0], direct, atol=1e-5)
    err_h36m = mpjpe_mm(direct, gt)
    mean_pose = mpjpe_mm(np.broadcast_to(motion["train_y"].mean(0), gt.shape), gt)
    assert err_h36m < 0.7 * mean_pose, (err_h36m, mean_pose)
    # The COCO route loses the Human3.6M-only joints: same error within the conversion's tolerance.
    err_coco = mpjpe_mm(res["coco"]["poses_3d"][0], gt)
    assert abs(err_coco - err_h36m) < COCO_ROUTE_TOLERANCE_MM, (err_coco, err_h36m)
    # ... which is tight enough to catch a left/right mix-up in a format table.
    swap = [COCO17_NAMES.index(n.replace("left", "@").replace("right", "left").replace("@", "right"))
            for n in COCO17_NAMES]
    p = write_format("coco", tmp_path / "swapped.json", coco[:, :, swap], scores)
    err_swapped = mpjpe_mm(_lift(run, "swapped", p, ckpt17, tmp_path, size)["poses_3d"][0], gt)
    assert err_swapped > err_h36m + 4 * COCO_ROUTE_TOLERANCE_MM, (err_swapped, err_h36m)


def test_missing_joints_are_filled_and_flagged_alike_in_every_format(synthetic_view: dict, rand17: Path, run,
                                                                     tmp_path: Path) -> None:
    coco, h36m, scores = _inputs(synthetic_view)
    coco, h36m, scores = coco[:30].copy(), h36m[:30].copy(), scores[:30].copy()
    lw_c, lw_h = COCO17_NAMES.index("left_wrist"), H36M17.index("LWrist")
    scores[10:13, 0, lw_c] = 0.05  # a short low-confidence stretch: interpolated
    coco[20:, 0, COCO17_NAMES.index("right_ankle")] = np.nan  # lost for good: mean-pose fill
    h36m[20:, 0, H36M17.index("RFoot")] = np.nan
    flags, size = {}, _size(synthetic_view["cam"])
    for fmt in ALL_FORMATS:
        s = scores.copy()
        if fmt.startswith("h36m"):
            s[..., lw_h], s[..., lw_c] = s[..., lw_c], 0.9
        p = write_format(fmt, tmp_path / f"m-{fmt}{SUFFIX[fmt]}", coco, s, h36m, image_size=size)
        r = _lift(run, fmt, p, rand17, tmp_path, size)
        flags[fmt] = r["flags"][0]
        assert np.isfinite(r["poses_3d"]).all()
    want = np.full((30, 17), OBSERVED)
    want[10:13, lw_h] = INTERPOLATED
    want[20:, H36M17.index("RFoot")] = MEAN_POSE
    for fmt, f in flags.items():
        np.testing.assert_array_equal(f, want, err_msg=fmt)


# ----------------------------------------------------------------------------- the Python API

def test_lifter_api(motion: dict, ckpt17: Path, ckpt16: Path) -> None:
    import wsgcn

    size = _size(motion["cam"])
    lifter = wsgcn.Lifter.from_checkpoint(ckpt17)
    kp = motion["kp"][:20]
    poses = lifter.lift(kp, size)
    assert poses.shape == (20, 17, 3) and poses.dtype == np.float32
    np.testing.assert_allclose(lifter.lift(kp[3], size), poses[3], atol=1e-6)  # one frame
    coco = synth_coco(motion["cam_xyz"][:20], motion["cam"].project)
    poses_c, flags = lifter.lift(coco, size, keypoint_format="coco", scores=np.ones((20, 17)), return_flags=True)
    assert (flags == OBSERVED).all()
    assert mpjpe_mm(poses_c, poses) < 2 * COCO_ROUTE_TOLERANCE_MM
    # a missing joint (NaN) is filled by interpolation in time, not propagated as NaN
    holed = kp.copy()
    holed[5, H36M17.index("RElbow")] = np.nan
    p2, f2 = lifter.lift(holed, size, return_flags=True)
    assert f2[5, H36M17.index("RElbow")] == INTERPOLATED and np.isfinite(p2).all()
    # nothing placeable at all: NaN frames, flagged absent (the file route would refuse the file)
    empty, f_empty = lifter.lift(np.full((4, 17, 2), np.nan), size, return_flags=True)
    assert empty.shape == (4, 17, 3) and np.isnan(empty).all() and (f_empty == ABSENT).all()
    with pytest.raises(WsgcnError, match="keypoint_format"):
        lifter.lift(kp, size, keypoint_format="openpose")
    with pytest.raises(WsgcnError, match=r"\(T, 17, 2\)"):
        lifter.lift(kp[:, :16], size)
    # the paper's 16-joint model: 16 named joints out (no Neck/Nose)
    l16 = Lifter.from_checkpoint(ckpt16)
    assert l16.joint_names == H36M16.names
    assert l16.lift(kp, size).shape == (20, 16, 3)


def test_sixteen_joint_checkpoint_through_the_cli(synthetic_view: dict, ckpt16: Path, run, tmp_path: Path) -> None:
    np.savez(tmp_path / "k.npz", keypoints=synthetic_view["kp"][:10])
    rc, _, err = run("lift", tmp_path / "k.npz", "--checkpoint", ckpt16, "--out", tmp_path / "o.json",
                     "--width", 1000, "--height", 1002, "--quiet")
    assert rc == 0, err
    r = read_lift_output(tmp_path / "o.json")
    assert list(r["joint_names"]) == list(H36M16.names) and r["poses_3d"].shape == (1, 10, 16, 3)
    assert not (tmp_path / "o.npz").exists()  # --out .json writes only the JSON
    direct = Lifter.from_checkpoint(ckpt16).lift(synthetic_view["kp"][:10], (1000, 1002))
    np.testing.assert_allclose(r["poses_3d"][0], direct, atol=1.5e-4)  # JSON keeps 0.1 mm


# ----------------------------------------------------------------------------- camera and root

def test_absolute_root_from_the_intrinsics(motion: dict, ckpt17: Path, run, tmp_path: Path) -> None:
    cam, size = motion["cam"], _size(motion["cam"])
    np.savez(tmp_path / "k.npz", keypoints=motion["kp"], image_size=np.array(size))
    intr = ",".join(f"{v:.10g}" for v in cam.intrinsics)
    r = _lift(run, "root", tmp_path / "k.npz", ckpt17, tmp_path, size, "--intrinsics", intr)
    root, pose = r["root"][0].astype(np.float64), r["poses_3d"][0].astype(np.float64)
    # wired as the closed-form solve of wsgcn.camera with the output's own pose and 2D (pixels)
    want = solve_root_numpy(pose, r["keypoints_2d"][0].astype(np.float64), cam.intrinsics)
    np.testing.assert_allclose(root, want, atol=1e-4)
    # it fits the 2D: a root 10 % nearer or farther reprojects worse (by > 1 px on average)
    def residual(t: np.ndarray) -> np.ndarray:
        return np.linalg.norm(project(pose + t[:, None], cam.intrinsics) - motion["kp"], axis=-1).mean(-1)

    for f in (0.9, 1.1):
        assert residual(root * f).mean() > residual(root).mean() + 1.0
    # and, with a sensible pose, the position is sensible: depth within 15 % of the truth
    depth_err = np.abs(root[:, 2] - motion["root"][:, 2]) / motion["root"][:, 2]
    assert np.median(depth_err) < 0.15, np.median(depth_err)
    # the same camera from a cameras file (several cameras: --camera chooses)
    save_cameras(tmp_path / "cams.json", {"S9": [cam, cam]})
    rc, _, err = run("lift", tmp_path / "k.npz", "--checkpoint", ckpt17, "--out", tmp_path / "c.npz", "--quiet",
                     "--cameras", tmp_path / "cams.json")
    assert rc == 2 and "--camera SUBJECT:INDEX" in err and not (tmp_path / "c.npz").exists()
    r2 = _lift(run, "root2", tmp_path / "k.npz", ckpt17, tmp_path, size, "--cameras", tmp_path / "cams.json",
               "--camera", "S9:1")
    np.testing.assert_allclose(r2["root"], r["root"], atol=1e-5)
    # --focal: centre at the image centre
    r3 = _lift(run, "root3", tmp_path / "k.npz", ckpt17, tmp_path, size, "--focal", 1145)
    np.testing.assert_allclose(r3["intrinsics"][:4], [1145, 1145, size[0] / 2, size[1] / 2])
    js = read_lift_output(tmp_path / "root.json")  # the JSON beside the npz holds the same root
    np.testing.assert_allclose(js["root"], r["root"], atol=1e-4)
    np.testing.assert_allclose(js["intrinsics"], r["intrinsics"])


# ----------------------------------------------------------------------------- people, outputs

def test_several_people_are_kept_apart(synthetic_view: dict, rand17: Path, run, tmp_path: Path) -> None:
    coco = synth_coco(synthetic_view["cam_xyz"][:12], synthetic_view["cam"].project)
    other = coco + [260.0, 15.0]
    rows = []
    for t in range(12):
        people = [(4, coco[t]), (9, other[t])] if t % 2 else [(9, other[t]), (4, coco[t])]
        if t >= 8:
            people = [pp for pp in people if pp[0] == 9]  # person 4 leaves
        for tid, kp in people:
            rows.append({"image_id": 100 + t, "category_id": 1, "score": 0.9, "track_id": tid,
                         "keypoints": [float(v) for v in np.concatenate([kp, np.ones((17, 1))], 1).ravel()]})
    (tmp_path / "two.json").write_text(json.dumps(rows))
    r = _lift(run, "two", tmp_path / "two.json", rand17, tmp_path, (1000, 1002))
    assert list(r["track_ids"]) == ["4", "9"] and r["poses_3d"].shape[:2] == (2, 12)
    assert r["present"][0].tolist() == [True] * 8 + [False] * 4 and r["present"][1].all()
    assert (r["flags"][0, 8:] == ABSENT).all() and np.isnan(r["poses_3d"][0, 8:]).all()
    lifter = Lifter.from_checkpoint(rand17)
    np.testing.assert_allclose(r["poses_3d"][0, :8], lifter.lift(coco[:8], (1000, 1002), "coco"), atol=1e-5)
    np.testing.assert_allclose(r["poses_3d"][1], lifter.lift(other, (1000, 1002), "coco"), atol=1e-5)
    js = read_lift_output(tmp_path / "two.json")  # the sibling JSON holds the same
    np.testing.assert_allclose(js["poses_3d"], r["poses_3d"], atol=1e-4)
    assert js["frame_ids"].tolist() == [str(100 + t) for t in range(12)]


# ----------------------------------------------------------------------------- errors

def _write(tmp: Path, name: str, content: object) -> Path:
    p = tmp / name
    if isinstance(content, bytes):
        p.write_bytes(content)
    elif isinstance(content, str):
        p.write_text(content)
    else:
        np.savez(p, **content)  # type: ignore[arg-type]
    return p


GOOD_KP = [float(v) for v in np.concatenate([np.random.default_rng(0).uniform(100, 900, (17, 2)),
                                             np.ones((17, 1))], 1).ravel()]
BAD_INPUTS = {
    "wrong schema": ("a.json", json.dumps({"predictions": []}), "unrecognised JSON layout"),
    "0 people": ("b.json", json.dumps({"version": 1.3, "people": []}), "no people"),
    "all joints missing": ("c.json", json.dumps([{"image_id": 1, "keypoints": [0.0] * 51}]), "no usable keypoints"),
    "image size missing": ("d.json", json.dumps([{"image_id": 1, "keypoints": GOOD_KP}]), "--width and --height"),
    "keypoint count": ("e.json", json.dumps([{"image_id": 1, "keypoints": GOOD_KP[:-3]}]), "expected 51"),
    "not UTF-8": ("f.json", b"[{\"image_id\": 1, \"x\": \"\xe9\"}]", "not UTF-8"),
    "truncated JSON": ("g.json", json.dumps([{"image_id": 1, "keypoints": GOOD_KP}])[:40], "invalid JSON"),
    "truncated npz": ("h.npz", b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "not a valid npz"),
    "NaN-only array": ("i.npz", {"keypoints": np.full((4, 17, 3), np.nan), "image_size": np.array([640, 480])},
                       "0 people"),
    "bad out suffix": ("j.json", json.dumps([{"image_id": 1, "keypoints": GOOD_KP}]), "--out must end in"),
    "normalised coordinates": ("k.json", json.dumps([{"image_id": 1, "keypoints": [v / 1000 if i % 3 < 2 else v for i, v
                                                                              in enumerate(GOOD_KP)]}]),
                               "look like normalised coordinates"),
    "wrong image size": ("l.json", json.dumps([{"image_id": 1, "keypoints": GOOD_KP}]), "outside the 100x100 image"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_exits_2_with_one_line_and_no_output(case: str, ckpt16: Path, run, tmp_path: Path) -> None:
    name, content, fragment = BAD_INPUTS[case]
    p = _write(tmp_path, name, content)
    out = tmp_path / "out" / ("res.txt" if case == "bad out suffix" else "res.npz")
    extra = ([] if case == "image size missing" else ["--width", 100, "--height", 100] if case == "wrong image size"
             else ["--width", 1000, "--height", 1002])
    rc, stdout, err = run("lift", p, "--checkpoint", ckpt16, "--out", out, "--quiet", *extra)
    assert rc == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert re.search(fragment, lines[0]), lines[0]
    if case != "bad out suffix":
        assert str(p) in lines[0]
    assert not out.exists() and not out.with_suffix(".json").exists()
    assert not (out.parent.exists() and any(out.parent.iterdir()))  # no temporary leftovers either


LOW_KP = [0.1 if i % 3 == 2 else v for i, v in enumerate(GOOD_KP)]  # every score 0.1
_AMBIGUOUS = synth_poses(5)[1]
_AMBIGUOUS[:, [2, 3, 5, 6]] = 0  # Human3.6M-17 without legs: the joint order cannot be told
PARAM_ERRORS = {  # case: (file, content, lift_file arguments, the same as flags, library wording, CLI wording)
    "min_score": ("a.json", json.dumps([{"image_id": 1, "keypoints": GOOD_KP}]), {"min_score": -1.0},
                  ["--min-score", "-1"], "min_score must be a number >= 0, got -1.0",
                  "--min-score must be a number >= 0, got -1.0"),
    "max_gap": ("b.json", json.dumps([{"image_id": 1, "keypoints": GOOD_KP}]), {"max_gap": -2}, ["--max-gap", "-2"],
                "max_gap must be >= 0, got -2", "--max-gap must be >= 0, got -2"),
    "min_score, nothing usable": ("c.json", json.dumps([{"image_id": 1, "keypoints": LOW_KP}]), {"min_score": 0.5},
                                  ["--min-score", "0.5"], "scored below min_score=0.5 in all 1 frame(s)",
                                  "scored below --min-score 0.5 in all 1 frame(s)"),
    "joints": ("d.npz", {"keypoints": _AMBIGUOUS}, {}, [], "give joints='coco17' or joints='h36m17'",
               "give --joints coco17 or --joints h36m17"),
    "joints, COCO file": ("e.json", json.dumps([{"image_id": 1, "keypoints": GOOD_KP}]),
                          {"fmt": "coco", "joints": "h36m17"}, ["--format", "coco", "--joints", "h36m17"],
                          "joints='h36m17' does not apply to coco files", "--joints h36m17 does not apply to coco files"),
    "fmt": ("f.jpg", b"\xff\xd8\xff", {}, [], "give fmt (coco, mmpose, openpose, npz, csv)",
            "give --format (coco, mmpose, openpose, npz, csv)"),
}


@pytest.mark.parametrize("case", sorted(PARAM_ERRORS))
def test_library_errors_name_parameters_and_the_cli_names_flags(case: str, ckpt16: Path, run, tmp_path: Path) -> None:
    name, content, kwargs, flags, library, command_line = PARAM_ERRORS[case]
    p = _write(tmp_path, name, content)
    size = {"width": 1000, "height": 1002}
    with pytest.raises(ParameterError) as e:
        lift_file(p, tmp_path / "lib.npz", LiftOptions(**{**size, **kwargs}), checkpoint=ckpt16, progress=False)
    assert library in str(e.value) and "--" not in str(e.value), str(e.value)
    assert e.value.param == case.split(",")[0]
    assert str(pickle.loads(pickle.dumps(e.value))) == str(e.value)
    rc, _, err = run("lift", p, "--checkpoint", ckpt16, "--out", tmp_path / "cli.npz", "--quiet",
                     "--width", 1000, "--height", 1002, *flags)
    lines = err.strip().splitlines()
    assert rc == 2 and len(lines) == 1 and lines[0].startswith("wsgcn: error: "), err
    assert command_line in lines[0] and library not in lines[0], lines[0]
    assert not (tmp_path / "lib.npz").exists() and not (tmp_path / "cli.npz").exists()


def test_every_parameter_the_keypoint_library_names_is_a_lift_flag() -> None:
    for param, value in (("fmt", "csv"), ("joints", "h36m17"), ("min_score", "0.5"), ("max_gap", "3")):
        args = cli.build_parser().parse_args(["lift", "in.json", "--out", "o.npz", lift_flag(param), value])
        assert value in map(str, vars(args).values()), (param, lift_flag(param))


CAMERA_AND_COMMAND_ERRORS = {  # case: (options, other lift_file arguments, flags, library wording, CLI wording)
    "focal": ({"focal": -5.0}, {}, ["--focal", "-5"], "focal must be a positive number of pixels, got -5.0",
              "--focal must be a positive number of pixels, got -5.0"),
    "focal, with intrinsics": ({"focal": 1000.0, "intrinsics": "1000,1000,500,500"}, {},
                               ["--focal", "1000", "--intrinsics", "1000,1000,500,500"],
                               "give only one of focal, intrinsics", "give only one of --focal, --intrinsics"),
    "focal, no image size": ({"focal": 1000.0, "width": None, "height": None}, {}, ["--focal", "1000"],
                             "focal needs the image size (image_size) for the principal point",
                             "--focal needs the image size (--width and --height) for the principal point"),
    "intrinsics": ({"intrinsics": "1,2"}, {}, ["--intrinsics", "1,2"],
                   "intrinsics must be 4 or 9 finite numbers with positive focal lengths, got '1,2'",
                   "--intrinsics must be 4 or 9 finite numbers with positive focal lengths, got '1,2'"),
    "camera": ({"camera": "S9:0"}, {}, ["--camera", "S9:0"], "camera needs cameras", "--camera needs --cameras FILE"),
    "camera, several in the file": ({"cameras": "{cams}"}, {}, ["--cameras", "{cams}"],
                                    "cams.json: holds 2 cameras; choose one with camera (e.g. S9:0)",
                                    "cams.json: holds 2 cameras; choose one with --camera SUBJECT:INDEX (e.g. S9:0)"),
    "width": ({"height": None}, {}, ["--width", "1000"], "give both width and height", "give both --width and --height"),
    "out": ({}, {"out": "o.txt"}, ["--out", "{tmp}/o.txt"], "o.txt: out must end in .npz",
            "o.txt: --out must end in .npz"),
    "device": ({}, {"device": "nope"}, ["--device", "nope"], "cannot use device 'nope': ", "cannot use --device 'nope': "),
}


@pytest.mark.parametrize("case", sorted(CAMERA_AND_COMMAND_ERRORS))
def test_camera_and_command_errors_name_parameters_and_the_cli_names_flags(case: str, synthetic_view: dict,
                                                                           ckpt16: Path, run, tmp_path: Path) -> None:
    options, other, flags, library, command_line = CAMERA_AND_COMMAND_ERRORS[case]
    save_cameras(tmp_path / "cams.json", {"S9": [synthetic_view["cam"], synthetic_view["cam"]]})
    np.savez(tmp_path / "k.npz", keypoints=synthetic_view["kp"][:5])  # no image size in the file
    fill = {"{cams}": str(tmp_path / "cams.json"), "{tmp}": str(tmp_path)}
    options = {k: fill.get(v, v) if isinstance(v, str) else v for k, v in options.items()}
    flags = [fill.get(f, f).replace("{tmp}", str(tmp_path)) for f in flags]
    size = {"width": 1000, "height": 1002}
    with pytest.raises(ParameterError) as e:
        lift_file(tmp_path / "k.npz", tmp_path / other.get("out", "lib.npz"), LiftOptions(**{**size, **options}),
                  checkpoint=ckpt16, device=other.get("device", "cpu"), progress=False)
    assert library in str(e.value) and "--" not in str(e.value), str(e.value)
    assert e.value.param == case.split(",")[0]
    cli_size = [f"--{k}" if i % 2 == 0 else str(v) for k, v in size.items() if options.get(k, 0) is not None
                for i in (0, 1)]
    out = [] if "--out" in flags else ["--out", tmp_path / "cli.npz"]
    rc, _, err = run("lift", tmp_path / "k.npz", "--checkpoint", ckpt16, "--quiet", *out, *cli_size, *flags)
    lines = err.strip().splitlines()
    assert rc == 2 and len(lines) == 1 and lines[0].startswith("wsgcn: error: "), err
    assert command_line in lines[0] and all(lift_flag(p) in lines[0] for p in e.value.params), lines[0]
    assert not [p.name for p in tmp_path.iterdir() if p.name not in ("k.npz", "cams.json")]


def test_no_json_writes_only_the_npz_and_lift_file_returns_a_summary(synthetic_view: dict, rand17: Path, run,
                                                                     tmp_path: Path) -> None:
    size = _size(synthetic_view["cam"])
    np.savez(tmp_path / "k.npz", keypoints=synthetic_view["kp"][:10], image_size=np.array(size))
    rc, stdout, err = run("lift", tmp_path / "k.npz", "--checkpoint", rand17, "--out", tmp_path / "o.npz", "--quiet",
                          "--no-json")
    assert rc == 0, err
    assert stdout.strip().endswith(f"wrote {tmp_path / 'o.npz'}") and not (tmp_path / "o.json").exists()
    s = lift_file(tmp_path / "k.npz", tmp_path / "p.npz", LiftOptions(write_json=False), checkpoint=rand17,
                  progress=False)
    assert isinstance(s, LiftSummary) and s.written == [str(tmp_path / "p.npz")]
    assert (s.people, s.frames, s.person_frames, s.joints, s.dropped, s.filled, s.root) == (1, 10, 10, 17, 0, 0, False)
    assert s.image_size == size and s.checkpoint == str(rand17)
    np.testing.assert_array_equal(read_lift_output(tmp_path / "o.npz")["poses_3d"],
                                  read_lift_output(tmp_path / "p.npz")["poses_3d"])


def test_the_json_writers_array_path_writes_what_the_percent_path_writes() -> None:
    from wsgcn.lift_output import _frame_template, _frames_text, _id_chars, _parse_template, _percent_text, _vectorised_text

    rng = np.random.default_rng(5)
    n, J = 300, 16
    template = _frame_template(J, True)
    layout = _parse_template(template)
    vals = np.concatenate([np.arange(n)[:, None] * 4111, rng.normal(0, 0.4, (n, 3 * J)),
                           rng.uniform(-60, 1300, (n, 2 * J)), rng.integers(0, 4, (n, J)), rng.uniform(0, 1, (n, J)),
                           rng.normal(0, 4, (n, 3))], axis=1).astype(np.float32)
    scores = slice(1 + 6 * J, 1 + 7 * J)
    vals[:5, scores] = np.nan  # no scores
    vals[5, 7], vals[5, 8], vals[5, 9], vals[5, 10] = np.inf, -np.inf, -0.0, -0.00004  # -0.0000 like '%f'
    vals[6, 60:64] = [512.125, 512.375, 0.125, -2.625]  # exact ties: half to even, like '%f'
    vals[7, 60], vals[7, 11], vals[7, 0] = 99999.995, 0.00005, 123456789
    vals = vals.astype(np.float64)
    prefixes = [(',{"frame":' + json.dumps(f"f{i}\u00e9\"nan")).encode("ascii") for i in range(n)]
    fast = _vectorised_text(vals, _id_chars(prefixes), *layout)
    assert fast is not None and fast == _percent_text(vals, prefixes, template)
    assert _frames_text(vals, prefixes, template, layout) == fast
    frames = json.loads(b"[" + fast[1:] + b"]")
    assert frames[0]["scores"] == [None] * J and frames[5]["joints_3d"][2] == [None, None, 0.0]
    assert math.copysign(1, frames[5]["joints_3d"][2][2]) == math.copysign(1, frames[5]["joints_3d"][3][0]) == -1
    assert frames[6]["keypoints_2d"][5][1] == 512.12 and frames[6]["keypoints_2d"][6] == [512.38, 0.12]
    assert frames[6]["keypoints_2d"][7][0] == -2.62 and frames[0]["frame"] == 'f0\u00e9"nan'
    # numbers of more than 9 digits, or not float32, take the '%' path: the same JSON, just slower
    for big in (1e12, 0.1):
        v = vals.copy()
        v[3, 1 + 3 * J + 5] = big  # keypoints_2d[2][1]
        text = _frames_text(v, prefixes, template, layout)
        assert text == _percent_text(v, prefixes, template)
        assert json.loads(b"[" + text[1:] + b"]")[3]["keypoints_2d"][2][1] == round(big, 2)


def test_checkpoint_defaults_to_bundled_weights(ckpt16: Path, run, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from wsgcn import lift

    np.savez(tmp_path / "k.npz", keypoints=synth_poses(5)[1], image_size=np.array([1000, 1002]))
    monkeypatch.setattr(lift, "bundled_checkpoint", lambda: None)
    rc, _, err = run("lift", tmp_path / "k.npz", "--out", tmp_path / "o.npz")
    assert rc == 2 and "--checkpoint" in err and not (tmp_path / "o.npz").exists()
    with pytest.raises(ParameterError, match="^no checkpoint given .*; pass checkpoint ") as e:
        lift_file(tmp_path / "k.npz", tmp_path / "o.npz", progress=False)
    assert e.value.param == "checkpoint" and "--checkpoint RUN_DIR_OR_CHECKPOINT" in err
    monkeypatch.setattr(lift, "bundled_checkpoint", lambda: ckpt16)
    rc, out, err = run("lift", tmp_path / "k.npz", "--out", tmp_path / "o.npz", "--quiet")
    assert rc == 0, err
    assert read_lift_output(tmp_path / "o.npz")["meta"]["checkpoint"] == str(ckpt16)
    rc, _, err = run("lift", tmp_path / "k.npz", "--checkpoint", tmp_path / "nope.safetensors", "--out",
                     tmp_path / "p.npz")
    assert rc == 2 and "nope.safetensors" in err and not (tmp_path / "p.npz").exists()
