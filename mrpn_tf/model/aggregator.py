"""A_m: the sequence aggregation component (SAC) turning per-step features into f_m (eq. 1).

Paper 4.3 uses an LSTM; paper 4.6 reports that a bidirectional LSTM and a Transformer whose
outputs are averaged ("Transformer (avg)") do about as well. The kind is chosen by
`ModelConfig.aggregator`. All three honour the padding mask, so padding a clip never changes
f_m:
  - lstm: Keras masking carries the state over padded steps; f_m is the last real state.
  - bilstm: the same, in both directions (the backward pass starts at the last real step);
    f_m concatenates both final states, so its size is 2 x units.
  - transformer: padded keys are masked out of attention and the average runs over real steps.
  - average: the mean of the real steps' features, with no weights (the temporal averaging of
    deep features the paper cites, section 1); f_m has the extractor's size and `units` is
    unused. It means the same on one frame and on many, so a model that learned from still
    faces (FER-2013, one-frame clips) reads a video as the average of its frames.

`unroll=True` unrolls the LSTMs into a static graph (needs a static T). A Keras LSTM over a
dynamic length lowers to a while loop with TensorList ops, which TFLite runs only through
Flex; the TFLite exporter builds its fixed-window model with unroll=True instead.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from mrpn_tf.model import masked_average_pooling
from mrpn_tf.model import transformer_encoder

LSTM = "lstm"
BILSTM = "bilstm"
TRANSFORMER = "transformer"
AVERAGE = "average"
KINDS = (LSTM, BILSTM, TRANSFORMER, AVERAGE)


def output_dim(kind: str, units: int, feature_dim: int | None = None) -> int:
    """Size of f_m for an aggregator of this kind and width.

    Args:
      kind: one of KINDS.
      units: LSTM units per direction, or the Transformer width.
      feature_dim: size of the per-step features (what "average" returns).

    Returns:
      2 x units for bilstm, the feature size for average, else units.
    """
    if kind == AVERAGE:
        return feature_dim
    return 2 * units if kind == BILSTM else units


@keras.saving.register_keras_serializable(package="mrpn_tf")
class SequenceAggregator(keras.layers.Layer):
    """A_m: [B, T, D] per-step features and a [B, T] mask -> f_m [B, output_dim].

    Args:
      kind: "lstm", "bilstm", "transformer" or "average".
      units: LSTM units (per direction) or Transformer width.
      num_heads: Transformer attention heads (ignored by the LSTMs).
      num_layers: Transformer blocks (ignored by the LSTMs).
      dropout: Transformer dropout rate (ignored by the LSTMs).
      unroll: unroll the LSTMs (static T only; see the module docstring).
      **kwargs: base Layer arguments.

    Call args:
      inputs: [x, mask]: x float [B, T, D], mask float [B, T] (1 = real, 0 = padding).
      training: dropout switch.

    Returns:
      f_m, float [B, output_dim(kind, units)].
    """

    def __init__(
        self,
        kind: str = LSTM,
        units: int = 256,
        num_heads: int = 4,
        num_layers: int = 1,
        dropout: float = 0.0,
        unroll: bool = False,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        if kind not in KINDS:
            raise ValueError(f"aggregator kind {kind!r}; expected one of {', '.join(KINDS)}")
        self.kind = kind
        self.units = units
        self.num_heads = num_heads
        self.num_layers = num_layers
        self.dropout = dropout
        self.unroll = unroll
        # Layers.
        if kind == LSTM:
            self.sequence = keras.layers.LSTM(units, unroll=unroll, name="lstm")
        elif kind == AVERAGE:
            self.sequence = masked_average_pooling.MaskedAveragePooling(name="average")
        elif kind == BILSTM:
            self.sequence = keras.layers.Bidirectional(
                keras.layers.LSTM(units, unroll=unroll), name="bilstm"
            )
        else:
            self.sequence = transformer_encoder.TransformerEncoder(
                units, num_heads, num_layers, dropout, name="transformer"
            )
            self.pooling = masked_average_pooling.MaskedAveragePooling(name="average")

    def build(self, input_shape):
        x_shape, mask_shape = input_shape
        if self.kind in (TRANSFORMER, AVERAGE):
            self.sequence.build((x_shape, mask_shape))
        else:
            self.sequence.build(x_shape)
        self.built = True

    def call(self, inputs, training=None):
        x, mask = inputs
        if self.kind == TRANSFORMER:
            encoded = self.sequence([x, mask], training=training)
            return self.pooling([encoded, mask])
        if self.kind == AVERAGE:
            return self.sequence([x, mask])
        return self.sequence(x, mask=ops.greater(mask, 0.5), training=training)

    def compute_output_shape(self, input_shape):
        x_shape, _ = input_shape
        return (x_shape[0], output_dim(self.kind, self.units, x_shape[-1]))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "kind": self.kind,
                "units": self.units,
                "num_heads": self.num_heads,
                "num_layers": self.num_layers,
                "dropout": self.dropout,
                "unroll": self.unroll,
            }
        )
        return config
