"""BatchNormalization as one FusedBatchNormV3 kernel for the ResNet-18's 4-D activations.

Keras 3's BatchNormalization runs on the TF backend as separate kernels: the moments (a mean,
a squared difference, another mean), then multiply and add for the normalization, and as many
again in the backward pass. In the tiny ResNet-18 these small kernels dominate a training step
on CPU (docs/results.md, "Where a training step's time goes"). TensorFlow's FusedBatchNormV3
does the forward pass in one kernel and the backward pass in one more (FusedBatchNormGradV3).

`BatchNormalization` here is a drop-in subclass of `keras.layers.BatchNormalization`: same
arguments and config, same weights in the same order (gamma, beta, moving_mean,
moving_variance), found by `isinstance(layer, keras.layers.BatchNormalization)` (precise_bn).
It runs the fused kernel where that kernel computes what Keras computes: a 4-D float32 input
normalized over its last axis, no mask, no batch renormalization, no cross-replica
("synchronized") statistics. Anything else goes to Keras's own `call`.

Semantics kept from Keras 3 (keras/src/layers/normalization/batch_normalization.py):
  * training mode only when `training` is true and the layer is trainable: a layer set
    `trainable = False` normalizes with its moving statistics (inference mode);
  * in training mode it normalizes with the batch mean and the biased batch variance and sets
    moving = moving * momentum + batch * (1 - momentum), with `momentum` read at call time
    (precise_bn changes it between eager calls). FusedBatchNormV3 returns the
    Bessel-corrected variance (times n / (n - 1), n = batch x height x width values per
    channel); the layer multiplies it by (n - 1) / n again, because Keras averages the biased
    variance. The round trip costs about one float32 rounding (~1e-7 relative);
  * epsilon as configured. The kernel's CPU version takes any epsilon (tested down to 1e-8).
    Keras 2 raised epsilon to 1.001e-5 for its fused path because of an old cuDNN minimum;
    the layer does not (the ResNet's 1e-5 is used as is), and on a GPU it is untested here.

The class is named BatchNormalization on purpose: Keras 3 stores a layer's weights in a
`.weights.h5` (and `.keras`) file under its class name in snake case and its position among
the layers of that class ("layers/batch_normalization_3/vars"), not under the layer's name.
Under any other class name the checkpoints written with Keras's BatchNormalization (all of
this project's runs up to now) would no longer load. It is registered for deserialization as
"mrpn_tf>FusedBatchNormalization".
"""

from __future__ import annotations

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="mrpn_tf", name="FusedBatchNormalization")
class BatchNormalization(keras.layers.BatchNormalization):
    """keras.layers.BatchNormalization that runs FusedBatchNormV3 on 4-D channels-last input.

    Takes BatchNormalization's arguments and config unchanged (module docstring).
    """

    def uses_fused_kernel(self, inputs, mask=None) -> bool:
        """Whether `call(inputs, mask=mask)` runs the fused kernel (else Keras's call)."""
        return (
            keras.backend.backend() == "tensorflow"
            and mask is None
            and not self.renorm
            and not self.synchronized
            and len(inputs.shape) == 4
            and self.axis in (-1, 3)
            and keras.backend.standardize_dtype(inputs.dtype) == "float32"
            and keras.backend.standardize_dtype(self.variable_dtype) == "float32"
            and keras.backend.standardize_dtype(self.compute_dtype) == "float32"
        )

    def call(self, inputs, training=None, mask=None):
        if not self.uses_fused_kernel(inputs, mask):
            return super().call(inputs, training=training, mask=mask)
        channels = inputs.shape[-1]
        scale = tf.convert_to_tensor(self.gamma) if self.scale else tf.ones([channels], tf.float32)
        offset = tf.convert_to_tensor(self.beta) if self.center else tf.zeros([channels], tf.float32)
        moving_mean = tf.convert_to_tensor(self.moving_mean)
        moving_variance = tf.convert_to_tensor(self.moving_variance)
        if training and self.trainable:
            outputs, mean, variance = tf.compat.v1.nn.fused_batch_norm(
                inputs, scale, offset, epsilon=self.epsilon, data_format="NHWC", is_training=True
            )
            # FusedBatchNormV3 returns n / (n - 1) x the biased variance; Keras averages the
            # biased one. n = 1 gives 0 either way (the biased variance of one value).
            shape = tf.shape(inputs)
            count = tf.cast(shape[0] * shape[1] * shape[2], tf.float32)
            variance = variance * ((count - 1.0) / count)
            self.moving_mean.assign(moving_mean * self.momentum + mean * (1.0 - self.momentum))
            self.moving_variance.assign(
                moving_variance * self.momentum + variance * (1.0 - self.momentum)
            )
        else:
            outputs, _, _ = tf.compat.v1.nn.fused_batch_norm(
                inputs, scale, offset, mean=moving_mean, variance=moving_variance,
                epsilon=self.epsilon, data_format="NHWC", is_training=False,
            )
        return outputs
