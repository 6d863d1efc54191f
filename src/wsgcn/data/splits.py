"""From a config's data section to the rows of its four splits: labelled (3D), unlabelled,
validation (checkpoint selection) and test, assembled from one read of the data files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config import Config
from ..errors import WsgcnError
from ..io import read_json
from ..skeleton import get_skeleton
from .batches import PoseSet, build_poseset, split_tail
from .h36m import H36M_SUBJECTS, DataFiles, action_group, open_data

SPLIT_KEYS = ("labelled", "unlabelled", "validation", "test")


def resolve_subjects(cfg: Config) -> dict[str, list[str]]:
    """Subject lists of the four splits: the config's, else ``data_split_<name>.json`` in the
    data folder, else (for Human3.6M) the paper's split."""
    d = cfg.data
    given = {k: getattr(d, k) for k in SPLIT_KEYS}
    split_file = Path(d.dir) / f"data_split_{d.name}.json"
    defaults: dict[str, list[str]] = {}
    if split_file.is_file():
        raw = read_json(split_file)
        if not isinstance(raw, dict):
            raise WsgcnError(f"{split_file}: expected an object with subject lists")
        defaults = {k: [str(s) for s in raw.get(k, [])] for k in SPLIT_KEYS}
    elif d.name == "h36m":
        defaults = {"labelled": H36M_SUBJECTS["labelled"], "unlabelled": H36M_SUBJECTS["unlabelled"],
                    "validation": [], "test": H36M_SUBJECTS["test"]}
    # labelled and test can never be empty, so [] there means "unset" too (as in configs
    # stored by earlier versions); for unlabelled and validation [] means "none".
    unset = {k: given[k] is None or (k in ("labelled", "test") and not given[k]) for k in SPLIT_KEYS}
    out = {k: list(defaults.get(k, [])) if unset[k] else list(given[k]) for k in SPLIT_KEYS}
    if not out["labelled"]:
        raise WsgcnError(f"config: data.labelled is empty and {split_file} does not exist "
                         f"(run `wsgcn data build-mocap --out {d.dir}` or list the subjects)")
    if not out["test"]:
        raise WsgcnError("config: data.test is empty")
    return out


@dataclass
class Splits:
    """The rows of a run's subjects, as the data files hold them (no training policy applied:
    the unlabelled rows keep their 3D; :func:`wsgcn.train.sets.training_sets` decides what a
    run may read)."""

    labelled: PoseSet  # rows with 3D labels that train
    unlabelled: PoseSet  # rows of the subjects called unlabelled (their 3D still in the tensors)
    validation: PoseSet  # checkpoint selection (empty with data.all_labelled)
    subjects: dict[str, list[str]]


def open_run_files(cfg: Config) -> DataFiles:
    """The data files of ``cfg`` (read and checked once; every split is assembled from them)."""
    d = cfg.data
    return open_data(Path(d.dir), d.name, d.source)


def load_splits(cfg: Config, files: DataFiles | None = None) -> Splits:
    """The labelled, unlabelled and validation rows of ``cfg``'s subjects.

    Validation: the configured validation subjects, else the last ``val_fraction`` of every
    labelled sequence (only labelled 3D is ever used for model selection); with
    ``data.all_labelled`` the validation subjects train too and there is no validation."""
    d = cfg.data
    files = files or open_run_files(cfg)
    skel = get_skeleton(d.joints)
    subjects = resolve_subjects(cfg)
    key = lambda s: action_group(s.action)  # noqa: E731
    lab = files.sequences(subjects["labelled"])
    if d.all_labelled:  # the original code's protocol: every labelled pose trains, nothing to validate on
        if subjects["validation"]:
            lab = lab + files.sequences(subjects["validation"])
        val = []
    elif subjects["validation"]:
        val = files.sequences(subjects["validation"])
    else:
        lab, val = split_tail(lab, d.val_fraction)
    unl = files.sequences(subjects["unlabelled"]) if subjects["unlabelled"] else []
    return Splits(labelled=build_poseset(lab, skel, d.stride, key),
                  unlabelled=build_poseset(unl, skel, d.unlabelled_stride or d.stride, key),
                  validation=build_poseset(val, skel, d.eval_stride, key), subjects=subjects)


def load_test(cfg: Config, split: str = "test", files: DataFiles | None = None) -> PoseSet:
    """The evaluation rows of ``split`` (``test`` or ``validation``) at ``eval_stride``."""
    d = cfg.data
    skel = get_skeleton(d.joints)
    if split not in ("test", "validation"):
        raise WsgcnError(f"unknown split {split!r} (test or validation)")
    if split == "validation" and d.all_labelled:
        raise WsgcnError("this run trained on all labelled data (data.all_labelled): it has no validation split")
    files = files or open_run_files(cfg)
    subjects = resolve_subjects(cfg)
    if split == "validation" and not subjects["validation"]:
        _, seqs = split_tail(files.sequences(subjects["labelled"]), d.val_fraction)
    else:
        seqs = files.sequences(subjects[split])
    return build_poseset(seqs, skel, d.eval_stride, lambda s: action_group(s.action))
