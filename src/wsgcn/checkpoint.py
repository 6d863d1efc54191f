"""Checkpoints: safetensors for tensors, JSON (in the safetensors header) for everything else.

Nothing here unpickles: loading a checkpoint can never execute code from it.
A checkpoint is one file, written atomically: ``model.*`` tensors (the weights), optionally
``optim.*`` and ``rng.*`` tensors (the training state for ``--resume``), and a ``wsgcn``
metadata entry holding JSON: format version, config, epoch, step, metrics, history.
A human-readable ``<name>.json`` with the same metadata is written beside it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn
from torch.overrides import TorchFunctionMode

from .errors import WsgcnError
from .io import atomic_path, write_json

FORMAT = "wsgcn-checkpoint-1"


def save_checkpoint(path: str | os.PathLike, model: nn.Module, meta: dict[str, Any],
                    extra_tensors: dict[str, torch.Tensor] | None = None, write_sidecar: bool = True) -> None:
    """Atomically write ``model``'s state dict (+ ``extra_tensors``) and ``meta`` to ``path``."""
    path = Path(path)
    tensors = {f"model.{k}": v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    for k, v in (extra_tensors or {}).items():
        tensors[k] = v.detach().contiguous().cpu()
    meta = {"format": FORMAT, **meta}
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata={"wsgcn": json.dumps(meta)})
    if write_sidecar:
        write_json(path.with_suffix(".json"), {k: v for k, v in meta.items() if k != "history"})


def read_checkpoint(path: str | os.PathLike) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read a checkpoint: (all tensors, metadata). Errors name the file."""
    path = Path(path)
    if not path.is_file():
        raise WsgcnError(f"{path}: checkpoint not found")
    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as f:
            header = f.metadata() or {}
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as e:
        raise WsgcnError(f"{path}: not a valid safetensors checkpoint ({str(e).splitlines()[0] if str(e) else type(e).__name__})") from None
    try:
        meta = json.loads(header["wsgcn"])
    except (KeyError, json.JSONDecodeError, TypeError):
        raise WsgcnError(f"{path}: safetensors file without wsgcn metadata (not a wsgcn checkpoint)") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise WsgcnError(f"{path}: unsupported checkpoint format {meta.get('format') if isinstance(meta, dict) else meta!r}")
    return tensors, meta


def model_state(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The ``model.*`` tensors with the prefix removed."""
    return {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}


def resolve_checkpoint(path: str | os.PathLike) -> Path:
    """A checkpoint file, or a run folder (-> its ``checkpoints/best.safetensors``)."""
    path = Path(path)
    if path.is_dir():
        best = path / "checkpoints" / "best.safetensors"
        if best.is_file():
            return best
        raise WsgcnError(f"{path}: run folder without checkpoints/best.safetensors")
    if not path.exists():
        raise WsgcnError(f"{path}: no such checkpoint or run folder")
    return path


def load_model(path: str | os.PathLike) -> tuple[nn.Module, dict[str, Any]]:
    """Build the model described by a checkpoint and load its weights (eval mode).

    The network is built once: its weights first without memory (PyTorch's meta device, no
    random initialisation), so that a config that asks for a huge network is refused before
    anything is allocated; once the shapes match the file's, they get memory and the file's
    values (a strict state-dict load). Returns (model, metadata); ``metadata["config"]`` is the
    run's resolved config."""
    from .config import config_from_dict

    path = resolve_checkpoint(path)
    tensors, meta = read_checkpoint(path)
    try:
        cfg = config_from_dict(meta["config"])
    except (KeyError, WsgcnError) as e:
        raise WsgcnError(f"{path}: checkpoint config unreadable ({e})") from None
    state = model_state(tensors)
    with _WeightsOnMeta():
        model = build_model_from_config(cfg)
    want = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in state.items()}
    if want != got:
        missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
        diff = (f"missing {missing[0]!r}" if missing else f"unexpected {extra[0]!r}" if extra else
                next(f"{k!r} is {got[k]} in the file, {want[k]} in the config" for k in want if want[k] != got[k]))
        raise WsgcnError(f"{path}: weights do not fit the architecture in its config ({diff})")
    _materialise(model)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        first = str(e).strip().splitlines()
        raise WsgcnError(f"{path}: weights do not fit the architecture in its config ({first[1].strip() if len(first) > 1 else first[0]})") from None
    model.eval()
    return model, meta


_SIZED_FACTORIES = frozenset({torch.empty, torch.zeros, torch.ones, torch.full, torch.rand, torch.randn})
_INITIALISERS = frozenset({torch.Tensor.normal_, torch.Tensor.uniform_}
                          | {getattr(nn.init, n) for n in dir(nn.init) if n.endswith("_") and not n.startswith("_")})


class _WeightsOnMeta(TorchFunctionMode):
    """While a network is built: tensors made from a size (weights, BatchNorm statistics) go to the
    meta device, which holds shapes and no memory, and their initialisers (``nn.init``, random
    fills) are skipped, as the checkpoint's values replace them. Tensors made from data (the
    skeleton's index tables) stay real."""

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        kwargs = dict(kwargs or {})
        if func in _SIZED_FACTORIES:
            kwargs["device"] = "meta"
        elif func in _INITIALISERS and args and isinstance(args[0], torch.Tensor) and args[0].is_meta:
            return args[0]  # nothing to fill: the checkpoint's values come next
        return func(*args, **kwargs)


def _materialise(model: nn.Module) -> None:
    """Give the parameters and buffers that :class:`_WeightsOnMeta` left on the meta device real,
    uninitialised memory (on PyTorch's default device), for a state-dict load to fill."""
    device = torch.get_default_device()
    in_state = set(model.state_dict())
    for prefix, module in model.named_modules():
        for name, p in list(module.named_parameters(recurse=False)):
            if p.is_meta:
                setattr(module, name, nn.Parameter(_real(p, device), requires_grad=p.requires_grad))
        for name, b in list(module.named_buffers(recurse=False)):
            if b.is_meta:
                if f"{prefix}.{name}".lstrip(".") not in in_state:  # a bug in the model, not in the file
                    raise RuntimeError(f"buffer {prefix}.{name} is made from a size and is not in the state dict: "
                                       "make it from data (torch.tensor) so that load_model can build the model")
                setattr(module, name, _real(b, device))


def _real(t: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Uninitialised memory of a meta tensor's shape and dtype (``torch.empty``: ``empty_like`` of
    a meta tensor goes through PyTorch's Python references, which import SymPy: ~1 s)."""
    return torch.empty(t.shape, dtype=t.dtype, device=device)


def build_model_from_config(cfg) -> nn.Module:
    """The model a :class:`wsgcn.config.Config` describes."""
    from .models import build_model
    from .skeleton import get_skeleton

    m = cfg.model
    skel = get_skeleton(cfg.data.joints)
    if m.arch == "semgcn":
        return build_model("semgcn", skel, hidden=m.hidden, num_blocks=m.num_blocks,
                           nonlocal_layers=m.nonlocal_layers, dropout=m.dropout)
    return build_model("martinez", skel, hidden=m.hidden, num_blocks=m.num_blocks,
                       dropout=m.dropout if m.dropout is not None else 0.0)
