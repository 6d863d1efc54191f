"""Joint sets: the 32 -> 17 -> 16 reductions, tree structure, groups, symmetry, adjacency."""

from __future__ import annotations

import numpy as np
import pytest

from wsgcn.errors import WsgcnError
from wsgcn.skeleton import (H36M16, H36M17, H36M17_TO_16, H36M32_NAMES, H36M32_TO_17, Skeleton,
                            get_skeleton)

SKELETONS = [H36M17, H36M16]


def test_32_to_17_keeps_the_right_raw_joints() -> None:
    assert len(H36M32_NAMES) == 32
    kept = [H36M32_NAMES[i] for i in H36M32_TO_17]
    assert kept == ["Hip", "RightUpLeg", "RightLeg", "RightFoot", "LeftUpLeg", "LeftLeg", "LeftFoot",
                    "Spine1", "Neck", "Head", "HeadSite", "LeftArm", "LeftForeArm", "LeftHand",
                    "RightArm", "RightForeArm", "RightHand"]


def test_17_to_16_drops_only_the_neck() -> None:
    assert [H36M17.names[i] for i in H36M17_TO_16] == list(H36M16.names)
    assert set(H36M17.names) - set(H36M16.names) == {"Neck"}


@pytest.mark.parametrize("sk", SKELETONS, ids=lambda s: s.name)
def test_skeleton_is_a_tree_rooted_at_the_hip(sk: Skeleton) -> None:
    assert sk.parents.count(-1) == 1
    assert sk.names[sk.root] == "Hip"
    for j in range(sk.num_joints):
        seen, k = set(), j
        while k != -1:  # walking up must reach the root without a cycle
            assert k not in seen and 0 <= k < sk.num_joints
            seen.add(k)
            k = sk.parents[k]
        assert sk.root in seen
    assert len(sk.bones) == sk.num_joints - 1


def test_16_joint_parents_follow_the_17_joint_tree() -> None:
    for j, name in enumerate(H36M16.names):
        p16 = H36M16.parents[j]
        if p16 < 0:
            continue
        p17 = H36M17.parents[H36M17.index(name)]
        expected = "Thorax" if H36M17.names[p17] == "Neck" else H36M17.names[p17]  # Neck removed
        assert H36M16.names[p16] == expected


def test_named_bones_are_anatomical() -> None:
    parent = {H36M17.names[c]: H36M17.names[p] for c, p in H36M17.bones}
    assert parent["RKnee"] == "RHip" and parent["LFoot"] == "LKnee"
    assert parent["LElbow"] == "LShoulder" and parent["RWrist"] == "RElbow"
    assert parent["LShoulder"] == parent["RShoulder"] == "Thorax"
    assert parent["Head"] == "Neck" and parent["Neck"] == "Thorax"


def test_groups_of_the_16_joint_set_are_those_of_the_spec() -> None:
    # docs/METHOD.md §3: the groups of the SemGCN/WS-GCN code, written out by name so the test does not
    # depend on index bookkeeping.
    by_name = [("RKnee", "RFoot"), ("LKnee", "LFoot"), ("RHip", "LHip"), ("Hip", "Spine"),
               ("Thorax", "Head"), ("RElbow", "RWrist"), ("LElbow", "LWrist"), ("LShoulder", "RShoulder")]
    assert [(H36M16.names[a], H36M16.names[b]) for a, b in H36M16.groups] == by_name
    assert [list(g) for g in H36M16.groups] == [[2, 3], [5, 6], [1, 4], [0, 7], [8, 9], [14, 15], [11, 12], [10, 13]]
    assert sorted(j for g in H36M16.groups for j in g) == list(range(16))  # every joint exactly once


def test_17_joint_groups_are_the_16_joint_groups_plus_neck_alone() -> None:
    named = lambda sk: {tuple(sk.names[j] for j in g) for g in sk.groups}  # noqa: E731
    assert named(H36M17) == named(H36M16) | {("Neck", "Neck")}


def test_groups_of_the_17_joint_set_cover_every_joint_once() -> None:
    owner: dict[int, int] = {}
    for g, group in enumerate(H36M17.groups):
        for j in set(group):
            assert j not in owner, f"joint {j} in two groups"
            owner[j] = g
    assert sorted(owner) == list(range(17))


@pytest.mark.parametrize("sk", SKELETONS, ids=lambda s: s.name)
def test_flip_permutation_swaps_left_and_right(sk: Skeleton) -> None:
    perm = np.array(sk.flip_permutation)
    np.testing.assert_array_equal(perm[perm], np.arange(sk.num_joints))  # involution
    for j, name in enumerate(sk.names):
        other = sk.names[perm[j]]
        if name[0] == "L":
            assert other == "R" + name[1:]
        elif name[0] == "R":
            assert other == "L" + name[1:]
        else:
            assert perm[j] == j
    assert len(sk.joints_left) == len(sk.joints_right) == 6
    assert sorted(perm[list(sk.joints_left)]) == sorted(sk.joints_right)


def test_17_joint_symmetry_matches_the_community_metadata() -> None:
    # keypoints_symmetry of the community's Human3.6M 2D files
    assert list(H36M17.joints_left) == [4, 5, 6, 11, 12, 13]
    assert list(H36M17.joints_right) == [1, 2, 3, 14, 15, 16]


@pytest.mark.parametrize("sk", SKELETONS, ids=lambda s: s.name)
def test_adjacency(sk: Skeleton) -> None:
    a = sk.adjacency()
    assert a.shape == (sk.num_joints, sk.num_joints)
    np.testing.assert_array_equal(a, a.T)
    np.testing.assert_array_equal(np.diag(a), np.ones(sk.num_joints))
    assert set(np.unique(a)) == {0.0, 1.0}
    off = a - np.eye(sk.num_joints)
    assert off.sum() / 2 == sk.num_joints - 1
    for c, p in sk.bones:
        assert a[c, p] == 1
    # connected: (A)^(J-1) has no zero entry
    reach = np.linalg.matrix_power(a.astype(np.float64), sk.num_joints - 1)
    assert np.all(reach > 0)


def test_get_skeleton() -> None:
    assert get_skeleton(16) is H36M16 and get_skeleton("h36m17") is H36M17
    with pytest.raises(WsgcnError, match="unknown joint set"):
        get_skeleton("coco")
