"""Eq. 6 against numpy: f' = f-hat + FeatureNorm(Sigmoid(Dense(f-hat)))."""

import numpy as np
import pytest

from mrpn_tf.model import residual_perceptron


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


@pytest.fixture
def rp_and_input():
    rng = np.random.default_rng(0)
    layer = residual_perceptron.ResidualPerceptron(6)
    f_hat = rng.normal(size=(5, 6)).astype(np.float32)
    layer(f_hat)
    # Non-trivial BatchNorm state, so that the test sees every term of the formula.
    norm = layer.feature_norm
    norm.gamma.assign(rng.uniform(0.5, 2.0, 6))
    norm.beta.assign(rng.normal(size=6))
    norm.moving_mean.assign(rng.uniform(0.2, 0.8, 6))
    norm.moving_variance.assign(rng.uniform(0.05, 0.3, 6))
    return layer, f_hat


def numpy_rp(layer, f_hat, training):
    kernel, bias = (w.numpy() for w in layer.dense.weights)
    y = sigmoid(f_hat @ kernel + bias)
    norm = layer.feature_norm
    if training:
        mean, var = y.mean(axis=0), y.var(axis=0)
    else:
        mean, var = norm.moving_mean.numpy(), norm.moving_variance.numpy()
    y_norm = norm.gamma.numpy() * (y - mean) / np.sqrt(var + norm.epsilon) + norm.beta.numpy()
    return f_hat + y_norm


@pytest.mark.parametrize("training", [False, True])
def test_rp_formula(rp_and_input, training):
    layer, f_hat = rp_and_input
    expected = numpy_rp(layer, f_hat, training)
    np.testing.assert_allclose(layer(f_hat, training=training), expected, rtol=1e-4, atol=1e-4)


def test_size_must_match_for_the_residual_sum():
    with pytest.raises(ValueError, match="residual sum"):
        residual_perceptron.ResidualPerceptron(4)(np.zeros((2, 6), np.float32))
