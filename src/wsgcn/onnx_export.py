"""Export a checkpoint to ONNX (``wsgcn export-onnx``), with a dynamic batch axis.

The exported graph is exactly :meth:`wsgcn.Lifter.predict_normalized`: input ``keypoints_2d``
(batch, J, 2) float32 in normalised screen coordinates (``u / w * 2 - [1, h / w]``, Human3.6M
joint order of the checkpoint, 16 or 17 joints), output ``pose_3d`` (batch, J, 3) float32 metres,
camera frame, root-relative. The joint names and these conventions are stored in the model's
metadata (``metadata_props``). After writing, the file is checked with onnxruntime against
PyTorch on random inputs (max abs difference <= 1e-4), when onnxruntime is installed.

Needs the optional packages ``onnx`` and ``onnxscript`` (torch's exporter), and ``onnxruntime``
for the check: ``pip install 'wsgcn[onnx]'``.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from .errors import WsgcnError
from .io import atomic_path

ONNX_FORMAT = "wsgcn-onnx-1"
TOLERANCE = 1e-4
OPSET = 18


def export_onnx(checkpoint: str | os.PathLike, out: str | os.PathLike, check: bool = True,
                opset: int = OPSET) -> dict[str, Any]:
    """Write ``checkpoint`` (file or run folder) as an ONNX model at ``out``, then check it with
    onnxruntime. Returns a summary (joints, parameters, max difference or None if not checked)."""
    out = Path(out)
    if out.suffix.lower() != ".onnx":
        raise WsgcnError(f"{out}: the output file must end in .onnx")
    try:
        import onnx  # noqa: F401
        import onnxscript  # noqa: F401
    except ImportError:
        raise WsgcnError("export-onnx needs the optional packages onnx and onnxscript: "
                         "pip install 'wsgcn[onnx]'") from None
    import torch

    from .checkpoint import load_model, resolve_checkpoint

    path = resolve_checkpoint(checkpoint)
    model, meta = load_model(path)
    J = int(getattr(model, "num_joints", meta.get("config", {}).get("data", {}).get("joints", 17)))
    from .codec import RootRelative

    net = RootRelative(model).eval()
    example = torch.zeros(2, J, 2)
    names = list(getattr(model, "skeleton").names) if hasattr(model, "skeleton") else []
    with atomic_path(out) as tmp:
        _export(net, example, tmp, opset)
        _add_metadata(tmp, {
            "wsgcn_format": ONNX_FORMAT,
            "checkpoint": path.name,
            "joint_names": json.dumps(names),
            "input": f"keypoints_2d (batch, {J}, 2) float32: pixels normalised as u / w * 2 - [1, h / w] (docs/METHOD.md §4)",
            "output": f"pose_3d (batch, {J}, 3) float32: metres, camera frame (x right, y down, z forward), "
                      "root-relative (Hip = 0)",
        })
        diff = verify(net, tmp, J) if check else None
    n_params = int(sum(p.numel() for p in model.parameters()))
    return {"checkpoint": str(path), "out": str(out), "joints": J, "parameters": n_params, "max_abs_diff": diff,
            "opset": opset}


def _export(net: Any, example: Any, tmp: Path, opset: int) -> None:
    import torch

    batch = torch.export.Dim("batch", min=1)
    sink = io.StringIO()
    loggers = [logging.getLogger(n) for n in ("torch.onnx", "torch.export", "torch._export", "onnxscript")]
    levels = [lg.level for lg in loggers]
    try:
        for lg in loggers:
            lg.setLevel(logging.ERROR)
        with contextlib.redirect_stdout(sink), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            prog = torch.onnx.export(net, (example,), input_names=["keypoints_2d"], output_names=["pose_3d"],
                                     dynamic_shapes=({0: batch},), opset_version=opset, dynamo=True,
                                     external_data=False, verbose=False)
            prog.save(str(tmp))
    finally:
        for lg, lv in zip(loggers, levels):
            lg.setLevel(lv)


def _add_metadata(path: Path, props: dict[str, str]) -> None:
    import onnx

    m = onnx.load(str(path))
    del m.metadata_props[:]
    for k, v in props.items():
        e = m.metadata_props.add()
        e.key, e.value = k, v
    onnx.checker.check_model(m)
    onnx.save(m, str(path))


def verify(net: Any, path: str | os.PathLike, num_joints: int, batches: tuple[int, ...] = (1, 37)) -> float | None:
    """Max abs difference between onnxruntime and PyTorch on random inputs of several batch
    sizes; raises RuntimeError above :data:`TOLERANCE`. None when onnxruntime is not installed."""
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    import torch

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    worst = 0.0
    for b in batches:
        x = rng.uniform(-0.6, 0.6, (b, num_joints, 2)).astype(np.float32)
        with torch.no_grad():
            ref = net(torch.from_numpy(x)).numpy()
        got = sess.run(["pose_3d"], {"keypoints_2d": x})[0]
        worst = max(worst, float(np.abs(got - ref).max()))
    if worst > TOLERANCE:
        raise RuntimeError(f"{path}: ONNX output differs from PyTorch by {worst:.2e} (> {TOLERANCE})")
    return worst
