"""SpecAugment-style masks on training spectrograms: bounds, values, off by default, map == eager."""

import dataclasses

import numpy as np
import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.data.pipeline import spectrogram_masking
from tests.data.pipeline import map_equivalence

AUDIO = dataclasses.replace(config_lib.AudioConfig(), freq_mask_bins=20, time_mask_frames=30)
SEED = tf.constant([3, 4], tf.int64)


def segments(count=6):
    rng = np.random.default_rng(0)
    return tf.constant(rng.normal(-3.7, 2.2, [count, 256, 250]).astype(np.float32))


def test_off_by_default():
    x = segments()
    out = spectrogram_masking.random_mask(x, SEED, config_lib.AudioConfig())
    np.testing.assert_array_equal(out.numpy(), x.numpy())


def test_one_band_and_one_span_per_segment_set_to_the_segment_mean():
    x = segments().numpy()
    out = spectrogram_masking.random_mask(tf.constant(x), SEED, AUDIO).numpy()
    widths = []
    for seg_in, seg_out in zip(x, out):
        changed = seg_out != seg_in
        rows = np.flatnonzero(changed.all(axis=1))     # masked frequency bins: whole rows
        cols = np.flatnonzero(changed.all(axis=0))     # masked frames: whole columns
        assert len(rows) <= 20 and len(cols) <= 30
        if len(rows):
            assert np.all(np.diff(rows) == 1)          # one contiguous band
        if len(cols):
            assert np.all(np.diff(cols) == 1)
        expected = np.zeros_like(changed)
        expected[rows, :] = True
        expected[:, cols] = True
        np.testing.assert_array_equal(changed, expected)  # nothing else changed
        np.testing.assert_allclose(seg_out[changed], seg_in.mean(), rtol=1e-5)
        widths.append((len(rows), len(cols)))
    assert len(set(widths)) > 1                        # drawn per segment
    again = spectrogram_masking.random_mask(tf.constant(x), SEED, AUDIO).numpy()
    np.testing.assert_array_equal(again, out)          # a function of the seed


def test_same_eagerly_and_inside_dataset_map():
    map_equivalence.assert_same_eager_and_in_map(
        lambda x, s: spectrogram_masking.random_mask(x, s, AUDIO), segments(3), SEED)
