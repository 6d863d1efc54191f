"""wsgcn.codec: the network's input/output contract, against direct computations."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wsgcn.codec import RootRelative, encode, predict, root_relative, select
from wsgcn.errors import WsgcnError
from wsgcn.models import build_model
from wsgcn.skeleton import H36M16, H36M17


def test_select_keeps_the_named_joints():
    x = np.arange(2 * 17 * 3, dtype=np.float32).reshape(2, 17, 3)
    y = select(x, H36M16)
    assert y.shape == (2, 16, 3)
    for j, name in enumerate(H36M16.names):
        np.testing.assert_array_equal(y[:, j], x[:, H36M17.index(name)])
    assert select(x, H36M17) is x
    with pytest.raises(WsgcnError, match="expected 17 joints"):
        select(np.zeros((1, 16, 3)), H36M16)


def test_encode_is_the_screen_normalisation_of_the_paper():
    rng = np.random.default_rng(0)
    w, h = 1000, 1002
    px = rng.uniform(0, 1000, size=(5, 17, 2))
    x = encode(px, w, h, H36M16)
    assert x.dtype == np.float32 and x.shape == (5, 16, 2)
    expected = px / w * 2 - np.array([1.0, h / w])  # u / w * 2 - [1, h / w]
    np.testing.assert_allclose(x, select(expected, H36M16), rtol=1e-6, atol=1e-6)
    # the image centre maps to (0, 0) horizontally and 0 vertically
    np.testing.assert_allclose(encode(np.full((17, 2), [w / 2, h / 2]), w, h, H36M17), 0.0, atol=1e-7)


def test_root_relative_and_predict_in_batches():
    torch.manual_seed(0)
    model = build_model("semgcn", H36M16, hidden=16, num_blocks=1).eval()
    x = torch.randn(10, 16, 2)
    with torch.no_grad():
        raw = model(x)
    expected = (raw - raw[:, 0:1]).numpy()
    out = predict(model, x.numpy(), batch_size=3)  # 4 batches, the last one short
    assert out.dtype == np.float32 and out.shape == (10, 16, 3)
    np.testing.assert_allclose(out, expected, atol=1e-6)
    np.testing.assert_array_equal(out[:, 0], 0.0)
    np.testing.assert_allclose(RootRelative(model)(x).detach().numpy(), expected, atol=1e-6)
    np.testing.assert_allclose(root_relative(raw.numpy()), expected, atol=1e-6)
    assert predict(model, np.zeros((0, 16, 2), np.float32)).shape == (0, 16, 3)
    with pytest.raises(WsgcnError, match=r"\(N, J, 2\)"):
        predict(model, np.zeros((4, 16, 3), np.float32))
