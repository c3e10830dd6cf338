"""Frequency and time masking of the training spectrogram segments (SpecAugment, issue 15).

Park et al., "SpecAugment" (Interspeech 2019): in training, blank a random band of frequency
bins and a random span of frames of every spectrogram. The paper (MRPN) does not use it; it is
a regularizer for the over-fitting measured on RAVDESS (docs/results.md, "Diagnosis"): with
18 training speakers a from-scratch AM fits its training clips far beyond what carries over
to new speakers.

Per segment, one band of `audio.freq_mask_bins` bins at most and one span of
`audio.time_mask_frames` frames at most (widths uniform from 0, positions uniform) are set
to the segment's mean value, so the mask adds no new level to the input. Drawn with stateless
random ops from the clip's seed: the same eagerly and inside `Dataset.map`. Both 0 (the
default) leave the segments as they are. Evaluation and serving never mask.
"""

from __future__ import annotations

import tensorflow as tf

from mrpn_tf.config import config as config_lib


def _band(count: tf.Tensor, size: int, widest: int, seed: tf.Tensor) -> tf.Tensor:
    """[count, size] float mask, 1 inside one random band per row of width 0..widest."""
    width_seed, start_seed = tf.unstack(tf.random.experimental.stateless_split(seed, num=2))
    widest = min(widest, size)
    width = tf.random.stateless_uniform([count], width_seed, 0, widest + 1, dtype=tf.int32)
    start = tf.cast(
        tf.random.stateless_uniform([count], start_seed) * tf.cast(size - width + 1, tf.float32),
        tf.int32)
    position = tf.range(size)[None, :]
    inside = (position >= start[:, None]) & (position < (start + width)[:, None])
    return tf.cast(inside, tf.float32)


def random_mask(segments: tf.Tensor, seed: tf.Tensor, audio: config_lib.AudioConfig) -> tf.Tensor:
    """Masks one frequency band and one time span of every segment (module docstring).

    Args:
      segments: float32 [S, freq_bins, frames] log spectrograms of one clip.
      seed: int [2] stateless seed of this clip.
      audio: `freq_mask_bins`, `time_mask_frames` (0: that mask is off).

    Returns:
      float32 [S, freq_bins, frames].
    """
    if audio.freq_mask_bins <= 0 and audio.time_mask_frames <= 0:
        return segments
    count = tf.shape(segments)[0]
    freq_seed, time_seed = tf.unstack(tf.random.experimental.stateless_split(seed, num=2))
    masked = tf.zeros_like(segments)
    if audio.freq_mask_bins > 0:
        rows = _band(count, segments.shape[1], audio.freq_mask_bins, freq_seed)
        masked = tf.maximum(masked, rows[:, :, None])
    if audio.time_mask_frames > 0:
        columns = _band(count, segments.shape[2], audio.time_mask_frames, time_seed)
        masked = tf.maximum(masked, columns[:, None, :])
    mean = tf.reduce_mean(segments, axis=[1, 2], keepdims=True)
    return segments * (1.0 - masked) + mean * masked
