"""Time augmentation: slices are >= 1 s (or the whole clip), inside the clip, and per modality."""

import numpy as np
import tensorflow as tf

from mrpn_tf.data import clip_record
from mrpn_tf.data.pipeline import time_slicing
from tests.data.pipeline import map_equivalence

FPS, RATE = 15.0, 16000


def clip(video_s: float, audio_s: float) -> dict:
    """A parsed-clip stand-in: frame i holds the string 'i', sample i the value i."""
    num_frames, num_samples = int(round(video_s * FPS)), int(round(audio_s * RATE))
    return {
        clip_record.FRAMES: tf.strings.as_string(tf.range(num_frames)),
        clip_record.AUDIO_PCM16: tf.range(num_samples, dtype=tf.float32),
        clip_record.FPS: tf.constant(FPS),
        clip_record.SAMPLE_RATE: tf.constant(RATE, tf.int64),
    }


def slice_positions(parsed: dict, draws: int) -> np.ndarray:
    """[draws, 4]: video start, video size, audio start, audio size (frames / samples)."""

    def one(seed):
        sliced = time_slicing.random_slice(parsed, tf.stack([seed, 7]), min_slice_s=1.0)
        frames = tf.strings.to_number(sliced[clip_record.FRAMES], tf.int32)
        audio = tf.cast(sliced[clip_record.AUDIO_PCM16], tf.int32)
        # Contiguity: a slice is [first, first + size).
        tf.debugging.assert_equal(frames, tf.range(tf.size(frames)) + frames[0])
        tf.debugging.assert_equal(audio, tf.range(tf.size(audio)) + audio[0])
        return tf.stack([frames[0], tf.size(frames), audio[0], tf.size(audio)])

    seeds = tf.data.Dataset.range(draws).map(one)  # many draws, inside Dataset.map
    return np.stack(list(seeds.as_numpy_iterator()))


def test_slices_are_at_least_one_second_and_inside_the_clip():
    video_s, audio_s = 3.2, 3.3
    positions = slice_positions(clip(video_s, audio_s), draws=300)
    v_start, v_size, a_start, a_size = positions.T
    assert v_size.min() >= FPS and a_size.min() >= RATE  # >= 1 s
    assert v_start.min() >= 0 and (v_start + v_size).max() <= video_s * FPS
    assert a_start.min() >= 0 and (a_start + a_size).max() <= audio_s * RATE
    # The draws use the whole range: full-length and 1-s slices, starts at 0 and later.
    assert v_size.max() == round(video_s * FPS) and a_size.max() > 0.95 * audio_s * RATE
    assert v_size.min() <= FPS + 2 and v_start.max() > FPS


def test_audio_and_video_slices_are_drawn_independently():
    positions = slice_positions(clip(3.0, 3.0), draws=200)
    v_start_s, v_len_s = positions[:, 0] / FPS, positions[:, 1] / FPS
    a_start_s, a_len_s = positions[:, 2] / RATE, positions[:, 3] / RATE
    aligned = (np.abs(v_start_s - a_start_s) < 0.1) & (np.abs(v_len_s - a_len_s) < 0.1)
    assert aligned.mean() < 0.1
    assert abs(np.corrcoef(v_len_s, a_len_s)[0, 1]) < 0.3


def test_short_clip_is_taken_whole():
    positions = slice_positions(clip(0.3, 0.3), draws=20)
    np.testing.assert_array_equal(positions[:, [0, 2]], 0)
    np.testing.assert_array_equal(positions[:, 1], round(0.3 * FPS))
    np.testing.assert_array_equal(positions[:, 3], round(0.3 * RATE))


def test_empty_stream_slices_to_empty():
    sliced = time_slicing.random_slice(clip(2.0, 0.0), tf.constant([1, 2]), 1.0)
    assert sliced[clip_record.AUDIO_PCM16].shape == (0,)


def test_same_seed_same_slice_eagerly_and_in_dataset_map():
    parsed = clip(2.5, 2.7)
    seed = tf.constant([3, 4], tf.int64)

    def sliced(frames, audio, seed):
        c = dict(parsed, **{clip_record.FRAMES: frames, clip_record.AUDIO_PCM16: audio})
        s = time_slicing.random_slice(c, seed, 1.0)
        return s[clip_record.FRAMES], s[clip_record.AUDIO_PCM16]

    map_equivalence.assert_same_eager_and_in_map(
        sliced, parsed[clip_record.FRAMES], parsed[clip_record.AUDIO_PCM16], seed
    )
