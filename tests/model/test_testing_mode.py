"""Testing mode: central branch == the full model's fused head; side heads alone."""

import keras
import numpy as np
import pytest

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import features
from mrpn_tf.model import fusion_component
from mrpn_tf.model import layer_names
from mrpn_tf.model import networks
from mrpn_tf.model import testing_mode


def all_layers(model):
    return list(model._flatten_layers(include_self=False, recursive=True))


@pytest.fixture(scope="module")
def n2_model():
    config = config_lib.tiny()
    config.model.network = "N2"
    return networks.build_model(config, num_classes=8)


@pytest.fixture
def inputs(clip_batch):
    return clip_batch(config_lib.tiny(), video_lengths=(3, 1, 2), audio_lengths=(2, 2, 1))


def test_central_branch_equals_the_fused_head(n2_model, inputs):
    pruned = testing_mode.inference_model(n2_model)
    assert list(pruned.output) == [features.VA]
    names = {layer.name for layer in pruned.layers}
    assert not any(name.endswith(layer_names.side_head("")) for name in names)
    assert not any(isinstance(layer, (keras.layers.Dropout, fusion_component.FusionComponent))
                   for layer in all_layers(pruned))
    assert layer_names.residual_perceptron("v") in names
    expected = n2_model(inputs, training=False)[features.VA]
    np.testing.assert_allclose(pruned(inputs, training=False)[features.VA], expected, atol=1e-5)
    np.testing.assert_allclose(pruned.predict(inputs, verbose=0)[features.VA], expected, atol=1e-5)


def test_pruned_models_share_the_trained_weights(n2_model):
    trained = {id(w) for w in n2_model.weights}
    pruned = testing_mode.inference_model(n2_model)
    assert {id(w) for w in pruned.weights} <= trained
    for model in testing_mode.side_head_models(n2_model).values():
        assert {id(w) for w in model.weights} <= trained


def test_side_head_models_score_one_modality(n2_model, inputs):
    models = testing_mode.side_head_models(n2_model)
    assert list(models) == [features.V, features.A]
    full = n2_model(inputs, training=False)
    video_only = models[features.V]
    assert set(video_only.input) == {features.VIDEO, features.VIDEO_MASK}
    for head, model in models.items():
        branch_inputs = {key: inputs[key] for key in model.input}
        np.testing.assert_allclose(model(branch_inputs, training=False)[head], full[head],
                                   atol=1e-5)


@pytest.mark.parametrize("network", ["N0", "AM"])
def test_other_networks_prune_too(tiny_config, clip_batch, network):
    tiny_config.model.network = network
    model = networks.build_model(tiny_config, num_classes=6)
    inputs = {k: v for k, v in clip_batch(tiny_config).items() if k in model.input}
    (key,) = networks.output_keys(network)
    pruned = testing_mode.inference_model(model)
    np.testing.assert_allclose(pruned(inputs)[key], model(inputs, training=False)[key], atol=1e-5)
    assert testing_mode.side_head_models(model) == {}


def test_pruning_a_loaded_model_and_saving_the_pruned_one(tiny_config, clip_batch, tmp_path):
    tiny_config.model.network = "N1"
    model = networks.build_model(tiny_config, num_classes=8)
    inputs = clip_batch(tiny_config)
    expected = model(inputs, training=False)[features.VA]
    model.save(tmp_path / "n1.keras")
    loaded = keras.saving.load_model(tmp_path / "n1.keras", safe_mode=True)
    pruned = testing_mode.inference_model(loaded)
    np.testing.assert_allclose(pruned(inputs)[features.VA], expected, atol=1e-5)
    pruned.save(tmp_path / "n1_inference.keras")
    reloaded = keras.saving.load_model(tmp_path / "n1_inference.keras", safe_mode=True)
    np.testing.assert_allclose(reloaded(inputs)[features.VA], expected, atol=1e-5)
