"""The search objective: validation accuracy of the fusion head `va` on held-out actors.

The trainer compiles a weighted `accuracy` per head, so Keras logs `val_va_accuracy` each
epoch; weighted, because evaluation batches are padded with weight-0 clips, which must not
count. The validation actors are the fold's held-out actors (actor-disjoint, paper 4.1).

A trial's value is KerasTuner's convention for a fitted model, the best epoch's value. Over
several folds, the epochs are first averaged across the folds (every fold trained the same
number of epochs with the same settings), then the best epoch of that mean is taken: one
epoch count that is good on every fold, not each fold's luckiest epoch.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

from mrpn_tf.data import features
from mrpn_tf.training import history
from mrpn_tf.training import task

OBJECTIVE = f"val_{features.VA}_{task.ACCURACY}"
DIRECTION = "max"
# Reported beside the objective: the validation loss the trainer picks its best epoch by.
VAL_LOSS = history.SELECTION_METRIC

Row = Mapping[str, float]


def mean_over_folds(curves: Sequence[Sequence[Row]]) -> list[dict[str, float]]:
    """Per epoch, the mean over folds of the objective and the validation loss.

    Args:
      curves: per fold, its history rows in epoch order (`history.read_history`).

    Returns:
      One row per epoch that every fold reached (a fold stopped early ends the curve).
    """
    epochs = min(len(curve) for curve in curves)
    return [
        {name: sum(curve[e][name] for curve in curves) / len(curves) for name in (OBJECTIVE, VAL_LOSS)}
        for e in range(epochs)
    ]


def best_epoch_metrics(curves: Sequence[Sequence[Row]]) -> dict[str, float]:
    """The trial's metrics for KerasTuner: the best epoch of the fold mean (module docstring).

    Args:
      curves: per fold, its history rows in epoch order.

    Returns:
      {OBJECTIVE: value, VAL_LOSS: value at that epoch, "epoch": that epoch, 1-based}.

    Raises:
      ValueError: no epoch has a finite objective (training diverged or never validated).
    """
    mean = mean_over_folds(curves)
    scored = [(row[OBJECTIVE], -e, row) for e, row in enumerate(mean) if math.isfinite(row[OBJECTIVE])]
    if not scored:
        raise ValueError(f"no epoch has a finite {OBJECTIVE}")
    value, negative_epoch, row = max(scored, key=lambda item: item[:2])  # ties: the earliest epoch
    return {OBJECTIVE: value, VAL_LOSS: row[VAL_LOSS], "epoch": float(1 - negative_epoch)}
