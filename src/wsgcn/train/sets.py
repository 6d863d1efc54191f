"""What a training run may read: the split policy applied to the data layer's rows.

Full supervision trains on the labelled and the unlabelled subjects' 3D together; weak
supervision keeps them apart, and with ``train.root: solve`` the unlabelled subjects' 3D
(targets and root) is blanked with NaN, so that no code path can read it by mistake."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Config
from ..data.batches import PoseSet, concat_posesets, empty_like_joints
from ..data.h36m import DataFiles
from ..data.splits import Splits, load_splits
from ..errors import WsgcnError


@dataclass
class RunData:
    labelled: PoseSet  # 3D-supervised training rows (all training subjects in full supervision)
    unlabelled: PoseSet  # 2D-only rows (empty in full supervision)
    validation: PoseSet
    subjects: dict[str, list[str]]

    def to(self, device) -> "RunData":
        """The training rows on ``device`` (validation stays where it is: it is evaluated in batches)."""
        return RunData(self.labelled.to(device), self.unlabelled.to(device), self.validation, self.subjects)


def training_sets(cfg: Config, splits: Splits) -> RunData:
    """The rows a run of ``cfg`` trains and validates on (see the module docstring)."""
    labelled, unlabelled = splits.labelled, splits.unlabelled
    if cfg.train.supervision == "full":
        labelled, unlabelled = concat_posesets(labelled, unlabelled), empty_like_joints(cfg.data.joints)
    elif cfg.train.root == "solve":
        unlabelled.targets.fill_(float("nan"))
        unlabelled.root.fill_(float("nan"))
    data = RunData(labelled=labelled, unlabelled=unlabelled, validation=splits.validation, subjects=splits.subjects)
    if len(data.labelled) == 0:
        raise WsgcnError("no labelled training poses (check data.labelled and data.stride)")
    if len(data.validation) == 0 and not cfg.data.all_labelled:
        raise WsgcnError("empty validation set (set data.validation or data.val_fraction > 0)")
    if cfg.train.supervision == "weak" and len(data.unlabelled) == 0:
        raise WsgcnError("weak supervision needs unlabelled subjects (data.unlabelled)")
    return data


def load_run_data(cfg: Config, files: DataFiles | None = None) -> RunData:
    """:func:`training_sets` of ``cfg``'s splits (``files``: the data files already read)."""
    return training_sets(cfg, load_splits(cfg, files))
