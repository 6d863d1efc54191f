"""Joint tables: COCO-17 and OpenPose orders, the COCO-17 -> Human3.6M-17 rule, the mean pose, flags.

Every joint order the readers know lives here, in one place; nothing here reads files.
"""

from __future__ import annotations

import numpy as np

COCO17_NAMES: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)
"""The 17 COCO keypoints in COCO order (also MMPose/RTMPose, ultralytics, detectron2)."""

OPENPOSE_BODY25_NAMES: tuple[str, ...] = (
    "Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist", "MidHip",
    "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye", "REar", "LEar",
    "LBigToe", "LSmallToe", "LHeel", "RBigToe", "RSmallToe", "RHeel",
)
"""OpenPose BODY_25 keypoint order."""

OPENPOSE_COCO18_NAMES: tuple[str, ...] = (
    "Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist", "RHip",
    "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye", "REar", "LEar",
)
"""OpenPose COCO-18 keypoint order (the COCO model: COCO-17 plus a Neck, in OpenPose order)."""

_OPENPOSE_FOR_COCO = {
    "nose": "Nose", "left_eye": "LEye", "right_eye": "REye", "left_ear": "LEar", "right_ear": "REar",
    "left_shoulder": "LShoulder", "right_shoulder": "RShoulder", "left_elbow": "LElbow",
    "right_elbow": "RElbow", "left_wrist": "LWrist", "right_wrist": "RWrist", "left_hip": "LHip",
    "right_hip": "RHip", "left_knee": "LKnee", "right_knee": "RKnee", "left_ankle": "LAnkle",
    "right_ankle": "RAnkle",
}

BODY25_TO_COCO17: tuple[int, ...] = tuple(OPENPOSE_BODY25_NAMES.index(_OPENPOSE_FOR_COCO[n]) for n in COCO17_NAMES)
"""Index into BODY_25 of each COCO-17 joint (BODY_25's Neck, MidHip and feet are not used)."""

COCO18_TO_COCO17: tuple[int, ...] = tuple(OPENPOSE_COCO18_NAMES.index(_OPENPOSE_FOR_COCO[n]) for n in COCO17_NAMES)
"""Index into OpenPose COCO-18 of each COCO-17 joint (the Neck is not used)."""

HEAD_EXTENSION = 0.5
"""Head top = c + HEAD_EXTENSION * (c - thorax), c the centre of the visible ears (else eyes,
else the nose): COCO does not mark the top of the head."""

_L = HEAD_EXTENSION


def _head(*face: str) -> tuple[tuple[str, float], ...]:
    w = (1 + _L) / len(face)
    return tuple((n, w) for n in face) + (("left_shoulder", -_L / 2), ("right_shoulder", -_L / 2))


COCO17_TO_H36M17: dict[str, tuple[tuple[tuple[str, float], ...], ...]] = {
    "Hip": ((("left_hip", 0.5), ("right_hip", 0.5)),),
    "RHip": ((("right_hip", 1.0),),),
    "RKnee": ((("right_knee", 1.0),),),
    "RFoot": ((("right_ankle", 1.0),),),
    "LHip": ((("left_hip", 1.0),),),
    "LKnee": ((("left_knee", 1.0),),),
    "LFoot": ((("left_ankle", 1.0),),),
    "Spine": ((("left_hip", 0.25), ("right_hip", 0.25), ("left_shoulder", 0.25), ("right_shoulder", 0.25)),),
    "Thorax": ((("left_shoulder", 0.5), ("right_shoulder", 0.5)),),
    "Neck": ((("nose", 1.0),),),
    "Head": (_head("left_ear", "right_ear"), _head("left_ear"), _head("right_ear"),
             _head("left_eye", "right_eye"), _head("left_eye"), _head("right_eye"), _head("nose")),
    "LShoulder": ((("left_shoulder", 1.0),),),
    "LElbow": ((("left_elbow", 1.0),),),
    "LWrist": ((("left_wrist", 1.0),),),
    "RShoulder": ((("right_shoulder", 1.0),),),
    "RElbow": ((("right_elbow", 1.0),),),
    "RWrist": ((("right_wrist", 1.0),),),
}
"""COCO-17 -> Human3.6M-17, joint by joint: each Human3.6M joint is a weighted sum of COCO
joints; where several recipes are listed, the first one whose COCO joints are all known is used.

* Hip (pelvis) = mid-hips; Thorax = mid-shoulders; Spine = midpoint of pelvis and thorax;
  Neck/Nose = the COCO nose; Head (top) = extrapolated above the ears/eyes (:data:`HEAD_EXTENSION`);
  hips, knees, ankles (Human3.6M "Foot"), shoulders, elbows, wrists are taken as they are.
* Known bias: COCO hips are annotated on the body's outline, lower and wider than Human3.6M's
  mocap hip-joint centres; the head top and the spine are not observed but derived; the nose
  sits in front of Human3.6M's Neck/Nose joint. A model trained on Human3.6M-style 2D sees
  these systematic offsets as input noise (worst on the pelvis width and the head).
"""

# Mean pose for filling joints no frame of the track saw: a person standing upright facing the
# camera, Human3.6M-17 order, x right / y down (image axes), in metres around the pelvis, with
# typical Human3.6M bone lengths. Only its shape matters (it is rescaled per frame).
MEAN_POSE_H36M17: np.ndarray = np.array([
    [0.00, 0.00],  # Hip
    [-0.13, 0.00], [-0.13, 0.45], [-0.13, 0.89],  # RHip, RKnee, RFoot (the person's right: image left)
    [0.13, 0.00], [0.13, 0.45], [0.13, 0.89],  # LHip, LKnee, LFoot
    [0.00, -0.23], [0.00, -0.49], [0.00, -0.60], [0.00, -0.72],  # Spine, Thorax, Neck/Nose, Head
    [0.15, -0.47], [0.18, -0.20], [0.20, 0.05],  # LShoulder, LElbow, LWrist
    [-0.15, -0.47], [-0.18, -0.20], [-0.20, 0.05],  # RShoulder, RElbow, RWrist
])

OBSERVED, INTERPOLATED, MEAN_POSE, ABSENT = 0, 1, 2, 3
"""Per-joint flags: seen by the detector (directly or derived from seen joints); linearly
interpolated in time; filled from the mean pose; the person is not in this frame."""

FLAG_NAMES: dict[int, str] = {OBSERVED: "observed", INTERPOLATED: "interpolated",
                              MEAN_POSE: "mean_pose", ABSENT: "absent"}

JOINT_ORDERS = ("coco17", "h36m17")
"""The joint orders of a :class:`~wsgcn.keypoints.Keypoints2D` (npz/CSV arrays hold either)."""

JOINT_ORDER_ALIASES: dict[str, str] = {"coco": "coco17", "coco17": "coco17", "coco-17": "coco17",
                                       "h36m": "h36m17", "h36m17": "h36m17", "h36m-17": "h36m17"}
"""Spellings accepted in an npz file's ``joint_format`` entry (lower-cased) -> joint order."""
