"""A tiny trained run folder and its export, shared by the export, predict and stream tests.

The run folder follows the training contract (mrpn_tf/training/run_dir.py): config.yaml,
labels.json, model.keras. The model is the tiny config's N2, fitted two steps on random
clips so that its BatchNorm statistics and outputs are not those of a fresh model; its
prepared data (for the int8 calibration) are synthetic shards of the demo dataset's actors.
The export runs once per session (about a minute on 2 cores): its fixtures are registered by
tests/conftest.py, so that every test folder gets the same instance.
"""

from __future__ import annotations

import dataclasses
import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.config import resolved
from mrpn_tf.data import datasets
from mrpn_tf.data import features
from mrpn_tf.export import run_export
from mrpn_tf.model import compile_losses
from mrpn_tf.model import build_model
from mrpn_tf.model import inference_model
from mrpn_tf.model import side_head_models
from mrpn_tf.training import run_dir as run_dir_lib
from tests.data.pipeline import synthetic_records


@dataclasses.dataclass
class TinyRun:
    """A run folder and what is in it."""

    run_dir: str
    config: config_lib.Config
    labels: list[str]


def _random_batch(config: config_lib.Config, batch: int, seed: int) -> tuple[dict, dict]:
    rng = np.random.default_rng(seed)
    size, audio = config.video.crop_size, config.audio
    inputs = {
        features.VIDEO: rng.random((batch, 4, size, size, 3), np.float32),
        features.VIDEO_MASK: np.ones((batch, 4), np.float32),
        features.AUDIO: rng.normal(-4, 2, (batch, 2, audio.freq_bins, audio.frames_per_segment)).astype(np.float32),
        features.AUDIO_MASK: np.ones((batch, 2), np.float32),
    }
    labels = rng.integers(0, 8, batch)
    return inputs, {head: labels for head in features.HEAD_KEYS}


def _fitted_model(config: config_lib.Config, num_classes: int) -> keras.Model:
    keras.utils.set_random_seed(0)
    model = build_model(config, num_classes)
    loss, loss_weights = compile_losses(config.model)
    model.compile(keras.optimizers.Adam(1e-2), loss=loss, loss_weights=loss_weights)
    inputs, targets = _random_batch(config, 4, seed=0)
    model.fit(inputs, targets, batch_size=4, epochs=2, verbose=0)
    return model


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> TinyRun:
    """A finished tiny N2 run on synthetic demo-actor shards."""
    root = tmp_path_factory.mktemp("tiny_run")
    config = config_lib.tiny()
    clips = [
        synthetic_records.make_clip(f"a{actor}", actor % 8, actor, 1.5 + 0.5 * (actor % 3), config, seed=actor)
        for actor in range(1, 9)
    ]
    config.data.prepared_dir = synthetic_records.write_prepared(str(root / "prepared"), clips, config)
    config.export.calibration_windows = 8  # enough to fix ranges of a tiny model, and fast
    run_dir = str(root / "run")
    resolved.save_resolved(config, run_dir)
    labels = list(datasets.label_names("demo"))
    with open(os.path.join(run_dir, run_dir_lib.LABELS_NAME), "w") as f:
        json.dump({"dataset": "demo", "labels": labels}, f)
    _fitted_model(config, len(labels)).save(os.path.join(run_dir, run_dir_lib.MODEL_NAME))
    return TinyRun(run_dir, config, labels)


@pytest.fixture(scope="session")
def export_root(tmp_path_factory) -> str:
    """The export root of the session's exports (`savedmodels/`)."""
    return str(tmp_path_factory.mktemp("savedmodels"))


@pytest.fixture(scope="session")
def exported(tiny_run, export_root) -> dict[str, str]:
    """`export_run` of the tiny run: SavedModel, four TFLite files, labels, metadata."""
    return run_export.export_run(tiny_run.run_dir, out_dir=export_root)


# Fixtures on the export, for the export and inference tests.


@pytest.fixture(scope="session")
def loaded(exported):
    """The exported SavedModel, loaded as TF Serving's clients' tests do."""
    return tf.saved_model.load(exported["savedmodel"])


@pytest.fixture(scope="session")
def trained(tiny_run) -> keras.Model:
    """The run's model.keras, loaded."""
    return keras.saving.load_model(os.path.join(tiny_run.run_dir, run_dir_lib.MODEL_NAME))


@pytest.fixture(scope="session")
def central(trained) -> keras.Model:
    """The Keras central branch (paper 3.1) of the run's model."""
    return inference_model(trained)


@pytest.fixture(scope="session")
def side_heads(trained) -> dict[str, keras.Model]:
    """The Keras side-head models of the run's model."""
    return side_head_models(trained)
