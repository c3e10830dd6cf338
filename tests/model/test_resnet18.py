"""F_m: ResNet-18 shapes and its parameter-count anchor."""

import numpy as np
import pytest

from mrpn_tf.model import resnet18


def trainable_count(model) -> int:
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def test_width_one_rgb_matches_torchvision_resnet18_without_fc():
    # torchvision resnet18: 11,689,512 parameters, of which the fc has 512 * 1000 + 1000.
    model = resnet18.resnet18((112, 112, 3), 1.0)
    assert trainable_count(model) == 11_689_512 - 513_000 == 11_176_512
    # BatchNorm moving mean and variance: 2 x 4,800 channels (64 stem + 2x64 + 4x128 +
    # 128 + 4x256 + 256 + 4x512 + 512, the last of each stage from its downsample).
    assert model.count_params() - trainable_count(model) == 2 * 4_800
    assert model.output.shape == (None, 512)


def test_spectrogram_segment_gets_a_channel_axis():
    model = resnet18.resnet18((256, 250), 0.125)
    # Only the stem conv differs from the RGB model: 7 x 7 x (3 - 1) x 8 fewer weights.
    rgb = resnet18.resnet18((256, 250, 3), 0.125)
    assert rgb.count_params() - model.count_params() == 7 * 7 * 2 * 8
    x = np.random.default_rng(0).random((2, 256, 250), dtype=np.float32)
    assert model(x, training=False).shape == (2, 64)


def test_width_multiplier_scales_the_stages():
    assert [resnet18.scaled_width(w, 0.125) for w in resnet18.BASE_WIDTHS] == [8, 16, 32, 64]
    assert resnet18.feature_dim(0.5) == 256


def test_weights_file_round_trip(tmp_path):
    source = resnet18.resnet18((32, 32, 3), 0.125, name="pretrained")
    path = str(tmp_path / "extractor.weights.h5")
    source.save_weights(path)
    target = resnet18.resnet18((32, 32, 3), 0.125, name="v_resnet18")
    resnet18.load_extractor_weights(target, path)
    for a, b in zip(source.weights, target.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_missing_weights_file_is_named():
    with pytest.raises(FileNotFoundError, match="nowhere.weights.h5"):
        resnet18.load_extractor_weights(resnet18.resnet18((32, 32, 3), 0.125), "nowhere.weights.h5")


def test_moving_statistics_settle_within_a_short_run():
    # Inference normalizes with the moving averages. After 30 training-mode batches (the demo
    # trains 12 per epoch) the stem's must have moved most of the way from their initial
    # (0, 1) to the data's statistics, or validation of a short run sees a shifted network.
    model = resnet18.resnet18((16, 16, 3), 0.125)
    x = 5.0 + np.random.default_rng(0).random((8, 16, 16, 3), dtype=np.float32)
    for _ in range(30):
        model(x, training=True)
    stem_conv = model.get_layer("resnet18_stem_conv")(x).numpy()
    batch_mean = stem_conv.mean(axis=(0, 1, 2))
    moving_mean = model.get_layer("resnet18_stem_bn").moving_mean.numpy()
    # 1 - 0.9**30 = 0.96 of the way at the torchvision momentum; Keras's 0.99 gets 0.26.
    np.testing.assert_allclose(moving_mean, batch_mean * (1 - resnet18.BN_MOMENTUM**30), rtol=1e-3)
    assert np.all(np.abs(moving_mean - batch_mean) <= 0.1 * np.abs(batch_mean))


@pytest.mark.parametrize("size", [12, 3, 7])
def test_subsampled_projection_is_the_strided_1x1_conv(size):
    """Subsample2D + 1x1 stride-1 conv == 1x1 stride-2 "same" conv with the same kernel.

    The reference is TF's own strided conv (forward pass, 16 input channels: not the oneDNN
    path that fails), on even and odd sizes.
    """
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, size, size, 16)).astype(np.float32)
    kernel = rng.standard_normal((1, 1, 16, 32)).astype(np.float32)
    expected = tf.nn.conv2d(x, kernel, strides=2, padding="SAME").numpy()
    subsampled = resnet18.Subsample2D(2)(x)
    assert tuple(subsampled.shape) == resnet18.Subsample2D(2).compute_output_shape(x.shape)
    got = tf.nn.conv2d(subsampled, kernel, strides=1, padding="SAME").numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_shortcuts_have_no_strided_1x1_conv():
    """Every projection shortcut subsamples first, so no strided 1x1 conv is left to train."""
    import keras

    model = resnet18.resnet18((48, 48, 3), width_multiplier=0.125)
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert sum(layer.name.endswith("downsample_conv") for layer in convs) == 3
    for layer in convs:
        assert not (layer.kernel_size == (1, 1) and layer.strides != (1, 1)), layer.name
    assert sum(isinstance(layer, resnet18.Subsample2D) for layer in model.layers) == 3


def _strided_shortcut_resnet18(frame_shape, width_multiplier, name):
    """The extractor as built before Subsample2D: 1x1 projection convs with stride 2."""
    import keras

    def conv_bn(x, filters, kernel, stride, prefix, relu):
        x = keras.layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False,
                                name=f"{prefix}_conv")(x)
        x = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=f"{prefix}_bn")(x)
        return keras.layers.ReLU(name=f"{prefix}_relu")(x) if relu else x

    inputs = keras.Input(frame_shape)
    x = conv_bn(inputs, resnet18.scaled_width(64, width_multiplier), 7, 2, f"{name}_stem", True)
    x = keras.layers.MaxPooling2D(3, strides=2, padding="same")(x)
    for stage, width in enumerate(resnet18.BASE_WIDTHS, start=1):
        filters = resnet18.scaled_width(width, width_multiplier)
        for block in (1, 2):
            stride, prefix = (2 if stage > 1 and block == 1 else 1), f"{name}_s{stage}b{block}"
            shortcut = x
            if stride != 1 or x.shape[-1] != filters:
                shortcut = conv_bn(x, filters, 1, stride, f"{prefix}_downsample", False)
            y = conv_bn(x, filters, 3, stride, f"{prefix}_1", True)
            y = conv_bn(y, filters, 3, 1, f"{prefix}_2", False)
            x = keras.layers.ReLU()(keras.layers.Add()([shortcut, y]))
    return keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(x), name=name)


def test_weights_of_a_strided_shortcut_build_load_unchanged(tmp_path):
    """A weights file of the build with strided 1x1 shortcuts (before Subsample2D) loads into
    today's build and gives the same features: the subsampling layer holds no weights.

    Width 0.25 (16 input channels at the first shortcut) keeps the reference's strided conv
    off the oneDNN path that fails.
    """
    old = _strided_shortcut_resnet18((48, 48, 3), 0.25, "v_resnet18")
    rng = np.random.default_rng(1)
    old.set_weights([rng.standard_normal(w.shape).astype(np.float32) * 0.1 + (w.ndim == 1)
                     for w in old.get_weights()])
    path = str(tmp_path / "old.weights.h5")
    old.save_weights(path)
    new = resnet18.resnet18((48, 48, 3), width_multiplier=0.25, name="v_resnet18")
    resnet18.load_extractor_weights(new, path)
    x = rng.random((2, 48, 48, 3), dtype=np.float32)
    np.testing.assert_allclose(new(x, training=False).numpy(), old(x, training=False).numpy(),
                               rtol=1e-4, atol=1e-5)
