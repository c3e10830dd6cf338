"""Precise BatchNorm statistics: the moving mean and variance recomputed with the weights frozen.

BatchNormalization's moving averages are updated while the weights move. With momentum 0.9
they average the batch statistics of about the last 10 steps, each taken with other weights.
At the learning rates of the CPU configs (1e-3 to 2e-3, models trained from scratch) the
weights move far in 10 steps, so the averages describe a network that no longer exists, and
inference (which uses them) scores lower than the weights deserve (measured effects:
docs/results.md, interference section).

`recompute` runs training batches through the model in training mode, weights untouched, and
sets every BatchNormalization layer (FeatureNorm included) to the average of its batch means
and batch variances over those batches: "PreciseBN" (Wu & Johnson 2021, "Rethinking 'Batch'
in BatchNorm"; torch.optim.swa_utils.update_bn averages the same way). Dropout is switched off
meanwhile, since the FeatureNorm inside each Scoring unit sits after a Dropout and inference
feeds it undropped features. `evaluate_checkpoint` applies it to a run's checkpoint and scores
the validation clips.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping, Optional

import keras
import tensorflow as tf

from mrpn_tf.config import loading
from mrpn_tf.data.pipeline import dataset_builder
from mrpn_tf.model import networks
from mrpn_tf.training import evaluation
from mrpn_tf.training import input_data
from mrpn_tf.training import run_dir as run_dir_lib


def _layers(model: keras.Model, kind: type) -> list[keras.layers.Layer]:
    # Nested layers too: the extractors inside MaskedTimeDistributed, FeatureNorm inside Scoring.
    return [layer for layer in model._flatten_layers(include_self=False) if isinstance(layer, kind)]


def recompute(
    model: keras.Model, batches: Iterable[Mapping[str, tf.Tensor]], max_batches: Optional[int] = None
) -> int:
    """Sets every BatchNormalization's moving statistics to its average over `batches`.

    Args:
      model: the model; its weights are not changed, only the moving means and variances.
      batches: model inputs, one dict per batch (training data, as augmented in training).
      max_batches: use at most this many batches; None for all of `batches`.

    Returns:
      The number of batches used.

    Raises:
      ValueError: no batch (then no model call changed the statistics).
    """
    norms = _layers(model, keras.layers.BatchNormalization)
    dropouts = _layers(model, keras.layers.Dropout)
    momenta = [layer.momentum for layer in norms]
    rates = [layer.rate for layer in dropouts]
    used = 0
    try:
        for layer in dropouts:
            layer.rate = 0.0
        for inputs in batches:
            if max_batches is not None and used >= max_batches:
                break
            # moving = moving * m + batch * (1 - m) with m = n / (n + 1) keeps the running
            # average of the n + 1 batch statistics seen so far; the first batch (m = 0)
            # replaces whatever the layer held.
            for layer in norms:
                layer.momentum = used / (used + 1)
            model(inputs, training=True)  # eager: the layers read the momentum set above
            used += 1
    finally:
        for layer, momentum in zip(norms, momenta):
            layer.momentum = momentum
        for layer, rate in zip(dropouts, rates):
            layer.rate = rate
    if used == 0:
        raise ValueError("recompute: no batch to take BatchNorm statistics from")
    return used


class BeforeValidation(keras.callbacks.Callback):
    """`recompute` from the training data at the start of every validation inside `fit`.

    Keras validates after each training epoch and then checkpoints; with this callback both
    see BatchNorm statistics of the weights as they are (module docstring), not the lagging
    moving averages. The batches come from a fresh iterator over `make_batches()` each time.

    Args:
      make_batches: returns an iterable of model-input dicts (the training split).
      max_batches: batches per recomputation.
    """

    def __init__(self, make_batches: Callable[[], Iterable[Mapping[str, tf.Tensor]]], max_batches: int):
        super().__init__()
        self.make_batches = make_batches
        self.max_batches = max_batches
        self.recomputed = 0  # how many times, for the log and the tests

    def on_test_begin(self, logs=None):
        recompute(self.model, self.make_batches(), self.max_batches)
        self.recomputed += 1


def evaluate_checkpoint(run_dir: run_dir_lib.RunDir, epoch: int) -> dict[str, Any]:
    """Scores a run's checkpoint on its validation clips after `recompute` on its training data.

    Args:
      run_dir: a run folder (config.yaml, labels.json, checkpoints/).
      epoch: 1-based epoch of the checkpoint.

    Returns:
      {"epoch": epoch, "batches": training batches used (one pass, augmented as in training),
       "val": head -> {"accuracy", "loss"}}.

    Raises:
      FileNotFoundError: no such checkpoint, config or labels.
    """
    path = run_dir.checkpoint_path(epoch)
    if not tf.io.gfile.exists(path):
        raise FileNotFoundError(f"{path}: no checkpoint of epoch {epoch}")
    config = loading.load_config(run_dir.config_path)
    model = networks.build_model(config, len(run_dir_lib.read_labels(run_dir)))
    model.load_weights(path)
    train = input_data.model_dataset(
        config, dataset_builder.TRAIN, list(model.input), list(model.output))
    used = recompute(model, (inputs for inputs, _, _ in train))
    metrics = evaluation.head_metrics(evaluation.predict_split(model, config))
    return {"epoch": epoch, "batches": used, "val": metrics}
