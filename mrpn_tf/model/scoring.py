"""Scoring: the component that maps a feature vector to class scores (paper eq. 2).

    Scoring = DenseUnit -> ReLU -> FeatureNorm -> DenseUnit                     (eq. 2)

It produces scores (logits); the SoftMax unit of paper 3.1 item 6 is the model's output layer.
"""

from __future__ import annotations

from typing import Any

import keras

from mrpn_tf.model import feature_norm


@keras.saving.register_keras_serializable(package="mrpn_tf")
class Scoring(keras.layers.Layer):
    """Eq. 2: Dense(hidden_units) -> ReLU -> FeatureNorm -> Dense(num_classes).

    Args:
      hidden_units: width of the first DenseUnit.
      num_classes: number of class scores.
      **kwargs: base Layer arguments.

    Call args:
      x: [B, D] features.
      training: FeatureNorm (batch norm) mode.

    Returns:
      Class scores s, [B, num_classes].
    """

    def __init__(self, hidden_units: int, num_classes: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.hidden_units = hidden_units
        self.num_classes = num_classes
        # Layers.
        self.hidden = keras.layers.Dense(hidden_units, name="hidden")
        self.relu = keras.layers.ReLU(name="relu")
        self.feature_norm = feature_norm.FeatureNorm(name="feature_norm")
        self.scores = keras.layers.Dense(num_classes, name="scores")

    def build(self, input_shape):
        hidden_shape = tuple(input_shape[:-1]) + (self.hidden_units,)
        self.hidden.build(input_shape)
        self.feature_norm.build(hidden_shape)
        self.scores.build(hidden_shape)
        self.built = True

    def call(self, x, training=None):
        x = self.relu(self.hidden(x))
        x = self.feature_norm(x, training=training)
        return self.scores(x)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.num_classes,)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"hidden_units": self.hidden_units, "num_classes": self.num_classes})
        return config


def probabilities(key: str) -> keras.layers.Layer:
    """The SoftMax unit of paper 3.1 item 6 for the head `key`: p = Softmax(s).

    Named after the head so that the model's output, its loss and its metrics share the key.
    float32 even under mixed precision, so that the cross-entropy is computed in float32.

    Args:
      key: head key ("v", "a", "va", ...).

    Returns:
      A weightless softmax layer named `key`.
    """
    return keras.layers.Activation("softmax", dtype="float32", name=key)
