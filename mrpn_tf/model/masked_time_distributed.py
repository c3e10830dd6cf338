"""Applies F_m to every real frame / segment of a padded sequence, and to nothing else.

Eq. 1 applies the extractor F_m to each element of the temporal sequence x_m. Batches are
padded to a common length T, with a mask marking the real elements. Running the CNN on the
padding would not change the outputs (the aggregators ignore masked steps) but would change
BatchNorm's batch statistics in training, and through them the moving averages that inference
uses: a batch with many zero frames would drag both towards zero. So the valid elements are
gathered into one [N_valid, ...] batch, the CNN runs on that, and its features are scattered
back to [B, T, D] with zeros at the padded positions.

The gather makes the CNN's batch size data-dependent. That is fine for tf.function training and
SavedModel serving, but not for XLA compilation (the layer reports `supports_jit = False`).
`gather_valid=False` runs the CNN on all B x T elements and zeroes the padded outputs instead,
which gives the same inference outputs (BatchNorm then uses its moving statistics) and static
shapes, for export. Do not train with it: then the padding does reach the BatchNorm statistics.

A batch must hold at least one real element per modality when training (BatchNorm over an empty
batch is undefined); the data pipeline skips clips without frames or audio.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="mrpn_tf")
class MaskedTimeDistributed(keras.layers.Wrapper):
    """Runs `layer` on each element of [B, T, ...] where mask is 1; padding outputs are 0.

    Args:
      layer: maps [N, ...] to [N, D] (the ResNet-18 extractor).
      gather_valid: True gathers the real elements before `layer` (training); False runs
        `layer` on every element and zeroes the padded outputs (static shapes, for export).
      **kwargs: base Layer arguments (name, dtype, ...).

    Call args:
      inputs: [x, mask]: x float32 [B, T, ...], mask float32 [B, T] (1 = real, 0 = padding).
      training: forwarded to `layer`.

    Returns:
      float32 [B, T, D]; rows where mask is 0 are exactly 0.
    """

    def __init__(self, layer: keras.layers.Layer, gather_valid: bool = True, **kwargs: Any):
        super().__init__(layer, **kwargs)
        self.gather_valid = gather_valid
        # The gathered batch has a data-dependent size, which XLA would have to recompile for
        # (or pad back); so `compile(jit_compile="auto")` leaves a gathering model to TF.
        self.supports_jit = not gather_valid

    def build(self, input_shape):
        x_shape, _ = input_shape
        if not self.layer.built:
            self.layer.build((None,) + tuple(x_shape[2:]))
        self.built = True

    def call(self, inputs, training=None):
        x, mask = inputs
        shape = tf.shape(x)
        batch, steps = shape[0], shape[1]
        flat = tf.reshape(x, tf.concat([[batch * steps], shape[2:]], axis=0))
        flat_mask = tf.reshape(mask, [-1])
        if self.gather_valid:
            indices = tf.cast(tf.where(flat_mask > 0.5), tf.int32)  # [N_valid, 1]
            features = self.layer(tf.gather_nd(flat, indices), training=training)
            features = tf.scatter_nd(
                indices, features, tf.stack([batch * steps, features.shape[-1]])
            )
        else:
            features = self.layer(flat, training=training)
            features = features * tf.cast(flat_mask[:, None], features.dtype)
        # A static feature size keeps the last axis known to the layers downstream.
        dim = features.shape[-1]
        return tf.reshape(features, tf.stack([batch, steps, dim]))

    def compute_output_shape(self, input_shape):
        x_shape, _ = input_shape
        inner = self.layer.compute_output_shape((None,) + tuple(x_shape[2:]))
        return (x_shape[0], x_shape[1], inner[-1])

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"gather_valid": self.gather_valid})
        return config
