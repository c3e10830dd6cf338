"""Transformer encoder for the "Transformer (avg)" aggregator (paper 4.6).

Paper 4.6 replaces the LSTM aggregator by a Transformer whose outputs are averaged, "the
concept follows from Vision Transformer". The paper gives no sizes, so this follows ViT:
pre-LayerNorm blocks (multi-head self-attention, then a GELU MLP 4x wider than the model),
each wrapped in a residual connection, and a final LayerNorm. Differences from ViT, and why:
  - no class token: the output is the masked average (paper 4.6 "Transformer (avg)");
  - sinusoidal instead of learned positions: clips have any length (T is dynamic), and a fixed
    encoding gives every length the same positions without a maximum to train;
  - a Dense input projection from the extractor's feature size to `units`.
Padding is masked out of the attention keys, so real steps never attend to padding.
"""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops

# ViT's MLP is 4x the model width (Dosovitskiy et al. 2021, Table 1).
MLP_RATIO = 4


def sinusoidal_positions(steps, units: int, dtype: str = "float32"):
    """The fixed position encoding of Vaswani et al. (2017), sec. 3.5.

    Args:
      steps: sequence length (int or scalar tensor).
      units: encoding width (even).
      dtype: result dtype.

    Returns:
      [steps, units]: sin on even channels, cos on odd channels.
    """
    positions = ops.cast(ops.arange(steps), "float32")[:, None]
    half = ops.arange(units // 2, dtype="float32")
    frequencies = ops.exp(-math.log(10000.0) * 2.0 * half / float(units))[None, :]
    angles = positions * frequencies
    encoding = ops.reshape(ops.stack([ops.sin(angles), ops.cos(angles)], axis=-1), (-1, units))
    return ops.cast(encoding, dtype)


@keras.saving.register_keras_serializable(package="mrpn_tf")
class TransformerEncoderBlock(keras.layers.Layer):
    """One pre-LayerNorm encoder block: x + MHA(LN(x)), then x + MLP(LN(x)).

    Args:
      units: model width.
      num_heads: attention heads (units must be divisible by it).
      dropout: rate after attention and inside the MLP.
      **kwargs: base Layer arguments.

    Call args:
      x: [B, T, units].
      attention_mask: bool [B, T, T], True where a query may attend to a key.
      training: dropout switch.

    Returns:
      [B, T, units].
    """

    def __init__(self, units: int, num_heads: int, dropout: float = 0.0, **kwargs: Any):
        super().__init__(**kwargs)
        if units % num_heads:
            raise ValueError(f"units={units} is not divisible by num_heads={num_heads}")
        self.units = units
        self.num_heads = num_heads
        self.dropout = dropout
        # Layers.
        self.attention_norm = keras.layers.LayerNormalization(epsilon=1e-6, name="attention_norm")
        self.attention = keras.layers.MultiHeadAttention(
            num_heads, units // num_heads, dropout=dropout, name="attention"
        )
        self.attention_dropout = keras.layers.Dropout(dropout, name="attention_dropout")
        self.mlp_norm = keras.layers.LayerNormalization(epsilon=1e-6, name="mlp_norm")
        self.mlp_hidden = keras.layers.Dense(
            units * MLP_RATIO, activation="gelu", name="mlp_hidden"
        )
        self.mlp_output = keras.layers.Dense(units, name="mlp_output")
        self.mlp_dropout = keras.layers.Dropout(dropout, name="mlp_dropout")

    def build(self, input_shape):
        self.attention_norm.build(input_shape)
        self.attention.build(input_shape, input_shape)
        self.mlp_norm.build(input_shape)
        self.mlp_hidden.build(input_shape)
        self.mlp_output.build(tuple(input_shape[:-1]) + (self.units * MLP_RATIO,))
        self.built = True

    def call(self, x, attention_mask=None, training=None):
        y = self.attention_norm(x)
        y = self.attention(y, y, attention_mask=attention_mask, training=training)
        x = x + self.attention_dropout(y, training=training)
        y = self.mlp_output(self.mlp_hidden(self.mlp_norm(x)))
        return x + self.mlp_dropout(y, training=training)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"units": self.units, "num_heads": self.num_heads, "dropout": self.dropout})
        return config


@keras.saving.register_keras_serializable(package="mrpn_tf")
class TransformerEncoder(keras.layers.Layer):
    """Projection + sinusoidal positions + `num_layers` blocks + final LayerNorm.

    Args:
      units: model width.
      num_heads: attention heads per block.
      num_layers: number of blocks.
      dropout: rate inside the blocks.
      **kwargs: base Layer arguments.

    Call args:
      inputs: [x, mask]: x [B, T, D], mask float [B, T] (1 = real, 0 = padding).
      training: dropout switch.

    Returns:
      [B, T, units]; rows at padded steps are defined but meaningless (pool them out).
    """

    def __init__(
        self, units: int, num_heads: int, num_layers: int = 1, dropout: float = 0.0, **kwargs: Any
    ):
        super().__init__(**kwargs)
        self.units = units
        self.num_heads = num_heads
        self.num_layers = num_layers
        self.dropout = dropout
        # Layers.
        self.projection = keras.layers.Dense(units, name="projection")
        self.blocks = [
            TransformerEncoderBlock(units, num_heads, dropout, name=f"block{i + 1}")
            for i in range(num_layers)
        ]
        self.output_norm = keras.layers.LayerNormalization(epsilon=1e-6, name="output_norm")

    def build(self, input_shape):
        x_shape, _ = input_shape
        self.projection.build(x_shape)
        model_shape = tuple(x_shape[:-1]) + (self.units,)
        for block in self.blocks:
            block.build(model_shape)
        self.output_norm.build(model_shape)
        self.built = True

    def call(self, inputs, training=None):
        x, mask = inputs
        x = self.projection(x)
        x = x + sinusoidal_positions(ops.shape(x)[1], self.units, x.dtype)[None]
        keys = ops.greater(mask, 0.5)
        # Every query (real or padded) sees only real keys: [B, T, T].
        attention_mask = ops.logical_and(
            ops.ones_like(keys, dtype="bool")[:, :, None], keys[:, None, :]
        )
        for block in self.blocks:
            x = block(x, attention_mask=attention_mask, training=training)
        return self.output_norm(x)

    def compute_output_shape(self, input_shape):
        x_shape, _ = input_shape
        return tuple(x_shape[:-1]) + (self.units,)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "num_heads": self.num_heads,
                "num_layers": self.num_layers,
                "dropout": self.dropout,
            }
        )
        return config
