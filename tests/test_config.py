"""Config loading: YAML + overrides, unknown keys and wrong types named in the error."""

from pathlib import Path

import pytest

from wsgcn.config import apply_overrides, config_from_dict, dump_config, load_config
from wsgcn.errors import WsgcnError

CONFIGS = sorted((Path(__file__).parent.parent / "configs").glob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_shipped_configs_load(path):
    cfg = load_config(path)
    assert cfg.name == path.stem
    # round trip through the dict stored in checkpoints
    assert config_from_dict(cfg.to_dict()) == cfg


def test_the_eight_table_configs_exist():
    names = {p.stem for p in CONFIGS}
    for prefix in ("h36m", "mocap"):
        for row in ("full", "weak_nobone", "weak", "weak_nowarmup"):
            assert f"{prefix}_{row}" in names


def test_paper_settings_in_h36m_configs():
    weak = load_config(Path("configs/h36m_weak.yaml"))
    assert (weak.train.epochs, weak.train.warmup_epochs, weak.train.batch_size) == (100, 20, 256)
    assert weak.data.source == "gt" and weak.data.joints == 16 and weak.train.bone_weight > 0
    assert load_config(Path("configs/h36m_weak_nobone.yaml")).train.bone_weight == 0
    assert load_config(Path("configs/h36m_weak_nowarmup.yaml")).train.warmup_epochs == 0
    assert load_config(Path("configs/h36m_full.yaml")).train.supervision == "full"


def test_overrides_are_typed(tmp_path):
    cfg = load_config(None, ["train.root=gt", "train.epochs=3", "model.nonlocal_layers=false",
                             "data.labelled=[A, B]", "train.lr=5e-4", "model.dropout=null"])
    assert cfg.train.root == "gt" and cfg.train.epochs == 3 and cfg.model.nonlocal_layers is False
    assert cfg.data.labelled == ["A", "B"] and cfg.train.lr == 5e-4 and cfg.model.dropout is None


def test_unknown_key_suggests_closest(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("train:\n  warmup_epoch: 3\n")
    with pytest.raises(WsgcnError, match=r"c.yaml: config: unknown key 'train.warmup_epoch'; did you mean 'warmup_epochs'"):
        load_config(p)
    with pytest.raises(WsgcnError, match="unknown key 'trian'"):
        load_config(None, ["trian.epochs=3"])


@pytest.mark.parametrize("item,msg", [
    ("train.epochs=abc", "train.epochs must be an integer"),
    ("train.epochs=2.5", "train.epochs must be an integer"),
    ("model.nonlocal_layers=maybe", "must be true or false"),
    ("train.lr=[1]", "train.lr must be a number"),
    ("train.root=sometimes", "train.root must be 'gt' or 'solve'"),
    ("data.joints=15", "data.joints must be 16 or 17"),
    ("train.multiview_form=scaled", "train.multiview_form must be 'absolute' or 'relative'"),
    ("noequals", "expected key=value"),
])
def test_bad_values_are_named(item, msg):
    with pytest.raises(WsgcnError, match=msg):
        load_config(None, [item])


def test_bad_yaml_and_missing_file(tmp_path):
    with pytest.raises(WsgcnError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")
    p = tmp_path / "bad.yaml"
    p.write_text("train: [unclosed\n")
    with pytest.raises(WsgcnError, match="bad.yaml: invalid YAML"):
        load_config(p)
    p.write_text("- a list\n")
    with pytest.raises(WsgcnError, match="must be a mapping"):
        load_config(p)


def test_dump_is_loadable(tmp_path):
    cfg = apply_overrides(load_config(None), ["train.epochs=7"])
    p = tmp_path / "dump.yaml"
    p.write_text(dump_config(cfg))
    assert load_config(p).train.epochs == 7
