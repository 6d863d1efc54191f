"""From a config's data section to the four sets a run uses: labelled (3D), unlabelled
(2D only), validation (checkpoint selection) and test."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config import Config
from ..errors import WsgcnError
from ..io import read_json
from ..skeleton import get_skeleton
from .batches import PoseSet, build_poseset, concat_posesets, empty_like_joints, split_tail
from .h36m import H36M_SUBJECTS, action_group, load_sequences

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
class RunData:
    labelled: PoseSet  # 3D-supervised training rows (all training subjects in full supervision)
    unlabelled: PoseSet  # 2D-only rows (empty in full supervision)
    validation: PoseSet
    subjects: dict[str, list[str]]


def load_run_data(cfg: Config, include_test: bool = False) -> tuple[RunData, PoseSet | None]:
    """Build the training/validation sets of a run (and the test set when asked).

    Validation: the configured validation subjects, else the last ``val_fraction`` of every
    labelled sequence (only labelled 3D is ever used for model selection). In full
    supervision the unlabelled subjects' 3D joins the labelled set."""
    d = cfg.data
    skel = get_skeleton(d.joints)
    subjects = resolve_subjects(cfg)
    key = lambda s: action_group(s.action)  # noqa: E731
    lab = load_sequences(Path(d.dir), d.name, d.source, subjects["labelled"])
    if d.all_labelled:  # the original code's protocol: every labelled pose trains, nothing to validate on
        if subjects["validation"]:
            lab = lab + load_sequences(Path(d.dir), d.name, d.source, subjects["validation"])
        val = []
    elif subjects["validation"]:
        val = load_sequences(Path(d.dir), d.name, d.source, subjects["validation"])
    else:
        lab, val = split_tail(lab, d.val_fraction)
    unl = load_sequences(Path(d.dir), d.name, d.source, subjects["unlabelled"]) if subjects["unlabelled"] else []
    labelled = build_poseset(lab, skel, d.stride, key)
    unlabelled = build_poseset(unl, skel, d.unlabelled_stride or d.stride, key)
    if cfg.train.supervision == "full":
        labelled, unlabelled = concat_posesets(labelled, unlabelled), empty_like_joints(skel.num_joints)
    elif cfg.train.root == "solve":
        # The honest weak setting reads no 3D label of an unlabelled subject: blank them, so
        # that no code path can use them by mistake (NaN would show at once).
        unlabelled.targets.fill_(float("nan"))
        unlabelled.root.fill_(float("nan"))
    data = RunData(labelled=labelled, unlabelled=unlabelled,
                   validation=build_poseset(val, skel, d.eval_stride, key),
                   subjects=subjects)
    if len(data.labelled) == 0:
        raise WsgcnError("no labelled training poses (check data.labelled and data.stride)")
    if len(data.validation) == 0 and not d.all_labelled:
        raise WsgcnError("empty validation set (set data.validation or data.val_fraction > 0)")
    if cfg.train.supervision == "weak" and len(data.unlabelled) == 0:
        raise WsgcnError("weak supervision needs unlabelled subjects (data.unlabelled)")
    test = None
    if include_test:
        test = load_test(cfg, subjects["test"])
    return data, test


def load_test(cfg: Config, subjects: list[str] | None = None, split: str = "test") -> PoseSet:
    """The evaluation rows of ``split`` (``test`` or ``validation``) at ``eval_stride``."""
    d = cfg.data
    skel = get_skeleton(d.joints)
    if subjects is None:
        subjects = resolve_subjects(cfg)[split] if split in SPLIT_KEYS else None
    if split == "validation" and d.all_labelled:
        raise WsgcnError("this run trained on all labelled data (data.all_labelled): it has no validation split")
    if split == "validation" and not subjects:
        lab = load_sequences(Path(d.dir), d.name, d.source, resolve_subjects(cfg)["labelled"])
        _, seqs = split_tail(lab, d.val_fraction)
    else:
        seqs = load_sequences(Path(d.dir), d.name, d.source, subjects)
    return build_poseset(seqs, skel, d.eval_stride, lambda s: action_group(s.action))
