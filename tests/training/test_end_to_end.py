"""End to end: two training steps under MirroredStrategy on 2 logical CPU devices, then the
run folder, summary.json and the evaluation written from it."""

import json
import os
import pathlib
import subprocess
import sys

import keras
import numpy as np
import pytest

from mrpn_tf.config import loading
from mrpn_tf.training import evaluation_report
from mrpn_tf.training import run_dir as run_dir_lib

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def two_device_run(prepared_dir, tmp_path_factory) -> tuple[run_dir_lib.RunDir, dict]:
    run_dir = tmp_path_factory.mktemp("runs") / "two-devices"
    result = subprocess.run(
        [sys.executable, "-m", "tests.training.two_device_run", prepared_dir, str(run_dir)],
        cwd=REPO, capture_output=True, text=True, timeout=600,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return run_dir_lib.RunDir(str(run_dir)), json.loads(result.stdout.strip().splitlines()[-1])


def test_two_replicas_two_steps(two_device_run):
    run_dir, summary = two_device_run
    assert summary["replicas"] == 2
    assert summary["global_batch_size"] == 4
    assert summary["train_clips"] == 8 and summary["val_clips"] == 3
    with open(run_dir.path("backup/training_metadata.json")) as f:
        assert json.load(f)["epoch"] == 1
    # Two steps of the AdamW optimizer: its iteration counter is in the backup's weights.
    model = keras.saving.load_model(run_dir.model_path)
    assert int(model.optimizer.iterations.numpy()) == 2


def test_run_folder_contract(two_device_run):
    run_dir, _ = two_device_run
    for path in (run_dir.config_path, run_dir.labels_path, run_dir.model_path,
                 run_dir.history_path, run_dir.summary_path, run_dir.checkpoint_path(1)):
        assert os.path.isfile(path), path
    for folder in (run_dir.backup_dir, run_dir.logs_dir):
        assert os.listdir(folder), folder
    with open(run_dir.labels_path) as f:
        labels = json.load(f)
    assert labels == {"dataset": "demo", "labels": ["neutral", "calm", "happy", "sad", "angry",
                                                     "fearful", "disgust", "surprised"]}
    config = loading.load_config(run_dir.config_path)
    assert config.train.run_dir == run_dir.root and config.export.on_train_end is False


def test_summary_keys(two_device_run):
    run_dir, summary = two_device_run
    with open(run_dir.summary_path) as f:
        assert json.load(f) == summary
    assert summary["best_epoch"] == 1 and summary["epochs_trained"] == 1
    assert summary["exports"] == {}
    for head in ("v", "a", "va"):
        assert 0.0 <= summary["val"][head]["accuracy"] <= 1.0
        assert summary["val"][head]["loss"] > 0.0
        assert 0.0 <= summary["final_epoch"][head]["accuracy"] <= 1.0
    assert summary["final_epoch"]["loss"] > 0.0


def test_summary_matches_keras_evaluate(two_device_run):
    """The exact per-clip metrics agree with Keras's weighted accuracy; Keras's loss divides
    by the padded batch size, so it is the exact loss times real / padded clips (3 / 4).
    Keras's `evaluate` takes whole clips and the summary scores windows (as predict does);
    here every validation clip (<= 1.3 s) is shorter than one window, so its one window is
    the whole clip and the two must agree."""
    run_dir, summary = two_device_run
    model = keras.saving.load_model(run_dir.model_path)
    config = loading.load_config(run_dir.config_path)
    from mrpn_tf.training import input_data

    dataset = input_data.model_dataset(config, "val", list(model.input), list(model.output))
    keras_metrics = model.evaluate(dataset, return_dict=True, verbose=0)
    total = sum(summary["val"][head]["loss"] for head in ("v", "a", "va"))
    np.testing.assert_allclose(keras_metrics["loss"], total * 3 / 4, rtol=1e-4)
    for head in ("v", "a", "va"):
        np.testing.assert_allclose(keras_metrics[f"{head}_accuracy"], summary["val"][head]["accuracy"])


def test_evaluate_cli_writes_report_and_figures(two_device_run, capsys):
    from mrpn_tf import evaluate

    run_dir, summary = two_device_run
    assert evaluate.main(["--run", run_dir.root]) == 0
    assert "head va: accuracy" in capsys.readouterr().out
    with open(run_dir.path(evaluation_report.REPORT_NAME)) as f:
        report = json.load(f)
    assert report["val_clips"] == 3
    for path in report["files"].values():
        assert os.path.getsize(path) > 0
    for head in ("v", "a", "va"):
        assert report["heads"][head]["accuracy"] == pytest.approx(summary["val"][head]["accuracy"])
        counts = np.asarray(report["heads"][head]["confusion_matrix"])
        assert counts.shape == (8, 8) and counts.sum() == 3
        assert sum(c["support"] for c in report["heads"][head]["classes"].values()) == 3


def test_evaluate_cli_refuses_a_folder_without_model(tmp_path, capsys):
    from mrpn_tf import evaluate

    assert evaluate.main(["--run", str(tmp_path)]) == 1
    assert "is not a finished run folder" in capsys.readouterr().err


def test_checkpoint_scored_with_recomputed_batchnorm_statistics(two_device_run):
    from mrpn_tf.training import precise_bn

    run_dir, _ = two_device_run
    result = precise_bn.evaluate_checkpoint(run_dir, 1)
    assert result["epoch"] == 1
    # One pass over the 8 training clips, in batches of train.batch_size (one device here).
    assert result["batches"] == 8 // loading.load_config(run_dir.config_path).train.batch_size
    assert set(result["val"]) == {"v", "a", "va"}
    for head in ("v", "a", "va"):
        assert round(3 * result["val"][head]["accuracy"], 6) in (0, 1, 2, 3)  # of 3 clips
        assert result["val"][head]["loss"] > 0.0
    with pytest.raises(FileNotFoundError, match="epoch 2"):
        precise_bn.evaluate_checkpoint(run_dir, 2)
