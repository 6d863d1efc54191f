"""The real-motion benchmark's simulated 2D detector: the ``noisy`` source of
``wsgcn data build-mocap`` (docs/BENCHMARK.md), exact projections plus per-joint noise, rare
gross errors and a confidence per joint."""

from __future__ import annotations

import numpy as np

from ..skeleton import H36M17

# Per-coordinate Gaussian standard deviation in pixels (17-joint order), larger at the
# extremities (wrists, ankles) and the head top than at the torso.
DETECTOR_SIGMA_PX = {
    "Hip": 4.0, "RHip": 5.0, "RKnee": 5.0, "RFoot": 6.5, "LHip": 5.0, "LKnee": 5.0, "LFoot": 6.5,
    "Spine": 4.5, "Thorax": 3.5, "Neck": 3.5, "Head": 5.0,
    "LShoulder": 4.0, "LElbow": 5.5, "LWrist": 7.0, "RShoulder": 4.0, "RElbow": 5.5, "RWrist": 7.0,
}
OUTLIER_RATE = 0.01  # fraction of joints replaced by a gross error
OUTLIER_PX = (20.0, 60.0)  # displacement range of an outlier, pixels


def simulate_detector(keypoints: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(T, 17, 2) exact pixels -> (T, 17, 3) noisy pixels + confidence.

    Each joint gets Gaussian noise with its ``DETECTOR_SIGMA_PX`` per coordinate; with
    probability ``OUTLIER_RATE`` a joint is instead displaced by a uniform 20-60 px in a random
    direction. Confidence ``exp(-e^2 / (2 (3 sigma)^2))`` of the displacement e, times a
    uniform 0.9-1.0 jitter, clipped to [0.05, 1]: about 0.9 for ordinary errors, low for outliers.
    """
    T, J, _ = keypoints.shape
    sigma = np.array([DETECTOR_SIGMA_PX[n] for n in H36M17.names])
    noise = rng.normal(size=(T, J, 2)) * sigma[None, :, None]
    outlier = rng.random((T, J)) < OUTLIER_RATE
    angle = rng.uniform(0, 2 * np.pi, size=(T, J))
    length = rng.uniform(*OUTLIER_PX, size=(T, J))
    gross = np.stack([np.cos(angle), np.sin(angle)], axis=-1) * length[..., None]
    disp = np.where(outlier[..., None], gross, noise)
    err = np.linalg.norm(disp, axis=-1)
    conf = np.exp(-err ** 2 / (2 * (3 * sigma[None, :]) ** 2)) * rng.uniform(0.9, 1.0, size=(T, J))
    conf = np.clip(conf, 0.05, 1.0)
    return np.concatenate([keypoints + disp, conf[..., None]], axis=-1).astype(np.float32)
