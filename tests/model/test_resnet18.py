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
