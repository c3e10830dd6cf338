"""Losses of the multi-branch networks (paper eq. 5, with weights).

    L = w_v L_v + w_a L_a + w_va L_va,   L_h = CrossEntropy(p, p_h)               (eq. 5)

The paper's L has all weights 1 (the config's default). N0 is trained on L_va alone (eq. 7).
Targets are integer class labels, one per head key, so each L_h is a sparse categorical
cross-entropy on the head's softmax probabilities.
"""

from __future__ import annotations

from typing import Iterable, Mapping

import keras

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import features
from mrpn_tf.model import networks


def head_loss_weights(model_config: config_lib.ModelConfig) -> dict[str, float]:
    """w_h of eq. 5 per head key: {v: w_v, a: w_a, va: w_va}."""
    return {
        features.V: model_config.loss_weight_v,
        features.A: model_config.loss_weight_a,
        features.VA: model_config.loss_weight_va,
    }


def losses_for_outputs(
    keys: Iterable[str], weights: Mapping[str, float] | None = None
) -> tuple[dict[str, keras.losses.Loss], dict[str, float]]:
    """Loss and loss-weight dicts for `model.compile`, for any set of output keys.

    Args:
      keys: the model's output keys (e.g. those of a 3-modality network).
      weights: per-key weight; keys not in it get 1.0.

    Returns:
      (loss, loss_weights), both keyed like the outputs.
    """
    weights = weights or {}
    keys = list(keys)
    loss = {key: keras.losses.SparseCategoricalCrossentropy(name=f"loss_{key}") for key in keys}
    return loss, {key: float(weights.get(key, 1.0)) for key in keys}


def compile_losses(
    model_config: config_lib.ModelConfig,
) -> tuple[dict[str, keras.losses.Loss], dict[str, float]]:
    """`loss` and `loss_weights` for `model.compile` of the network the config names.

    Args:
      model_config: `network` picks the heads (N0: va only; N1, N2: v, a, va; AM: a;
        VM: v); `loss_weight_*` give the weights.

    Returns:
      (loss, loss_weights), dicts keyed by the model's output keys.
    """
    keys = networks.output_keys(model_config.network)
    return losses_for_outputs(keys, head_loss_weights(model_config))
