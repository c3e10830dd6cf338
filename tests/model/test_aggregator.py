"""A_m: LSTM, BiLSTM, Transformer (avg) and the average ignore padding; unrolling changes nothing."""

import keras
import numpy as np
import pytest

from mrpn_tf.model import aggregator
from mrpn_tf.model import masked_average_pooling
from tests.model.conftest import padded_batch


@pytest.mark.parametrize("kind", aggregator.KINDS)
def test_padding_never_changes_f(kind):
    keras.utils.set_random_seed(0)
    layer = aggregator.SequenceAggregator(kind, units=8, num_heads=2, num_layers=2)
    lengths = (2, 5, 3)
    x, mask = padded_batch((6,), lengths, steps=5, seed=0)
    x_more, mask_more = padded_batch((6,), lengths, steps=9, seed=0, pad_value=3.0)
    f = layer([x, mask], training=False).numpy()
    assert f.shape == (3, aggregator.output_dim(kind, 8, feature_dim=6))
    np.testing.assert_allclose(layer([x_more, mask_more], training=False), f, atol=1e-5)
    for i, n in enumerate(lengths):  # each clip alone, without any padding
        np.testing.assert_allclose(layer([x[i:i + 1, :n], mask[i:i + 1, :n]]), f[i:i + 1],
                                   atol=1e-5)


@pytest.mark.parametrize("kind", [aggregator.LSTM, aggregator.BILSTM])
def test_unrolled_lstm_on_static_steps_equals_the_loop(kind):
    looped = aggregator.SequenceAggregator(kind, units=4)
    unrolled = aggregator.SequenceAggregator(kind, units=4, unroll=True)
    x, mask = padded_batch((3,), (2, 4), steps=4, seed=1)
    expected = looped([x, mask]).numpy()
    unrolled([x, mask])
    unrolled.set_weights(looped.get_weights())
    np.testing.assert_allclose(unrolled([x, mask]), expected, atol=1e-6)


def test_masked_average_pooling_against_numpy():
    x, mask = padded_batch((4,), (1, 3, 2), steps=3, seed=2, pad_value=100.0)
    expected = np.stack([x[i, :n].mean(axis=0) for i, n in enumerate((1, 3, 2))])
    out = masked_average_pooling.MaskedAveragePooling()([x, mask])
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    # A clip with no real step pools to zeros instead of NaN.
    assert np.all(masked_average_pooling.MaskedAveragePooling()([x, 0 * mask]).numpy() == 0)


def test_average_reads_a_still_and_its_video_alike():
    """The face model learns from one-frame clips: a clip of the same face reads as the face."""
    layer = aggregator.SequenceAggregator(aggregator.AVERAGE)
    face = np.random.default_rng(3).normal(size=(1, 1, 6)).astype(np.float32)
    one = layer([face, np.ones((1, 1), np.float32)]).numpy()
    np.testing.assert_allclose(one, face[:, 0], rtol=1e-6)
    video = np.repeat(face, 12, axis=1)
    np.testing.assert_allclose(layer([video, np.ones((1, 12), np.float32)]), one, rtol=1e-6)
    assert layer.get_weights() == []


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="gru"):
        aggregator.SequenceAggregator("gru")
