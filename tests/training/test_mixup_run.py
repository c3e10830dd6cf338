"""A training run with mixup: soft training targets, integer validation labels, a model that loads."""

import csv
import os

import keras
import numpy as np

from mrpn_tf.model import losses
from mrpn_tf.training import strategy as strategy_lib
from mrpn_tf.training import task
from tests.training import conftest


def test_a_mixup_run_trains_validates_and_saves_a_loadable_model(prepared_dir, tmp_path):
    config = conftest.training_config(
        prepared_dir, str(tmp_path / "run"), data__mixup_alpha=0.4, train__epochs=2,
        model__network="AM")
    summary = task.train(config, strategy_lib.build_strategy())
    with open(os.path.join(config.train.run_dir, "history.csv")) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2
    for row in rows:
        assert np.isfinite(float(row["loss"])) and np.isfinite(float(row["val_loss"]))
        assert 0.0 <= float(row["accuracy"]) <= 1.0
    model = keras.models.load_model(os.path.join(config.train.run_dir, "model.keras"))
    assert isinstance(model.loss["a"], losses.ClassCrossentropy)
    assert 0.0 <= summary["val"]["a"]["accuracy"] <= 1.0
    assert np.isfinite(summary["val"]["a"]["loss"])
