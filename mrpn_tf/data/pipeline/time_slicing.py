"""Time augmentation: an independent random slice of each modality (paper 3.3 items 2 and 4).

Paper 3.3 item 2: "randomly slicing the original frames" (Fig. 10), "at least one-second
duration unless the original duration of the file is less than that"; item 4: "raw audio
inputs are also randomly sliced". Paper 4.3 (Table 1, "T" rows) shows the gain. The audio and
video slices are drawn independently, start and length, so the two streams are deliberately
not aligned: MRPN scores each modality on its own (eqs. 7-9), and the misalignment is the
same kind of robustness the paper buys with cross-clip pairing (1.4 point 2).

Slices are drawn with stateless random ops from an explicit seed, so a slice is a pure
function of (clip, seed): the same eagerly and inside `Dataset.map`, and reproducible.
"""

from __future__ import annotations

import tensorflow as tf

from mrpn_tf.data import clip_record


def slice_bounds(
    length: tf.Tensor | int, min_length: tf.Tensor | int, seed: tf.Tensor
) -> tuple[tf.Tensor, tf.Tensor]:
    """Draws a random window inside a sequence.

    The size is uniform in [min(min_length, length), length], the start uniform over the
    positions where a window of that size fits.

    Args:
      length: sequence length (frames or samples), scalar int >= 0.
      min_length: shortest allowed window (one second of frames or samples).
      seed: int [2] stateless seed.

    Returns:
      (start, size), int32 scalars with 0 <= start and start + size <= length.
    """
    length = tf.cast(length, tf.int32)
    shortest = tf.minimum(tf.cast(min_length, tf.int32), length)
    size_seed, start_seed = tf.unstack(tf.random.experimental.stateless_split(seed, num=2))
    size = tf.random.stateless_uniform(
        [], size_seed, minval=shortest, maxval=length + 1, dtype=tf.int32
    )
    start = tf.random.stateless_uniform(
        [], start_seed, minval=0, maxval=length - size + 1, dtype=tf.int32
    )
    return start, size


def min_slice_length(rate: tf.Tensor | float, min_slice_s: float) -> tf.Tensor:
    """Frames or samples in `min_slice_s` seconds at `rate`, rounded up (so >= min_slice_s)."""
    return tf.cast(tf.math.ceil(tf.cast(rate, tf.float32) * min_slice_s), tf.int32)


def random_slice(clip: dict[str, tf.Tensor], seed: tf.Tensor, min_slice_s: float) -> dict:
    """Slices the video frames and the waveform of a clip, each with its own random window.

    Args:
      clip: parsed clip (`clip_record` keys): `FRAMES` [T] JPEG strings at `FPS`,
        `AUDIO_PCM16` [N] float32 waveform at `SAMPLE_RATE`.
      seed: int [2] stateless seed for this clip.
      min_slice_s: shortest slice in seconds (config `data.min_slice_s`, paper: 1 s).

    Returns:
      A copy of `clip` with `FRAMES` and `AUDIO_PCM16` replaced by their slices.
    """
    video_seed, audio_seed = tf.unstack(tf.random.experimental.stateless_split(seed, num=2))
    frames, waveform = clip[clip_record.FRAMES], clip[clip_record.AUDIO_PCM16]
    video_start, video_size = slice_bounds(
        tf.shape(frames)[0], min_slice_length(clip[clip_record.FPS], min_slice_s), video_seed
    )
    audio_start, audio_size = slice_bounds(
        tf.shape(waveform)[0],
        min_slice_length(clip[clip_record.SAMPLE_RATE], min_slice_s),
        audio_seed,
    )
    sliced = dict(clip)
    sliced[clip_record.FRAMES] = frames[video_start : video_start + video_size]
    sliced[clip_record.AUDIO_PCM16] = waveform[audio_start : audio_start + audio_size]
    return sliced
