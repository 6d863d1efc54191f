"""``wsgcn viz``: pictures and animations of lift outputs, the per-joint chart, readable defaults."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from matplotlib.colors import to_hex
from PIL import Image

from wsgcn.checkpoint import build_model_from_config, save_checkpoint
from wsgcn.config import load_config
from wsgcn.lift import lift_file
from wsgcn.skeleton import H36M16, H36M17
from wsgcn.figures import LEFT, RIGHT, bone_colour
from wsgcn.viz import pose_figure, upright

from support.poses import synth_poses


@pytest.fixture(scope="module")
def lifted(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A lift output of 8 frames (random 17-joint model) and the ground truth of those frames."""
    d = tmp_path_factory.mktemp("viz")
    cfg = load_config(None, ["model.hidden=16", "model.num_blocks=1", "data.joints=17"])
    torch.manual_seed(0)
    save_checkpoint(d / "m.safetensors", build_model_from_config(cfg).eval(), {"config": cfg.to_dict()})
    pose, kp = synth_poses(8, seed=2)
    kp[3, H36M17.index("LWrist")] = np.nan  # one filled joint to mark
    np.savez(d / "k.npz", keypoints=kp, image_size=np.array([1000, 1002]), joint_format=np.array("h36m17"))
    lift_file(d / "k.npz", d / "out.npz", checkpoint=d / "m.safetensors", progress=False)
    np.savez(d / "gt.npz", poses_3d=pose - pose[:, :1])
    return {"dir": d, "out": d / "out.npz", "gt": d / "gt.npz", "pose": pose}


def test_png_of_one_frame(lifted: dict, run, tmp_path: Path) -> None:
    out = tmp_path / "frame.png"
    rc, stdout, err = run("viz", lifted["out"], "--out", out, "--frame", 3, "--gt", lifted["gt"])
    assert rc == 0, err
    assert "frame 3" in stdout
    w, h = Image.open(out).size
    assert w > 1.6 * h > 500  # two panels side by side
    # the JSON output draws the same
    rc, _, err = run("viz", lifted["out"].with_suffix(".json"), "--out", tmp_path / "f2.png")
    assert rc == 0, err


def test_gif_animation_has_one_image_per_frame(lifted: dict, run, tmp_path: Path) -> None:
    out = tmp_path / "seq.gif"
    rc, stdout, err = run("viz", lifted["out"], "--out", out, "--step", 2, "--fps", 5, "--quiet")
    assert rc == 0, err
    im = Image.open(out)
    assert im.n_frames == 4 and "4 frames" in stdout
    assert im.info.get("duration") == 200  # 5 fps


def test_mp4_without_ffmpeg_is_a_clear_error(lifted: dict, run, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import wsgcn.viz as viz

    monkeypatch.setattr(viz.shutil, "which", lambda name: None)
    out = tmp_path / "seq.mp4"
    rc, _, err = run("viz", lifted["out"], "--out", out, "--quiet")
    assert rc == 2 and "ffmpeg" in err and len(err.strip().splitlines()) == 1
    assert not out.exists() and not list(tmp_path.iterdir())


def test_per_joint_chart_from_an_evaluation_json(run, tmp_path: Path) -> None:
    per_joint = {n: 10.0 + i for i, n in enumerate(H36M16.names)}
    (tmp_path / "eval.json").write_text(json.dumps({"mpjpe": {"action_wise": 50.0, "frame_wise": 49.0},
                                                     "per_joint": per_joint, "meta": {"split": "test"}}))
    rc, stdout, err = run("viz", tmp_path / "eval.json", "--out", tmp_path / "chart.png")
    assert rc == 0, err
    assert "16 joints" in stdout and Image.open(tmp_path / "chart.png").size[0] > 400


@pytest.mark.parametrize("args,fragment", [
    (["--out", "x.jpg"], "--out must end in"),
    (["--out", "x.png", "--frame", "99"], "out of range"),
    (["--out", "x.png", "--person", "7"], "no person with track id '7'"),
    (["--out", "x.png", "--gt", "GT16"], "lacks joints"),
])
def test_bad_viz_requests(lifted: dict, run, tmp_path: Path, args: list, fragment: str) -> None:
    np.savez(tmp_path / "gt16.npz", poses_3d=np.zeros((8, 16, 3)), joint_names=np.array(H36M16.names))
    args = [str(tmp_path / a) if a.startswith("x.") else str(tmp_path / "gt16.npz") if a == "GT16" else a for a in args]
    rc, _, err = run("viz", lifted["out"], *args)
    assert rc == 2 and fragment in err and "Traceback" not in err
    assert not any(p.suffix in (".png", ".jpg") for p in tmp_path.iterdir())


def test_readable_defaults(lifted: dict) -> None:
    # bones by side: left blue, right red
    assert bone_colour(H36M17, H36M17.index("LElbow")) == LEFT
    assert bone_colour(H36M17, H36M17.index("RKnee")) == RIGHT
    # the camera frame (y down) is drawn upright: the head above the feet
    pose = lifted["pose"][0] - lifted["pose"][0, :1]
    up = upright(pose)
    assert up[H36M17.index("Head"), 2] > up[H36M17.index("RFoot"), 2] + 1.0
    np.testing.assert_allclose(up[:, 1], pose[:, 2])  # depth axis = camera z
    kp = np.zeros((17, 2)) + np.arange(17)[:, None] * 10
    fig = pose_figure(kp, pose, H36M17, gt=pose + 0.05)
    ax3 = fig.axes[1]
    spans = [np.diff(lim)[0] for lim in (ax3.get_xlim(), ax3.get_ylim(), ax3.get_zlim())]
    np.testing.assert_allclose(spans, spans[0])  # equal scale on the three axes
    dashed = [ln for ln in ax3.get_lines() if ln.get_linestyle() == "--"]
    assert len(dashed) == len(H36M17.bones)  # ground truth drawn, one dashed line per bone
    colours = {to_hex(ln.get_color()) for ln in ax3.get_lines() if ln.get_linewidth() > 2}
    assert {to_hex(LEFT), to_hex(RIGHT)} <= colours
    assert fig.axes[0].yaxis_inverted()  # the 2D panel has image axes (v down)


def test_drawing_files_leaves_the_users_matplotlib_alone(tmp_path: Path):
    """Writing charts and pose pictures neither switches the session's backend (a notebook keeps
    its own) nor goes through pyplot's global figure list."""
    import subprocess
    import sys

    code = f"""
import sys, matplotlib
matplotlib.use("svg")
import numpy as np
from wsgcn import plots, viz
from wsgcn.data import preview
from wsgcn.figures import save_figure
from wsgcn.skeleton import H36M17
out = {str(tmp_path)!r}
plots.per_joint_chart({{"Hip": 1.0, "LHip": 2.0, "RHip": 3.0}}, out + "/joints.png")
plots.training_curves([{{"epoch": 1, "loss": 1.0, "val_mpjpe": 100.0}},
                       {{"epoch": 2, "loss": 0.5, "val_mpjpe": 90.0}}], out + "/curves.png", warmup_epochs=1)
save_figure(viz.pose_figure(np.random.rand(17, 2) * 100, np.random.rand(17, 3), H36M17), out + "/pose.png")
print(matplotlib.get_backend(), "matplotlib.pyplot" in sys.modules)
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.split() == ["svg", "False"]
    for name in ("joints.png", "curves.png", "pose.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_person_in_no_frame_is_a_clear_error(lifted: dict, run, tmp_path: Path) -> None:
    with np.load(lifted["out"], allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["present"] = np.zeros_like(arrays["present"])
    np.savez(tmp_path / "absent.npz", **arrays)
    for out in ("x.png", "x.gif"):
        rc, _, err = run("viz", str(tmp_path / "absent.npz"), "--out", str(tmp_path / out))
        assert rc == 2 and "is in no frame of this file" in err and "Traceback" not in err, err
        assert not (tmp_path / out).exists()
