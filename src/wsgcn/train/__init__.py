"""The training loop: warm-up on the labelled subjects, then one labelled and one unlabelled
batch per step (supervised + reprojection + bone-length losses), validation-only model
selection, safetensors checkpoints, exact resume.

As the original WS-GCN code (docs/FIDELITY.md): in weak training every epoch, warm-up
included, is one pass over the unlabelled rows; the labelled and the unlabelled batch go
through the network in two forward passes (BatchNorm normalises each with its own statistics);
the learning rate of the k-th step (1-based) is ``lr * decay ** (k // decay_steps)``. With
``train.oracle_test`` the test split is also evaluated after every epoch and the best epoch on
test is reported as a labelled oracle figure; it never selects a checkpoint.

Modules: ``sets`` (what a run may read: the split policy), ``steps`` (learning rate, the two
forward passes, the losses of a step), ``validation`` (batched predictions, per-epoch errors),
``state`` (counters, optimiser and random streams for exact resume), ``logs`` (metrics, curves,
report) and ``loop`` (:func:`train`, :func:`resume_training`).

RUN_DIR layout written by :func:`train`:
``config.yaml`` (resolved), ``metrics.jsonl`` and ``metrics.csv`` (one row per epoch),
``curves.png`` (loss and validation error), ``report.md``, ``checkpoints/best.safetensors``
(lowest validation MPJPE) and ``checkpoints/last.safetensors`` (everything needed to resume),
each with a ``.json`` beside it.
"""

from .logs import CURVES_EVERY_S, ORACLE_LABEL
from .loop import resume_training, train
from .sets import RunData, load_run_data, training_sets
from .steps import TwoStreams, lr_at, step_losses
from .validation import validate

__all__ = ["CURVES_EVERY_S", "ORACLE_LABEL", "RunData", "TwoStreams", "load_run_data", "lr_at",
           "resume_training", "step_losses", "train", "training_sets", "validate"]
