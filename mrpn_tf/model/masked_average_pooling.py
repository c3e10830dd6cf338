"""Masked average over time: the pooling of "Transformer (avg)" (paper 4.6).

Paper 4.6: "As for Transformer, the average feature is taken from the [encoder] outputs, the
concept follows from Vision Transformer". The average runs over the real time steps only, so
that padding a clip never changes its feature vector.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="mrpn_tf")
class MaskedAveragePooling(keras.layers.Layer):
    """Mean of x over the time steps where mask is 1.

    Args:
      **kwargs: base Layer arguments.

    Call args:
      inputs: [x, mask]: x [B, T, D], mask float [B, T] (1 = real, 0 = padding).

    Returns:
      [B, D]; a row with no real step is 0 (the count is clamped to 1).
    """

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)

    def call(self, inputs):
        x, mask = inputs
        weights = ops.cast(ops.expand_dims(mask, -1), x.dtype)
        total = ops.sum(x * weights, axis=1)
        count = ops.maximum(ops.sum(weights, axis=1), ops.cast(1.0, x.dtype))
        return total / count

    def compute_output_shape(self, input_shape):
        x_shape, _ = input_shape
        return (x_shape[0], x_shape[-1])
