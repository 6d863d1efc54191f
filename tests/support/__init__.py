"""Helpers shared by the test modules (``from support.cli import run_cli``; pytest puts tests/ on
``sys.path``). Test modules import from here, never from each other.

* :mod:`support.cli`: the in-process CLI runner and the check of a one-line user error;
* :mod:`support.files`: a tiny checkpoint and a keypoint file, as ``wsgcn lift`` reads them;
* :mod:`support.poses`: a kinematic pose generator and a COCO face synthesiser;
* :mod:`support.detectors`: one writer per detector keypoint format;
* :mod:`support.models`: perturbing a network's weights so that no block is the identity.

tests/synthetic.py (dataset files of random-walk poses) and tests/asf_amc.py (the ASF/AMC
reader) are support modules too; conftest.py holds the shared fixtures.
"""
