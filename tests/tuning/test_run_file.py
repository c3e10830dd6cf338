"""Tuning run files: `tune:` is the space, the rest is the config exactly as train reads it;
only the tuner's loader accepts a `tune:` section."""

import pathlib

import pytest
import yaml

from mrpn_tf.config import config as config_lib
from mrpn_tf.config import loading
from mrpn_tf.tuning import run_file
from mrpn_tf.tuning import search_space

RUN = {
    "variant": "tiny",
    "model": {"aggregator": "transformer"},
    "tune": {"model.residual_perceptron": "boolean",
             "train.learning_rate": {"float": [1e-4, 1e-2], "sampling": "log"}},
}


def write(tmp_path, tree, name="run.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(tree))
    return str(path)


def test_tune_section_is_the_space_and_the_rest_is_the_config(tmp_path):
    run = run_file.load_tune_run(write(tmp_path, RUN), ["train.epochs=3"])
    assert run.space.names == ["model.residual_perceptron", "train.learning_rate"]
    assert run.variant == "tiny"
    expected = config_lib.tiny()
    expected.model.aggregator, expected.train.epochs = "transformer", 3
    assert run.config == expected


def test_without_tune_section_the_default_space(tmp_path):
    tree = {key: value for key, value in RUN.items() if key != "tune"}
    run = run_file.load_tune_run(write(tmp_path, tree))
    assert run.space == search_space.default_space()


def test_without_run_file_the_demo_variant_and_without_variant_the_defaults(tmp_path):
    assert run_file.load_tune_run(None).variant == "tiny"
    run = run_file.load_tune_run(write(tmp_path, {"model": {"aggregator": "bilstm"}}))
    assert run.variant == "default" and run.config.model.width_multiplier == 1.0


def test_only_the_tuner_skips_the_tune_section(tmp_path):
    path = write(tmp_path, RUN)
    with pytest.raises(config_lib.ConfigError, match="unknown config key 'tune"):
        loading.load_config(path)
    with pytest.raises(config_lib.ConfigError, match="unknown config key 'tune"):
        loading.load_config([path])
    assert loading.load_config(path, skip_sections=iter(["tune"])).model.aggregator == "transformer"


@pytest.mark.parametrize("tune, message", [
    (None, "search space is empty"),
    ({"model.agregator": {"choice": ["lstm"]}}, "did you mean model.aggregator"),
])
def test_bad_spaces_name_the_run_file(tmp_path, tune, message):
    path = write(tmp_path, {**RUN, "tune": tune})
    with pytest.raises(search_space.SearchSpaceError, match=message) as info:
        run_file.load_tune_run(path)
    assert path in str(info.value)


def test_committed_tuning_run_files_load():
    folder = pathlib.Path(__file__).resolve().parents[2] / "pipelines" / "tune"
    paths = sorted(folder.glob("*.yaml"))
    assert paths
    for path in paths:
        run = run_file.load_tune_run(str(path))
        assert run.space.names and run.variant in ("tiny", "default")
