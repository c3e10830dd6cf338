"""Mixup of training batches: weights, what is mixed where, targets, eager == map, the pipeline."""

import numpy as np
import pytest
import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.config import validation
from mrpn_tf.data import datasets
from mrpn_tf.data import features
from mrpn_tf.data.pipeline import dataset_builder
from mrpn_tf.data.pipeline import mixup
from tests.data.pipeline import map_equivalence
from tests.data.pipeline import synthetic_records

SEED = tf.constant([5, 6], tf.int64)
CLASSES = 8


def batch():
    """4 clips of 3, 2, 1 and 3 audio segments and 2, 3, 3, 1 video frames."""
    rng = np.random.default_rng(0)
    audio_mask = np.array([[1, 1, 1], [1, 1, 0], [1, 0, 0], [1, 1, 1]], np.float32)
    video_mask = np.array([[1, 1, 0], [1, 1, 1], [1, 1, 1], [1, 0, 0]], np.float32)
    audio = rng.normal(-3.7, 2.2, [4, 3, 5, 7]).astype(np.float32) * audio_mask[:, :, None, None]
    video = rng.uniform(0, 1, [4, 3, 2, 2, 3]).astype(np.float32)
    video *= video_mask[:, :, None, None, None]
    inputs = {features.AUDIO: audio, features.AUDIO_MASK: audio_mask,
              features.VIDEO: video, features.VIDEO_MASK: video_mask}
    labels = np.array([0, 3, 3, 7], np.int32)
    targets = {head: labels for head in features.HEAD_KEYS}
    weights = {head: np.ones(4, np.float32) for head in features.HEAD_KEYS}
    return (tf.nest.map_structure(tf.constant, inputs), tf.nest.map_structure(tf.constant, targets),
            tf.nest.map_structure(tf.constant, weights))


def test_beta_weights_lie_in_0_1_follow_alpha_and_the_seed():
    wide = mixup.beta_weights(4000, 1.0, SEED).numpy()       # Beta(1, 1) = uniform
    assert wide.min() >= 0.0 and wide.max() <= 1.0
    assert abs(wide.mean() - 0.5) < 0.02 and abs(wide.std() - np.sqrt(1 / 12)) < 0.02
    small = mixup.beta_weights(4000, 0.2, SEED).numpy()      # mass near 0 and 1
    assert np.mean((small < 0.1) | (small > 0.9)) > 0.5
    np.testing.assert_array_equal(mixup.beta_weights(4000, 1.0, SEED).numpy(), wide)
    assert not np.array_equal(mixup.beta_weights(4000, 1.0, SEED + 1).numpy(), wide)


def test_each_clip_mixes_with_the_next_where_the_next_has_data_and_keeps_its_masks():
    inputs, targets, weights = batch()
    mixed, soft, kept = mixup.mix_batch(inputs, targets, weights, 0.4, CLASSES, SEED)
    labels = targets[features.A].numpy()
    distribution = soft[features.A].numpy()
    assert distribution.shape == (4, CLASSES) and distribution.dtype == np.float32
    np.testing.assert_allclose(distribution.sum(axis=1), 1.0, rtol=1e-6)
    for head in features.HEAD_KEYS:                          # every head gets the same targets
        np.testing.assert_array_equal(soft[head].numpy(), distribution)
        np.testing.assert_array_equal(kept[head].numpy(), weights[head].numpy())
    for stream, mask in ((features.AUDIO, features.AUDIO_MASK), (features.VIDEO, features.VIDEO_MASK)):
        np.testing.assert_array_equal(mixed[mask].numpy(), inputs[mask].numpy())
        own, out, real = inputs[stream].numpy(), mixed[stream].numpy(), inputs[mask].numpy()
        for row in range(4):
            partner = (row + 1) % 4
            lam = distribution[row, labels[row]] if labels[row] != labels[partner] else None
            for step in range(own.shape[1]):
                if not real[partner, step]:                  # partner padding: own data kept
                    np.testing.assert_array_equal(out[row, step], own[row, step])
                elif lam is not None:
                    np.testing.assert_allclose(
                        out[row, step], lam * own[row, step] + (1 - lam) * own[partner, step],
                        rtol=1e-5, atol=1e-5)
    # The weight of the input mix is the weight of the target mix: row 0 (label 0, partner 3).
    lam0 = distribution[0, 0]
    assert 0.0 < lam0 < 1.0 and np.isclose(distribution[0, 3], 1 - lam0)


def test_same_eagerly_and_inside_dataset_map():
    inputs, targets, weights = batch()
    map_equivalence.assert_same_eager_and_in_map(
        lambda i, t, w, s: mixup.mix_batch(i, t, w, 0.4, CLASSES, s),
        inputs, targets, weights, SEED, atol=1e-6)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> str:
    config = config_lib.tiny()
    clips = [synthetic_records.make_clip(f"c{i}", i % 8, 1 + i % 3, 1.0 + 0.1 * i, config, seed=i)
             for i in range(8)]
    folder = str(tmp_path_factory.mktemp("prepared"))
    return synthetic_records.write_prepared(folder, clips, config)


def pipeline_config(prepared: str, alpha: float) -> config_lib.Config:
    config = config_lib.tiny()
    config.data.prepared_dir = prepared
    config.data.shuffle_buffer = 8
    config.data.mixup_alpha = alpha
    config.train.batch_size = 4
    return config


def test_training_batches_carry_distributions_and_evaluation_labels(prepared):
    config = pipeline_config(prepared, 0.4)
    for inputs, targets, _ in dataset_builder.build_dataset(config, "train", actors=[1, 2, 3]):
        soft = targets[features.VA].numpy()
        assert soft.shape == (4, len(datasets.label_names(config.data.dataset)))
        np.testing.assert_allclose(soft.sum(axis=1), 1.0, rtol=1e-6)
        assert (soft.max(axis=1) < 1.0).any()                # some clips are mixes
    for _, targets, _ in dataset_builder.build_dataset(config, "val", actors=[1, 2, 3]):
        assert targets[features.VA].dtype == tf.int32 and targets[features.VA].shape.rank == 1
    off = pipeline_config(prepared, 0.0)
    for _, targets, _ in dataset_builder.build_dataset(off, "train", actors=[1, 2, 3]):
        assert targets[features.VA].dtype == tf.int32 and targets[features.VA].shape.rank == 1


def test_a_negative_alpha_is_refused():
    config = config_lib.tiny()
    config.data.mixup_alpha = -0.1
    with pytest.raises(config_lib.ConfigError, match="data.mixup_alpha=-0.1"):
        validation.validate(config)
