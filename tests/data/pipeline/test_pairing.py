"""Cross-clip pairing keeps labels equal, loses and duplicates nothing, and restores lengths."""

import collections

import numpy as np
import tensorflow as tf

from mrpn_tf.data import clip_record
from mrpn_tf.data.pipeline import pairing
from tests.data.pipeline import map_equivalence

LABELS = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 3]  # label 3 has a single clip


def clip(i: int) -> dict:
    """Clip i: frames 'i' x (i + 2), audio samples = i, lengths all different."""
    return {
        clip_record.CLIP_ID: tf.constant(f"clip{i}"),
        clip_record.LABEL: tf.constant(LABELS[i], tf.int64),
        clip_record.FRAMES: tf.fill([i + 2], tf.constant(str(i))),
        clip_record.AUDIO_PCM16: tf.fill([100 + 37 * i], float(i)),
        clip_record.NUM_FRAMES: tf.constant(i + 2, tf.int64),
        clip_record.NUM_SAMPLES: tf.constant(100 + 37 * i, tf.int64),
        clip_record.SAMPLE_RATE: tf.constant(16000, tf.int64),
    }


def clips() -> tf.data.Dataset:
    items = [clip(i) for i in range(len(LABELS))]
    generator = tf.data.Dataset.from_tensors(items[0])
    for item in items[1:]:
        generator = generator.concatenate(tf.data.Dataset.from_tensors(item))
    seeds = tf.data.Dataset.random(seed=1).batch(2)
    return tf.data.Dataset.zip((generator, seeds))


def paired(probability: float) -> list[dict]:
    dataset = pairing.pair_across_clips(clips(), probability, shuffle_buffer=16, seed=0)
    return [c for c, _ in dataset.as_numpy_iterator()]


def test_pairing_keeps_labels_equal_and_swaps_whole_audio():
    out = paired(1.0)
    assert len(out) == len(LABELS)
    swapped = 0
    for c in out:
        video_id = int(c[clip_record.FRAMES][0])
        audio_id = int(c[clip_record.AUDIO_PCM16][0])
        assert c[clip_record.CLIP_ID].decode() == f"clip{video_id}"
        assert c[pairing.AUDIO_CLIP_ID].decode() == f"clip{audio_id}"
        assert LABELS[audio_id] == LABELS[video_id] == c[clip_record.LABEL]
        # Lengths come back unpadded: frames and waveform keep their own clip's length.
        assert len(c[clip_record.FRAMES]) == video_id + 2
        assert len(c[clip_record.AUDIO_PCM16]) == 100 + 37 * audio_id
        np.testing.assert_array_equal(c[clip_record.AUDIO_PCM16], float(audio_id))
        assert c[clip_record.NUM_SAMPLES] == 100 + 37 * audio_id
        swapped += audio_id != video_id
    assert swapped == len(LABELS) - 2  # all but the odd ones out of label 2 (x3) and 3 (x1)
    audio_ids = collections.Counter(c[pairing.AUDIO_CLIP_ID] for c in out)
    assert all(n == 1 for n in audio_ids.values())  # no audio lost or duplicated


def test_probability_zero_is_the_identity_and_one_half_swaps_some():
    out = [c for c, _ in pairing.pair_across_clips(clips(), 0.0, 16, 0).as_numpy_iterator()]
    assert [int(c[clip_record.FRAMES][0]) for c in out] == list(range(len(LABELS)))
    half = paired(0.5)
    swapped = sum(int(c[clip_record.FRAMES][0]) != int(c[clip_record.AUDIO_PCM16][0]) for c in half)
    assert swapped % 2 == 0  # pairs swap together


def test_swap_audio_same_eagerly_and_in_dataset_map():
    keys = (*pairing.AUDIO_KEYS, pairing.AUDIO_CLIP_ID)
    a, b = clip(0), clip(3)
    a[pairing.AUDIO_CLIP_ID], b[pairing.AUDIO_CLIP_ID] = a[clip_record.CLIP_ID], b[clip_record.CLIP_ID]
    b[clip_record.AUDIO_PCM16] = b[clip_record.AUDIO_PCM16][:100]  # a padded batch: equal lengths
    pair = {key: tf.stack([a[key], b[key]]) for key in keys}
    seeds = tf.constant([[1, 2], [3, 4]], tf.int64)
    map_equivalence.assert_same_eager_and_in_map(
        lambda p, s: pairing.swap_audio(p, s, 1.0), pair, seeds
    )
    swapped, _ = pairing.swap_audio(pair, seeds, 1.0)
    assert list(swapped[pairing.AUDIO_CLIP_ID].numpy()) == [b"clip3", b"clip0"]
    np.testing.assert_array_equal(swapped[clip_record.AUDIO_PCM16][0], 3.0)
