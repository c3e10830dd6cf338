"""Losses of the multi-branch networks (paper eq. 5, with weights).

    L = w_v L_v + w_a L_a + w_va L_va,   L_h = CrossEntropy(p, p_h)               (eq. 5)

The paper's L has all weights 1 (the config's default). N0 is trained on L_va alone (eq. 7).
Targets are integer class labels, one per head key, so each L_h is a sparse categorical
cross-entropy on the head's softmax probabilities. With mixup (`data.mixup_alpha`,
`data/pipeline/mixup.py`) training targets are class distributions instead, and
`ClassCrossentropy` / `ClassAccuracy` take both: distributions in training, integer labels
in validation. `ClassCrossentropy` also smooths the targets (`train.label_smoothing`). With
both off, the losses and accuracy are Keras's sparse ones.
"""

from __future__ import annotations

from typing import Iterable, Mapping

import keras
from keras import ops

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import features
from mrpn_tf.model import networks


def _is_distribution(y_true, y_pred) -> bool:
    """Whether targets are class distributions ([..., C] like the predictions), not labels."""
    return len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == y_pred.shape[-1] != 1


@keras.saving.register_keras_serializable(package="mrpn_tf")
class ClassCrossentropy(keras.losses.Loss):
    """Cross-entropy against integer labels or class distributions (mixup), optionally smoothed.

    Args:
      label_smoothing: e; the target t becomes (1 - e) t + e / classes.
    """

    def __init__(self, label_smoothing: float = 0.0, name: str = "class_crossentropy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.label_smoothing = float(label_smoothing)

    def call(self, y_true, y_pred):
        if not _is_distribution(y_true, y_pred):
            if not self.label_smoothing:
                return keras.losses.sparse_categorical_crossentropy(y_true, y_pred)
            labels = ops.cast(ops.reshape(y_true, ops.shape(y_pred)[:-1]), "int32")
            y_true = ops.one_hot(labels, ops.shape(y_pred)[-1], dtype=y_pred.dtype)
        return keras.losses.categorical_crossentropy(
            y_true, y_pred, label_smoothing=self.label_smoothing)

    def get_config(self):
        return {**super().get_config(), "label_smoothing": self.label_smoothing}


def class_accuracy(y_true, y_pred):
    """Accuracy against integer labels or against the largest class of a distribution."""
    if _is_distribution(y_true, y_pred):
        y_true = ops.argmax(y_true, axis=-1)
    return keras.metrics.sparse_categorical_accuracy(y_true, y_pred)


@keras.saving.register_keras_serializable(package="mrpn_tf")
class ClassAccuracy(keras.metrics.MeanMetricWrapper):
    """`SparseCategoricalAccuracy` that also takes class distributions (mixup)."""

    def __init__(self, name: str = "accuracy", dtype=None):
        super().__init__(fn=class_accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


def accuracy_metric(name: str, soft_targets: bool = False) -> keras.metrics.Metric:
    """The per-head accuracy of `compile`: Keras's sparse one, or one that takes mixup's targets."""
    if soft_targets:
        return ClassAccuracy(name=name)
    return keras.metrics.SparseCategoricalAccuracy(name=name)


def head_loss_weights(model_config: config_lib.ModelConfig) -> dict[str, float]:
    """w_h of eq. 5 per head key: {v: w_v, a: w_a, va: w_va}."""
    return {
        features.V: model_config.loss_weight_v,
        features.A: model_config.loss_weight_a,
        features.VA: model_config.loss_weight_va,
    }


def losses_for_outputs(
    keys: Iterable[str],
    weights: Mapping[str, float] | None = None,
    soft_targets: bool = False,
    label_smoothing: float = 0.0,
) -> tuple[dict[str, keras.losses.Loss], dict[str, float]]:
    """Loss and loss-weight dicts for `model.compile`, for any set of output keys.

    Args:
      keys: the model's output keys (e.g. those of a 3-modality network).
      weights: per-key weight; keys not in it get 1.0.
      soft_targets: training targets may be class distributions (mixup).
      label_smoothing: e of `ClassCrossentropy`; 0 is the paper's cross-entropy.

    Returns:
      (loss, loss_weights), both keyed like the outputs.
    """
    weights = weights or {}
    keys = list(keys)
    if soft_targets or label_smoothing:
        loss = {key: ClassCrossentropy(label_smoothing, name=f"loss_{key}") for key in keys}
    else:
        loss = {key: keras.losses.SparseCategoricalCrossentropy(name=f"loss_{key}") for key in keys}
    return loss, {key: float(weights.get(key, 1.0)) for key in keys}


def compile_losses(
    model_config: config_lib.ModelConfig,
    soft_targets: bool = False,
    label_smoothing: float = 0.0,
) -> tuple[dict[str, keras.losses.Loss], dict[str, float]]:
    """`loss` and `loss_weights` for `model.compile` of the network the config names.

    Args:
      model_config: `network` picks the heads (N0: va only; N1, N2: v, a, va; AM: a;
        VM: v); `loss_weight_*` give the weights.
      soft_targets: training targets may be class distributions (mixup).
      label_smoothing: e of `ClassCrossentropy` (`train.label_smoothing`).

    Returns:
      (loss, loss_weights), dicts keyed by the model's output keys.
    """
    keys = networks.output_keys(model_config.network)
    return losses_for_outputs(keys, head_loss_weights(model_config), soft_targets, label_smoothing)
