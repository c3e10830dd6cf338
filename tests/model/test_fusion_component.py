"""Eqs. 2-4: Scoring and FusionComponent against numpy, in inference mode."""

import numpy as np

from mrpn_tf.model import fusion_component
from mrpn_tf.model import scoring


def numpy_batch_norm(norm, x):
    mean, var = norm.moving_mean.numpy(), norm.moving_variance.numpy()
    return norm.gamma.numpy() * (x - mean) / np.sqrt(var + norm.epsilon) + norm.beta.numpy()


def randomize_norm(norm, rng):
    size = norm.gamma.shape[0]
    norm.gamma.assign(rng.uniform(0.5, 2.0, size))
    norm.beta.assign(rng.normal(size=size))
    norm.moving_mean.assign(rng.normal(size=size))
    norm.moving_variance.assign(rng.uniform(0.5, 2.0, size))


def numpy_scoring(layer, x):
    w1, b1 = (w.numpy() for w in layer.hidden.weights)
    w2, b2 = (w.numpy() for w in layer.scores.weights)
    hidden = numpy_batch_norm(layer.feature_norm, np.maximum(x @ w1 + b1, 0.0))
    return hidden @ w2 + b2


def test_scoring_is_dense_relu_featurenorm_dense():
    rng = np.random.default_rng(0)
    layer = scoring.Scoring(hidden_units=5, num_classes=3)
    x = rng.normal(size=(4, 6)).astype(np.float32)
    layer(x)
    randomize_norm(layer.feature_norm, rng)
    np.testing.assert_allclose(layer(x, training=False), numpy_scoring(layer, x), atol=1e-5)


def test_fusion_is_concatenate_featurenorm_scoring_for_any_number_of_inputs():
    rng = np.random.default_rng(1)
    layer = fusion_component.FusionComponent(hidden_units=5, num_classes=3, dropout=0.5)
    inputs = [rng.normal(size=(4, d)).astype(np.float32) for d in (2, 3, 4)]
    assert layer(inputs).shape == (4, 3)
    randomize_norm(layer.feature_norm, rng)
    randomize_norm(layer.scoring.feature_norm, rng)
    fused = numpy_batch_norm(layer.feature_norm, np.concatenate(inputs, axis=1))
    np.testing.assert_allclose(layer.fused_features(inputs, training=False), fused, atol=1e-5)
    np.testing.assert_allclose(layer(inputs, training=False), numpy_scoring(layer.scoring, fused),
                               atol=1e-5)


def test_probabilities_layer_is_a_float32_softmax_named_after_the_head():
    layer = scoring.probabilities("va")
    p = layer(np.array([[1.0, 2.0, 3.0]], np.float32)).numpy()
    assert layer.name == "va" and p.dtype == np.float32
    np.testing.assert_allclose(p[0], np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum(),
                               rtol=1e-6)
