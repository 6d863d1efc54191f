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

def read_lift_output(path: str | os.PathLike) -> dict[str, Any]:
    """Read a ``wsgcn lift`` output (.npz or .json) back into the npz layout (arrays + ``meta`` dict)."""
    path = Path(path)
    if path.suffix.lower() == ".npz":
        return _read_npz(path)
    doc = read_json(path)
    if not isinstance(doc, dict) or doc.get("format") != OUTPUT_FORMAT:
        raise WsgcnError(f"{path}: not a wsgcn lift output (format {OUTPUT_FORMAT})")
    try:
        return _from_json(doc)
    except (KeyError, TypeError, ValueError, IndexError):
        raise WsgcnError(f"{path}: malformed wsgcn lift output") from None


def _read_npz(path: Path) -> dict[str, Any]:
    z = load_npz(path)
    try:
        meta = json.loads(str(z["meta"].reshape(()).item()))
    except (KeyError, ValueError):
        meta = None
    if not isinstance(meta, dict) or meta.get("format") != OUTPUT_FORMAT or any(k not in z for k in _NEEDED):
        raise WsgcnError(f"{path}: not a wsgcn lift output (format {OUTPUT_FORMAT})")
    out: dict[str, Any] = {k: v for k, v in z.items() if k != "meta"}
    out["meta"] = meta
    return out


def _from_json(doc: dict[str, Any]) -> dict[str, Any]:
    """The npz layout of a parsed JSON output (KeyError/TypeError/ValueError/IndexError if malformed)."""
    names, frames, people = list(doc["joint_names"]), list(doc["frames"]), list(doc["people"])
    P, T, J = len(people), len(frames), len(names)
    out: dict[str, Any] = {
        "poses_3d": np.full((P, T, J, 3), np.nan, dtype=np.float32),
        "keypoints_2d": np.full((P, T, J, 2), np.nan, dtype=np.float32),
        "flags": np.full((P, T, J), ABSENT, dtype=np.uint8), "scores": np.full((P, T, J), np.nan, dtype=np.float32),
        "present": np.zeros((P, T), dtype=bool)}
    root = np.full((P, T, 3), np.nan, dtype=np.float32)
    for p, person in enumerate(people):
        _person_from_json(list(person["frames"]), p, T, J, out, root)
    out.update(track_ids=np.array([str(p["track_id"]) for p in people], dtype=str),
               frame_ids=np.array(frames, dtype=str), joint_names=np.array(names, dtype=str),
               image_size=np.array(doc["image_size"], dtype=np.int64),
               meta={k: v for k, v in doc.items() if k not in ("frames", "people")})
    if doc.get("intrinsics") is not None:
        out["root"], out["intrinsics"] = root, np.array(doc["intrinsics"], dtype=np.float64)
    return out


def _person_from_json(frames: list[dict[str, Any]], p: int, T: int, J: int, out: dict[str, Any],
                      root: np.ndarray) -> None:
    """Fill person ``p``'s rows of ``out`` and ``root`` from its JSON frames (one array per field)."""
    if not frames:
        return
    t = np.array([int(fr["index"]) for fr in frames], dtype=np.int64)
    if t.min() < 0 or t.max() >= T:
        raise IndexError("frame index out of range")
    fields = (("poses_3d", "joints_3d", (J, 3)), ("keypoints_2d", "keypoints_2d", (J, 2)), ("flags", "flags", (J,)),
              ("scores", "scores", (J,)))
    for key, name, shape in fields:
        a = np.array([fr[name] for fr in frames], dtype=np.float64)  # null -> NaN
        if a.shape != (len(frames), *shape):
            raise ValueError(f"{name}: shape {a.shape}")
        if key == "flags" and not np.isin(a, list(FLAG_NAMES)).all():
            raise ValueError("unknown flag")
        out[key][p, t] = a
    out["present"][p, t] = True
    with_root = [i for i, fr in enumerate(frames) if "root" in fr]
    if with_root:
        r = np.array([frames[i]["root"] for i in with_root], dtype=np.float64)
        if r.shape != (len(with_root), 3):
            raise ValueError(f"root: shape {r.shape}")
        root[p, t[with_root]] = r
