"""Fitting on replica batches of different shapes (variable-length clips under tf.distribute).

Each replica's batch is padded to its own longest clip, so two replicas' batches usually
differ in their time axis. tf.distribute runs such steps fine, but Keras 3's `fit` first takes
one distributed batch and averages it across the replicas to build the model's metrics and
optimizer; averaging tensors of different shapes fails (the AddN error of keras-team/keras
issue 19246, open for Keras 3.x).

So the model is built beforehand, inside the strategy scope, on a one-clip batch
(`test_on_batch` builds the compiled losses, metrics and optimizer and changes no weight),
and is then told to take its strategy from the surrounding scope instead of the one it was
created under: Keras skips that averaging step for such a model, and `fit` runs inside
`strategy.scope()` with the very same strategy.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf


def _one_clip_batch(model: keras.Model) -> tuple[dict, dict, dict]:
    """A batch of one all-real clip of one frame / segment, shaped like the model's inputs."""
    inputs = {
        key: np.ones([1] + [d or 1 for d in tensor.shape[1:]], np.float32)
        for key, tensor in model.input.items()
    }
    heads = list(model.output)
    return inputs, {h: np.zeros(1, np.int32) for h in heads}, {h: np.ones(1, np.float32) for h in heads}


def build_before_fit(model: keras.Model, strategy: tf.distribute.Strategy) -> None:
    """Builds `model`'s training state in `strategy`'s scope and skips Keras's batch averaging.

    Call after `compile`; then call `fit` (and `evaluate`) inside `strategy.scope()`.

    Args:
      model: compiled, created inside `strategy.scope()`.
      strategy: the run's strategy.
    """
    with strategy.scope():
        inputs, targets, weights = _one_clip_batch(model)
        model.test_on_batch(inputs, targets, sample_weight=weights)
        model.reset_metrics()
    # Keras reads the strategy from this attribute when set and from the current scope when
    # None; only the batch-averaging build step tells the two apart (module docstring).
    model._distribute_strategy = None
