"""One writer per detector keypoint format, each writing files the way that tool does."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from wsgcn.keypoints import COCO17_NAMES
from wsgcn.skeleton import H36M17

from .poses import C

IMAGE_SIZE = (1000, 1002)
ALL_FORMATS = ["coco", "mmpose", "mmpose-demo", "openpose-body25", "openpose-coco18", "ultralytics", "h36m-npz", "h36m-csv"]
SUFFIX = {"coco": ".json", "mmpose": ".json", "mmpose-demo": ".json", "ultralytics": ".npz", "h36m-npz": ".npz",
          "h36m-csv": ".csv", "openpose-body25": "", "openpose-coco18": ""}


# Human3.6M index of each OpenPose joint (written by hand from OpenPose's documented orders, not from the package).
BODY25 = ["nose", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder", "left_elbow", "left_wrist",
          "midhip", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle", "right_eye",
          "left_eye", "right_ear", "left_ear", "left_bigtoe", "left_smalltoe", "left_heel", "right_bigtoe",
          "right_smalltoe", "right_heel"]
COCO18 = BODY25[:8] + BODY25[9:19]


def _openpose_row(kp: np.ndarray, sc: np.ndarray, order: list[str]) -> list[float]:
    """COCO-17 (17, 2) + scores -> OpenPose's flat [x, y, c] list; extra joints made up as OpenPose would
    see them (neck = mid-shoulders, mid-hip = mid-hips, feet around the ankles); missing -> 0, 0, 0."""
    extra = {"neck": (kp[C["left_shoulder"]] + kp[C["right_shoulder"]]) / 2,
             "midhip": (kp[C["left_hip"]] + kp[C["right_hip"]]) / 2}
    for s in ("left", "right"):
        a = kp[C[f"{s}_ankle"]]
        extra.update({f"{s}_bigtoe": a + [4, 22], f"{s}_smalltoe": a + [-4, 20], f"{s}_heel": a + [-6, 6]})
    out = []
    for name in order:
        if name in C:
            x, y, c = kp[C[name], 0], kp[C[name], 1], sc[C[name]]
            if not np.isfinite(x) or c == 0:
                x = y = c = 0.0
        else:
            (x, y), c = extra[name], 0.8
        out += [float(x), float(y), float(c)]
    return out


def write_format(fmt: str, path: Path, coco: np.ndarray, scores: np.ndarray, h36m: np.ndarray | None = None,
                 image_size: tuple[int, int] = IMAGE_SIZE, track_ids: list | None = None) -> Path:
    """Write keypoints as detector ``fmt`` writes them. ``coco`` (T, P, 17, 2) COCO-17 pixels
    (NaN: not detected), ``scores`` (T, P, 17); ``h36m`` (T, P, 17, 2) for the Human3.6M formats.
    Returns the path to give ``wsgcn lift``."""
    T, P = coco.shape[:2]
    flat = lambda k, s: [float(v) for v in np.concatenate([np.nan_to_num(k), s[:, None]], 1).reshape(-1)]  # noqa: E731
    if fmt == "coco":  # COCO results format (detectron2, MMPose CocoMetric, ...)
        rows = [{"image_id": int(t + 1), "category_id": 1, "keypoints": flat(coco[t, p], scores[t, p]),
                 "score": 0.97, **({"track_id": track_ids[p]} if track_ids else {})}
                for t in range(T) for p in range(P)]
        path.write_text(json.dumps(rows))
    elif fmt in ("mmpose", "mmpose-demo"):  # MMPoseInferencer video output / topdown demo --save-predictions
        frames = [{"frame_id": t + (fmt == "mmpose-demo"),
                   "instances": [{"keypoints": np.nan_to_num(coco[t, p]).tolist(), "keypoint_scores": scores[t, p].tolist(),
                                  "bbox": [[10.0, 20.0, 300.0, 900.0]], "bbox_score": 0.98} for p in range(P)]}
                  for t in range(T)]
        doc = frames if fmt == "mmpose" else {
            "meta_info": {"dataset_name": "coco", "num_keypoints": 17,
                          "keypoint_id2name": {str(i): n for i, n in enumerate(COCO17_NAMES)}},
            "instance_info": frames}
        path.write_text(json.dumps(doc, indent="\t"))
    elif fmt in ("openpose-body25", "openpose-coco18"):  # --write_json folder, one file per frame
        path.mkdir()
        order = BODY25 if fmt == "openpose-body25" else COCO18
        for t in range(T):
            people = [{"person_id": [-1], "pose_keypoints_2d": _openpose_row(coco[t, p], scores[t, p], order),
                       "face_keypoints_2d": [], "hand_left_keypoints_2d": [], "hand_right_keypoints_2d": [],
                       "pose_keypoints_3d": [], "face_keypoints_3d": [], "hand_left_keypoints_3d": [],
                       "hand_right_keypoints_3d": []} for p in range(P)]
            (path / f"clip_{t:012d}_keypoints.json").write_text(json.dumps({"version": 1.3, "people": people}))
    elif fmt == "ultralytics":  # np.stack([r.keypoints.data for r in results]) and r.orig_shape
        kp = np.concatenate([np.nan_to_num(coco), np.where(np.isnan(coco[..., :1]), 0, scores[..., None])], -1)
        np.savez(path, keypoints=kp.astype(np.float32), orig_shape=np.array(image_size[::-1]))
    elif fmt == "h36m-npz":
        np.savez(path, keypoints=np.concatenate([h36m, scores[..., None]], -1)[:, 0], image_size=np.array(image_size))
    elif fmt == "h36m-csv":
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow([f"{n}_{c}" for n in H36M17.names for c in ("x", "y", "score")])
            for t in range(T):
                w.writerow(["" if not np.isfinite(v) else f"{v:.6f}"
                            for v in np.concatenate([h36m[t, 0], scores[t, 0][:, None]], 1).reshape(-1)])
    else:
        raise ValueError(fmt)
    return path
