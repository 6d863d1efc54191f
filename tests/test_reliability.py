"""Reliability and security (docs/RELIABILITY.md): one error path, safe loading, atomic writes,
crash-safe training, input validation.

* Every subcommand turns bad input into exit status 2 and one line on stderr, no traceback.
* Files crafted to run code when unpickled (a ``torch.save`` file with a ``__reduce__`` payload
  renamed ``.safetensors``, raw pickles, npz files whose object array is the payload, a YAML
  Python tag) are refused at every entry point, and the payload never runs (its marker file
  never appears) -- while the same files do run it under a naive loader, so the test is live.
* A write that fails half-way leaves the previous file intact and no temporary file behind.
* ``wsgcn train`` killed with SIGKILL at seeded random moments and resumed with ``--resume``
  ends with the same weights, optimiser/RNG state and metrics as an uninterrupted run.
"""

from __future__ import annotations

import errno
import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
import torch
import yaml

from wsgcn import cli
from wsgcn.camera import h36m_cameras, load_cameras, save_cameras
from wsgcn.checkpoint import build_model_from_config, load_model, read_checkpoint, save_checkpoint
from wsgcn.config import load_config
from wsgcn.errors import WsgcnError
from wsgcn.io import load_npz, read_json, write_json, write_npz, write_text
from wsgcn.keypoints import ABSENT, INTERPOLATED, MEAN_POSE
from wsgcn.lift import LiftOptions, Lifter, lift_file
from wsgcn.skeleton import H36M17

from support.cli import assert_user_error, run_cli
from support.files import keypoints_file, tiny_checkpoint

REPO = Path(__file__).resolve().parent.parent


# ----------------------------------------------------------------------------- helpers


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ----------------------------------------------------------------------------- crafted payloads

class Payload:
    """Unpickling this object calls ``open(marker, "w")``: code chosen by the file's author runs
    and leaves the marker file behind."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> tuple[Callable[..., Any], tuple[str, str]]:
        return (open, (self.marker, "w"))


@pytest.fixture()
def evil(tmp_path: Path) -> dict[str, Path]:
    """Files that run code when loaded naively, and the marker their payload would create."""
    marker = tmp_path / "PAYLOAD_RAN"
    d = tmp_path / "evil"
    d.mkdir()
    f = {"marker": marker, "dir": d}
    torch.save({"model.weight": torch.zeros(2), "x": Payload(marker)}, d / "torch_payload.safetensors")
    f["torch_ckpt"] = d / "torch_payload.safetensors"
    (d / "pickle_payload.safetensors").write_bytes(pickle.dumps(Payload(marker), protocol=2))
    f["pickle_ckpt"] = d / "pickle_payload.safetensors"
    np.savez(d / "object_payload.npz", keypoints=np.array([Payload(marker)], dtype=object))
    f["object_npz"] = d / "object_payload.npz"
    (d / "pickle_payload.npz").write_bytes(pickle.dumps(Payload(marker)))
    f["pickle_npz"] = d / "pickle_payload.npz"
    run = d / "run"
    (run / "checkpoints").mkdir(parents=True)
    for name in ("best", "last"):
        (run / "checkpoints" / f"{name}.safetensors").write_bytes(f["torch_ckpt"].read_bytes())
    f["run"] = run
    # a data folder whose dataset file is a bare pickle (np.load(allow_pickle=True) would run it)
    data = d / "data"
    data.mkdir()
    (data / "data_3d_mocap.npz").write_bytes(pickle.dumps({"positions_3d": Payload(marker)}))
    (data / "data_2d_mocap_gt.npz").write_bytes(pickle.dumps(Payload(marker)))
    write_json(data / "data_split_mocap.json", {"labelled": ["S1"], "unlabelled": ["S5"], "test": ["S9"]})
    f["data"] = data
    (d / "python_tag.yaml").write_text(f"name: !!python/object/apply:builtins.open ['{marker}', 'w']\n")
    f["yaml"] = d / "python_tag.yaml"
    return f


def test_the_crafted_files_run_code_under_a_naive_loader(evil: dict[str, Path]) -> None:
    """The payloads are live: without the package's safe loaders, loading them runs code."""
    marker = evil["marker"]
    as_pt = evil["dir"] / "same_bytes.pt"  # torch.load reads a .safetensors name as safetensors itself
    as_pt.write_bytes(evil["torch_ckpt"].read_bytes())
    for load in (lambda: torch.load(as_pt, weights_only=False),
                 lambda: pickle.loads(evil["pickle_ckpt"].read_bytes()),
                 lambda: np.load(evil["object_npz"], allow_pickle=True)["keypoints"],
                 lambda: np.load(evil["pickle_npz"], allow_pickle=True),
                 lambda: np.load(evil["data"] / "data_3d_mocap.npz", allow_pickle=True),
                 lambda: yaml.unsafe_load(evil["yaml"].read_text())):
        assert not marker.exists()
        load()
        assert marker.exists()
        marker.unlink()


@pytest.mark.parametrize("case", [
    "evaluate torch checkpoint", "evaluate pickle checkpoint", "evaluate run folder", "train --resume",
    "train config python tag", "train data folder", "evaluate data folder", "lift object npz",
    "lift pickle npz", "lift torch checkpoint", "viz object npz", "viz --gt object npz", "export-onnx torch checkpoint",
])
def test_no_entry_point_runs_code_from_a_file(case: str, evil: dict[str, Path], tmp_path: Path) -> None:
    e = evil
    good_ckpt = tiny_checkpoint(tmp_path / "good.safetensors", "data.joints=17")
    kp = keypoints_file(tmp_path / "kp.npz")
    out = tmp_path / "out"
    if case.startswith("viz --gt"):
        lift_file(kp, tmp_path / "lifted.npz", checkpoint=good_ckpt, progress=False)
    argv, named = {
        "evaluate torch checkpoint": (["evaluate", e["torch_ckpt"]], e["torch_ckpt"]),
        "evaluate pickle checkpoint": (["evaluate", e["pickle_ckpt"]], e["pickle_ckpt"]),
        "evaluate run folder": (["evaluate", e["run"]], e["run"] / "checkpoints" / "best.safetensors"),
        "train --resume": (["train", "--resume", e["run"], "--quiet"], e["run"] / "checkpoints" / "last.safetensors"),
        "train config python tag": (["train", e["yaml"], "--out", out], e["yaml"]),
        "train data folder": (["train", REPO / "configs/mocap_weak.yaml", "--set", f"data.dir={e['data']}",
                               "--out", out, "--quiet"], e["data"] / "data_3d_mocap.npz"),
        "evaluate data folder": (["evaluate", good_ckpt, "--data", e["data"]], e["data"] / "data_3d_mocap.npz"),
        "lift object npz": (["lift", e["object_npz"], "--checkpoint", good_ckpt, "--out", out / "o.npz"],
                            e["object_npz"]),
        "lift pickle npz": (["lift", e["pickle_npz"], "--checkpoint", good_ckpt, "--out", out / "o.npz"],
                            e["pickle_npz"]),
        "lift torch checkpoint": (["lift", kp, "--checkpoint", e["torch_ckpt"], "--out", out / "o.npz", "--quiet"],
                                  e["torch_ckpt"]),
        "viz object npz": (["viz", e["object_npz"], "--out", out / "v.png"], e["object_npz"]),
        "viz --gt object npz": (["viz", tmp_path / "lifted.npz", "--gt", e["object_npz"], "--out", out / "v.png"],
                                e["object_npz"]),
        "export-onnx torch checkpoint": (["export-onnx", e["torch_ckpt"], out / "m.onnx", "--no-check"],
                                         e["torch_ckpt"]),
    }[case]
    if case.startswith("export-onnx"):
        pytest.importorskip("onnxscript")
    rc, _, err = run_cli(*argv)
    assert_user_error(rc, err, str(named))
    assert not e["marker"].exists(), f"{case}: the payload ran"
    assert not out.exists() or not any(out.iterdir())


def test_refusals_from_a_real_process(evil: dict[str, Path], tmp_path: Path) -> None:
    """The same through ``python -m wsgcn``: exit status 2, one line, no traceback, no payload."""
    for argv, named in ((["evaluate", evil["torch_ckpt"]], evil["torch_ckpt"]),
                        (["lift", evil["object_npz"], "--out", tmp_path / "o.npz"], evil["object_npz"])):
        p = subprocess.run([sys.executable, "-m", "wsgcn", *map(str, argv)], capture_output=True, text=True,
                           cwd=REPO, timeout=120)
        line = assert_user_error(p.returncode, p.stderr, str(named))
        assert "pickle" in line or "safetensors" in line
        assert not evil["marker"].exists()
    assert not (tmp_path / "o.npz").exists()


# ----------------------------------------------------------------------------- one error path, every subcommand

@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Good and bad inputs shared by the CLI error tests."""
    d = tmp_path_factory.mktemp("cli_inputs")
    f: dict[str, Path] = {"dir": d}
    f["ckpt17"] = tiny_checkpoint(d / "m17.safetensors", "data.joints=17")
    f["kp"] = keypoints_file(d / "kp.npz")
    # a 17-joint checkpoint whose config claims 16 joints, and a Martinez one relabelled as SemGCN
    tensors, meta = read_checkpoint(f["ckpt17"])
    from safetensors.torch import save_file

    meta16 = json.loads(json.dumps(meta))
    meta16["config"]["data"]["joints"] = 16
    save_file(tensors, str(d / "joints.safetensors"), metadata={"wsgcn": json.dumps(meta16)})
    f["wrong_joints"] = d / "joints.safetensors"
    tiny_checkpoint(d / "mart.safetensors", "model.arch=martinez")
    t2, m2 = read_checkpoint(d / "mart.safetensors")
    m2["config"]["model"]["arch"] = "semgcn"
    save_file(t2, str(d / "arch.safetensors"), metadata={"wsgcn": json.dumps(m2)})
    f["wrong_arch"] = d / "arch.safetensors"
    (d / "trunc.safetensors").write_bytes(f["ckpt17"].read_bytes()[:500])
    f["trunc_ckpt"] = d / "trunc.safetensors"
    (d / "a_file").write_text("not a folder\n")
    f["file"] = d / "a_file"
    (d / "garbage.tgz").write_bytes(b"\x1f\x8b\x08\x00" + bytes(range(256)) * 4)
    f["tgz"] = d / "garbage.tgz"
    data = d / "data"  # a data folder with a truncated dataset file
    data.mkdir()
    (data / "data_3d_mocap.npz").write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    write_json(data / "data_split_mocap.json", {"labelled": ["S1"], "unlabelled": ["S5"], "test": ["S9"]})
    f["trunc_data"] = data
    cams = json.loads(json.dumps({"format": "wsgcn-cameras-1",
                                  "subjects": {"S1": [h36m_cameras()["S1"][0].to_dict()]}}))
    cams["subjects"]["S1"][0]["res_w"] = 1e999
    (d / "inf_cams.json").write_text(json.dumps(cams))
    f["inf_cams"] = d / "inf_cams.json"
    (d / "coco.json").write_text(json.dumps([{"image_id": 1, "keypoints": [1.0] * 51}]))
    f["coco"] = d / "coco.json"
    (d / "big.yaml").write_text("train:\n  epochs: " + "9" * 5000 + "\n")
    f["big_yaml"] = d / "big.yaml"
    return f


CLI_CASES: dict[str, tuple[list[str], list[str]]] = {
    # subcommand / bad input: (argv with {placeholders}, fragments of the one stderr line)
    "prepare-h36m: damaged archive": (["data", "prepare-h36m", "--archive", "{tgz}", "--out", "{out}", "--quiet"],
                                      ["{tgz}", "not a readable tar archive"]),
    "preview: no data folder": (["data", "preview", "--data", "{dir}/nowhere", "--out", "{out}/p.png"],
                                ["nowhere", "not found"]),
    "train: integer of 5000 digits": (["train", "{big_yaml}", "--out", "{out}"], ["{big_yaml}", "invalid YAML"]),
    "train: non-finite number": (["train", "configs/mocap_weak.yaml", "--set", "train.lr=.nan", "--out", "{out}"],
                                 ["train.lr must be a finite number"]),
    "train: list of the wrong type": (["train", "configs/mocap_weak.yaml", "--set", "data.test={{a: 1}}",
                                       "--out", "{out}"], ["data.test must be a list"]),
    "train: absurd network size": (["train", "configs/mocap_weak.yaml", "--set", "model.num_blocks=100000000",
                                    "--out", "{out}"], ["model.num_blocks must be from 0 to 64"]),
    "train: damaged dataset file": (["train", "configs/mocap_weak.yaml", "--set", "data.dir={trunc_data}",
                                     "--out", "{out}", "--quiet"], ["data_3d_mocap.npz", "not a valid npz"]),
    "evaluate: checkpoint of another joint set": (["evaluate", "{wrong_joints}"],
                                                  ["{wrong_joints}", "weights do not fit", "in the config"]),
    "evaluate: checkpoint of another architecture": (["evaluate", "{wrong_arch}"],
                                                     ["{wrong_arch}", "weights do not fit"]),
    "evaluate: truncated checkpoint": (["evaluate", "{trunc_ckpt}"], ["{trunc_ckpt}", "not a valid safetensors"]),
    "bench: odd channel count": (["bench", "--hidden", "3", "--seconds", "0.01"], ["even"]),
    "bench: no time": (["bench", "--seconds", "0"], ["positive"]),
    "lift: --out inside a file": (["lift", "{kp}", "--checkpoint", "{ckpt17}", "--out", "{file}/o.npz", "--quiet"],
                                  ["{file}/o.", "cannot write"]),
    "lift: --out is a folder": (["lift", "{kp}", "--checkpoint", "{ckpt17}", "--out", "{dirnpz}", "--quiet"],
                                ["cannot write"]),
    "lift: camera with infinite image size": (["lift", "{kp}", "--checkpoint", "{ckpt17}", "--cameras", "{inf_cams}",
                                               "--out", "{out}/o.npz", "--quiet"], ["{inf_cams}", "integers"]),
    "lift: checkpoint of another joint set": (["lift", "{kp}", "--checkpoint", "{wrong_joints}", "--out",
                                               "{out}/o.npz", "--quiet"], ["{wrong_joints}", "weights do not fit"]),
    "viz: not a lift output": (["viz", "{coco}", "--out", "{out}/v.png"], ["{coco}"]),
    "viz: truncated npz": (["viz", "{trunc_data}/data_3d_mocap.npz", "--out", "{out}/v.png"], ["not a valid npz"]),
    "export-onnx: checkpoint of another architecture": (["export-onnx", "{wrong_arch}", "{out}/m.onnx", "--no-check"],
                                                        ["{wrong_arch}", "weights do not fit"]),
}


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_every_subcommand_reports_bad_input_in_one_line(case: str, files: dict[str, Path], tmp_path: Path) -> None:
    argv, fragments = CLI_CASES[case]
    if case.startswith("export-onnx"):
        pytest.importorskip("onnxscript")
    out = tmp_path / "out"
    dirnpz = tmp_path / "folder.npz"
    dirnpz.mkdir()
    names = {k: str(v) for k, v in files.items()} | {"out": str(out), "dirnpz": str(dirnpz)}
    fill = lambda s: s.format(**names) if "{" in s else s  # noqa: E731
    old = Path.cwd()
    os.chdir(REPO)  # the configs/ paths
    try:
        rc, _, err = run_cli(*map(fill, argv))
    finally:
        os.chdir(old)
    assert_user_error(rc, err, *map(fill, fragments))
    assert not out.exists() or not any(out.iterdir()), "nothing is written on a user error"
    assert list(dirnpz.iterdir()) == []


def test_outputs_that_cannot_be_written_are_user_errors(mocap_slice: Path, files: dict[str, Path],
                                                        tmp_path: Path) -> None:
    """An output path inside a file, or onto a folder: one line naming it, nothing half-written."""
    (tmp_path / "e.json").mkdir()
    for args, named in ((["--json", f"{files['file']}/e.json"], f"{files['file']}/e.json"),
                        (["--json", tmp_path / "e.json"], str(tmp_path / "e.json")),
                        (["--chart", f"{files['file']}/c.png"], f"{files['file']}/c.png")):
        rc, out, err = run_cli("evaluate", files["ckpt17"], "--data", mocap_slice, "--set", "data.eval_stride=25", *args)
        assert_user_error(rc, err, named, "cannot write")
    assert _listing(tmp_path) == ["e.json"] and list((tmp_path / "e.json").iterdir()) == []


def test_output_folders_that_are_files_are_user_errors(mocap_slice: Path, files: dict[str, Path],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """``data build-mocap --out FILE`` and ``train --out FILE``: one line naming the file."""
    from wsgcn.data import mocap

    monkeypatch.setattr(mocap, "assemble_mocap", lambda *a, **k: None)  # skip the (slow) build itself
    rc, _, err = run_cli("data", "build-mocap", "--out", files["file"], "--force", "--quiet")
    assert_user_error(rc, err, str(files["file"]), "is a file, not a folder")
    rc, _, err = run_cli("train", REPO / "configs/mocap_weak.yaml", "--set", f"data.dir={mocap_slice}",
                         "--set", "model.hidden=8", "--set", "train.epochs=1", "--out", files["file"], "--quiet")
    assert_user_error(rc, err, str(files["file"]), "is a file, not a folder")
    assert files["file"].read_text() == "not a folder\n"


def test_an_internal_bug_keeps_its_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only WsgcnError is a user error: anything else propagates out of main() (Python prints the
    traceback and exits with status 1), so bugs are not disguised as bad input."""
    from wsgcn import bench

    def broken(**kwargs: Any) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(bench, "run_bench", broken)
    with pytest.raises(ZeroDivisionError):
        cli.main(["bench", "--seconds", "0.01"])


# ----------------------------------------------------------------------------- input validation

def test_json_that_defeats_the_parser(tmp_path: Path) -> None:
    for name, text, fragment in (("deep.json", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
                                 ("digits.json", '{"res_w": ' + "1" * 5000 + "}", "4300"),
                                 ("nul.json", '{"a": "\x00', "invalid JSON")):
        (tmp_path / name).write_text(text)
        with pytest.raises(WsgcnError, match=fragment) as e:
            read_json(tmp_path / name)
        assert str(tmp_path / name) in str(e.value) and "\n" not in str(e.value)


def test_yaml_that_defeats_the_parser(tmp_path: Path) -> None:
    for name, text, fragment in (("deep.yaml", "a: " + "[" * 5000 + "]" * 5000, "invalid YAML"),
                                 ("digits.yaml", "train:\n  epochs: " + "1" * 5000, "invalid YAML"),
                                 ("inf.yaml", "train:\n  lr: .inf", "train.lr must be a finite number"),
                                 ("huge.yaml", "model:\n  hidden: " + "8" * 40, "model.hidden must be an even number"),
                                 ("list.yaml", "data:\n  labelled: {S1: 1}", "data.labelled must be a list")):
        (tmp_path / name).write_text(text)
        with pytest.raises(WsgcnError, match=fragment) as e:
            load_config(tmp_path / name)
        assert str(tmp_path / name) in str(e.value) or "config:" in str(e.value)


def test_camera_files_with_impossible_numbers(tmp_path: Path) -> None:
    rig = {"S1": h36m_cameras()["S1"][:1]}
    save_cameras(tmp_path / "c.json", rig)
    base = json.loads((tmp_path / "c.json").read_text())
    for change, fragment in ((lambda c: c.update(res_h=float("inf")), "res_w and res_h must be integers"),
                             (lambda c: c.update(res_w=0), "image size must be positive"),
                             (lambda c: c["R"][0].__setitem__(0, 10 ** 30), "'R'"),
                             (lambda c: c.update(center=[float("nan"), 1.0]), "'center'"),
                             (lambda c: c.update(focal_length=[-1.0, 1.0]), "focal_length must be positive")):
        doc = json.loads(json.dumps(base))
        change(doc["subjects"]["S1"][0])
        (tmp_path / "bad.json").write_text(json.dumps(doc))
        with pytest.raises(WsgcnError, match=fragment):
            load_cameras(tmp_path / "bad.json")


def test_npz_members_that_are_not_arrays(tmp_path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(tmp_path / "raw.npz", "w") as z:
        z.writestr("keypoints.npy", b"this is not an npy member")
    with pytest.raises(WsgcnError, match="member 'keypoints' is not a NumPy array"):
        load_npz(tmp_path / "raw.npz")
    bad_text = np.array(["ab"]).view(np.uint32).copy()
    bad_text[0] = 0x110000  # beyond the last Unicode code point
    np.savez(tmp_path / "text.npz", joint_format=bad_text.view("<U2"))
    with pytest.raises(WsgcnError, match="not valid Unicode"):
        load_npz(tmp_path / "text.npz")
    with zipfile.ZipFile(tmp_path / "header.npz", "w") as z:  # an npy header that is not a Python literal
        z.writestr("a.npy", b"\x93NUMPY\x01\x00\x16\x00{'descr': '<f8', (((\n")
    with pytest.raises(WsgcnError, match="not a valid npz"):
        load_npz(tmp_path / "header.npz")


def test_zip_bomb_is_refused_before_it_inflates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """64 MiB of zeros compress to ~65 kB; with the limit lowered to 16 MiB the archive is
    refused from its declared sizes, by load_npz and by ``wsgcn lift`` (one line, status 2)."""
    bomb = tmp_path / "bomb.npz"
    np.savez_compressed(bomb, keypoints=np.zeros((1 << 24,), np.float32))
    assert bomb.stat().st_size < 1 << 20
    assert load_npz(bomb)["keypoints"].shape == (1 << 24,)  # accepted under the default limit
    with pytest.raises(WsgcnError, match="64 MiB once uncompressed, more than the 16 MiB"):
        load_npz(bomb, max_bytes=16 << 20)
    monkeypatch.setattr("wsgcn.io.NPZ_MAX_BYTES", 16 << 20)
    ckpt = tiny_checkpoint(tmp_path / "m.safetensors")
    rc, _, err = run_cli("lift", bomb, "--checkpoint", ckpt, "--out", tmp_path / "o.npz", "--quiet")
    assert_user_error(rc, err, "bomb.npz", "once uncompressed")
    assert not (tmp_path / "o.npz").exists()


def test_checkpoint_that_asks_for_a_huge_network_is_refused_without_building_it(tmp_path: Path) -> None:
    """The shapes are compared on PyTorch's meta device first: a checkpoint whose config asks for
    64 blocks of 4096 channels (~17 GB of weights) is refused in well under a second."""
    from safetensors.torch import save_file

    tensors, meta = read_checkpoint(tiny_checkpoint(tmp_path / "m.safetensors"))
    meta["config"]["model"].update(hidden=4096, num_blocks=64)
    save_file(tensors, str(tmp_path / "huge.safetensors"), metadata={"wsgcn": json.dumps(meta)})
    t0 = time.perf_counter()
    with pytest.raises(WsgcnError, match=r"huge.safetensors: weights do not fit the architecture in its config"):
        load_model(tmp_path / "huge.safetensors")
    assert time.perf_counter() - t0 < 5.0


def test_lifter_rejects_bad_image_sizes_and_keeps_non_finite_joints_out(tmp_path: Path) -> None:
    lifter = Lifter.from_checkpoint(tiny_checkpoint(tmp_path / "m.safetensors", "data.joints=17"))
    kp = np.load(keypoints_file(tmp_path / "k.npz"))["keypoints"]
    for size in ((0, 1000), (-1000, 1000), (float("nan"), 1000), (float("inf"), 1000), (1000,)):
        with pytest.raises(WsgcnError, match="image_size"):
            lifter.lift(kp, size)
    holed = kp.copy()
    holed[2, H36M17.index("LElbow")] = np.inf  # a non-finite joint counts as missing and is filled
    holed[3] = np.nan  # a frame without any joint: interpolated in time, or (max_gap 0) left out
    poses, flags = lifter.lift(holed, (1000, 1002), return_flags=True)
    assert np.isfinite(poses).all() and (flags[3] == INTERPOLATED).all()
    assert flags[2, H36M17.index("LElbow")] == INTERPOLATED
    poses, flags = lifter.lift(holed, (1000, 1002), max_gap=0, return_flags=True)
    assert np.isfinite(poses[[0, 1, 2, 4, 5]]).all() and np.isnan(poses[3]).all() and (flags[3] == ABSENT).all()
    assert flags[2, H36M17.index("LElbow")] == MEAN_POSE
    with pytest.raises(WsgcnError, match=r"\(N, 16, 2\)"):
        Lifter.from_checkpoint(tiny_checkpoint(tmp_path / "m16.safetensors")).predict_normalized(np.zeros((4, 17, 2)))


# ----------------------------------------------------------------------------- atomic writes

def _partial_then_fail(exc: BaseException) -> Callable[..., None]:
    """A stand-in for a low-level writer: writes a few garbage bytes to the file it was given (the
    temporary file), then fails like a full disk (or a Ctrl-C)."""
    def writer(target: Any, *args: Any, **kwargs: Any) -> None:
        name = getattr(target, "filename", None) or target
        if isinstance(name, (str, os.PathLike)):
            with open(name, "ab") as fh:
                fh.write(b"half-written garbage")
        raise exc
    return writer


def _writers(tmp: Path) -> dict[str, tuple[Path, Callable[[int], None], Callable[[pytest.MonkeyPatch, BaseException], None]]]:
    """name -> (target file, write(version), install a failing low-level writer)."""
    from wsgcn import checkpoint, plots

    model_cfg = load_config(None, ["model.hidden=8", "model.num_blocks=0"])
    ckpt_model = build_model_from_config(model_cfg)
    kp = keypoints_file(tmp / "kp.npz")
    ck = tiny_checkpoint(tmp / "m17.safetensors", "data.joints=17")

    def lift_out(v: int) -> None:
        lift_file(kp, tmp / "lift.npz", LiftOptions(min_score=0.1 * v), checkpoint=ck, progress=False)

    def fail_path_method(name: str) -> Callable[[pytest.MonkeyPatch, BaseException], None]:
        return lambda mp, exc: mp.setattr(Path, name, lambda self, *a, **k: _partial_then_fail(exc)(self))

    return {
        "write_text": (tmp / "t.txt", lambda v: write_text(tmp / "t.txt", f"version {v}\n"),
                       fail_path_method("write_text")),
        "write_json": (tmp / "j.json", lambda v: write_json(tmp / "j.json", {"version": v}),
                       fail_path_method("write_text")),
        "write_npz": (tmp / "a.npz", lambda v: write_npz(tmp / "a.npz", a=np.full(1000, v), b=np.arange(v + 3)),
                      lambda mp, exc: mp.setattr("zipfile.ZipFile.writestr",
                                                 lambda self, *a, **k: _partial_then_fail(exc)(self.filename))),
        "save_checkpoint": (tmp / "c.safetensors",
                            lambda v: save_checkpoint(tmp / "c.safetensors", ckpt_model, {"epoch": v}, write_sidecar=False),
                            lambda mp, exc: mp.setattr(checkpoint, "save_file",
                                                       lambda t, fn, metadata=None: _partial_then_fail(exc)(fn))),
        "save_cameras": (tmp / "cams.json",
                         lambda v: save_cameras(tmp / "cams.json", {"S1": h36m_cameras()["S1"][:v]}),
                         fail_path_method("write_text")),
        "training curves (PNG)": (tmp / "curves.png",
                                  lambda v: plots.training_curves([{"epoch": e + 1, "loss": 1.0 / (e + 1), "val_mpjpe": 100.0 - e}
                                                                   for e in range(v + 1)], tmp / "curves.png", title="t"),
                                  lambda mp, exc: mp.setattr("matplotlib.figure.Figure.savefig",
                                                             lambda self, fn, *a, **k: _partial_then_fail(exc)(fn))),
        "lift output (npz + json)": (tmp / "lift.npz", lift_out,  # fails inside the npz, after the JSON is written
                                     lambda mp, exc: mp.setattr("zipfile.ZipFile.writestr",
                                                                lambda self, *a, **k: _partial_then_fail(exc)(self.filename))),
    }


WRITERS = ["write_text", "write_json", "write_npz", "save_checkpoint", "save_cameras", "training curves (PNG)",
           "lift output (npz + json)"]


@pytest.mark.parametrize("exc", [OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt()],
                         ids=["disk full", "Ctrl-C"])
@pytest.mark.parametrize("name", WRITERS)
def test_a_failed_write_keeps_the_previous_file_and_leaves_no_temporary(name: str, exc: BaseException, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    target, write, install_failure = _writers(tmp_path)[name]
    write(1)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    with monkeypatch.context() as mp:
        install_failure(mp, exc)
        with pytest.raises(type(exc)):
            write(2)
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    assert after == before, f"{name}: files changed or temporaries left: {sorted(set(after) ^ set(before))}"
    write(2)  # and a later write succeeds and replaces it
    assert target.read_bytes() != before[target.name]
    assert not [p for p in _listing(tmp_path) if p.startswith(".")]


# ----------------------------------------------------------------------------- crash-safe training

TRAIN_SETS = ["train.epochs=4", "train.warmup_epochs=1", "train.max_steps_per_epoch=10", "train.batch_size=64",
              "model.hidden=32", "model.num_blocks=1", "train.threads=1"]
KILLS = 3
KILL_SEED = 11


def _launch(run: Path, data: Path, resume: bool) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "wsgcn", "train", "--quiet"]
    if resume:
        cmd += ["--resume", str(run)]
    else:
        cmd += [str(REPO / "configs/mocap_weak.yaml"), "--out", str(run), "--set", f"data.dir={data}"]
        for s in TRAIN_SETS:
            cmd += ["--set", s]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _saved_epoch(run: Path) -> int:
    """Epochs completed in the run's last checkpoint (0 when there is none yet)."""
    try:
        return int(json.loads((run / "checkpoints" / "last.json").read_text())["epoch"])
    except (OSError, ValueError, KeyError):
        return 0


def _check_files_whole(run: Path) -> None:
    """Every file a killed run left is complete: the checkpoints load, the logs parse."""
    for name in ("last", "best"):
        if (run / "checkpoints" / f"{name}.safetensors").exists():
            read_checkpoint(run / "checkpoints" / f"{name}.safetensors")
            json.loads((run / "checkpoints" / f"{name}.json").read_text())
    if (run / "metrics.jsonl").exists():
        rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
        assert [r["epoch"] for r in rows] == list(range(1, len(rows) + 1))
    if (run / "config.yaml").exists():
        assert yaml.safe_load((run / "config.yaml").read_text())["train"]["epochs"] == 4


def _no_timing(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in ("train_s", "data_s")} for r in rows]


@pytest.mark.slow
def test_sigkill_at_random_moments_then_resume_equals_an_uninterrupted_run(mocap_slice: Path, tmp_path: Path) -> None:
    from wsgcn.train import train

    threads = torch.get_num_threads()
    try:  # the reference: the same config, uninterrupted, in this process
        cfg = load_config(REPO / "configs/mocap_weak.yaml", [f"data.dir={mocap_slice}", *TRAIN_SETS])
        train(cfg, tmp_path / "ref", progress=False)
        ref_rows = [json.loads(x) for x in (tmp_path / "ref/metrics.jsonl").read_text().splitlines()]
        step_s = float(np.mean([r["train_s"] for r in ref_rows]))  # training steps of one epoch, on this machine now
    finally:
        torch.set_num_threads(threads)
    run = tmp_path / "killed"
    rng = np.random.default_rng(KILL_SEED)
    log: list[dict] = []
    resumes = restarts = 0
    after_epoch = 0
    for k in range(KILLS):
        # seeded random moments: the first kill within 3 s of the start (before the first checkpoint
        # on this machine: the run starts again); each later one in a random epoch after the previous
        # kill's (the run resumes), at a random moment within the training steps of the epoch after
        # that one (a fraction of their measured time, so the kill lands mid-run however fast epochs are)
        after_epoch = 0 if k == 0 else int(rng.integers(after_epoch + 1, 4 - (KILLS - 1 - k)))
        delay = float(rng.uniform(0.0, 3.0)) if k == 0 else float(rng.uniform(0.0, 0.9)) * step_s
        resume = (run / "checkpoints" / "last.safetensors").exists()
        resumes, restarts = resumes + resume, restarts + (not resume and k > 0)
        p = _launch(run, mocap_slice, resume)
        t_end = time.monotonic() + 120
        while _saved_epoch(run) < after_epoch and p.poll() is None and time.monotonic() < t_end:
            time.sleep(0.01)
        time.sleep(delay)
        was_running = p.poll() is None
        p.send_signal(signal.SIGKILL) if was_running else None
        rc = p.wait(timeout=120)
        log.append({"after_epoch": after_epoch, "delay_s": round(delay, 3), "killed": was_running and rc == -9,
                    "saved_epoch_at_kill": _saved_epoch(run)})
        if not log[-1]["killed"]:
            assert rc == 0, p.stderr.read() if p.stderr else rc
        _check_files_whole(run)
    while _saved_epoch(run) < 4:  # finish the run
        resume = (run / "checkpoints" / "last.safetensors").exists()
        resumes, restarts = resumes + resume, restarts + (not resume)
        p = _launch(run, mocap_slice, resume)
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    kills = sum(e["killed"] for e in log)
    stale = [p for p in (run / "checkpoints").iterdir() if p.name.startswith(".")] + \
            [p for p in run.iterdir() if p.name.startswith(".")]
    print(f"kill-and-resume: {kills} kills {log}, {resumes} resumes, {restarts} restarts from scratch, "
          f"{len(stale)} stale temporary file(s) left by the kills")
    assert kills >= 2, log
    assert any(e["killed"] and 0 < e["saved_epoch_at_kill"] < 4 for e in log), "no kill landed mid-run"
    assert resumes >= 1
    # identical weights, optimiser state, RNG and data-stream state, and metrics
    ta, ma = read_checkpoint(tmp_path / "ref/checkpoints/last.safetensors")
    tb, mb = read_checkpoint(run / "checkpoints/last.safetensors")
    assert ta.keys() == tb.keys()
    for key in ta:
        assert torch.equal(ta[key], tb[key]), key
    assert _no_timing(ma["history"]) == _no_timing(mb["history"])
    ba, _ = read_checkpoint(tmp_path / "ref/checkpoints/best.safetensors")
    bb, _ = read_checkpoint(run / "checkpoints/best.safetensors")
    assert all(torch.equal(ba[k], bb[k]) for k in ba)
    rows_a = [json.loads(x) for x in (tmp_path / "ref/metrics.jsonl").read_text().splitlines()]
    rows_b = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert len(rows_b) == 4 and _no_timing(rows_a) == _no_timing(rows_b)


@pytest.mark.parametrize("argv, prog, fragment", [
    (["frobnicate"], "wsgcn", "invalid choice: 'frobnicate'"),
    (["bench", "--threads", "two"], "wsgcn bench", "invalid int value: 'two'"),
    (["train", "configs/mocap_weak.yaml", "--sett", "x=1"], "wsgcn", "unrecognized arguments: --sett"),
    (["data"], "wsgcn data", "required: DATA_COMMAND"),
])
def test_usage_errors_are_one_line_with_status_2(argv: list[str], prog: str, fragment: str) -> None:
    rc, out, err = run_cli(*argv)
    lines = err.splitlines()
    assert rc == 2 and out == "", (rc, out, err)
    assert len(lines) == 1 and lines[0].startswith(f"{prog}: error: ") and fragment in lines[0], err
    assert lines[0].endswith(f"(see `{prog} --help`)")
