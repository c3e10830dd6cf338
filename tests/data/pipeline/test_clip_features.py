"""Per-clip preprocessing: shapes, train / eval consistency, eager == Dataset.map."""

import copy

import numpy as np
import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import features
from mrpn_tf.data.pipeline import clip_features
from mrpn_tf.data.pipeline import frequency_warp
from tests.data.pipeline import map_equivalence
from tests.data.pipeline import synthetic_records

CONFIG = config_lib.tiny()


def parsed(label: int = 3) -> dict:
    clip = synthetic_records.make_clip("c", label, 1, 2.6, CONFIG, audio_s=2.9)
    return synthetic_records.record_dict(clip)


def test_example_shapes_dtypes_and_targets():
    inputs, targets, weights = clip_features.clip_example(parsed(), tf.constant([1, 1]), CONFIG, False)
    frames = round(2.6 * CONFIG.video.fps)
    assert inputs[features.VIDEO].shape == (frames, 48, 48, 3)
    assert inputs[features.VIDEO_MASK].shape == (frames,)
    assert inputs[features.AUDIO].shape == (1 + 10, 256, 250)  # 2.9 s -> 1 + ceil(1.9 / 0.2)
    assert inputs[features.AUDIO_MASK].shape == (11,)
    assert all(v.dtype == tf.float32 for v in inputs.values())
    assert set(targets) == set(weights) == set(features.HEAD_KEYS)
    assert all(t.dtype == tf.int32 and int(t) == 3 for t in targets.values())
    assert all(float(w) == 1.0 for w in weights.values())
    video = inputs[features.VIDEO].numpy()
    assert video.min() >= 0.0 and video.max() <= 1.0


def test_training_without_augmentation_equals_evaluation():
    off = copy.deepcopy(CONFIG)
    off.data.time_augment = False
    off.video.flip = False
    for name in ("rotation_deg", "zoom", "translation", "brightness", "contrast"):
        setattr(off.video, name, 0.0)
    clip, seed = parsed(), tf.constant([4, 2])
    train, _, _ = clip_features.clip_example(clip, seed, off, training=True)
    evaluation, _, _ = clip_features.clip_example(clip, seed, CONFIG, training=False)
    for key in features.INPUT_KEYS:
        np.testing.assert_allclose(train[key].numpy(), evaluation[key].numpy(), atol=1e-5)


def test_training_example_is_a_slice_of_the_clip():
    clip = parsed()
    full, _, _ = clip_features.clip_example(clip, tf.constant([0, 0]), CONFIG, training=False)
    lengths = set()
    for s in range(6):
        train, _, _ = clip_features.clip_example(clip, tf.constant([s, 1]), CONFIG, training=True)
        video_len = train[features.VIDEO].shape[0]
        segments = train[features.AUDIO].shape[0]
        assert CONFIG.video.fps <= video_len <= full[features.VIDEO].shape[0]
        assert 1 <= segments <= full[features.AUDIO].shape[0]
        lengths.add((video_len, segments))
    assert len(lengths) > 1


def test_same_eagerly_and_in_dataset_map():
    for training in (False, True):
        map_equivalence.assert_same_eager_and_in_map(
            lambda c, s: clip_features.clip_example(c, s, CONFIG, training),
            parsed(),
            tf.constant([9, 8], tf.int64),
            atol=1e-5,
        )


def test_frequency_warp_reaches_training_examples_only():
    plain = copy.deepcopy(CONFIG)
    plain.data.time_augment = False
    warped = copy.deepcopy(plain)
    warped.audio.freq_warp = 0.2
    clip, seed = parsed(), tf.constant([4, 2], tf.int64)
    train_plain, _, _ = clip_features.clip_example(clip, seed, plain, training=True)
    train_warped, _, _ = clip_features.clip_example(clip, seed, warped, training=True)
    evaluation, _, _ = clip_features.clip_example(clip, seed, warped, training=False)
    expected = frequency_warp.random_warp(
        train_plain[features.AUDIO], tf.random.experimental.stateless_fold_in(seed, 2), warped.audio)
    np.testing.assert_allclose(train_warped[features.AUDIO].numpy(), expected.numpy(), atol=1e-5)
    assert not np.allclose(train_warped[features.AUDIO].numpy(), train_plain[features.AUDIO].numpy())
    # The video draws stay what they were, and evaluation never warps.
    np.testing.assert_array_equal(train_warped[features.VIDEO].numpy(), train_plain[features.VIDEO].numpy())
    evaluation_plain, _, _ = clip_features.clip_example(clip, seed, plain, training=False)
    np.testing.assert_array_equal(evaluation[features.AUDIO].numpy(),
                                  evaluation_plain[features.AUDIO].numpy())


def test_grayscale_reads_a_colour_frame_as_its_luma_in_every_channel():
    """video.grayscale: a face branch trained on grey faces sees colour video in grey."""
    config = config_lib.tiny()
    rng = np.random.default_rng(0)
    frames = rng.uniform(size=(3, 8, 8, 3)).astype(np.float32)
    waveform = np.zeros([16000], np.float32)
    colour = clip_features.clip_features(frames, waveform, config)[features.VIDEO].numpy()
    np.testing.assert_array_equal(colour, frames)  # off (the paper's): untouched
    config.video.grayscale = True
    grey = clip_features.clip_features(frames, waveform, config)[features.VIDEO].numpy()
    luma = frames @ np.array([0.2989, 0.587, 0.114], np.float32)
    for channel in range(3):
        np.testing.assert_allclose(grey[..., channel], luma, atol=1e-3)
    # A grey frame (a FER face) is left as it is.
    flat = np.repeat(frames[..., :1], 3, axis=-1)
    np.testing.assert_allclose(
        clip_features.clip_features(flat, waveform, config)[features.VIDEO].numpy(), flat, atol=1e-3)
