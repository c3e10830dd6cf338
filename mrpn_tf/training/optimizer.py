"""The optimizer of paper 4.2: "AdaMW optimizer ... initial learning rate at 5e-5", and the
cosine learning-rate schedule (`train.lr_schedule="cosine"`).

Decoupled weight decay (Loshchilov & Hutter) with the rate in `train.weight_decay`. Biases and
normalization scales / shifts are left undecayed, the usual AdamW practice: shrinking them
does not limit the model's capacity, it only shifts its activations.
"""

from __future__ import annotations

import keras
import numpy as np

from mrpn_tf.config import config as config_lib


# Substrings of the variable names that are not decayed (Dense / Conv biases, BatchNorm and
# LayerNorm gamma / beta).
NO_DECAY = ("bias", "gamma", "beta")


def build_optimizer(train: config_lib.TrainConfig) -> keras.optimizers.Optimizer:
    """AdamW with the configured learning rate and weight decay.

    Args:
      train: `optimizer` (only "adamw"), `learning_rate`, `weight_decay`.

    Returns:
      A `keras.optimizers.AdamW`; create it inside the strategy scope, like the model.

    Raises:
      ValueError: an optimizer other than "adamw".
    """
    if train.optimizer != "adamw":
        raise ValueError(f"train.optimizer={train.optimizer!r}; expected 'adamw' (paper 4.2)")
    optimizer = keras.optimizers.AdamW(
        learning_rate=train.learning_rate, weight_decay=train.weight_decay
    )
    optimizer.exclude_from_weight_decay(var_names=list(NO_DECAY))
    return optimizer


def cosine_schedule(train: config_lib.TrainConfig):
    """Epoch -> learning rate for `train.lr_schedule="cosine"`: from `learning_rate` at epoch 0
    down along half a cosine, reaching 0 one epoch after the last (the last epoch still learns).

    Args:
      train: `learning_rate`, `epochs`.

    Returns:
      A function of the 0-based epoch (and the current rate, unused), as
      `keras.callbacks.LearningRateScheduler` calls it.
    """
    def rate(epoch: int, current: float | None = None) -> float:
        return float(train.learning_rate * 0.5 * (1.0 + np.cos(np.pi * epoch / train.epochs)))

    return rate
