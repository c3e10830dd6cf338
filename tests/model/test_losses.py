"""Eq. 5 losses: keys per network, weights from the config."""

import numpy as np
import pytest

from mrpn_tf.config import config as config_lib
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
