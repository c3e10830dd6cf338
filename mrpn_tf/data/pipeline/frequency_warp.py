"""Random frequency warping of the training spectrogram segments (issue 15).

Vocal tract length perturbation (Jaitly & Hinton, "Vocal Tract Length Perturbation (VTLP)
improves speech recognition", ICML 2013 workshop): a longer or shorter vocal tract moves every
formant by about the same factor, so scaling the frequency axis of a training spectrogram by
a random factor near 1 makes an utterance sound like it came from another speaker. The paper
(MRPN) does not use it; it is a regularizer for what limits the audio branch on RAVDESS
(docs/results.md, "Diagnosis"): 18 training speakers, and a model that learns them rather
than their emotion.

Per clip, one factor `alpha` is drawn uniformly from [1 - audio.freq_warp, 1 + audio.freq_warp]
and applied to every segment of the clip (one speaker, one vocal tract). Row i of a warped
segment is the input read at row i / alpha, linearly interpolated between rows and held at the
top row beyond it; row 0 (0 Hz) stays where it is. On mel bands this scales the mel axis:
nearly VTLP's uniform scaling of frequency below ~1 kHz, a stronger one above (a factor of 1.1
moves 500 Hz by 13 % and 4 kHz by 25 %). Drawn with stateless random ops from the clip's seed:
the same eagerly and inside `Dataset.map`. 0 (the default) leaves the segments as they are.
Evaluation and serving never warp.
"""

from __future__ import annotations

import tensorflow as tf

from mrpn_tf.config import config as config_lib


def warp_rows(segments: tf.Tensor, alpha: tf.Tensor) -> tf.Tensor:
    """Scales the frequency axis (axis 1) of every segment by `alpha` (module docstring).

    Args:
      segments: float32 [S, freq_bins, frames].
      alpha: float32 scalar > 0; > 1 moves content to higher rows, < 1 to lower ones.

    Returns:
      float32 [S, freq_bins, frames].
    """
    rows = segments.shape[1]
    source = tf.range(rows, dtype=tf.float32) / alpha
    source = tf.clip_by_value(source, 0.0, float(rows - 1))
    below = tf.cast(tf.floor(source), tf.int32)
    above = tf.minimum(below + 1, rows - 1)
    weight = (source - tf.cast(below, tf.float32))[None, :, None]
    low = tf.gather(segments, below, axis=1)
    high = tf.gather(segments, above, axis=1)
    return low + weight * (high - low)


def random_warp(segments: tf.Tensor, seed: tf.Tensor, audio: config_lib.AudioConfig) -> tf.Tensor:
    """Warps all segments of one clip by one random factor (module docstring).

    Args:
      segments: float32 [S, freq_bins, frames] log spectrograms of one clip.
      seed: int [2] stateless seed of this clip.
      audio: `freq_warp`, the largest relative change of the frequency scale (0: off).

    Returns:
      float32 [S, freq_bins, frames].
    """
    if audio.freq_warp <= 0:
        return segments
    alpha = tf.random.stateless_uniform(
        [], seed, 1.0 - audio.freq_warp, 1.0 + audio.freq_warp, dtype=tf.float32)
    return warp_rows(segments, alpha)
