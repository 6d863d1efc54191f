"""File helpers shared by every writer and reader: atomic writes, safe loads.

Every file the package writes goes through :func:`atomic_path` (write to a temporary
file in the same folder, then rename), so a crash never leaves a half-written file.
"""

from __future__ import annotations

import contextlib
import io as _stdio
import json
import os
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from .errors import WsgcnError


def _why_not_a_folder(folder: Path, e: OSError) -> str:
    blocker = next((p for p in (folder, *folder.parents) if p.exists()), None)
    return (f"{blocker} is a file, not a folder" if blocker is not None and not blocker.is_dir()
            else e.strerror or type(e).__name__)


def ensure_dir(folder: str | os.PathLike) -> Path:
    """Create ``folder`` (and its parents) if needed; a clear WsgcnError when it cannot be."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise WsgcnError(f"{folder}: cannot create this folder ({_why_not_a_folder(folder, e)})") from None
    return folder


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` if the block succeeds.

    ``suffix`` defaults to the target's suffix (some writers, e.g. matplotlib and
    ``np.savez``, pick the format from it).
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix if suffix is not None else path.suffix,
                                   dir=path.parent)
    except OSError as e:  # the folder is a file, not writable, ...
        raise WsgcnError(f"{path}: cannot write here ({_why_not_a_folder(path.parent, e)})") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp creates 0600; give the usual mode
        try:
            os.replace(tmp_path, path)
        except OSError as e:  # e.g. the target is a folder
            raise WsgcnError(f"{path}: cannot write this file ({e.strerror or type(e).__name__})") from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def write_text(path: str | os.PathLike, text: str) -> None:
    """Atomically write a UTF-8 text file."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Atomically write ``obj`` as indented JSON."""
    write_text(path, json.dumps(obj, indent=2, sort_keys=False) + "\n")


def write_npz(path: str | os.PathLike, **arrays: Any) -> None:
    """Atomically write a compressed npz that ``np.load`` reads. Members carry a fixed
    timestamp, so identical content gives identical bytes (``np.savez`` stamps the current
    time). Object arrays (dicts) are allowed here because the community's dataset format
    needs them; readers of user files never unpickle."""
    with atomic_path(path, suffix=".npz") as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, value in arrays.items():
                buf = _stdio.BytesIO()
                np.lib.format.write_array(buf, np.asanyarray(value), allow_pickle=True)
                info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, buf.getvalue())


def read_json(path: str | os.PathLike) -> Any:
    """Read a JSON file; any problem becomes a one-line :class:`WsgcnError`."""
    path = Path(path)
    if not path.is_file():
        raise WsgcnError(f"{path}: file not found")
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise WsgcnError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise WsgcnError(f"{path}: invalid JSON ({e.msg} at line {e.lineno} column {e.colno})") from None
    except ValueError as e:  # e.g. an integer of more than 4300 digits
        raise WsgcnError(f"{path}: invalid JSON ({_first_line(e)})") from None
    except RecursionError:
        raise WsgcnError(f"{path}: invalid JSON (nested too deeply)") from None


NPZ_MAX_BYTES = 8 << 30  # largest total uncompressed size load_npz accepts (8 GiB)


def load_npz(path: str | os.PathLike, allow_pickle: bool = False,
             max_bytes: int | None = None) -> dict[str, np.ndarray]:
    """Read every array of an npz file into a dict.

    ``allow_pickle`` must stay ``False`` for anything a user passes at inference time;
    it is ``True`` only for the known dataset files in a data folder the user names
    (their format stores a pickled dict). An archive whose members declare more than
    ``max_bytes`` (default :data:`NPZ_MAX_BYTES`) uncompressed (a "zip bomb": kilobytes that
    inflate to gigabytes) is refused
    before anything is inflated; Python's zip reader never inflates a member past its
    declared size.
    """
    path = Path(path)
    if not path.is_file():
        raise WsgcnError(f"{path}: file not found")
    # np.load would unpickle a non-zip file when allow_pickle is set: only zips go further.
    if not zipfile.is_zipfile(path):
        raise WsgcnError(f"{path}: not a valid npz file (not a zip archive)")
    try:
        with zipfile.ZipFile(path) as zf:
            declared = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as e:  # e.g. "zip file version 14.8"
        raise WsgcnError(f"{path}: not a valid npz file ({_first_line(e)})") from None
    max_bytes = NPZ_MAX_BYTES if max_bytes is None else max_bytes
    if declared > max_bytes:
        raise WsgcnError(f"{path}: its arrays would take {declared / 2**20:,.0f} MiB once uncompressed, "
                         f"more than the {max_bytes / 2**20:,.0f} MiB this reader accepts")
    try:
        with np.load(path, allow_pickle=allow_pickle) as z:
            out = {k: z[k] for k in z.files}
    except ValueError as e:
        if not allow_pickle and "allow_pickle" in str(e):
            raise WsgcnError(f"{path}: contains pickled objects, which are not loaded from this kind of file") from None
        raise WsgcnError(f"{path}: not a valid npz file ({_first_line(e)})") from None
    except Exception as e:  # noqa: BLE001 - a damaged member fails inside NumPy in many ways (tokenize, zlib, ...)
        raise WsgcnError(f"{path}: not a valid npz file ({type(e).__name__}: {_first_line(e)})") from None
    for k, v in out.items():
        if not isinstance(v, np.ndarray):  # np.load hands back raw bytes for a member that is not a .npy
            raise WsgcnError(f"{path}: member {k!r} is not a NumPy array (.npy)")
        if v.dtype.kind == "U" and v.size and int(np.frombuffer(v.tobytes(), np.uint32).max()) > 0x10FFFF:
            raise WsgcnError(f"{path}: member {k!r} holds text that is not valid Unicode")
    return out


def _first_line(e: BaseException) -> str:
    """An exception's message on one line, at most 200 characters."""
    text = " ".join(str(e).split())
    return (text[:197] + "...") if len(text) > 200 else text


def natural_key(s: str) -> list[Any]:
    """Sort key that orders embedded numbers numerically: S1, S5, S9, S11; frame2 < frame10."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s)]
