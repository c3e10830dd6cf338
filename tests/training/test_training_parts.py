"""The small parts of a run: epoch sizes, evaluation padding, input replay, history, metrics."""

import math

import numpy as np
import pytest
import tensorflow as tf

from mrpn_tf.training import evaluation
from mrpn_tf.training import evaluation_figures
from mrpn_tf.training import history
from mrpn_tf.training import run_dir as run_dir_lib
from mrpn_tf.training import input_data
from mrpn_tf.training import resume


def test_steps_per_epoch_drops_training_rest_and_keeps_every_validation_clip():
    assert input_data.steps_per_epoch(23, 4, 2, "train") == 2  # 23 // 8
    assert input_data.steps_per_epoch(23, 4, 2, "val") == 3  # 6 batches of 4 -> 3 steps
    assert input_data.steps_per_epoch(9, 4, 1, "val") == 3


def test_exact_epochs_pads_evaluation_with_zero_weight_batches():
    batch = ({"x": tf.ones([2, 3])}, {"va": tf.constant([1, 2])}, {"va": tf.ones([2])})
    dataset = tf.data.Dataset.from_tensors(batch).repeat(3)
    padded = list(input_data.exact_epochs(dataset, "val", steps=5, replicas=1))
    assert len(padded) == 5
    assert [float(tf.reduce_sum(w["va"])) for _, _, w in padded] == [2, 2, 2, 0, 0]
    assert float(tf.reduce_sum(padded[-1][0]["x"])) == 0.0


def test_exact_epochs_repeats_training_in_epochs_of_exactly_steps():
    dataset = tf.data.Dataset.range(5).shuffle(5, seed=1, reshuffle_each_iteration=True)
    stream = list(input_data.exact_epochs(dataset, "train", steps=2, replicas=2).take(8).as_numpy_iterator())
    epochs = [stream[:4], stream[4:]]
    assert all(len(set(e)) == 4 for e in epochs) and epochs[0] != epochs[1]


def test_replay_input_draws_gives_the_next_epochs_draws():
    def make():
        return tf.data.Dataset.range(8).shuffle(8, seed=3, reshuffle_each_iteration=True)

    uninterrupted = make()
    epochs = [list(uninterrupted.as_numpy_iterator()) for _ in range(3)]
    resumed = make()
    resume.replay_input_draws(resumed, 2)
    assert list(resumed.as_numpy_iterator()) == epochs[2]


def test_trim_history_drops_epochs_to_redo(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text("epoch,loss,val_loss\n0,2.0,2.1\n1,1.5,1.9\n2,1.2,2.0\n")
    resume.trim_history(str(path), 2)
    assert path.read_text().splitlines() == ["epoch,loss,val_loss", "0,2.0,2.1", "1,1.5,1.9"]


def test_best_epoch_is_one_based_lowest_val_loss(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text("epoch,val_loss,val_va_accuracy\n0,2.0,0.1\n1,1.5,0.4\n2,1.7,0.5\n3,nan,0.5\n")
    rows = history.read_history(str(path))
    assert history.best_epoch(rows) == 2
    assert history.head_values(rows[2], ["va"])["va"]["accuracy"] == 0.5


def test_single_output_history_columns_are_read_for_its_head():
    # N0 / AM / VM have one output: Keras logs val_accuracy, not val_va_accuracy.
    row = {"epoch": 7, "val_accuracy": 0.3125, "val_loss": 1.57, "accuracy": 0.53}
    assert history.head_values(row, ["va"]) == {"va": {"accuracy": 0.3125, "loss": 1.57}}
    values = history.head_values(row, ["v", "va"])  # several heads: never the unnamed columns
    assert all(math.isnan(values[h]["accuracy"]) for h in ("v", "va"))


def test_head_metrics_and_class_report_golden():
    probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.6, 0.3, 0.1], [0.2, 0.2, 0.6]])
    predictions = evaluation.Predictions(np.array([0, 1, 1, 2]), {"va": probabilities}, {})
    metrics = evaluation.head_metrics(predictions)["va"]
    assert metrics["accuracy"] == 0.75
    np.testing.assert_allclose(metrics["loss"], -np.mean(np.log([0.7, 0.8, 0.3, 0.6])))
    report = evaluation.class_report(predictions, ["n", "c", "h"])["va"]
    assert report["confusion_matrix"] == [[1, 0, 0], [1, 1, 0], [0, 0, 1]]
    assert report["classes"]["n"] == {"precision": 0.5, "recall": 1.0, "support": 1}
    assert report["classes"]["c"] == {"precision": 1.0, "recall": 0.5, "support": 2}


def test_figures_are_written(tmp_path):
    rng = np.random.default_rng(0)
    labels = np.array([0, 1, 2, 0, 1, 2])
    features = {"f_v": rng.random((6, 4)), "f_a": rng.random((6, 5)), "fused": rng.random((6, 9))}
    paths = [evaluation_figures.tsne_figure(features, labels, ["n", "c", "h"], str(tmp_path / "t.png")),
             evaluation_figures.confusion_figure({"va": [[1, 0], [1, 2]]}, ["n", "c"], str(tmp_path / "c.png"))]
    assert all((tmp_path / p).stat().st_size > 0 for p in paths)
    with pytest.raises(ValueError, match="at least 3 clips"):
        evaluation_figures.embed_2d(rng.random((2, 4)))


def test_cosine_schedule_decays_from_the_rate_and_is_a_function_of_the_epoch(tmp_path):
    import dataclasses

    import keras

    from mrpn_tf.config import config as config_lib
    from mrpn_tf.training import callbacks as callbacks_lib
    from mrpn_tf.training import optimizer as optimizer_lib

    train = dataclasses.replace(config_lib.TrainConfig(), learning_rate=3e-3, epochs=20,
                                lr_schedule="cosine")
    rate = optimizer_lib.cosine_schedule(train)
    rates = [rate(e) for e in range(20)]
    assert rates[0] == pytest.approx(3e-3) and rates[10] == pytest.approx(1.5e-3)
    assert all(a > b for a, b in zip(rates, rates[1:])) and rates[-1] > 0
    config = config_lib.tiny()
    config.train = train
    callbacks = callbacks_lib.build_callbacks(config, run_dir_lib.RunDir(str(tmp_path)))
    kinds = {type(c) for c in callbacks}
    assert keras.callbacks.LearningRateScheduler in kinds
    assert keras.callbacks.ReduceLROnPlateau not in kinds
    # What fit applies: each epoch runs at the schedule's rate for that epoch.
    model = keras.Sequential([keras.Input([2]), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.AdamW(train.learning_rate), loss="mse")
    seen = []
    probe = keras.callbacks.LambdaCallback(
        on_epoch_begin=lambda e, logs: seen.append(float(model.optimizer.learning_rate)))
    model.fit(np.ones([4, 2]), np.ones([4, 1]), epochs=3, verbose=0,
              callbacks=[keras.callbacks.LearningRateScheduler(rate), probe])
    assert seen == pytest.approx(rates[:3], rel=1e-6)


def test_unknown_lr_schedule_is_refused():
    from mrpn_tf.config import config as config_lib
    from mrpn_tf.config import loading

    with pytest.raises(config_lib.ConfigError, match="train.lr_schedule"):
        loading.load_config([], ["train.lr_schedule=step"], variant="tiny")
