"""2D keypoints from detectors: file formats, joint-format conversions, missing joints.

Everything that turns a 2D detector's output into Human3.6M-17 pixel keypoints lives in this
package (docs/LIFT.md describes it for users):

* **Joint formats** (:mod:`.joints`, one place): COCO-17 (COCO, MMPose/RTMPose, ultralytics,
  detectron2), OpenPose BODY_25 and COCO-18, and the rule from COCO-17 to Human3.6M-17
  (:data:`COCO17_TO_H36M17`; applied by :mod:`.convert`).
* **Readers** (:func:`read_keypoints`, dispatching over the table :data:`~.formats.READERS`):
  COCO results/annotation JSON (:mod:`.coco`), MMPose JSON (:mod:`.mmpose`: the inferencer's
  per-image and per-video files and the older demo's ``meta_info``/``instance_info`` file),
  OpenPose per-frame JSON (:mod:`.openpose`: one file or a folder, :mod:`.folder`), npz arrays
  (:mod:`.npzfile`: ultralytics-style COCO-17 or Human3.6M-17) and CSV (:mod:`.csvfile`). Each
  returns per-person tracks (:class:`Keypoints2D`, :mod:`.tracks`).
* **Missing joints** (:func:`fill_missing`, :mod:`.fill`): a joint is missing when its score is
  below ``min_score``, its coordinates are NaN/inf, or both are exactly 0 (the "not detected"
  value of OpenPose and ultralytics). Missing joints are filled by linear interpolation in
  time along the person's track (gaps of at most ``max_gap`` frames, between two frames where
  the joint was seen), else by a mean pose (:data:`MEAN_POSE_H36M17`) scaled and moved onto
  the bounding box of the joints that are known in that frame. Each joint is flagged
  (:data:`OBSERVED`, :data:`INTERPOLATED`, :data:`MEAN_POSE`, :data:`ABSENT`).
* **Errors**: bad input raises :class:`~wsgcn.errors.WsgcnError`; one that names a parameter
  (``fmt``, ``joints``, ``min_score``, ``max_gap``) is a :class:`ParameterError`, which a front
  end can word with its own names (:meth:`ParameterError.worded`; the CLI says ``--format`` ...).

Nothing here executes code from a file: JSON is parsed as data, npz files load without pickle.
This module only re-exports the public names of the package's modules.
"""

from __future__ import annotations

from typing import Sequence

from .convert import coco17_to_h36m17, to_h36m17, valid_mask
from .fill import fill_missing
from .formats import FORMATS, READERS, Reader, read_keypoints
from .joints import (ABSENT, BODY25_TO_COCO17, COCO17_NAMES, COCO17_TO_H36M17, COCO18_TO_COCO17, FLAG_NAMES,
                     HEAD_EXTENSION, INTERPOLATED, JOINT_ORDERS, MEAN_POSE, MEAN_POSE_H36M17, OBSERVED,
                     OPENPOSE_BODY25_NAMES, OPENPOSE_COCO18_NAMES)
from .order import guess_joint_order
from .params import Arg, ParameterError
from .prepare import NoUsableKeypoints, PreparedTracks, prepare_tracks
from .tracks import Keypoints2D, frames_summary

__all__: Sequence[str] = (
    "COCO17_NAMES", "OPENPOSE_BODY25_NAMES", "OPENPOSE_COCO18_NAMES", "BODY25_TO_COCO17",
    "COCO18_TO_COCO17", "COCO17_TO_H36M17", "HEAD_EXTENSION", "MEAN_POSE_H36M17", "OBSERVED", "INTERPOLATED",
    "MEAN_POSE", "ABSENT", "FLAG_NAMES", "JOINT_ORDERS", "FORMATS", "READERS", "Reader", "Keypoints2D",
    "read_keypoints", "coco17_to_h36m17", "guess_joint_order", "valid_mask", "to_h36m17", "fill_missing",
    "NoUsableKeypoints", "PreparedTracks", "prepare_tracks", "frames_summary", "ParameterError", "Arg",
)
