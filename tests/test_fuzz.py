"""Fuzzing every reader of user files: random bytes and mutated valid files.

Each reader gets ``WSGCN_FUZZ_CASES`` (default 200) seeded cases built from small valid seed
files: random bytes, byte-level mutations (truncation, bit flips, byte insertions, deletions,
repeated spans), and structure-aware mutations that keep the container valid so the mutation
reaches the reader's own checks (JSON/YAML trees with values swapped for wrong types, huge or
non-finite numbers, deep nesting; npz members re-zipped with a correct CRC; safetensors headers
and their embedded wsgcn metadata; the dicts inside the dataset npz files; the arrays of a
``wsgcn lift`` output swapped for arrays of other shapes and kinds).

Every case must end in a valid result or a :class:`wsgcn.WsgcnError` -- never another exception
and never a hang (each case runs under a 5 s alarm). ``WSGCN_FUZZ_CASES=5000`` runs a longer
campaign by hand; docs/RELIABILITY.md lists the counts.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import signal
import struct
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pytest
import torch
import yaml

from wsgcn.camera import h36m_cameras, load_cameras, save_cameras
from wsgcn.checkpoint import build_model_from_config, load_model, read_checkpoint, save_checkpoint
from wsgcn.config import load_config
from wsgcn.data.h36m import read_positions_2d, read_positions_3d, write_positions_2d, write_positions_3d
from wsgcn.errors import WsgcnError
from wsgcn.io import load_npz, read_json
from wsgcn.keypoints import prepare_tracks, read_keypoints
from wsgcn.lift import LiftOptions, lift_file
from wsgcn.lift_output import read_lift_output
from wsgcn.skeleton import H36M17

CASES = int(os.environ.get("WSGCN_FUZZ_CASES", "200"))
SEED = int(os.environ.get("WSGCN_FUZZ_SEED", "72024"))
CASE_SECONDS = 5.0
REPO = Path(__file__).resolve().parent.parent


# ----------------------------------------------------------------------------- time limit

class CaseTimeout(Exception):
    """A fuzz case ran longer than :data:`CASE_SECONDS` (counted as a hang)."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`CaseTimeout` in the main thread after ``seconds`` (SIGALRM)."""
    def on_alarm(signum: int, frame: Any) -> None:
        raise CaseTimeout(f"case ran longer than {seconds} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# ----------------------------------------------------------------------------- mutations

def mutate_bytes(rng: np.random.Generator, data: bytes) -> tuple[bytes, str]:
    """One byte-level mutation of ``data``: truncation, bit flips, insertion, deletion or a repeated span."""
    b = bytearray(data)
    kind = rng.choice(["truncate", "flip", "insert", "delete", "repeat"])
    n = len(b)
    if kind == "truncate" or n == 0:
        cut = int(rng.integers(0, max(1, n)))
        return bytes(b[:cut]), f"truncate to {cut} of {n} bytes"
    if kind == "flip":
        k = int(rng.integers(1, 9))
        # half of the flips land in the first 256 bytes, where headers live
        pos = [int(rng.integers(0, min(n, 256))) if rng.random() < 0.5 else int(rng.integers(0, n)) for _ in range(k)]
        for p in pos:
            b[p] ^= 1 << int(rng.integers(0, 8))
        return bytes(b), f"flip {k} bit(s) at {sorted(pos)[:4]}"
    if kind == "insert":
        p, k = int(rng.integers(0, n + 1)), int(rng.integers(1, 17))
        b[p:p] = rng.integers(0, 256, k, dtype=np.uint8).tobytes()
        return bytes(b), f"insert {k} byte(s) at {p}"
    if kind == "delete":
        p = int(rng.integers(0, n))
        k = int(rng.integers(1, 17))
        del b[p:p + k]
        return bytes(b), f"delete {k} byte(s) at {p}"
    p = int(rng.integers(0, n))
    k = int(rng.integers(1, 65))
    b[p:p] = b[p:p + k] * int(rng.integers(1, 4))
    return bytes(b), f"repeat {k} byte(s) at {p}"


TEXT_TOKENS: list[bytes] = [
    b"1" * 5000, b"[" * 50_000, b'{"a":' * 5000, b"- " * 5000, b"NaN", b"Infinity", b"-Infinity", b"1e999",
    b"-1e999", b'"\\ud800"', b"\xff\xfe", b"\x00", b"null", b"&a [*a]", b"!!python/object/apply:os.getcwd []",
    b"9" * 400, b",,,,", b"\r\n", b"\t",
]
"""Tokens spliced into text files: huge integers, deep nesting, non-finite numbers, lone surrogates,
invalid UTF-8, NUL bytes, YAML aliases and Python tags."""


def splice_token(rng: np.random.Generator, data: bytes) -> tuple[bytes, str]:
    """Insert (or, half of the time, overwrite a span with) one of :data:`TEXT_TOKENS`."""
    tok = TEXT_TOKENS[int(rng.integers(0, len(TEXT_TOKENS)))]
    p = int(rng.integers(0, len(data) + 1))
    end = p + int(rng.integers(0, 12)) if rng.random() < 0.5 else p
    return data[:p] + tok + data[end:], f"splice {tok[:12]!r}... at {p}"


def _deep(depth: int) -> Any:
    x: Any = [1]
    for _ in range(depth):
        x = [x]
    return x


JSON_POOL: list[Any] = [
    None, True, False, 0, -1, 1, 3, 17, 2 ** 31, 10 ** 30, 10 ** 400, 0.5, -1e-3, 1e308, float("inf"),
    float("-inf"), float("nan"), "", "x", "S1", "\u00e9", "\ud800", [], {}, [1, 2], [[0.0, 0.0]] * 17,
    {"a": 1}, _deep(40), [None] * 51, ["a"] * 51, [1e999] * 9,
]
"""Replacement values for tree mutations: wrong types, huge/negative/non-finite numbers, deep nesting."""


def _paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    """Every node path (tuple of keys/indices) in a JSON-like tree, the root included."""
    out = [prefix]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj[:64]):
            out += _paths(v, prefix + (i,))
    return out


def _get(obj: Any, path: tuple) -> Any:
    for k in path:
        obj = obj[k]
    return obj


def mutate_tree(rng: np.random.Generator, obj: Any, pool: list[Any] = JSON_POOL) -> tuple[Any, str]:
    """One structural mutation of a JSON-like tree: replace a node by a pool value, delete or
    rename a key, drop or duplicate a list element, or nest a node inside a list."""
    obj = copy.deepcopy(obj)
    paths = _paths(obj)
    path = paths[int(rng.integers(0, len(paths)))]
    kind = rng.choice(["replace", "replace", "replace", "delete", "rename", "duplicate", "wrap"])
    if not path:
        return pool[int(rng.integers(0, len(pool)))], "replace the root"
    parent, key = _get(obj, path[:-1]), path[-1]
    where = "/".join(str(p) for p in path)
    if kind == "replace":
        v = pool[int(rng.integers(0, len(pool)))]
        parent[key] = copy.deepcopy(v)
        return obj, f"{where} := {str(v)[:30]}"
    if kind == "delete":
        del parent[key]
        return obj, f"delete {where}"
    if kind == "rename" and isinstance(parent, dict):
        parent[str(key) + "x"] = parent.pop(key)
        return obj, f"rename {where}"
    if kind == "duplicate" and isinstance(parent, list):
        parent.insert(key, copy.deepcopy(parent[key]))
        return obj, f"duplicate {where}"
    parent[key] = [parent[key]]
    return obj, f"wrap {where} in a list"


def mutate_zip(rng: np.random.Generator, data: bytes) -> tuple[bytes, str]:
    """Mutate one member of a zip (npz) and re-zip it with a correct CRC, so the mutation reaches
    the reader behind the zip layer."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = [(i, zf.read(i)) for i in zf.infolist()]
    k = int(rng.integers(0, len(members)))
    new, what = mutate_bytes(rng, members[k][1])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as zf:
        for j, (info, payload) in enumerate(members):
            zf.writestr(info.filename, new if j == k else payload)
    return out.getvalue(), f"member {members[k][0].filename}: {what}"


# ----------------------------------------------------------------------------- structured codecs

def _json_codec() -> tuple[Callable[[bytes], Any], Callable[[Any], bytes]]:
    return (lambda b: json.loads(b.decode("utf-8")), lambda o: json.dumps(o).encode("utf-8"))


def _yaml_codec() -> tuple[Callable[[bytes], Any], Callable[[Any], bytes]]:
    return (lambda b: yaml.safe_load(b.decode("utf-8")),
            lambda o: yaml.safe_dump(o, allow_unicode=False, sort_keys=False).encode("utf-8"))


def _safetensors_codec() -> tuple[Callable[[bytes], Any], Callable[[Any], bytes]]:
    """A safetensors file as {"header": tensor entries, "meta": the wsgcn metadata (parsed), "body": bytes}."""
    def parse(b: bytes) -> Any:
        n = struct.unpack("<Q", b[:8])[0]
        header = json.loads(b[8:8 + n])
        meta = json.loads(header["__metadata__"]["wsgcn"])
        return {"header": header, "meta": meta, "body": b[8 + n:]}

    def dump(o: Any) -> bytes:
        header = o.get("header") if isinstance(o, dict) else o
        meta = o.get("meta") if isinstance(o, dict) else None
        body = o.get("body", b"") if isinstance(o, dict) else b""
        if isinstance(header, dict) and isinstance(header.get("__metadata__"), dict):
            header["__metadata__"]["wsgcn"] = json.dumps(meta)
        text = json.dumps(header).encode("utf-8")
        return struct.pack("<Q", len(text)) + text + (body if isinstance(body, bytes) else b"")

    return parse, dump


ARRAY_POOL: list[Any] = [
    None, 5, "x", [], {}, np.zeros((0, 17, 3), np.float32), np.full((2, 17, 3), np.nan, np.float32),
    np.full((2, 17, 2), np.inf, np.float32), np.ones((2, 5, 3), np.float32), np.ones((2, 17), np.float32),
    np.ones((2, 17, 4), np.float32), np.array(["a", "b"]), np.ones((2, 0, 2), np.float32),
    [np.ones((3, 17, 2), np.float32)], [np.ones((3, 17, 2), np.float32)] * 5, {"S1": 1}, {"": {}},
    {1: {2: np.ones((2, 17, 3), np.float32)}}, -1, 0, 10 ** 30, [[0, 1], [2]], [[0, 1], [2, 99]],
]
"""Replacement values inside the dataset dicts (pickled inside the npz)."""


def _dataset_tree(rng: np.random.Generator, data: bytes) -> tuple[bytes, str]:
    """Load a dataset npz's dicts, mutate them with :data:`ARRAY_POOL` values, write them back."""
    with np.load(io.BytesIO(data), allow_pickle=True) as z:
        obj = {k: z[k].item() for k in z.files}
    mutated, what = mutate_tree(rng, obj, ARRAY_POOL)
    buf = io.BytesIO()
    if isinstance(mutated, dict):
        np.savez(buf, **{str(k): np.array(v, dtype=object) for k, v in mutated.items()})
    else:
        np.savez(buf, positions=np.array(mutated, dtype=object))
    return buf.getvalue(), what


LIFT_ARRAY_POOL: list[np.ndarray] = [
    np.zeros((0,), np.float32), np.array(5), np.array(["a", "b"]), np.ones((2, 3), bool), np.zeros((1, 1, 1, 1, 1)),
    np.full((2, 4, 17, 3), np.nan, np.float32), np.ones((1, 4, 16, 3), np.float32), np.ones((2, 4, 17), np.float64),
    np.full((2, 4, 17), 9, np.uint8), np.full((2, 4, 17), -1, np.int64), np.ones((2, 4, 17, 2), np.complex64),
    np.array([1e30, -1.0]), np.array([0, 0]), np.full((3,), 2 ** 62, np.int64), np.array("{}"), np.array("[" * 50_000),
    np.array('{"format": "wsgcn-lift-1"}'), np.array(b'{"format": "wsgcn-lift-1"}'), np.zeros((2, 0, 17, 3), np.float32),
]
"""Replacement members of a ``wsgcn lift`` npz: wrong shapes, dtypes and codes, empty arrays, bytes
instead of text, a meta that is not a dict or nests too deeply."""


def _lift_npz_members(rng: np.random.Generator, data: bytes) -> tuple[bytes, str]:
    """Replace or delete one member of a ``wsgcn lift`` npz (or mutate the JSON tree of its meta)
    and write the npz again, so the change reaches the reader's own checks."""
    with np.load(io.BytesIO(data)) as z:
        arrays = {k: z[k] for k in z.files}
    key = sorted(arrays)[int(rng.integers(0, len(arrays)))]
    kind = rng.choice(["replace", "replace", "delete", "meta"])
    if kind == "delete":
        del arrays[key]
        what = f"delete {key}"
    elif kind == "meta":
        tree, what = mutate_tree(rng, json.loads(str(arrays["meta"])))
        arrays["meta"], what = np.array(json.dumps(tree)), "meta: " + what
    else:
        arrays[key] = LIFT_ARRAY_POOL[int(rng.integers(0, len(LIFT_ARRAY_POOL)))]
        what = f"{key} := {arrays[key].dtype} {arrays[key].shape}"
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue(), what


def _lift_output_seeds(tmp: Path, checkpoint: Path) -> dict[str, list[bytes]]:
    """Outputs of ``wsgcn lift`` (npz and JSON): one person without a camera, and two people (one
    leaving after two frames) with the camera's focal length (absolute root and intrinsics)."""
    rng = np.random.default_rng(2)
    kp, sc = rng.uniform(300, 700, (2, 4, 17, 2)), rng.uniform(0.5, 1.0, (2, 4, 17))
    rows = [{"image_id": t, "category_id": 1, "track_id": p + 1, "score": 0.9,
             "keypoints": [float(v) for v in np.concatenate([kp[p, t], sc[p, t, :, None]], 1).ravel()]}
            for t in range(4) for p in range(2) if p == 0 or t < 2]
    (tmp / "two_in.json").write_text(json.dumps(rows))
    lift_file(tmp / "two_in.json", tmp / "two.npz", LiftOptions(width=1000, height=1000, focal=1000.0),
              checkpoint=checkpoint, progress=False)
    np.savez(tmp / "one_in.npz", keypoints=kp[0], image_size=np.array([1000, 1000]), joint_format=np.array("coco17"))
    lift_file(tmp / "one_in.npz", tmp / "one.npz", checkpoint=checkpoint, progress=False)
    return {s: [(tmp / f"two.{s}").read_bytes(), (tmp / f"one.{s}").read_bytes()] for s in ("npz", "json")}


def _read_lift_output(path: Path) -> dict[str, Any]:
    """:func:`read_lift_output`, and what an accepted file promises: the npz layout, every array of
    the shape that the others imply (P people, T frames, J joints)."""
    out = read_lift_output(path)
    P, T, J = out["poses_3d"].shape[:3]
    shapes = {"poses_3d": (P, T, J, 3), "keypoints_2d": (P, T, J, 2), "flags": (P, T, J), "scores": (P, T, J),
              "present": (P, T), "track_ids": (P,), "frame_ids": (T,), "joint_names": (J,), "image_size": (2,),
              "root": (P, T, 3), "intrinsics": (9,)}
    wrong = {k: out[k].shape for k, s in shapes.items() if k in out and out[k].shape != s}
    assert not wrong, f"accepted with shapes {wrong} (P, T, J = {P}, {T}, {J})"
    assert out["present"].dtype == bool and out["flags"].dtype.kind in "ui" and isinstance(out["meta"], dict)
    return out


# ----------------------------------------------------------------------------- readers

@dataclass
class Reader:
    """A reader under test: its seed files, what it does with a path, and its mutation strategies."""

    name: str
    suffix: str
    seeds: list[bytes]
    read: Callable[[Path], Any]
    codec: tuple[Callable[[bytes], Any], Callable[[Any], bytes]] | None = None
    is_zip: bool = False
    text: bool = False
    custom: Callable[[np.random.Generator, bytes], tuple[bytes, str]] | None = None
    strategies: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.strategies = ["random", "bytes", "bytes"] + (["tree", "tree", "tree"] if self.codec else []) \
            + (["zip", "zip"] if self.is_zip else []) + (["token", "token"] if self.text else []) + (["custom", "custom", "custom"] if self.custom else [])

    def case(self, rng: np.random.Generator, i: int) -> tuple[bytes, str]:
        seed = self.seeds[i % len(self.seeds)]
        if i < len(self.seeds):
            return seed, "unmodified seed"
        how = self.strategies[int(rng.integers(0, len(self.strategies)))]
        if how == "random":
            n = int(rng.integers(0, 513))
            head = seed[:int(rng.integers(0, 9))] if rng.random() < 0.5 else b""  # keep the magic sometimes
            return head + rng.integers(0, 256, n, dtype=np.uint8).tobytes(), f"random {n} bytes"
        if how == "bytes":
            return mutate_bytes(rng, seed)
        if how == "token":
            return splice_token(rng, seed)
        if how == "zip":
            return mutate_zip(rng, seed)
        if how == "custom":
            return self.custom(rng, seed)  # type: ignore[misc]
        parse, dump = self.codec  # type: ignore[misc]
        obj, what = mutate_tree(rng, parse(seed))
        return dump(obj), "tree: " + what


def _tiny_checkpoint(path: Path, joints: int = 16) -> None:
    cfg = load_config(None, ["model.hidden=8", "model.num_blocks=1", f"data.joints={joints}"])
    torch.manual_seed(0)
    save_checkpoint(path, build_model_from_config(cfg), {"config": cfg.to_dict(), "epoch": 1, "step": 1},
                    write_sidecar=False)


def _read_lift_input(path: Path) -> Any:
    """What ``wsgcn lift`` does with its input before the network: read, convert, fill."""
    return prepare_tracks(read_keypoints(path))


def _keypoint_seeds(tmp: Path) -> dict[str, list[bytes]]:
    rng = np.random.default_rng(1)
    kp = rng.uniform(100, 900, (3, 17, 2))
    sc = rng.uniform(0.5, 1.0, (3, 17))
    coco = [{"image_id": t, "category_id": 1, "track_id": 1,
             "keypoints": [float(v) for v in np.concatenate([kp[t], sc[t, :, None]], 1).ravel()]} for t in range(3)]
    op = {"version": 1.3, "people": [{"person_id": [-1], "pose_keypoints_2d":
                                      [float(v) for v in np.concatenate([rng.uniform(100, 900, (25, 2)),
                                                                         np.ones((25, 1))], 1).ravel()]}]}
    mm = [{"frame_id": t, "instances": [{"keypoints": kp[t].tolist(), "keypoint_scores": sc[t].tolist(),
                                         "track_id": 0}]} for t in range(3)]
    np.savez(tmp / "kp.npz", keypoints=np.concatenate([kp, sc[..., None]], -1), image_size=np.array([1000, 1000]),
             joint_format=np.array("coco17"))
    csv = "\n".join(",".join(f"{v:.2f}" for v in np.concatenate([kp[t], sc[t, :, None]], 1).ravel())
                    for t in range(3)) + "\n"
    return {"json": [json.dumps(coco).encode(), json.dumps(op).encode(), json.dumps(mm).encode()],
            "npz": [(tmp / "kp.npz").read_bytes()], "csv": [csv.encode()]}


@pytest.fixture(scope="module")
def readers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Reader]:
    tmp = tmp_path_factory.mktemp("fuzz_seeds")
    rng = np.random.default_rng(0)
    # npz arrays, as a user passes them
    np.savez(tmp / "a.npz", keypoints=rng.normal(size=(2, 17, 3)), image_size=np.array([640, 480]))
    np.savez_compressed(tmp / "b.npz", poses=rng.normal(size=(3, 16, 3)).astype(np.float32))
    # cameras
    rig = h36m_cameras()
    save_cameras(tmp / "cams.json", {"S1": rig["S1"][:2]})
    # VideoPose3D-style dataset files
    world = rng.uniform(-1, 1, (4, 32, 3)).astype(np.float32) + np.array([0, 0, 1], np.float32)
    write_positions_3d(tmp / "d3.npz", {"S1": {"Walking 1": world, "Eating": world[:2]}})
    meta = {"num_joints": 17, "keypoints_symmetry": [list(H36M17.joints_left), list(H36M17.joints_right)]}
    write_positions_2d(tmp / "d2.npz", {"S1": {"Walking 1": [rng.uniform(0, 999, (4, 17, 2)).astype(np.float32)] * 2}},
                       meta)
    # checkpoints
    _tiny_checkpoint(tmp / "c16.safetensors", 16)
    _tiny_checkpoint(tmp / "c17.safetensors", 17)
    kps = _keypoint_seeds(tmp)
    lifted = _lift_output_seeds(tmp, tmp / "c17.safetensors")
    b = lambda name: (tmp / name).read_bytes()  # noqa: E731
    out = [
        Reader("io.load_npz", ".npz", [b("a.npz"), b("b.npz")], load_npz, is_zip=True),
        Reader("io.read_json", ".json", [b("cams.json"), kps["json"][0]], read_json, codec=_json_codec(), text=True),
        Reader("camera.load_cameras", ".json", [b("cams.json")], load_cameras, codec=_json_codec(), text=True),
        Reader("h36m.read_positions_3d", ".npz", [b("d3.npz")], read_positions_3d, is_zip=True, custom=_dataset_tree),
        Reader("h36m.read_positions_2d", ".npz", [b("d2.npz")], read_positions_2d, is_zip=True, custom=_dataset_tree),
        Reader("checkpoint.read_checkpoint", ".safetensors", [b("c16.safetensors")], read_checkpoint,
               codec=_safetensors_codec()),
        Reader("checkpoint.load_model", ".safetensors", [b("c16.safetensors"), b("c17.safetensors")], load_model,
               codec=_safetensors_codec()),
        Reader("keypoints (JSON: COCO, OpenPose, MMPose)", ".json", kps["json"], _read_lift_input,
               codec=_json_codec(), text=True),
        Reader("keypoints (npz)", ".npz", kps["npz"], _read_lift_input, is_zip=True),
        Reader("keypoints (CSV)", ".csv", kps["csv"], _read_lift_input, text=True),
        Reader("config.load_config", ".yaml", [(REPO / "configs/mocap_weak.yaml").read_bytes()],
               load_config, codec=_yaml_codec(), text=True),
        Reader("lift_output.read_lift_output (npz)", ".npz", lifted["npz"], _read_lift_output, is_zip=True,
               custom=_lift_npz_members),
        Reader("lift_output.read_lift_output (JSON)", ".json", lifted["json"], _read_lift_output,
               codec=_json_codec(), text=True),
    ]
    return {r.name: r for r in out}


READER_NAMES = [
    "io.load_npz", "io.read_json", "camera.load_cameras", "h36m.read_positions_3d", "h36m.read_positions_2d",
    "checkpoint.read_checkpoint", "checkpoint.load_model", "keypoints (JSON: COCO, OpenPose, MMPose)",
    "keypoints (npz)", "keypoints (CSV)", "config.load_config", "lift_output.read_lift_output (npz)",
    "lift_output.read_lift_output (JSON)",
]


def run_campaign(reader: Reader, tmp: Path, cases: int, seed: int) -> tuple[Counter, list[str]]:
    """Run ``cases`` cases; returns (outcome counts, descriptions of the cases that leaked
    another exception or hung)."""
    rng = np.random.default_rng([seed, sum(map(ord, reader.name))])
    counts: Counter = Counter()
    leaks: list[str] = []
    torch.set_num_threads(1)
    for i in range(cases):
        data, what = reader.case(rng, i)
        path = tmp / f"case{i % 4}{reader.suffix}"
        path.write_bytes(data)
        try:
            with time_limit(CASE_SECONDS), np.errstate(all="ignore"):  # overflow in valid-but-absurd numbers
                reader.read(path)
            counts["valid"] += 1
        except WsgcnError as e:
            counts["WsgcnError"] += 1
            if "\n" in str(e):
                leaks.append(f"case {i} ({what}): multi-line message {str(e)[:200]!r}")
        except CaseTimeout:
            counts["hang"] += 1
            leaks.append(f"case {i} ({what}): no answer within {CASE_SECONDS} s")
        except Exception as e:  # noqa: BLE001 - this is what the fuzzer looks for
            counts["leak"] += 1
            leaks.append(f"case {i} ({what}): {type(e).__name__}: {str(e)[:200]}")
    return counts, leaks


@pytest.mark.parametrize("name", READER_NAMES)
def test_reader_never_leaks_another_exception(name: str, readers: dict[str, Reader], tmp_path: Path) -> None:
    reader = readers[name]
    counts, leaks = run_campaign(reader, tmp_path, CASES, SEED)
    assert not leaks, f"{name}: {len(leaks)} of {CASES} cases escaped: " + "; ".join(leaks[:5])
    # the campaign is meaningful: the seeds read fine and the mutations are rejected cleanly
    assert counts["valid"] >= len(reader.seeds) and counts["WsgcnError"] >= CASES // 4, counts


def test_mutators_are_deterministic_and_change_the_input() -> None:
    seed = json.dumps({"a": [1, 2, {"b": "c"}]}).encode()
    r1, r2 = np.random.default_rng(3), np.random.default_rng(3)
    got1 = [mutate_bytes(r1, seed) for _ in range(50)]
    got2 = [mutate_bytes(r2, seed) for _ in range(50)]
    assert got1 == got2
    assert sum(d != seed for d, _ in got1) >= 45
    tree = {"a": [1, 2, {"b": "c"}]}
    muts = [mutate_tree(np.random.default_rng(s), tree)[0] for s in range(30)]
    assert tree == {"a": [1, 2, {"b": "c"}]}  # the input is not modified
    assert sum(m != tree for m in muts) >= 25


def _lift_npz_with(seed: bytes, path: Path, **changes: Any) -> Path:
    """A ``wsgcn lift`` npz (``seed``) with some members replaced (None: deleted)."""
    with np.load(io.BytesIO(seed)) as z:
        arrays = {k: z[k] for k in z.files}
    arrays.update(changes)
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
    return path


def test_hostile_lift_outputs_are_refused_with_the_reason(readers: dict[str, Reader], tmp_path: Path) -> None:
    """Named cases the campaign may not draw: arrays whose JSON would inflate past the memory a
    reader may take, numbers too large for any array, a zip entry of an unsupported version, a meta
    nested too deeply, arrays that do not fit together."""
    npz_seed = readers["lift_output.read_lift_output (npz)"].seeds[0]
    head = {"format": "wsgcn-lift-1", "image_size": [1000, 1000]}
    person = {"frame": "0", "index": 0, "joints_3d": [[0.0] * 3] * 17, "keypoints_2d": [[1.0] * 2] * 17,
              "flags": [0] * 17, "scores": [1.0] * 17}
    docs = {
        "inflate.json": ({**head, "joint_names": ["j"] * 2000, "frames": ["f"] * 2000,
                          "people": [{"track_id": 1, "frames": []}] * 2000}, "MiB as arrays, more than the"),
        "index.json": ({**head, "joint_names": ["j"] * 17, "frames": ["0"],
                        "people": [{"track_id": 1, "frames": [{**person, "index": 10 ** 30}]}]}, "malformed"),
        "flags.json": ({**head, "joint_names": ["j"] * 17, "frames": ["0"],
                        "people": [{"track_id": 1, "frames": [{**person, "flags": [7] * 17}]}]}, "unknown flag codes"),
        "people.json": ({**head, "joint_names": ["j"] * 17, "frames": ["0"]}, "(no 'people')"),
        "size.json": ({**head, "image_size": [1000.5, 2], "joint_names": [], "frames": [], "people": []},
                      "(image_size must be 2 positive whole numbers)"),
    }
    cases = {name: (tmp_path / name, fragment) for name, (_, fragment) in docs.items()}
    for name, (doc, _) in docs.items():
        (tmp_path / name).write_text(json.dumps(doc))
    central = npz_seed.index(b"PK\x01\x02")  # the first central-directory entry: "version needed" at +6
    (tmp_path / "version.npz").write_bytes(npz_seed[:central + 6] + struct.pack("<H", 148) + npz_seed[central + 8:])
    cases["version.npz"] = (tmp_path / "version.npz", "not a valid npz file (zip file version 14.8)")
    cases["meta.npz"] = (_lift_npz_with(npz_seed, tmp_path / "meta.npz", meta=np.array("[" * 50_000)),
                         "not a wsgcn lift output")
    cases["present.npz"] = (_lift_npz_with(npz_seed, tmp_path / "present.npz", present=np.ones(3, bool)),
                            "present is bool (3,), expected boolean (2, 4)")
    cases["flags.npz"] = (_lift_npz_with(npz_seed, tmp_path / "flags.npz", flags=np.full((2, 4, 17), 9, np.uint8)),
                          "flags holds codes other than [0, 1, 2, 3]")
    cases["names.npz"] = (_lift_npz_with(npz_seed, tmp_path / "names.npz", joint_names=np.arange(17)),
                          "joint_names is int64 (17,), expected text (17,)")
    for name, (path, fragment) in cases.items():
        with time_limit(CASE_SECONDS), pytest.raises(WsgcnError) as e:
            read_lift_output(path)
        msg = str(e.value)
        assert msg.startswith(f"{path}: ") and "\n" not in msg and fragment in msg, (name, msg)
