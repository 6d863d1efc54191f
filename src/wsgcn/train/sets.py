"""What a training run may read: the split policy applied to the data layer's rows.

Full supervision trains on the labelled and the unlabelled subjects' 3D together; weak
supervision keeps them apart, and with ``train.root: solve`` the unlabelled subjects' 3D
(targets and root) is blanked with NaN, so that no code path can read it by mistake."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..config import Config
from ..data.batches import PoseSet, concat_posesets, empty_like_joints
from ..data.h36m import DataFiles
from ..data.splits import Splits, load_splits
from ..data.views import complete_groups
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


def multiview_groups(cfg: Config, data: RunData, world: int = 1) -> torch.Tensor | None:
    """The (G, V) table of the unlabelled rows' complete view groups that a run with
    ``train.multiview_weight > 0`` draws its unlabelled batches from (docs/METHOD.md §7), or None
    (weight 0: the unlabelled stream draws rows, as the original). A clear error when no instant
    has 2 views, when ``train.batch_size`` is below V, or when the ``batch_size // V`` instants
    of a batch cannot be shared whole among ``world`` processes."""
    t = cfg.train
    if t.multiview_weight == 0 or t.supervision != "weak":
        return None
    table, _ = complete_groups(data.unlabelled.group)
    if table.shape[0] == 0:
        raise WsgcnError("train.multiview_weight > 0 needs unlabelled subjects filmed by >= 2 synchronised cameras "
                         "(no unlabelled instant has 2 views)")
    instants = t.batch_size // table.shape[1]
    if instants < 1:
        raise WsgcnError(f"train.batch_size ({t.batch_size}) must be at least the number of views ({table.shape[1]})")
    if instants % world:
        raise WsgcnError(f"multi-view batches: the {instants} instants of a batch (train.batch_size // {table.shape[1]} "
                         f"views) must be divisible by the number of processes ({world})")
    return table
