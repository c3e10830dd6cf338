"""Eq. 5 losses: keys per network, weights from the config."""

import keras
import numpy as np
import pytest

from mrpn_tf.config import config as config_lib
from mrpn_tf.config import validation
from mrpn_tf.model import losses


@pytest.mark.parametrize(
    "network, keys",
    [("N0", ["va"]), ("N1", ["v", "a", "va"]), ("N2", ["v", "a", "va"]), ("AM", ["a"]),
     ("VM", ["v"])],
)
def test_loss_keys_follow_the_network(network, keys):
    model_config = config_lib.ModelConfig(network=network)
    loss, weights = losses.compile_losses(model_config)
    assert list(loss) == keys and list(weights) == keys
    assert all(w == 1.0 for w in weights.values())  # paper eq. 5: L = L_v + L_a + L_va


def test_weights_come_from_the_config():
    model_config = config_lib.ModelConfig(loss_weight_v=0.5, loss_weight_a=0.25,
                                          loss_weight_va=2.0)
    _, weights = losses.compile_losses(model_config)
    assert weights == {"v": 0.5, "a": 0.25, "va": 2.0}
    model_config.network = "N0"
    assert losses.compile_losses(model_config)[1] == {"va": 2.0}


def test_each_head_loss_is_cross_entropy_on_probabilities():
    loss, _ = losses.losses_for_outputs(["vat"])
    probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], np.float32)
    value = float(loss["vat"](np.array([0, 2]), probabilities))
    np.testing.assert_allclose(value, -np.mean(np.log([0.7, 0.8])), rtol=1e-5)


def test_mixup_loss_takes_labels_and_class_distributions():
    loss, _ = losses.losses_for_outputs(["a"], soft_targets=True)
    sparse, _ = losses.losses_for_outputs(["a"])
    probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], np.float32)
    labels = np.array([0, 2])
    expected = float(sparse["a"](labels, probabilities))
    np.testing.assert_allclose(float(loss["a"](labels, probabilities)), expected, rtol=1e-6)
    onehot = np.eye(3, dtype=np.float32)[labels]
    np.testing.assert_allclose(float(loss["a"](onehot, probabilities)), expected, rtol=1e-6)
    # A 0.3 / 0.7 mix of classes 0 and 1 in the first row: the mix of the two cross-entropies.
    mixed = np.array([[0.3, 0.7, 0.0], [0.0, 0.0, 1.0]], np.float32)
    want = np.mean([-(0.3 * np.log(0.7) + 0.7 * np.log(0.2)), -np.log(0.8)])
    np.testing.assert_allclose(float(loss["a"](mixed, probabilities)), want, rtol=1e-5)


def test_mixup_accuracy_scores_labels_and_the_largest_class_of_a_distribution():
    probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.5, 0.4, 0.1]], np.float32)
    metric = losses.accuracy_metric("accuracy", soft_targets=True)
    metric.update_state(np.array([0, 1, 1]), probabilities)
    assert float(metric.result()) == pytest.approx(1 / 3)
    metric.reset_state()
    distributions = np.array([[0.6, 0.4, 0.0], [0.0, 0.45, 0.55], [0.2, 0.8, 0.0]], np.float32)
    metric.update_state(distributions, probabilities)
    assert float(metric.result()) == pytest.approx(2 / 3)
    assert isinstance(losses.accuracy_metric("accuracy"), keras.metrics.SparseCategoricalAccuracy)


def test_label_smoothing_smooths_labels_and_distributions_and_is_saved():
    loss, _ = losses.losses_for_outputs(["a"], label_smoothing=0.1)
    probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], np.float32)
    labels = np.array([0, 2])
    smoothed = np.eye(3)[labels] * 0.9 + 0.1 / 3
    want = np.mean(-(smoothed * np.log(probabilities)).sum(axis=1))
    np.testing.assert_allclose(float(loss["a"](labels, probabilities)), want, rtol=1e-5)
    np.testing.assert_allclose(float(loss["a"](labels[:, None], probabilities)), want, rtol=1e-5)
    np.testing.assert_allclose(
        float(loss["a"](np.eye(3, dtype=np.float32)[labels], probabilities)), want, rtol=1e-5)
    again = losses.ClassCrossentropy.from_config(loss["a"].get_config())
    assert again.label_smoothing == 0.1 and again.name == "loss_a"
    plain, _ = losses.losses_for_outputs(["a"])
    assert isinstance(plain["a"], keras.losses.SparseCategoricalCrossentropy)


def test_label_smoothing_outside_0_1_is_refused():
    config = config_lib.tiny()
    config.train.label_smoothing = 1.0
    with pytest.raises(config_lib.ConfigError, match="train.label_smoothing=1.0"):
        validation.validate(config)
