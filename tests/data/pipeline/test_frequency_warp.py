"""Frequency warping of training spectrograms: where rows go, one factor per clip, bounds, off by default, map == eager."""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from mrpn_tf.config import ConfigError, load_config
from mrpn_tf.config import config as config_lib
from mrpn_tf.data.pipeline import frequency_warp
from tests.data.pipeline import map_equivalence

AUDIO = dataclasses.replace(config_lib.AudioConfig(), freq_bins=64, freq_warp=0.2)
SEED = tf.constant([5, 6], tf.int64)


def segments(count=4, rows=64, frames=30):
    rng = np.random.default_rng(0)
    return tf.constant(rng.normal(-3.7, 2.2, [count, rows, frames]).astype(np.float32))


def ramp(count=3, rows=64, frames=5):
    """Every value is its row number: a warp's output shows where each row read from."""
    return tf.constant(np.broadcast_to(np.arange(rows, dtype=np.float32)[None, :, None],
                                       [count, rows, frames]).copy())


def test_off_by_default_and_identity_at_factor_one():
    x = segments()
    off = frequency_warp.random_warp(x, SEED, config_lib.AudioConfig())
    np.testing.assert_array_equal(off.numpy(), x.numpy())
    np.testing.assert_allclose(frequency_warp.warp_rows(x, tf.constant(1.0)).numpy(), x.numpy(),
                               atol=1e-6)


@pytest.mark.parametrize("alpha", [0.8, 1.25])
def test_row_i_reads_row_i_over_alpha_held_at_the_top(alpha):
    out = frequency_warp.warp_rows(ramp(), tf.constant(alpha)).numpy()
    expected = np.minimum(np.arange(64) / alpha, 63.0)
    for segment in out:
        for column in segment.T:
            np.testing.assert_allclose(column, expected, atol=1e-4)


def test_a_formant_moves_by_the_factor():
    x = np.full([1, 64, 4], -8.0, np.float32)
    x[:, 20, :] = 2.0                                   # one peak at row 20
    out = frequency_warp.warp_rows(tf.constant(x), tf.constant(1.25)).numpy()
    assert np.argmax(out[0, :, 0]) == 25
    np.testing.assert_allclose(out[0, 25], 2.0, atol=1e-5)
    np.testing.assert_allclose(out[0, 0], -8.0)         # 0 Hz stays at row 0


def test_one_factor_per_clip_within_bounds_drawn_from_the_seed():
    factors = []
    for seed in range(12):
        out = frequency_warp.random_warp(ramp(), tf.constant([seed, 1], tf.int64), AUDIO).numpy()
        np.testing.assert_array_equal(out[0], out[1])   # every segment of a clip alike
        np.testing.assert_array_equal(out[0], out[2])
        alpha = 10.0 / out[0, 10, 0]                    # row 10 read row 10 / alpha
        assert 0.8 - 1e-4 <= alpha <= 1.2 + 1e-4
        factors.append(alpha)
    assert np.ptp(factors) > 0.1                        # drawn, not fixed
    again = frequency_warp.random_warp(ramp(), tf.constant([0, 1], tf.int64), AUDIO).numpy()
    np.testing.assert_allclose(10.0 / again[0, 10, 0], factors[0], rtol=1e-6)


def test_same_eagerly_and_inside_dataset_map():
    map_equivalence.assert_same_eager_and_in_map(
        lambda x, s: frequency_warp.random_warp(x, s, AUDIO), segments(3), SEED)


@pytest.mark.parametrize("value", ["1.0", "-0.1"])
def test_config_refuses_a_factor_range_reaching_zero_or_negative(value):
    with pytest.raises(ConfigError, match="audio.freq_warp"):
        load_config(overrides=[f"audio.freq_warp={value}"])
