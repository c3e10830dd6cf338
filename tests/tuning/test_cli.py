"""`python -m mrpn_tf.tune`: bad input is a clear error before any trial runs."""

import os
import pathlib
import subprocess
import sys

import pytest
import yaml

from mrpn_tf import tune
from tests.tuning.conftest import write_run_file

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def run_path(tmp_path, prepared_dir):
    return write_run_file(tmp_path, prepared_dir)


def test_unknown_hyperparameter_is_rejected_before_tensorflow_starts(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"variant": "tiny", "tune": {"model.agregator": {"choice": ["lstm"]}}}))
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from mrpn_tf import tune; code = tune.main(sys.argv[1:]); "
         "print('tensorflow' in sys.modules); sys.exit(code)", "--config", str(path), "--dir", str(tmp_path / "t")],
        cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "hyperparameter 'model.agregator' maps onto no config key; did you mean model.aggregator" in result.stderr
    assert result.stdout.strip() == "False"  # refused before TensorFlow was even imported
    assert not (tmp_path / "t").exists()


@pytest.mark.parametrize("tune_section, message", [
    ({}, "the search space is empty"),
    ({"model.aggregator": {"choice": ["lstm", "gru"]}}, "model.aggregator='gru' does not fit the config"),
    ({"model.network": {"choice": ["N1", "AM"]}}, "model.network=AM has no fusion head 'va'"),
])
def test_bad_spaces_are_errors(tmp_path, prepared_dir, capsys, tune_section, message):
    path = write_run_file(tmp_path, prepared_dir, space=tune_section)
    code = tune.main(["--config", path, "--dir", str(tmp_path / "t")])
    assert code == 2 and message in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "t" / "oracle.json")


@pytest.mark.parametrize("args, message", [
    (["--tuner", "grid"], "--tuner 'grid'; expected one of random, bayesian, hyperband"),
    (["--max-trials", "0"], "--max-trials must be at least 1"),
    (["--folds", "1,9"], "--folds: demo has folds 1..4; got fold 9"),
    (["--folds", "1,1"], "--folds needs distinct fold numbers"),
    (["--tuner", "hyperband", "--folds", "1,2"], "hyperband searches one fold"),
    (["data.fold=0"], "demo has folds 1..4; got fold 0"),
    (["data.fold=all"], "data.fold=all has no validation actors to score a trial on"),
])
def test_bad_arguments_are_errors(tmp_path, run_path, capsys, args, message):
    code = tune.main(["--config", run_path, "--dir", str(tmp_path / "t"), *args])
    assert code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "t").exists()


def test_best_name_never_overwrites_a_hand_written_pipeline(tmp_path, run_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "mine.yaml").write_text("variant: tiny\n")
    code = tune.main(["--config", run_path, "--dir", str(tmp_path / "t"), "--best-name", "mine"])
    assert code == 2 and "pipelines/mine.yaml exists and was not written by the tuner" in capsys.readouterr().err
