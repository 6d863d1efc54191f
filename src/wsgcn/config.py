"""Run configuration: plain dataclasses read from YAML, with ``--set key=value`` overrides.

Unknown or misspelt keys and values of the wrong type are errors that name the key
(and suggest the closest valid one).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import types
import typing
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import WsgcnError


@dataclass
class DataConfig:
    """Where the data lives and how it is split. Subject lists left unset (null) are read from
    ``data_split_<name>.json`` in ``dir`` when that file exists (Human3.6M: the paper's split)."""

    dir: str = "data"
    name: str = "mocap"  # files data_3d_<name>.npz, data_2d_<name>_<source>.npz
    source: str = "gt"  # 2D source used for training and evaluation
    joints: int = 16  # 16 (paper, no Neck/Nose) or 17
    # Subject lists; null (unset) takes the split file's / the paper's list, [] means none.
    labelled: list[str] | None = None  # subjects with 3D labels (S1)
    unlabelled: list[str] | None = None  # subjects with 2D only (S5-S8)
    validation: list[str] | None = None  # checkpoint selection; empty: hold out of labelled
    val_fraction: float = 0.1  # tail of each labelled sequence held out when `validation` is empty
    test: list[str] | None = None  # S9, S11
    stride: int = 1  # keep every stride-th frame of the labelled subjects for training
    unlabelled_stride: int = 0  # the same for the unlabelled subjects; 0: as `stride`
    eval_stride: int = 1  # the same for validation and test
    # Train on every labelled pose (the original code's protocol: all of S1): the validation
    # subjects join the labelled set, no tail is held out, there is no validation split and
    # `best` is the last epoch. Only for comparing with the paper (see train.oracle_test).
    all_labelled: bool = False


@dataclass
class ModelConfig:
    arch: str = "semgcn"  # semgcn | martinez
    hidden: int = 128
    num_blocks: int = 4
    nonlocal_layers: bool = True
    dropout: float | None = None


@dataclass
class TrainConfig:
    supervision: str = "weak"  # full | weak
    root: str = "solve"  # gt (paper, reads unlabelled 3D roots) | solve (closed form from 2D)
    epochs: int = 100
    warmup_epochs: int = 20  # weak: first epochs on the labelled subjects only
    batch_size: int = 256
    lr: float = 1.0e-3
    lr_decay: float = 0.96
    lr_decay_steps: int = 100_000  # lr *= lr_decay every lr_decay_steps steps
    max_grad_norm: float = 1.0
    reprojection_weight: float = 1.0
    bone_weight: float = 1.0  # 0 disables the bone-length penalty
    # Beyond the paper: multi-view consistency of the unlabelled subjects' synchronised views
    # (docs/METHOD.md §5); > 0 also draws the unlabelled batches as whole view groups (§7).
    # 0 (default) trains exactly as without the term.
    multiview_weight: float = 0.0
    # absolute: the spread in m^2 (pulls towards smaller poses, METHOD.md §5); relative: the spread
    # divided by the group's mean squared joint norm (dimensionless, blind to a common scale)
    multiview_form: str = "absolute"
    seed: int = 0
    eval_every: int = 1  # epochs between validation passes
    threads: int = 0  # torch intra-op threads; 0 keeps torch's default
    device: str = "auto"  # auto (GPU when present) | cpu | cuda
    max_steps_per_epoch: int = 0  # 0: a full pass; otherwise cap (for quick runs and tests)
    # Also evaluate the test split after every epoch (frame-wise) and report the best epoch on
    # test as a labelled oracle figure: what the original code reports. Never used for selection.
    oracle_test: bool = False
    # Arithmetic of the network: fp32, or bf16 (mixed precision: bfloat16 matrix products and
    # activations, float32 master weights, optimiser, BatchNorm statistics, losses, projection
    # and root solve). bf16 falls back to fp32, with one line, where it would be slower.
    precision: str = "fp32"


@dataclass
class Config:
    name: str = "run"
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def validate(self) -> "Config":
        """Check value ranges; raise WsgcnError naming the key."""
        checks = [
            (self.data.joints in (16, 17), "data.joints must be 16 or 17"),
            (self.data.stride >= 1 and self.data.eval_stride >= 1, "data.stride and data.eval_stride must be >= 1"),
            (self.data.unlabelled_stride >= 0, "data.unlabelled_stride must be >= 0"),
            (0.0 <= self.data.val_fraction < 1.0, "data.val_fraction must be in [0, 1)"),
            (self.model.arch in ("semgcn", "martinez"), "model.arch must be 'semgcn' or 'martinez'"),
            (2 <= self.model.hidden <= 4096 and self.model.hidden % 2 == 0,
             "model.hidden must be an even number from 2 to 4096"),
            (0 <= self.model.num_blocks <= 64, "model.num_blocks must be from 0 to 64"),
            (self.model.dropout is None or 0.0 <= self.model.dropout < 1.0, "model.dropout must be in [0, 1)"),
            (self.train.supervision in ("full", "weak"), "train.supervision must be 'full' or 'weak'"),
            (self.train.root in ("gt", "solve"), "train.root must be 'gt' or 'solve'"),
            (self.train.epochs >= 1, "train.epochs must be >= 1"),
            (0 <= self.train.warmup_epochs, "train.warmup_epochs must be >= 0"),
            (self.train.batch_size >= 2, "train.batch_size must be >= 2"),
            (self.train.lr > 0, "train.lr must be > 0"),
            (self.train.lr_decay_steps >= 1, "train.lr_decay_steps must be >= 1"),
            (self.train.eval_every >= 1, "train.eval_every must be >= 1"),
            (self.train.device in ("auto", "cpu", "cuda"), "train.device must be 'auto', 'cpu' or 'cuda'"),
            (self.train.precision in ("fp32", "bf16"), "train.precision must be 'fp32' or 'bf16'"),
            (self.train.multiview_form in ("absolute", "relative"),
             "train.multiview_form must be 'absolute' or 'relative'"),
            (self.train.reprojection_weight >= 0 and self.train.bone_weight >= 0 and self.train.multiview_weight >= 0,
             "loss weights must be >= 0"),
            (self.train.multiview_weight == 0 or self.train.supervision == "weak",
             "train.multiview_weight > 0 needs train.supervision: weak (the term is on the unlabelled subjects)"),
        ]
        for ok, msg in checks:
            if not ok:
                raise WsgcnError(f"config: {msg}")
        return self


def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _coerce(value: Any, tp: Any, key: str) -> Any:
    """Check/convert ``value`` to the annotated type ``tp``; raise WsgcnError naming ``key``."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(value, inner[0], key)
    if origin is list:
        (inner,) = typing.get_args(tp)
        if isinstance(value, str):
            value = [v for v in value.split(",") if v]
        if not isinstance(value, list):
            raise WsgcnError(f"config: {key} must be a list, got {value!r}")
        return [_coerce(v, inner, key) for v in value]
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "on", "off", "1", "0"):
            return value.lower() in ("true", "yes", "on", "1")
        raise WsgcnError(f"config: {key} must be true or false, got {value!r}")
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, (int, str, float)):
            raise WsgcnError(f"config: {key} must be an integer, got {value!r}")
        if isinstance(value, int):
            return value
        try:
            f = float(value)
        except (ValueError, OverflowError):
            raise WsgcnError(f"config: {key} must be an integer, got {value!r}") from None
        if not f.is_integer():
            raise WsgcnError(f"config: {key} must be an integer, got {value!r}")
        return int(f)
    if tp is float:
        if isinstance(value, bool):
            raise WsgcnError(f"config: {key} must be a number, got {value!r}")
        try:
            f = float(value)
        except (TypeError, ValueError, OverflowError):
            raise WsgcnError(f"config: {key} must be a number, got {value!r}") from None
        if not math.isfinite(f):
            raise WsgcnError(f"config: {key} must be a finite number, got {value!r}")
        return f
    if tp is str:
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise WsgcnError(f"config: {key} must be a string, got {value!r}")
        return str(value)
    return value


def _unknown(key: str, valid: list[str]) -> WsgcnError:
    close = difflib.get_close_matches(key.split(".")[-1], valid, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f"; valid keys: {', '.join(valid)}"
    return WsgcnError(f"config: unknown key {key!r}{hint}")


def _apply(obj: Any, values: dict[str, Any], prefix: str = "") -> None:
    if not isinstance(values, dict):
        raise WsgcnError(f"config: {prefix.rstrip('.') or 'top level'} must be a mapping")
    hints = _field_types(type(obj))
    names = [f.name for f in dataclasses.fields(obj)]
    for key, value in values.items():
        key = str(key)
        full = prefix + key
        if key not in names:
            raise _unknown(full, names)
        current = getattr(obj, key)
        if dataclasses.is_dataclass(current):
            _apply(current, value, full + ".")
        else:
            setattr(obj, key, _coerce(value, hints[key], full))


def load_config(path: str | os.PathLike | None, overrides: list[str] | None = None) -> Config:
    """Read a YAML config (or start from defaults when ``path`` is None) and apply
    ``key=value`` overrides such as ``train.root=solve`` (values parsed as YAML scalars)."""
    cfg = Config()
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise WsgcnError(f"{path}: config file not found")
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError, ValueError) as e:  # ValueError: a > 4300-digit integer
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise WsgcnError(f"{path}: invalid YAML ({first})") from None
        except RecursionError:
            raise WsgcnError(f"{path}: invalid YAML (nested too deeply)") from None
        try:
            _apply(cfg, raw)
        except WsgcnError as e:
            raise WsgcnError(f"{path}: {e}") from None
        if "name" not in raw:
            cfg.name = path.stem
    apply_overrides(cfg, overrides or [])
    return cfg.validate()


def apply_overrides(cfg: Config, overrides: list[str]) -> Config:
    """Apply ``key=value`` strings (values parsed as YAML scalars) to ``cfg`` in place."""
    for item in overrides:
        if "=" not in item:
            raise WsgcnError(f"--set {item!r}: expected key=value, e.g. train.root=solve")
        key, text = item.split("=", 1)
        try:
            value = yaml.safe_load(text) if text != "" else ""
        except yaml.YAMLError:
            value = text
        parts = key.strip().split(".")
        target: dict[str, Any] = {}
        node = target
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value
        _apply(cfg, target)
    return cfg


def config_from_dict(d: dict[str, Any]) -> Config:
    """Rebuild a Config from :meth:`Config.to_dict` output (e.g. stored in a checkpoint)."""
    cfg = Config()
    _apply(cfg, d)
    return cfg.validate()


def dump_config(cfg: Config) -> str:
    """The resolved config as YAML text."""
    return yaml.safe_dump(cfg.to_dict(), sort_keys=False)
