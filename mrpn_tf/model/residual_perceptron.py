"""ResPerceptron (RP): the normalized residual perceptron of MRPN (paper eq. 6).

    f-hat_m = FeatureNorm(f_m)
    f'_m    = f-hat_m + FeatureNorm(Sigmoid(DenseUnit(f-hat_m)))                (eq. 6)

The DenseUnit keeps the feature size so that the residual sum is defined. Sigmoid rather than
ReLU bounds the range of the residual's affine combinations (paper 3.1, observation 6). The
input is already f-hat_m: the first FeatureNorm of eq. 6 is the branch's FeatureNorm, which
network N2 shares with its side head (eq. 9).
"""

from __future__ import annotations

from typing import Any

import keras

from mrpn_tf.model import feature_norm


@keras.saving.register_keras_serializable(package="mrpn_tf")
class ResidualPerceptron(keras.layers.Layer):
    """Eq. 6: f' = f-hat + FeatureNorm(Sigmoid(Dense(f-hat))).

    Args:
      units: D, the feature size (the residual sum needs the Dense to keep it).
      **kwargs: base Layer arguments.

    Call args:
      x: f-hat_m, [B, D].
      training: FeatureNorm (batch norm) mode.

    Returns:
      f'_m, [B, D].
    """

    def __init__(self, units: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.units = units
        # Layers.
        self.dense = keras.layers.Dense(units, name="dense")
        self.feature_norm = feature_norm.FeatureNorm(name="feature_norm")

    def build(self, input_shape):
        if input_shape[-1] != self.units:
            raise ValueError(
                f"{self.name}: input size {input_shape[-1]} != units {self.units}; the residual "
                "sum of eq. 6 needs them equal"
            )
        self.dense.build(input_shape)
        self.feature_norm.build(input_shape)
        self.built = True

    def call(self, x, training=None):
        residual = keras.activations.sigmoid(self.dense(x))
        return x + self.feature_norm(residual, training=training)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"units": self.units})
        return config
