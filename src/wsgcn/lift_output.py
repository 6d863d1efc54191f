"""The ``wsgcn-lift-1`` output format of ``wsgcn lift``: its writer and its reader.

npz (``X.npz``): ``poses_3d`` (P, T, J, 3) float32 metres, NaN where person p is not in frame t;
``keypoints_2d`` (P, T, J, 2) float32 pixels (the network's input after conversion and filling);
``flags`` (P, T, J) uint8 (0 observed, 1 interpolated, 2 mean-pose fill, 3 absent); ``scores``
(P, T, J) float32 (NaN: no score); ``present`` (P, T) bool; ``track_ids`` (P,), ``frame_ids``
(T,), ``joint_names`` (J,) strings; ``image_size`` (2,) int (width, height); with intrinsics also
``root`` (P, T, 3) float32 metres and ``intrinsics`` (9,) pixels; ``meta`` a JSON string (format,
input, checkpoint, ...).

JSON (``X.json``): the ``meta`` fields at the top level, ``frames`` (the frame ids) and
``people``: per person its ``track_id`` and ``frames``: [{``frame`` id, ``index`` t,
``joints_3d`` [[x, y, z] * J] metres (0.1 mm), ``keypoints_2d`` [[u, v] * J] px (0.01 px),
``flags`` [J], ``scores`` [J] (null: no score), ``root`` [x, y, z] metres (with intrinsics)}] for
the frames where the person is present. It is written a few thousand frames at a time, every
number of a block formatted by array operations (no per-number Python calls, no document held
in memory).
"""

from __future__ import annotations

import json
import os
import re
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import IO, Any

import numpy as np

from . import io as _files
from .errors import WsgcnError
from .io import atomic_path, load_npz, read_json, write_npz
from .keypoints.joints import ABSENT, FLAG_NAMES

OUTPUT_FORMAT = "wsgcn-lift-1"
JSON_BLOCK_FRAMES = 8192
"""Person-frames formatted per block of the JSON writer (a few MB of text)."""
_NEEDED = ("poses_3d", "keypoints_2d", "flags", "present", "track_ids", "frame_ids", "joint_names")


# ----------------------------------------------------------------------------- writing

def write_lift_output(out: str | os.PathLike, arrays: dict[str, Any], meta: dict[str, Any],
                      json_beside_npz: bool = True) -> list[Path]:
    """Write ``arrays`` (the npz layout above) and ``meta`` to ``out``: ``X.json`` alone, or
    ``X.npz`` and (``json_beside_npz``) ``X.json``. Both atomically; the JSON is renamed into
    place only once the npz is written. Returns the paths written."""
    out = Path(out)
    if out.suffix.lower() == ".json":
        _write_json_file(out, arrays, meta)
        return [out]
    if not json_beside_npz:
        write_npz(out, **arrays)
        return [out]
    with atomic_path(out.with_suffix(".json")) as tmp_json:  # renamed only once the npz is written
        _write_json_text(tmp_json, arrays, meta)
        write_npz(out, **arrays)
    return [out, out.with_suffix(".json")]


def _write_json_file(path: Path, arrays: dict[str, Any], meta: dict[str, Any]) -> None:
    with atomic_path(path) as tmp:
        _write_json_text(tmp, arrays, meta)


def _write_json_text(path: Path, arrays: dict[str, Any], meta: dict[str, Any]) -> None:
    with open(path, "wb") as fh:
        write_json_stream(fh, arrays, meta)


def write_json_stream(fh: IO[bytes], arrays: dict[str, Any], meta: dict[str, Any],
                      block: int = JSON_BLOCK_FRAMES) -> None:
    """Write the JSON document (ASCII) of ``arrays`` and ``meta`` to the binary stream ``fh``,
    ``block`` person-frames at a time."""
    frame_ids = [str(f) for f in arrays["frame_ids"]]
    head = json.dumps({**meta, "frames": frame_ids}, separators=(",", ":"))
    fh.write((head[:-1] + ',"people":[').encode("ascii"))
    prefixes = [(',{"frame":' + encode_basestring_ascii(f)).encode("ascii") for f in frame_ids]
    template = _frame_template(int(arrays["poses_3d"].shape[2]), "root" in arrays)
    layout = _parse_template(template)
    for p, tid in enumerate(arrays["track_ids"]):
        fh.write((("," if p else "") + '{"track_id":' + encode_basestring_ascii(str(tid)) + ',"frames":[').encode("ascii"))
        frames = np.flatnonzero(arrays["present"][p])
        for s in range(0, len(frames), block):
            t = frames[s:s + block]
            text = _frames_text(_frame_values(arrays, p, t), [prefixes[i] for i in t.tolist()], template, layout)
            fh.write(text[1:] if s == 0 else text)  # no comma before the person's first frame
        fh.write(b"]}")
    fh.write(b"]}\n")


def _frame_template(joints: int, root: bool) -> str:
    """``%`` template of one frame after its ``,{"frame":id`` prefix, starting with a NUL marker
    (never in the formatted numbers) where the prefix goes."""
    def vectors(fmt: str, n: int) -> str:
        return ",".join(["[" + ",".join([fmt] * n) + "]"] * joints)

    return ('\x00,"index":%d,"joints_3d":[' + vectors("%.4f", 3) + '],"keypoints_2d":[' + vectors("%.2f", 2)
            + '],"flags":[' + ",".join(["%d"] * joints) + '],"scores":[' + ",".join(["%.4f"] * joints) + "]"
            + (',"root":[%.4f,%.4f,%.4f]' if root else "") + "}")


def _frame_values(arrays: dict[str, Any], p: int, t: np.ndarray) -> np.ndarray:
    """(n, K) float64: person ``p``'s numbers of frames ``t`` in the template's order."""
    n = len(t)
    cols = [t[:, None], arrays["poses_3d"][p, t].reshape(n, -1), arrays["keypoints_2d"][p, t].reshape(n, -1),
            arrays["flags"][p, t], arrays["scores"][p, t]]
    if "root" in arrays:
        cols.append(arrays["root"][p, t])
    return np.concatenate([np.asarray(c, dtype=np.float64) for c in cols], axis=1)


_SPEC = re.compile(r"%(?:\.(\d))?([df])")
_NULL = np.frombuffer(b"null", dtype=np.uint8)


def _parse_template(template: str) -> tuple[list[bytes], np.ndarray]:
    """The template (after its NUL marker) as its K + 1 literal pieces and the K numbers'
    decimals (-1: an integer)."""
    lits, decimals, prev = [], [], 1
    for m in _SPEC.finditer(template, 1):
        lits.append(template[prev:m.start()].encode("ascii"))
        decimals.append(int(m.group(1)) if m.group(2) == "f" else -1)
        prev = m.end()
    return lits + [template[prev:].encode("ascii")], np.array(decimals)


def _frames_text(values: np.ndarray, prefixes: list[bytes], template: str,
                 layout: tuple[list[bytes], np.ndarray]) -> bytes:
    """The JSON of n frames, each preceded by a comma: ``values`` (n, K) in the template's order,
    ``prefixes`` the n ``,{"frame":id`` pieces. Written digit by digit with array operations
    (:func:`_digits`) when every number is a float32 of at most 9 digits (the npz layout's
    arrays are float32), else with one ``%`` operation; both give the same text."""
    finite = np.isfinite(values)
    with np.errstate(over="ignore"):
        exact = np.array_equal(values[finite], values[finite].astype(np.float32))
    text = _vectorised_text(values, _id_chars(prefixes), *layout) if exact else None
    return _percent_text(values, prefixes, template) if text is None else text


def _id_chars(prefixes: list[bytes]) -> np.ndarray:
    """(n, width) uint8: the n prefixes, NUL-padded."""
    width = max(len(b) for b in prefixes)
    return np.frombuffer(np.array(prefixes, dtype=f"S{width}").tobytes(), dtype=np.uint8).reshape(-1, width)


def _percent_text(values: np.ndarray, prefixes: list[bytes], template: str) -> bytes:
    """:func:`_frames_text` with one ``%`` operation for the whole block."""
    n = len(values)
    text = (template * n) % tuple(values.ravel().tolist())
    if not np.isfinite(values).all():  # '%f' writes nan/inf; JSON has null (no frame ids in `text` yet)
        text = text.replace("-inf", "null").replace("inf", "null").replace("nan", "null")
    pieces: list[bytes] = [b""] * (2 * n)
    pieces[0::2] = prefixes
    pieces[1::2] = text.encode("ascii").split(b"\x00")[1:]
    return b"".join(pieces)


def _vectorised_text(values: np.ndarray, ids: np.ndarray, lits: list[bytes], decimals: np.ndarray) -> bytes | None:
    """:func:`_frames_text` with array operations: every number rendered into a fixed-width
    character field (NUL where a shorter number has no character), literal pieces between them,
    then the NULs dropped. None if a number has more than 9 digits."""
    n = len(values)
    fields: dict[int, np.ndarray] = {}
    for d in np.unique(decimals).tolist():
        cols = np.flatnonzero(decimals == d)
        chars = _digits(values[:, cols], d)
        if chars is None:
            return None
        fields.update((int(c), chars[:, :, j].T) for j, c in enumerate(cols))
    pieces = [ids]
    for k, lit in enumerate(lits):
        pieces.append(np.broadcast_to(np.frombuffer(lit, dtype=np.uint8), (n, len(lit))))
        if k in fields:
            pieces.append(fields[k])
    out = np.concatenate(pieces, axis=1)
    return out[out != 0].tobytes()


def _digits(v: np.ndarray, d: int) -> np.ndarray | None:
    """(n, k) float32-exact numbers -> (width, n, k) uint8 characters of ``'%.{d}f'`` (``d`` -1:
    ``'%d'``), NUL where a number is shorter than the field, ``null`` for NaN/inf. The scaled
    value ``v * 10**d`` is exact in float64 for a float32 ``v``, so ``rint`` rounds as ``%`` does
    (half to even on the exact binary value). None if a number has more than 9 digits."""
    dd = max(d, 0)
    finite = np.isfinite(v)
    q = np.rint(np.where(finite, v, 0.0) * 10.0 ** dd)
    top = float(np.abs(q).max(initial=0.0))
    if top >= 1e9:
        return None
    nd = max(len(str(int(top))), dd + 1)  # digits, at least one before the decimal point
    width = 1 + nd + (d > 0)
    chars = np.zeros((width, *v.shape), dtype=np.uint8)
    r, pos = np.abs(q).astype(np.int32), width - 1
    for i in range(nd):
        if d > 0 and i == dd:
            chars[pos] = ord(".")
            pos -= 1
        r, digit = np.divmod(r, 10)
        keep = True if i <= dd else (digit != 0) | (r != 0)  # no leading zeros before the point
        chars[pos] = (digit + ord("0")) * keep
        pos -= 1
    chars[0] = (np.signbit(q) if d >= 0 else q < 0) * np.uint8(ord("-"))  # '%f' keeps the sign of -0
    if not finite.all():
        bad = ~finite
        chars[:, bad] = 0
        chars[-4:, bad] = _NULL[:, None]
    return chars


# ----------------------------------------------------------------------------- reading

_LAYOUT = {  # array: (its shape, in P people, T frames and J joints; the dtype kinds it may have)
    "poses_3d": (("P", "T", "J", 3), "f"), "keypoints_2d": (("P", "T", "J", 2), "f"), "flags": (("P", "T", "J"), "ui"),
    "scores": (("P", "T", "J"), "f"), "present": (("P", "T"), "b"), "track_ids": (("P",), "U"),
    "frame_ids": (("T",), "U"), "joint_names": (("J",), "U"), "image_size": ((2,), "ui"), "root": (("P", "T", 3), "f"),
    "intrinsics": ((9,), "f"),
}
_KIND_WORDS = {"f": "floating-point", "ui": "integer", "b": "boolean", "U": "text"}
_BYTES_PER_JOINT = 4 * 3 + 4 * 2 + 1 + 4  # poses_3d, keypoints_2d, flags, scores
_BYTES_PER_FRAME = 1 + 4 * 3  # present, root


def read_lift_output(path: str | os.PathLike) -> dict[str, Any]:
    """Read a ``wsgcn lift`` output (.npz or .json) back into the npz layout (arrays + ``meta`` dict).

    A file that is not one, or whose arrays do not fit together (shapes, kinds of numbers, flag
    codes), raises a one-line :class:`WsgcnError` naming the file."""
    path = Path(path)
    out = _read_npz(path) if path.suffix.lower() == ".npz" else _read_json(path)
    problem = _layout_problem(out)
    if problem is not None:
        raise WsgcnError(f"{path}: malformed wsgcn lift output ({problem})")
    return out


def _read_npz(path: Path) -> dict[str, Any]:
    z = load_npz(path)
    try:
        meta = json.loads(str(z["meta"].reshape(()).item()))
    except (KeyError, ValueError, RecursionError):
        meta = None
    if not isinstance(meta, dict) or meta.get("format") != OUTPUT_FORMAT or any(k not in z for k in _NEEDED):
        raise WsgcnError(f"{path}: not a wsgcn lift output (format {OUTPUT_FORMAT})")
    out: dict[str, Any] = {k: v for k, v in z.items() if k != "meta"}
    out["meta"] = meta
    return out


def _read_json(path: Path) -> dict[str, Any]:
    doc = read_json(path)
    if not isinstance(doc, dict) or doc.get("format") != OUTPUT_FORMAT:
        raise WsgcnError(f"{path}: not a wsgcn lift output (format {OUTPUT_FORMAT})")
    try:
        return _from_json(doc, path)
    except (KeyError, TypeError, ValueError, IndexError, OverflowError) as e:
        why = f"no {e.args[0]!r}" if isinstance(e, KeyError) else " ".join(str(e).split())[:200] or type(e).__name__
        raise WsgcnError(f"{path}: malformed wsgcn lift output ({why})") from None


def _from_json(doc: dict[str, Any], path: Path) -> dict[str, Any]:
    """The npz layout of a parsed JSON output (KeyError/TypeError/ValueError/IndexError/OverflowError
    if malformed; a WsgcnError if its arrays would not fit in the memory a reader may take)."""
    names, frames, people = (_list(doc, key) for key in ("joint_names", "frames", "people"))
    if not all(isinstance(p, dict) for p in people):
        raise TypeError("every entry of 'people' must be an object")
    P, T, J = len(people), len(frames), len(names)
    need, limit = P * T * (J * _BYTES_PER_JOINT + _BYTES_PER_FRAME), _files.NPZ_MAX_BYTES
    if need > limit:
        raise WsgcnError(f"{path}: its {P} people x {T} frames x {J} joints would take {need / 2**20:,.0f} MiB "
                         f"as arrays, more than the {limit / 2**20:,.0f} MiB this reader accepts")
    out: dict[str, Any] = {
        "poses_3d": np.full((P, T, J, 3), np.nan, dtype=np.float32),
        "keypoints_2d": np.full((P, T, J, 2), np.nan, dtype=np.float32),
        "flags": np.full((P, T, J), ABSENT, dtype=np.uint8), "scores": np.full((P, T, J), np.nan, dtype=np.float32),
        "present": np.zeros((P, T), dtype=bool)}
    root = np.full((P, T, 3), np.nan, dtype=np.float32)
    for p, person in enumerate(people):
        _person_from_json(_list(person, "frames"), p, T, J, out, root)
    size = doc["image_size"]
    if not (isinstance(size, list) and len(size) == 2 and all(type(v) is int and 0 < v < 2**31 for v in size)):
        raise ValueError("image_size must be 2 positive whole numbers")
    out.update(track_ids=np.array([str(p["track_id"]) for p in people], dtype=str),
               frame_ids=np.array(frames, dtype=str), joint_names=np.array(names, dtype=str),
               image_size=np.array(size, dtype=np.int64),
               meta={k: v for k, v in doc.items() if k not in ("frames", "people")})
    if doc.get("intrinsics") is not None:
        intrinsics = _numbers(doc["intrinsics"], ())
        if intrinsics is None or len(intrinsics) != 9:
            raise ValueError("intrinsics must be 9 numbers")
        out["root"], out["intrinsics"] = root, intrinsics
    return out


def _numbers(rows: Any, shape: tuple[int, ...]) -> np.ndarray | None:
    """A JSON list of ``shape``-shaped rows as a float64 array (null -> NaN), or None if it is not one."""
    if not isinstance(rows, list):
        return None
    try:
        a = np.array(rows, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        return None
    return a if a.shape == (len(rows), *shape) else None


def _list(doc: dict[str, Any], key: str) -> list[Any]:
    """``doc[key]``, which must be a list (KeyError, TypeError)."""
    value = doc[key]
    if not isinstance(value, list):
        raise TypeError(f"{key!r} must be a list, not {type(value).__name__}")
    return value


def _person_from_json(frames: list[Any], p: int, T: int, J: int, out: dict[str, Any], root: np.ndarray) -> None:
    """Fill person ``p``'s rows of ``out`` and ``root`` from its JSON frames (one array per field)."""
    if not frames:
        return
    if not all(isinstance(fr, dict) for fr in frames):
        raise TypeError(f"person {p}: every frame must be an object")
    index = [fr["index"] for fr in frames]
    bad = next((i for i in index if not isinstance(i, int) or isinstance(i, bool) or not 0 <= i < T), None)
    if bad is not None:
        raise IndexError(f"person {p}: frame index {str(bad)[:20]} is not a whole number in 0..{T - 1}")
    t = np.array(index, dtype=np.int64)
    fields = (("poses_3d", "joints_3d", (J, 3)), ("keypoints_2d", "keypoints_2d", (J, 2)), ("flags", "flags", (J,)),
              ("scores", "scores", (J,)))
    for key, name, shape in fields:
        a = _numbers([fr[name] for fr in frames], shape)
        if a is None:
            raise ValueError(f"person {p}: {name} must be {shape} numbers per frame")
        if key == "flags" and not np.isin(a, list(FLAG_NAMES)).all():
            raise ValueError(f"person {p}: unknown flag codes (known: {sorted(FLAG_NAMES)})")
        out[key][p, t] = a
    out["present"][p, t] = True
    with_root = [i for i, fr in enumerate(frames) if "root" in fr]
    if with_root:
        r = _numbers([frames[i]["root"] for i in with_root], (3,))
        if r is None:
            raise ValueError(f"person {p}: root must be 3 numbers per frame")
        root[p, t[with_root]] = r


def _layout_problem(out: dict[str, Any]) -> str | None:
    """What keeps ``out`` from the npz layout (arrays whose shapes do not fit together, other
    kinds of numbers, unknown flag codes, an image size that is not positive), or None."""
    poses = out["poses_3d"]
    if poses.ndim != 4 or poses.shape[3] != 3:
        return f"poses_3d is {poses.dtype} {poses.shape}, expected (people, frames, joints, 3)"
    dims = dict(zip("PTJ", poses.shape[:3]))
    for key, (spec, kinds) in _LAYOUT.items():
        a = out.get(key)
        want = tuple(dims.get(d, d) for d in spec)
        if a is not None and (a.shape != want or a.dtype.kind not in kinds):
            return f"{key} is {a.dtype} {a.shape}, expected {_KIND_WORDS[kinds]} {want}"
    if not np.isin(out["flags"], list(FLAG_NAMES)).all():
        return f"flags holds codes other than {sorted(FLAG_NAMES)}"
    if "image_size" in out and not (out["image_size"] > 0).all():
        return f"image_size {out['image_size'].tolist()} is not positive"
    return None
