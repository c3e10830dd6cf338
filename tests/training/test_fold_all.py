"""`data.fold=all`: a model for deployment, trained on every actor with no validation, exported.

One run of the tiny AM (the audio-only network trains fastest) on the session's prepared demo
folder: every one of its 11 clips (actors 1-8) trains, 2 epochs of 5 steps, precise BatchNorm
statistics from 2 training batches, export at the end. The run is killed after epoch 1 and
started again, so it also shows that a run without validation resumes from its backup.
"""

import csv
import dataclasses
import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from mrpn_tf import model as model_lib
from mrpn_tf import train as train_lib
from mrpn_tf.data import features
from mrpn_tf.data.folds import folds
from mrpn_tf.data.pipeline import dataset_builder
from mrpn_tf.inference import metadata as metadata_lib
from mrpn_tf.inference import signature_keys as keys
from mrpn_tf.inference import window_scoring
from mrpn_tf.inference import windowing
from mrpn_tf.training import evaluation_report
from mrpn_tf.training import precise_bn
from mrpn_tf.training import preflight
from mrpn_tf.training import resume
from mrpn_tf.training import history
from mrpn_tf.training import summary as summary_lib
from mrpn_tf.training import run_dir as run_dir_lib
from mrpn_tf.training import strategy as strategy_lib
from mrpn_tf.training import task
from tests.training import conftest

EPOCHS = 2
ALL_CLIPS = len(conftest.TRAIN_CLIPS) + len(conftest.VAL_CLIPS)  # 11, actors 1-8
STEPS = ALL_CLIPS // 2  # batch 2, remainder dropped


class Killed(Exception):
    """Stands for the process being killed."""


class KillAfterFirstEpoch(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 0:
            raise Killed()


@dataclasses.dataclass
class FoldAllRun:
    run_dir: run_dir_lib.RunDir
    summary: dict
    config: object
    killed: tuple  # after the kill: (epochs in the backup, epoch 1 checkpoint's mtime)
    recomputed: list  # per `precise_bn.recompute` call: (batches, {layer path: (mean, var)})


def _statistics(model: keras.Model) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return {layer.path: (layer.moving_mean.numpy(), layer.moving_variance.numpy())
            for layer in precise_bn._layers(model, keras.layers.BatchNormalization)}


@pytest.fixture(scope="module")
def fold_all_run(prepared_dir, tmp_path_factory) -> FoldAllRun:
    root = tmp_path_factory.mktemp("fold_all")

    def config():
        return conftest.training_config(
            prepared_dir, str(root / "run"), data__fold=folds.ALL, train__epochs=EPOCHS,
            train__precise_bn_batches=2, model__network="AM", export__on_train_end=True,
            export__out_dir=str(root / "savedmodels"), export__name="am",
            # int8_full calibrates on windows of the training actors: here, every actor.
            export__tflite_variants=("int8_full",), export__calibration_windows=4)

    recomputed = []
    original = precise_bn.recompute

    def recording(model, batches, max_batches=None):
        used = original(model, batches, max_batches)
        recomputed.append((used, _statistics(model)))
        return used

    strategy = strategy_lib.build_strategy()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(precise_bn, "recompute", recording)
        with pytest.raises(Killed):
            task.train(config(), strategy, [KillAfterFirstEpoch()])
        assert not recomputed  # a killed run saved no model
        run_dir = run_dir_lib.RunDir(str(root / "run"))
        killed = (resume.epochs_done(run_dir.backup_dir), os.stat(run_dir.checkpoint_path(1)).st_mtime_ns)
        summary = train_lib.train_and_export(config(), strategy)
    return FoldAllRun(run_dir, summary, config(), killed, recomputed)


def test_every_clip_trains_and_nothing_validates(fold_all_run):
    config, summary = fold_all_run.config, fold_all_run.summary
    assert dataset_builder.split_actors(config.data, "train") == tuple(range(1, 9))
    assert dataset_builder.split_actors(config.data, "val") == ()
    assert preflight.split_sizes(config) == preflight.SplitSizes(ALL_CLIPS, 0)
    assert summary["fold"] == "all" and summary["fold_name"] == "all"
    assert summary["train_clips"] == ALL_CLIPS
    assert summary["val_clips"] is None and summary["val"] is None and summary["final_epoch"] is None
    assert summary["epochs_trained"] == EPOCHS and summary["best_epoch"] == EPOCHS
    assert 0.0 <= summary["final_epoch_train"]["a"]["accuracy"] <= 1.0
    with open(fold_all_run.run_dir.summary_path) as f:
        assert json.load(f) == summary  # strict JSON: no NaN for the missing validation
    # Every clip in every epoch: 11 // 2 optimizer steps per epoch, across the resume.
    saved = keras.saving.load_model(fold_all_run.run_dir.model_path)
    assert int(saved.optimizer.iterations.numpy()) == EPOCHS * STEPS


def test_resumed_after_a_kill_with_a_constant_learning_rate(fold_all_run):
    run_dir = fold_all_run.run_dir
    # Resumed at epoch 2: epoch 1 was not trained (nor its checkpoint written) again.
    assert fold_all_run.killed == (1, os.stat(run_dir.checkpoint_path(1)).st_mtime_ns)
    with open(run_dir.history_path) as f:
        rows = list(csv.DictReader(f))
    assert [row["epoch"] for row in rows] == ["0", "1"]
    # CSVLogger keeps val_* columns, empty ("NA"); history readers see no validation.
    assert {row[c] for row in rows for c in row if c.startswith("val_")} <= {"NA"}
    assert all("val_loss" not in row for row in history.read_history(run_dir.history_path))
    # No plateau to halve the learning rate on: it is the configured one at the end.
    saved = keras.saving.load_model(run_dir.model_path)
    np.testing.assert_allclose(float(saved.optimizer.learning_rate.numpy()),
                               fold_all_run.config.train.learning_rate, rtol=1e-6)
    assert "training clips, no validation" in summary_lib.format_table(fold_all_run.summary)


def test_model_is_the_last_checkpoint_with_recomputed_batchnorm_statistics(fold_all_run):
    run_dir, config = fold_all_run.run_dir, fold_all_run.config
    saved = keras.saving.load_model(run_dir.model_path)
    checkpoints = {}
    for epoch in (1, EPOCHS):
        checkpoints[epoch] = model_lib.build_model(config, 8)
        checkpoints[epoch].load_weights(run_dir.checkpoint_path(epoch))
    last = checkpoints[EPOCHS]
    for a, b in zip(saved.trainable_weights, last.trainable_weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert any(not np.array_equal(a.numpy(), b.numpy())
               for a, b in zip(saved.trainable_weights, checkpoints[1].trainable_weights))
    # Recomputed once, at the end, from precise_bn_batches training batches; model.keras holds
    # exactly those statistics, and they are not the checkpoint's moving averages.
    assert [used for used, _ in fold_all_run.recomputed] == [2]
    recomputed = fold_all_run.recomputed[0][1]
    ours, theirs = _statistics(saved), _statistics(last)
    assert ours.keys() == recomputed.keys() and len(ours) >= 3
    for path, (mean, var) in ours.items():
        np.testing.assert_array_equal(mean, recomputed[path][0])
        np.testing.assert_array_equal(var, recomputed[path][1])
    assert all(not np.allclose(ours[p][0], theirs[p][0], atol=1e-4) for p in ours)


def test_export_serves_the_saved_model(fold_all_run):
    run_dir, config = fold_all_run.run_dir, fold_all_run.config
    exports = fold_all_run.summary["exports"]
    assert exports["savedmodel"] == os.path.join(config.export.out_dir, "am", "1")
    assert os.path.isfile(exports["tflite_int8_full"])
    meta = metadata_lib.read(exports["metadata"])
    assert meta["config"]["data"]["fold"] == "all" and meta["heads"] == [features.A]
    assert metadata_lib.config_of(meta).data.fold == "all"
    # The SavedModel scores a window as model.keras does (recomputed statistics included).
    spec = windowing.window_spec(config)
    waveform = np.sin(np.arange(spec.samples) * 0.05).astype(np.float32) * 0.3
    raw, _ = windowing.raw_windows(None, waveform, spec)
    served = tf.saved_model.load(exports["savedmodel"]).signatures[keys.SERVING_DEFAULT](
        **{k: tf.constant(v) for k, v in raw.items()})[keys.PROBABILITIES].numpy()
    saved = keras.saving.load_model(run_dir.model_path)
    inputs = window_scoring.features_function(config, [features.A])(raw)
    expected = saved.predict_on_batch({k: inputs[k] for k in saved.input})[features.A]
    np.testing.assert_allclose(served, expected, atol=1e-5)


def test_evaluation_refuses_a_run_without_held_out_actors(fold_all_run, capsys):
    from mrpn_tf import evaluate

    with pytest.raises(ValueError, match="data.fold=all trained on every actor of demo"):
        evaluation_report.evaluate_run(fold_all_run.run_dir)
    assert evaluate.main(["--run", fold_all_run.run_dir.root]) == 1
    assert "there are no held-out actors to evaluate on" in capsys.readouterr().err
