"""`run_layer_test`: what every layer in mrpn_tf/model must do, checked one way for all.

The idea of keras-hub's `run_layer_test`: build and call the layer, then check that its config
round-trips, that a model holding it saves to .keras and loads back with the same outputs,
that it is registered under the package's name, and that it runs under mixed precision.
"""

from __future__ import annotations

import copy
import os
from typing import Any, Callable

import keras
import numpy as np


def _inputs_like(data):
    if isinstance(data, (list, tuple)):
        return [keras.Input(d.shape[1:], dtype=d.dtype) for d in data]
    return keras.Input(data.shape[1:], dtype=data.dtype)


def _as_call_arg(data):
    return list(data) if isinstance(data, (list, tuple)) else data


def run_layer_test(
    make_layer: Callable[..., keras.layers.Layer],
    init_kwargs: dict[str, Any],
    input_data,
    expected_output_shape: tuple,
    tmp_path,
    mixed_precision: bool = True,
) -> keras.layers.Layer:
    """Runs the checks of the module docstring on `make_layer(**init_kwargs)`.

    Args:
      make_layer: the layer class (or a factory taking the same keyword arguments).
      init_kwargs: its constructor arguments (non-default values, so a dropped one shows).
      input_data: a numpy array, or a list of them for a layer called on a list.
      expected_output_shape: the output's shape for `input_data`.
      tmp_path: a folder for the saved model.
      mixed_precision: also build and call it under the global "mixed_float16" policy.

    Returns:
      The built layer.
    """
    layer = make_layer(**init_kwargs)
    out = np.asarray(layer(_as_call_arg(input_data), training=False))
    assert out.shape == tuple(expected_output_shape), (out.shape, expected_output_shape)
    assert np.all(np.isfinite(out))
    # Registered under the package's name, so a saved model finds it without custom_objects.
    assert keras.saving.get_registered_name(type(layer)).startswith("mrpn_tf>")
    # The config round trip: every constructor argument is in the config (a get_config that
    # left one out would give a loaded model the default), and a clone has the same config.
    config = layer.get_config()
    for key, value in init_kwargs.items():
        assert config.get(key) == value, f"get_config()[{key!r}] = {config.get(key)!r}, not {value!r}"
    clone = type(layer).from_config(copy.deepcopy(config))  # some from_config pop keys
    assert clone.get_config() == config
    # In a model: saved to .keras and loaded back, the same outputs.
    inputs = _inputs_like(input_data)
    model = keras.Model(inputs, make_layer(**init_kwargs)(inputs, training=False))
    expected = np.asarray(model(_as_call_arg(input_data), training=False))
    path = os.path.join(str(tmp_path), f"{type(layer).__name__}.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(np.asarray(loaded(_as_call_arg(input_data), training=False)),
                               expected, rtol=1e-5, atol=1e-5)
    if mixed_precision:  # as train.mixed_precision sets it: the global policy, sublayers too
        previous = keras.mixed_precision.global_policy()
        keras.mixed_precision.set_global_policy("mixed_float16")
        try:
            mixed = make_layer(**init_kwargs)
            half = np.asarray(mixed(_as_call_arg(input_data), training=False), np.float32)
        finally:
            keras.mixed_precision.set_global_policy(previous)
        assert half.shape == out.shape and np.all(np.isfinite(half))
    return layer
