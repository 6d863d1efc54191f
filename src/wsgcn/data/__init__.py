"""Datasets: Human3.6M / VideoPose3D-style npz files (:mod:`wsgcn.data.h36m`), the
real-motion benchmark and the in-memory batches used for training."""
