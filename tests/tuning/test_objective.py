"""Objective: val_va_accuracy as the trainer logs it; best epoch of the mean over folds."""

import math

import pytest

from mrpn_tf.tuning import objective


def rows(accuracies, losses):
    return [{"epoch": float(e), objective.OBJECTIVE: a, objective.VAL_LOSS: l}
            for e, (a, l) in enumerate(zip(accuracies, losses))]


def test_objective_is_the_fusion_heads_weighted_validation_accuracy():
    # Keras's log name of the trainer's per-head `accuracy` metric on the `va` head.
    assert (objective.OBJECTIVE, objective.DIRECTION) == ("val_va_accuracy", "max")


def test_one_fold_takes_its_best_epoch():
    metrics = objective.best_epoch_metrics([rows([0.2, 0.6, 0.4], [2.0, 1.5, 1.4])])
    assert metrics == {objective.OBJECTIVE: 0.6, objective.VAL_LOSS: 1.5, "epoch": 2.0}


def test_folds_are_averaged_per_epoch_before_the_best_epoch_is_taken():
    # Fold A peaks at epoch 1, fold B at epoch 3; the mean is best at epoch 2.
    a = rows([0.9, 0.6, 0.1], [1.0, 1.2, 1.4])
    b = rows([0.1, 0.6, 0.8], [2.0, 1.8, 1.6])
    metrics = objective.best_epoch_metrics([a, b])
    assert metrics["epoch"] == 2.0
    assert metrics[objective.OBJECTIVE] == pytest.approx(0.6)
    assert metrics[objective.VAL_LOSS] == pytest.approx(1.5)


def test_a_fold_stopped_early_ends_the_mean_curve_and_ties_go_to_the_earliest_epoch():
    curve = objective.mean_over_folds([rows([0.5, 0.5, 0.9], [1, 1, 1]), rows([0.5, 0.5], [1, 1])])
    assert len(curve) == 2
    assert objective.best_epoch_metrics([rows([0.5, 0.5], [1, 1])])["epoch"] == 1.0


def test_no_finite_objective_is_an_error():
    with pytest.raises(ValueError, match="no epoch has a finite val_va_accuracy"):
        objective.best_epoch_metrics([rows([math.nan], [math.nan])])
