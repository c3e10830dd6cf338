"""N0 / N1 / N2 / AM / VM: layer inventory, outputs, gradient routing, padding, save / load."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import features
from mrpn_tf.model import branch as branch_lib
from mrpn_tf.model import fusion_component
from mrpn_tf.model import layer_names
from mrpn_tf.model import losses
from mrpn_tf.model import networks
from mrpn_tf.model import residual_perceptron
from mrpn_tf.model import resnet18
from mrpn_tf.model import scoring

# Default config (width 1.0, LSTM 256, scoring 256), N2, 8 classes (RAVDESS). Each FeatureNorm /
# BatchNorm counts 4 weights per channel (gamma, beta and the 2 moving statistics).
#   v_extractor  ResNet-18 on 112x112x3: 11,176,512 + 9,600 BN statistics   = 11,186,112
#   a_extractor  ResNet-18 on 256x250x1: stem 7*7*1*64 instead of 7*7*3*64  = 11,179,840
#   2 x LSTM 512 -> 256: 4 * (512*256 + 256*256 + 256) = 787,456          =  1,574,912
#   2 x FeatureNorm(256): 4 * 256                                          =      2,048
#   2 x ResPerceptron: Dense 256*256 + 256 + FeatureNorm 4 * 256 = 66,816  =    133,632
#   2 x side head Dense 256*8 + 8 = 2,056                                  =      4,112
#   FusionComponent: FeatureNorm 4*512 + Scoring (512*256 + 256 + 4*256 + 256*8 + 8)
#                    = 2,048 + 134,408                                     =    136,456
# Total 24,217,112 = 24,194,328 trainable + 22,784 BatchNorm moving statistics.
DEFAULT_N2_PARAMS = 24_217_112
# N1 = N2 without the two RPs (24,083,480); N0 = N1 without the two side heads (24,079,368).


def inventory(model):
    def count(kind=None, suffix=None):
        return sum(
            1 for layer in model.layers
            if (kind is None or isinstance(layer, kind))
            and (suffix is None or layer.name.endswith(suffix))
        )

    return {
        "rp": count(residual_perceptron.ResidualPerceptron),
        "side_heads": count(keras.layers.Dense, layer_names.side_head("")),
        "fusion": count(fusion_component.FusionComponent),
        "scoring": count(scoring.Scoring),
        "extractors": count(suffix=layer_names.extractor("")),
    }


@pytest.mark.parametrize(
    "network, expected",
    [
        ("N0", dict(rp=0, side_heads=0, fusion=1, scoring=0, extractors=2)),
        ("N1", dict(rp=0, side_heads=2, fusion=1, scoring=0, extractors=2)),
        ("N2", dict(rp=2, side_heads=2, fusion=1, scoring=0, extractors=2)),
        ("AM", dict(rp=0, side_heads=0, fusion=0, scoring=1, extractors=1)),
        ("VM", dict(rp=0, side_heads=0, fusion=0, scoring=1, extractors=1)),
    ],
)
def test_layer_inventory_and_outputs(tiny_config, clip_batch, network, expected):
    tiny_config.model.network = network
    model = networks.build_model(tiny_config, num_classes=6)
    assert inventory(model) == expected
    keys = networks.output_keys(network)
    assert list(model.output) == list(keys)
    inputs = {k: v for k, v in clip_batch(tiny_config).items() if k in model.input}
    outputs = model(inputs, training=False)
    for key in keys:
        assert outputs[key].shape == (2, 6) and outputs[key].dtype == tf.float32
        np.testing.assert_allclose(np.sum(outputs[key], axis=-1), 1.0, rtol=1e-5)


def test_golden_parameter_count_of_the_default_config():
    model = networks.build_model(config_lib.Config(), num_classes=8)
    assert model.count_params() == DEFAULT_N2_PARAMS
    components = {layer.name: layer.count_params() for layer in model.layers}
    assert components["v_extractor"] == 11_186_112
    assert components["a_extractor"] == 11_179_840
    assert components["fusion"] == 136_456


def test_n2_gradient_routing(tiny_config, clip_batch):
    tiny_config.model.network = "N2"
    model = networks.build_model(tiny_config, num_classes=8)
    inputs = clip_batch(tiny_config)
    labels = np.array([1, 5])
    cross_entropy = keras.losses.SparseCategoricalCrossentropy()
    with tf.GradientTape(persistent=True) as tape:
        outputs = model(inputs, training=True)
        head_losses = {key: cross_entropy(labels, outputs[key]) for key in outputs}

    def reaches(head, layer_name):
        grads = tape.gradient(head_losses[head], model.get_layer(layer_name).trainable_weights)
        return any(g is not None and float(tf.reduce_max(tf.abs(g))) > 0 for g in grads)

    v_cnn, a_cnn = layer_names.extractor("v"), layer_names.extractor("a")
    assert reaches(features.V, v_cnn) and not reaches(features.V, a_cnn)
    assert reaches(features.A, a_cnn) and not reaches(features.A, v_cnn)
    assert reaches(features.VA, v_cnn) and reaches(features.VA, a_cnn)
    # Eq. 9: the side heads read f-hat, so the RP learns from L_va only.
    rp_v = layer_names.residual_perceptron("v")
    assert not reaches(features.V, rp_v) and reaches(features.VA, rp_v)
    assert not reaches(features.VA, layer_names.side_head("v"))


@pytest.mark.parametrize("aggregator", ["lstm", "transformer"])
def test_padding_does_not_change_outputs(tiny_config, clip_batch, aggregator):
    tiny_config.model.aggregator = aggregator
    model = networks.build_model(tiny_config, num_classes=8)
    tight = model(clip_batch(tiny_config, video_lengths=(2, 3), audio_lengths=(1, 2)),
                  training=False)
    # More padding (of garbage), plus a clip that is all padding, as in the pipeline's last
    # evaluation batch: the real clips' outputs do not move, the empty clip's are finite.
    padded = model(clip_batch(tiny_config, video_lengths=(2, 3, 0), audio_lengths=(1, 2, 0),
                              video_steps=5, audio_steps=4, pad_value=0.5), training=False)
    for key in tight:
        np.testing.assert_allclose(padded[key][:2], tight[key], atol=1e-5)
        assert np.all(np.isfinite(padded[key][2]))


def test_padding_stays_out_of_training_statistics(tiny_config, clip_batch):
    tiny_config.model.dropout = 0.0  # deterministic training-mode outputs
    model = networks.build_model(tiny_config, num_classes=8)
    initial = model.get_weights()

    def train_step_state(**steps):
        model.set_weights(initial)
        outputs = model(clip_batch(tiny_config, **steps), training=True)
        return outputs, [w.numpy() for w in model.non_trainable_weights]

    tight_out, tight_stats = train_step_state()
    padded_out, padded_stats = train_step_state(video_steps=6, audio_steps=5)
    for key in tight_out:
        np.testing.assert_allclose(padded_out[key], tight_out[key], atol=1e-5)
    for padded, tight in zip(padded_stats, tight_stats):
        np.testing.assert_allclose(padded, tight, atol=1e-5)


def test_static_unrolled_model_equals_the_dynamic_one(tiny_config, clip_batch):
    dynamic = networks.build_model(tiny_config, num_classes=8)
    static = networks.build_model(tiny_config, num_classes=8, video_steps=4, audio_steps=3,
                                  unroll=True, gather_valid=False)
    static.set_weights(dynamic.get_weights())
    inputs = clip_batch(tiny_config, video_steps=4, audio_steps=3)
    assert static.input[features.VIDEO].shape[1] == 4
    expected = dynamic(inputs, training=False)
    for key, value in static(inputs, training=False).items():
        np.testing.assert_allclose(value, expected[key], atol=1e-5)


# Between them, these two hold every custom layer of the package.
@pytest.mark.parametrize("network, aggregator", [("N2", "lstm"), ("N0", "transformer")])
def test_keras_save_and_safe_load_give_identical_outputs(
    tiny_config, clip_batch, tmp_path, network, aggregator
):
    tiny_config.model.network, tiny_config.model.aggregator = network, aggregator
    model = networks.build_model(tiny_config, num_classes=8)
    inputs = {k: v for k, v in clip_batch(tiny_config).items() if k in model.input}
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    expected = model(inputs, training=False)
    for key, value in loaded(inputs, training=False).items():
        np.testing.assert_array_equal(value, expected[key])


def _batch_norms(layer):
    if isinstance(layer, keras.layers.BatchNormalization):
        yield layer
    for child in getattr(layer, "_layers", None) or getattr(layer, "layers", []):
        yield from _batch_norms(child)
    for attribute in vars(layer).values():
        if isinstance(attribute, keras.layers.Layer) and attribute is not layer:
            yield from _batch_norms(attribute)


def test_every_batch_norm_uses_the_torchvision_momentum_after_a_save(tiny_config, tmp_path):
    path = str(tmp_path / "model.keras")
    networks.build_model(tiny_config, num_classes=8).save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    norms = {id(n): n for n in _batch_norms(loaded)}.values()
    feature_norms = [n for n in norms if isinstance(n, networks.feature_norm.FeatureNorm)]
    # Extractor BatchNorms (2 x 20) and the FeatureNorms of eqs. 2-9 all present ...
    assert len(norms) - len(feature_norms) == 40 and len(feature_norms) >= 5
    # ... and none with Keras's 0.99, which a short run would validate on unsettled averages.
    assert {n.momentum for n in norms} == {resnet18.BN_MOMENTUM}


def test_extractor_weights_are_loaded_from_the_config(tiny_config, tmp_path):
    pretrained = resnet18.resnet18((48, 48, 3), tiny_config.model.width_multiplier)
    path = str(tmp_path / "faces.weights.h5")
    pretrained.save_weights(path)
    tiny_config.model.video_extractor_weights = path
    model = networks.build_model(tiny_config, num_classes=8)
    cnn = model.get_layer(layer_names.extractor("v")).layer
    assert cnn.name == layer_names.resnet("v")
    for a, b in zip(pretrained.weights, cnn.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_video_extractor_of_its_own_width_takes_a_wider_face_model(tiny_config, tmp_path):
    """The shipped face extractor is 0.5 wide; the tiny audio side stays 0.125 wide."""
    pretrained = resnet18.resnet18((32, 32, 3), 0.25)  # any crop size: the weights are conv / BN
    path = str(tmp_path / "faces.weights.h5")
    pretrained.save_weights(path)
    tiny_config.model.video_width_multiplier = 0.25
    tiny_config.model.video_extractor_weights = path
    model = networks.build_model(tiny_config, num_classes=8)
    video_cnn = model.get_layer(layer_names.extractor("v")).layer
    audio_cnn = model.get_layer(layer_names.extractor("a")).layer
    assert video_cnn.output.shape[-1] == resnet18.feature_dim(0.25)
    assert audio_cnn.output.shape[-1] == resnet18.feature_dim(tiny_config.model.width_multiplier)
    for a, b in zip(pretrained.weights, video_cnn.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_three_modality_mrpn_trains_one_step(tiny_config, clip_batch):
    config = tiny_config
    # Small frames keep the eager step quick; the wiring is that of any three modalities.
    branches = {
        "v": branch_lib.Branch(features.VIDEO, features.VIDEO_MASK, (24, 24, 3)),
        "a": branch_lib.Branch(features.AUDIO, features.AUDIO_MASK, (32, 25)),
        "d": branch_lib.Branch("depth", "depth_mask", (16, 16, 1)),
    }
    model = networks.build_network(branches, "N2", num_classes=4, model_config=config.model)
    assert list(model.output) == ["v", "a", "d", "vad"]
    assert inventory(model)["rp"] == 3 and inventory(model)["side_heads"] == 3
    rng = np.random.default_rng(0)
    inputs = clip_batch(config)
    inputs[features.VIDEO] = rng.random((2, 3, 24, 24, 3), dtype=np.float32)
    inputs[features.AUDIO] = rng.random((2, 2, 32, 25), dtype=np.float32)
    inputs["depth"] = rng.random((2, 4, 16, 16, 1), dtype=np.float32)
    inputs["depth_mask"] = np.array([[1, 1, 1, 1], [1, 1, 0, 0]], np.float32)
    loss, loss_weights = losses.losses_for_outputs(model.output, {"vad": 2.0})
    # Eager: tracing the graph train step of two ResNet-18s takes ~30 s on 2 cores (the slow
    # test below does it); the eager step runs the same train_step code.
    model.compile(keras.optimizers.Adam(1e-2), loss=loss, loss_weights=loss_weights,
                  run_eagerly=True)
    before = [w.numpy() for w in model.trainable_weights]
    labels = np.array([0, 3])
    logs = model.train_on_batch(inputs, {key: labels for key in model.output}, return_dict=True)
    assert np.isfinite(logs["loss"])
    changed = {w.path.split("_")[0] for w, b in zip(model.trainable_weights, before)
               if not np.array_equal(w.numpy(), b)}
    assert changed == {"v", "a", "d", "fusion/fusion"}
    assert len({w.path for w in model.weights}) == len(model.weights)  # unique paths


def test_fusion_networks_need_two_branches(tiny_config):
    with pytest.raises(ValueError, match="fuses modalities"):
        networks.build_network({"v": branch_lib.video_branch(tiny_config)}, "N2", 8,
                               tiny_config.model)


@pytest.mark.slow
def test_graph_mode_fit_of_the_tiny_mrpn(tiny_config, clip_batch):
    model = networks.build_model(tiny_config, num_classes=8)
    loss, loss_weights = losses.compile_losses(tiny_config.model)
    model.compile(keras.optimizers.AdamW(1e-3), loss=loss, loss_weights=loss_weights)
    inputs = clip_batch(tiny_config)
    history = model.fit(inputs, {key: np.array([2, 7]) for key in model.output}, epochs=2,
                        verbose=0)
    assert model.jit_compile is False  # the gathering extractor opts out of XLA
    assert np.all(np.isfinite(history.history["loss"]))
