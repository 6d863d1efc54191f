"""Cameras: parameters, world <-> camera transforms, the Human3.6M projection,
screen/intrinsics normalisation and the closed-form root solve.

Conventions
-----------
* World and camera coordinates are in metres. Camera frame: x right, y down, z forward.
* ``Camera.rotation`` is the (3, 3) world -> camera rotation R and ``Camera.position`` the
  camera position C in world coordinates: ``X_cam = R (X_world - C)``.
* An intrinsics vector has 9 entries ``[fx, fy, cx, cy, k1, k2, k3, p1, p2]``, in pixels
  or in normalised screen units (docs/METHOD.md §4); ``project`` returns 2D points in the same units.
* The projection is the one published with Human3.6M (pinhole, radial k1..k3, tangential
  p1, p2): with x = X/Z, y = Y/Z, r2 = x^2 + y^2,
  ``d = 1 + k1 r2 + k2 r2^2 + k3 r2^3 + p1 y + p2 x`` and
  ``u = fx (x d + p2 r2) + cx``, ``v = fy (y d + p1 r2) + cy``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .errors import Arg, ParameterError, WsgcnError

CAMERAS_FORMAT = "wsgcn-cameras-1"


# ----------------------------------------------------------------------------- rotations

def quaternion_to_matrix(q: np.ndarray) -> np.ndarray:
    """(4,) unit quaternion (w, x, y, z) -> (3, 3) rotation matrix acting on column vectors."""
    w, x, y, z = np.asarray(q, dtype=np.float64) / np.linalg.norm(q)
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
        [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
        [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
    ])


# ----------------------------------------------------------------------------- camera

@dataclass
class Camera:
    """One calibrated camera. Distances in metres, focal length and centre in pixels."""

    id: str
    res_w: int
    res_h: int
    focal_length: np.ndarray  # (2,) fx, fy  [px]
    center: np.ndarray  # (2,) cx, cy  [px]
    radial_distortion: np.ndarray  # (3,) k1, k2, k3
    tangential_distortion: np.ndarray  # (2,) p1, p2
    rotation: np.ndarray = field(default_factory=lambda: np.eye(3))  # (3, 3) world -> camera
    position: np.ndarray = field(default_factory=lambda: np.zeros(3))  # (3,) camera centre [m]

    @property
    def intrinsics(self) -> np.ndarray:
        """(9,) ``[fx, fy, cx, cy, k1, k2, k3, p1, p2]`` in pixels."""
        return np.concatenate([self.focal_length, self.center, self.radial_distortion,
                               self.tangential_distortion]).astype(np.float64)

    @property
    def normalized_intrinsics(self) -> np.ndarray:
        """(9,) intrinsics in normalised screen units (docs/METHOD.md §4)."""
        return normalize_intrinsics(self.intrinsics, self.res_w, self.res_h)

    def world_to_camera(self, x: np.ndarray) -> np.ndarray:
        """(..., 3) world points [m] -> (..., 3) camera-frame points [m]."""
        return world_to_camera(x, self.rotation, self.position)

    def camera_to_world(self, x: np.ndarray) -> np.ndarray:
        """(..., 3) camera-frame points [m] -> (..., 3) world points [m]."""
        return camera_to_world(x, self.rotation, self.position)

    def project(self, x_cam: np.ndarray) -> np.ndarray:
        """(..., 3) camera-frame points [m] -> (..., 2) pixels, with distortion."""
        return project(x_cam, self.intrinsics)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "res_w": int(self.res_w), "res_h": int(self.res_h),
            "focal_length": [float(v) for v in self.focal_length],
            "center": [float(v) for v in self.center],
            "radial_distortion": [float(v) for v in self.radial_distortion],
            "tangential_distortion": [float(v) for v in self.tangential_distortion],
            "R": [[float(v) for v in row] for row in self.rotation],
            "position": [float(v) for v in self.position],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = "camera") -> "Camera":
        """Build from a cameras-file entry. Extrinsics as either Human3.6M's
        ``orientation`` (camera -> world quaternion w, x, y, z) + ``translation`` (camera
        centre, metres), or ``R`` (world -> camera) + ``position`` (camera centre, metres),
        or OpenCV's ``R`` + ``t`` (``X_cam = R X + t``, metres)."""
        def vec(key: str, n: int, default: Any = None) -> np.ndarray:
            if key not in d:
                if default is None:
                    raise WsgcnError(f"{where}: missing key {key!r}")
                return np.asarray(default, dtype=np.float64)
            try:
                v = np.asarray(d[key], dtype=np.float64).reshape(-1)
            except (TypeError, ValueError, OverflowError):
                raise WsgcnError(f"{where}: {key!r} must be a list of {n} numbers") from None
            if v.shape != (n,) or not np.all(np.isfinite(v)):
                raise WsgcnError(f"{where}: {key!r} must be a list of {n} finite numbers")
            return v

        try:
            res_w, res_h = int(d["res_w"]), int(d["res_h"])
        except KeyError as e:
            raise WsgcnError(f"{where}: missing key {e.args[0]!r}") from None
        except (TypeError, ValueError, OverflowError):
            raise WsgcnError(f"{where}: res_w and res_h must be integers") from None
        if res_w <= 0 or res_h <= 0:
            raise WsgcnError(f"{where}: image size must be positive, got {res_w}x{res_h}")
        f = vec("focal_length", 2)
        if np.any(f <= 0):
            raise WsgcnError(f"{where}: focal_length must be positive")
        if "orientation" in d:
            rot = quaternion_to_matrix(vec("orientation", 4)).T
            pos = vec("translation", 3)
        elif "R" in d:
            rot = vec("R", 9).reshape(3, 3)
            if not np.allclose(rot @ rot.T, np.eye(3), atol=1e-4) or np.linalg.det(rot) < 0:
                raise WsgcnError(f"{where}: 'R' is not a rotation matrix")
            pos = vec("position", 3) if "position" in d else -rot.T @ vec("t", 3)
        else:
            rot, pos = np.eye(3), np.zeros(3)
        return cls(id=str(d.get("id", "")), res_w=res_w, res_h=res_h, focal_length=f,
                   center=vec("center", 2), radial_distortion=vec("radial_distortion", 3, [0, 0, 0]),
                   tangential_distortion=vec("tangential_distortion", 2, [0, 0]), rotation=rot, position=pos)


CameraRig = dict[str, list[Camera]]
"""Cameras per subject: ``rig[subject][camera_index]``."""


def load_cameras(path: str | os.PathLike) -> CameraRig:
    """Read a cameras file (JSON, ``{"format": "wsgcn-cameras-1", "subjects": {S: [camera, ...]}}``)."""
    path = Path(path)
    from .io import read_json  # local import keeps camera.py importable on its own

    data = read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("subjects"), dict):
        raise WsgcnError(f"{path}: not a cameras file (expected an object with a 'subjects' mapping)")
    rig: CameraRig = {}
    for subject, cams in data["subjects"].items():
        if not isinstance(cams, list) or not cams:
            raise WsgcnError(f"{path}: subject {subject!r} must list at least one camera")
        rig[subject] = [Camera.from_dict(c if isinstance(c, dict) else {}, f"{path}: {subject} camera {i}")
                        for i, c in enumerate(cams)]
    return rig


def save_cameras(path: str | os.PathLike, rig: CameraRig, note: str = "") -> None:
    """Write a cameras file readable by :func:`load_cameras`."""
    from .io import write_json

    obj: dict[str, Any] = {"format": CAMERAS_FORMAT}
    if note:
        obj["note"] = note
    obj["subjects"] = {s: [c.to_dict() for c in cams] for s, cams in rig.items()}
    write_json(path, obj)


@lru_cache(maxsize=1)
def _h36m_json() -> str:
    return resources.files("wsgcn").joinpath("resources/h36m_cameras.json").read_text(encoding="utf-8")


def h36m_cameras() -> CameraRig:
    """The published Human3.6M cameras: 4 per subject for S1, S5-S9, S11."""
    data = json.loads(_h36m_json())
    return {s: [Camera.from_dict(c, f"h36m {s}") for c in cams] for s, cams in data["subjects"].items()}


def parse_intrinsics(image_size: tuple[int, int] | None, focal: float | None = None, intrinsics: str | None = None,
                     cameras: str | os.PathLike | None = None, camera: str | None = None
                     ) -> tuple[np.ndarray | None, tuple[int, int] | None]:
    """Pixel intrinsics (9,) ``[fx, fy, cx, cy, k1, k2, k3, p1, p2]`` from ``focal`` (fx = fy, the
    principal point at the image centre), ``intrinsics`` (text ``fx,fy,cx,cy[,k1,k2,k3,p1,p2]``)
    or a cameras file ``cameras`` (with ``camera`` ``SUBJECT:INDEX`` when it holds several), and
    the image size (the camera's, when ``image_size`` is None). Returns (None, image_size) when
    none is given. Errors name these parameters (:class:`~wsgcn.errors.ParameterError`)."""
    given = [n for n, v in (("focal", focal), ("intrinsics", intrinsics), ("cameras", cameras)) if v is not None]
    if len(given) > 1:
        raise ParameterError("give only one of ", *_listed([Arg(n) for n in given]))
    if camera is not None and cameras is None:
        raise ParameterError(Arg("camera"), " needs ", Arg("cameras", metavar="FILE"))
    if not given:
        return None, image_size
    if focal is not None:
        if not (np.isfinite(focal) and focal > 0):
            raise ParameterError(Arg("focal"), f" must be a positive number of pixels, got {focal}")
        if image_size is None:
            raise ParameterError(Arg("focal"), " needs the image size (", Arg("image_size"),
                                 ") for the principal point")
        w, h = image_size
        return np.array([focal, focal, w / 2, h / 2, 0, 0, 0, 0, 0], dtype=np.float64), image_size
    if intrinsics is not None:
        return _parse_intrinsics_text(intrinsics), image_size
    return _rig_camera(load_cameras(cameras), cameras, camera, image_size)  # type: ignore[arg-type]


def _listed(args: list[Arg]) -> list[str | Arg]:
    """``a, b, c`` as message parts."""
    parts: list[str | Arg] = []
    for i, a in enumerate(args):
        parts += [", ", a] if i else [a]
    return parts


def _parse_intrinsics_text(text: str) -> np.ndarray:
    """``fx,fy,cx,cy[,k1,k2,k3,p1,p2]`` -> (9,) float64, distortion 0 when not given."""
    try:
        vals = [float(v) for v in text.replace(" ", "").split(",") if v != ""]
    except ValueError:
        raise ParameterError(Arg("intrinsics"), f" must be numbers fx,fy,cx,cy[,k1,k2,k3,p1,p2], got {text!r}") from None
    if len(vals) not in (4, 9) or not np.all(np.isfinite(vals)) or vals[0] <= 0 or vals[1] <= 0:
        raise ParameterError(Arg("intrinsics"), " must be 4 or 9 finite numbers with positive focal lengths, "
                             f"got {text!r}")
    return np.array(vals + [0.0] * (9 - len(vals)), dtype=np.float64)


def _rig_camera(rig: CameraRig, cameras: str | os.PathLike, camera: str | None,
                image_size: tuple[int, int] | None) -> tuple[np.ndarray, tuple[int, int]]:
    """The intrinsics and image size of camera ``camera`` (``SUBJECT:INDEX``) of the file ``cameras``."""
    flat = [(s, i, c) for s, cams in rig.items() for i, c in enumerate(cams)]
    if camera is None:
        if len(flat) != 1:
            raise ParameterError(f"{cameras}: holds {len(flat)} cameras; choose one with ",
                                 Arg("camera", metavar="SUBJECT:INDEX"), f" (e.g. {flat[0][0]}:0)")
        cam = flat[0][2]
    else:
        subj, _, idx = camera.rpartition(":")
        if subj not in rig or not idx.isdigit() or int(idx) >= len(rig[subj]):
            raise WsgcnError(f"{cameras}: no camera {camera!r}; subjects {sorted(rig)}, as SUBJECT:INDEX")
        cam = rig[subj][int(idx)]
    size = (int(cam.res_w), int(cam.res_h))
    if image_size is not None and tuple(image_size) != size:
        raise WsgcnError(f"{cameras}: camera image size {size[0]}x{size[1]} differs from the keypoints' "
                         f"{image_size[0]}x{image_size[1]}")
    return cam.intrinsics, size


# ----------------------------------------------------------------------------- transforms

def world_to_camera(x: np.ndarray, rotation: np.ndarray, position: np.ndarray) -> np.ndarray:
    """(..., 3) world points -> camera frame: ``R (x - C)``."""
    return (np.asarray(x) - position) @ np.asarray(rotation).T


def camera_to_world(x: np.ndarray, rotation: np.ndarray, position: np.ndarray) -> np.ndarray:
    """(..., 3) camera-frame points -> world: ``R^T x + C``."""
    return np.asarray(x) @ np.asarray(rotation) + position


# ----------------------------------------------------------------------------- projection

def project(x_cam: np.ndarray, intrinsics: np.ndarray) -> np.ndarray:
    """Human3.6M projection in NumPy. ``x_cam`` (..., J, 3) [m], ``intrinsics`` (..., 9)
    broadcastable to the batch shape -> (..., J, 2) in the intrinsics' units."""
    intr = np.asarray(intrinsics)[..., None, :]
    f, c, k, p = intr[..., 0:2], intr[..., 2:4], intr[..., 4:7], intr[..., 7:9]
    xy = x_cam[..., :2] / x_cam[..., 2:3]
    r2 = np.sum(xy ** 2, axis=-1, keepdims=True)
    radial = 1 + k[..., 0:1] * r2 + k[..., 1:2] * r2 ** 2 + k[..., 2:3] * r2 ** 3
    tan = np.sum(p * xy[..., ::-1], axis=-1, keepdims=True)  # p1 y + p2 x
    xy_d = xy * (radial + tan) + p[..., ::-1] * r2  # + (p2 r2, p1 r2)
    return f * xy_d + c


def project_torch(x_cam: torch.Tensor, intrinsics: torch.Tensor) -> torch.Tensor:
    """Human3.6M projection in PyTorch (differentiable); same arguments as :func:`project`."""
    intr = intrinsics.unsqueeze(-2)
    f, c, k, p = intr[..., 0:2], intr[..., 2:4], intr[..., 4:7], intr[..., 7:9]
    xy = x_cam[..., :2] / x_cam[..., 2:3]
    r2 = (xy ** 2).sum(-1, keepdim=True)
    radial = 1 + k[..., 0:1] * r2 + k[..., 1:2] * r2 ** 2 + k[..., 2:3] * r2 ** 3
    tan = (p * xy.flip(-1)).sum(-1, keepdim=True)
    xy_d = xy * (radial + tan) + p.flip(-1) * r2
    return f * xy_d + c


# ----------------------------------------------------------------------------- normalisation

def _offset(w: float, h: float) -> np.ndarray:
    return np.array([1.0, h / w])


def normalize_screen_coordinates(x: np.ndarray, w: float, h: float) -> np.ndarray:
    """(..., 2) pixels -> normalised: ``[0, w] -> [-1, 1]``, aspect ratio kept (``u / w * 2 - [1, h / w]``)."""
    x = np.asarray(x)
    return (x / w * 2 - _offset(w, h)).astype(x.dtype if x.dtype.kind == "f" else np.float64)


def image_coordinates(x: np.ndarray, w: float, h: float) -> np.ndarray:
    """Inverse of :func:`normalize_screen_coordinates`: (..., 2) normalised -> pixels."""
    x = np.asarray(x)
    return ((x + _offset(w, h)) * w / 2).astype(x.dtype if x.dtype.kind == "f" else np.float64)


def normalize_intrinsics(intrinsics: np.ndarray, w: float, h: float) -> np.ndarray:
    """(..., 9) pixel intrinsics -> normalised: focal ``* 2 / w``, centre through the screen map,
    distortion unchanged; projecting with them gives normalised screen coordinates."""
    out = np.array(intrinsics, dtype=np.float64, copy=True)
    out[..., 0:2] = out[..., 0:2] * 2 / w
    out[..., 2:4] = normalize_screen_coordinates(out[..., 2:4], w, h)
    return out


def denormalize_intrinsics(intrinsics: np.ndarray, w: float, h: float) -> np.ndarray:
    """Inverse of :func:`normalize_intrinsics`."""
    out = np.array(intrinsics, dtype=np.float64, copy=True)
    out[..., 0:2] = out[..., 0:2] * w / 2
    out[..., 2:4] = image_coordinates(out[..., 2:4], w, h)
    return out


# ----------------------------------------------------------------------------- root solve

def _distortion_terms(xy: torch.Tensor, intr: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Multiplicative factor d (..., J, 1) and additive term a (..., J, 2) of the distortion at
    undistorted normalised points xy, so that distorted = xy * d + a."""
    k, p = intr[..., None, 4:7], intr[..., None, 7:9]
    r2 = (xy ** 2).sum(-1, keepdim=True)
    d = 1 + k[..., 0:1] * r2 + k[..., 1:2] * r2 ** 2 + k[..., 2:3] * r2 ** 3 + (p * xy.flip(-1)).sum(-1, keepdim=True)
    return d, p.flip(-1) * r2


def solve_root(pose_rel: torch.Tensor, keypoints: torch.Tensor, intrinsics: torch.Tensor,
               weights: torch.Tensor | None = None, refine_steps: int = 2) -> torch.Tensor:
    """Least-squares root translation T (B, 3) [m] such that ``project(pose_rel + T)`` best
    matches ``keypoints``.

    ``pose_rel`` (B, J, 3) root-relative camera-frame pose [m]; ``keypoints`` (B, J, 2) in the
    units of ``intrinsics`` (B, 9) or (9,); ``weights`` (B, J) optional per-joint weights.
    For each joint, ``(X_j + tx) - x_j (Z_j + tz) = 0`` and the same for y, with x_j the
    undistorted normalised image coordinate: a 3x3 linear system per pose. The distortion
    is then handled by ``refine_steps`` fixed-point steps that undistort the keypoints with
    the distortion evaluated at the current solution. Differentiable w.r.t. ``pose_rel``.
    """
    intr = intrinsics.to(pose_rel.dtype).expand(pose_rel.shape[0], 9)
    f, c = intr[:, None, 0:2], intr[:, None, 2:4]
    obs = (keypoints - c) / f  # distorted, normalised image coordinates (B, J, 2)
    w = torch.ones_like(obs[..., 0]) if weights is None else weights.to(pose_rel.dtype)
    X, Z = pose_rel[..., :2], pose_rel[..., 2:3]

    def solve(xy: torch.Tensor) -> torch.Tensor:
        # rows: [1, 0, -x] t = x Z - X   and   [0, 1, -y] t = y Z - Y
        B, J = xy.shape[:2]
        A = torch.zeros(B, J, 2, 3, dtype=xy.dtype, device=xy.device)
        A[..., 0, 0] = 1
        A[..., 1, 1] = 1
        A[..., :, 2] = -xy
        b = xy * Z - X  # (B, J, 2)
        Aw = A * w[..., None, None]
        AtA = torch.einsum("bjki,bjkl->bil", Aw, A)
        Atb = torch.einsum("bjki,bjk->bi", Aw, b)
        eye = torch.eye(3, dtype=xy.dtype, device=xy.device)
        return torch.linalg.solve(AtA + 1e-12 * eye, Atb)

    t = solve(obs)
    for _ in range(refine_steps):
        p = pose_rel + t[:, None, :]
        xy = p[..., :2] / p[..., 2:3]
        d, a = _distortion_terms(xy, intr)
        t = solve((obs - a) / d)
    return t


def solve_root_numpy(pose_rel: np.ndarray, keypoints: np.ndarray, intrinsics: np.ndarray,
                     weights: np.ndarray | None = None, refine_steps: int = 2) -> np.ndarray:
    """NumPy wrapper of :func:`solve_root` (float64): (B, J, 3), (B, J, 2), (9,) or (B, 9) -> (B, 3)."""
    t = solve_root(torch.as_tensor(np.asarray(pose_rel, dtype=np.float64)),
                   torch.as_tensor(np.asarray(keypoints, dtype=np.float64)),
                   torch.as_tensor(np.asarray(intrinsics, dtype=np.float64)),
                   None if weights is None else torch.as_tensor(np.asarray(weights, dtype=np.float64)),
                   refine_steps)
    return t.numpy()
