"""Fixtures of the export tests on the session's tiny run and export (tiny_export.py, registered
in tests/conftest.py): the loaded SavedModel and the Keras models it was exported from."""

from __future__ import annotations

import os

import keras
import pytest
import tensorflow as tf

from mrpn_tf.model import inference_model
from mrpn_tf.model import side_head_models
from mrpn_tf.training import run_dir as run_dir_lib


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
