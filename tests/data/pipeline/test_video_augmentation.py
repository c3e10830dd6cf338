"""Spatial augmentation: one parameter set per clip, applied identically to every frame."""

import dataclasses

import numpy as np
import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.data.pipeline import video_augmentation
from mrpn_tf.data.pipeline import video_frames
from tests.data.pipeline import map_equivalence
from tests.data.pipeline import synthetic_records

VIDEO = config_lib.VideoConfig()
SIZE = 48


def frames(num_frames: int = 6, seed: int = 0) -> tf.Tensor:
    jpegs = synthetic_records.synthetic_frames(num_frames, SIZE, seed)
    return video_frames.to_unit_float(video_frames.decode_frames(tf.constant(jpegs), SIZE))


def test_identical_frames_stay_identical():
    # Per-frame parameters (paper Fig. 9, bottom row) would make copies of a frame differ.
    copies = tf.tile(frames(1), [8, 1, 1, 1])
    for seed in range(5):
        out = video_augmentation.random_augment_clip(copies, tf.constant([seed, 1]), VIDEO).numpy()
        assert np.abs(out - out[:1]).max() < 1e-6


def test_each_frame_gets_the_transform_it_would_get_alone():
    clip, seed = frames(5), tf.constant([11, 3])
    whole = video_augmentation.random_augment_clip(clip, seed, VIDEO).numpy()
    for i in range(5):
        alone = video_augmentation.random_augment_clip(clip[i : i + 1], seed, VIDEO).numpy()
        np.testing.assert_allclose(whole[i], alone[0], atol=1e-5)


def test_augmentation_changes_the_clip_and_stays_in_range():
    clip = frames(3)
    outs = [video_augmentation.random_augment_clip(clip, tf.constant([s, 0]), VIDEO) for s in range(4)]
    for out in outs:
        assert out.shape == clip.shape and out.dtype == tf.float32
        assert float(tf.reduce_min(out)) >= 0.0 and float(tf.reduce_max(out)) <= 1.0
        assert float(tf.reduce_mean(tf.abs(out - clip))) > 1e-3
    assert float(tf.reduce_mean(tf.abs(outs[0] - outs[1]))) > 1e-3  # new seed, new parameters


def test_zero_ranges_are_the_identity():
    off = dataclasses.replace(
        VIDEO, flip=False, rotation_deg=0.0, zoom=0.0, translation=0.0, brightness=0.0, contrast=0.0
    )
    clip = frames(3)
    out = video_augmentation.random_augment_clip(clip, tf.constant([5, 5]), off)
    np.testing.assert_allclose(out.numpy(), clip.numpy(), atol=1e-5)


def test_flip_alone_mirrors_the_width():
    params = {
        video_augmentation.FLIP: tf.constant(True),
        video_augmentation.ANGLE: tf.constant(0.0),
        video_augmentation.ZOOM: tf.constant(1.0),
        video_augmentation.SHIFT_X: tf.constant(0.0),
        video_augmentation.SHIFT_Y: tf.constant(0.0),
        video_augmentation.BRIGHTNESS: tf.constant(0.0),
        video_augmentation.CONTRAST: tf.constant(1.0),
    }
    clip = frames(2)
    out = video_augmentation.augment_clip(clip, params)
    np.testing.assert_allclose(out.numpy(), tf.reverse(clip, [2]).numpy(), atol=1e-5)


def test_parameters_stay_in_their_ranges():
    for s in range(50):
        p = {k: float(v) for k, v in video_augmentation.sample_params(tf.constant([s, 9]), VIDEO).items()}
        assert abs(np.degrees(p[video_augmentation.ANGLE])) <= VIDEO.rotation_deg
        assert abs(p[video_augmentation.ZOOM] - 1.0) <= VIDEO.zoom
        assert abs(p[video_augmentation.SHIFT_X]) <= VIDEO.translation
        assert abs(p[video_augmentation.BRIGHTNESS]) <= VIDEO.brightness
        assert abs(p[video_augmentation.CONTRAST] - 1.0) <= VIDEO.contrast


def test_same_eagerly_and_in_dataset_map():
    map_equivalence.assert_same_eager_and_in_map(
        lambda f, s: video_augmentation.random_augment_clip(f, s, VIDEO),
        frames(4),
        tf.constant([21, 2], tf.int64),
        atol=1e-6,
    )
    jpegs = tf.constant(synthetic_records.synthetic_frames(3, SIZE, 1))
    map_equivalence.assert_same_eager_and_in_map(
        lambda j: video_frames.to_unit_float(video_frames.decode_frames(j, SIZE)), jpegs
    )
