"""FusionComponent: concatenation, normalization and scoring of modal features (eqs. 3-4).

    g_va = FeatureNorm(Concatenate(g_v, g_a))  ->  s_va = Scoring(g_va)          (eq. 3)

Text vs. equation: eq. 4 writes "g_v, g_a -> Concatenate -> Scoring -> s_va", without the
FeatureNorm, while eq. 3 and the sentence introducing the component ("concatenates its inputs,
then makes the statistical normalization, and finally produces the vector of class scores")
include it. We follow eq. 3 and the sentence: the concatenated features come from different
modalities with different scales, which is what the normalization is there to equalize.

Dropout sits between the FeatureNorm and the Scoring: Fig. 7 places dropout before scoring,
and after (not before) the batch norm so that the norm's moving statistics, used at test
time, are gathered on undropped features. The rate is `ModelConfig.dropout` (0 disables it).
The testing-mode network (`testing_mode.py`) chains `concatenate`, `feature_norm` and `scoring` directly,
so the inference model holds no dropout at all; `fused_features` is g_va for feature plots.
The component takes any number of modal inputs (paper 3.2, Fig. 8).
"""

from __future__ import annotations

from typing import Any

import keras

from mrpn_tf.model import feature_norm
from mrpn_tf.model import scoring


@keras.saving.register_keras_serializable(package="mrpn_tf")
class FusionComponent(keras.layers.Layer):
    """Eqs. 3-4: Concatenate -> FeatureNorm -> Dropout -> Scoring.

    Args:
      hidden_units: Scoring's hidden width (eq. 2).
      num_classes: number of class scores.
      dropout: rate of the dropout before Scoring.
      **kwargs: base Layer arguments.

    Call args:
      inputs: list of modal features g_m, each [B, D_m] (two or more).
      training: FeatureNorm and Dropout mode.

    Returns:
      Fused class scores s_va, [B, num_classes].
    """

    def __init__(self, hidden_units: int, num_classes: int, dropout: float = 0.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.hidden_units = hidden_units
        self.num_classes = num_classes
        self.dropout = dropout
        # Layers: named after the component so that a pruned model, which uses them directly,
        # has unique layer names.
        self.concatenate = keras.layers.Concatenate(name=f"{self.name}_concatenate")
        self.feature_norm = feature_norm.FeatureNorm(name=f"{self.name}_feature_norm")
        self.dropout_layer = keras.layers.Dropout(dropout, name=f"{self.name}_dropout")
        self.scoring = scoring.Scoring(hidden_units, num_classes, name=f"{self.name}_scoring")

    def build(self, input_shape):
        fused = (input_shape[0][0], sum(int(shape[-1]) for shape in input_shape))
        self.concatenate.build(input_shape)
        self.feature_norm.build(fused)
        self.scoring.build(fused)
        self.built = True

    def fused_features(self, inputs, training=None):
        """g_va = FeatureNorm(Concatenate(g_m ...)), [B, sum D_m] (eq. 3)."""
        return self.feature_norm(self.concatenate(list(inputs)), training=training)

    def call(self, inputs, training=None):
        fused = self.fused_features(inputs, training=training)
        return self.scoring(self.dropout_layer(fused, training=training), training=training)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], self.num_classes)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "hidden_units": self.hidden_units,
                "num_classes": self.num_classes,
                "dropout": self.dropout,
            }
        )
        return config
