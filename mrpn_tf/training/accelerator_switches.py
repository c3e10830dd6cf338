"""The GPU switches: mixed precision (`train.mixed_precision`) and XLA (`train.xla`).

Mixed precision runs the convolutions and the LSTM in float16 with float32 variables; the
softmax outputs stay float32 (`scoring.probabilities`), so the cross-entropies are computed in
float32, and Keras wraps the optimizer in a LossScaleOptimizer at compile time.

XLA is switched on as TensorFlow's auto-clustering, not as `compile(jit_compile=True)`: the
extractors run on the gathered real frames only (masked_time_distributed.py), a batch of
data-dependent size that whole-step compilation cannot express. Auto-clustering compiles the
parts of the step graph with static shapes and leaves the gather to TensorFlow.

Both are set before the model is built; `preflight.check_accelerator_switches` refuses them
on a machine without a GPU.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from mrpn_tf.config import config as config_lib


MIXED_POLICY = "mixed_float16"
FULL_POLICY = "float32"


def apply_switches(train: config_lib.TrainConfig) -> None:
    """Sets the global dtype policy and the XLA auto-clustering from the config.

    Args:
      train: `mixed_precision`, `xla`.
    """
    keras.mixed_precision.set_global_policy(MIXED_POLICY if train.mixed_precision else FULL_POLICY)
    tf.config.optimizer.set_jit("autoclustering" if train.xla else False)
