"""Deep features f_v, f_a and the fused g_va for the t-SNE plots."""

import keras
import numpy as np

from mrpn_tf.model import deep_features
from mrpn_tf.model import layer_names
from mrpn_tf.model import networks


def test_features_of_n2(tiny_config, clip_batch):
    model = networks.build_model(tiny_config, num_classes=8)
    inputs = clip_batch(tiny_config)
    extractor = deep_features.feature_model(model)
    out = extractor(inputs, training=False)
    units = tiny_config.model.aggregator_units
    assert {key: tuple(v.shape) for key, v in out.items()} == {
        "f_v": (2, units), "f_a": (2, units), deep_features.FUSED: (2, 2 * units)
    }
    # g_va = FeatureNorm(Concatenate(f'_v, f'_a)) (eq. 3) from the RP outputs, in numpy.
    rp_outputs = keras.Model(
        model.input,
        [model.get_layer(layer_names.residual_perceptron(h)).output for h in ("v", "a")],
    )(inputs, training=False)
    norm = model.get_layer(layer_names.FUSION).feature_norm
    concat = np.concatenate([t.numpy() for t in rp_outputs], axis=1)
    fused = norm.gamma.numpy() * (concat - norm.moving_mean.numpy()) / np.sqrt(
        norm.moving_variance.numpy() + norm.epsilon
    ) + norm.beta.numpy()
    np.testing.assert_allclose(out[deep_features.FUSED], fused, atol=1e-5)


def test_single_modality_model_has_no_fused_features(tiny_config):
    tiny_config.model.network = "VM"
    model = networks.build_model(tiny_config, num_classes=8)
    assert list(deep_features.feature_model(model).output) == ["f_v"]
