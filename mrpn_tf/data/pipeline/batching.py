"""Batching variable-length clips: padding, masks, optional bucketing, full evaluation batches.

Every clip carries masks of ones over its real frames and segments (`clip_features`);
`padded_batch` pads sequences with zeros, so the masks are 0 exactly on the padding.

Training drops the remainder (every step sees a full batch). Evaluation never drops or
repeats a clip: the last, partial batch is padded to the full batch size with padding clips
whose masks are all 0, whose targets are 0 and whose weights are 0, so metrics computed with
the weights count every real clip exactly once (as big_vision's `make_for_inference` does).
"""

from __future__ import annotations

from typing import Sequence

import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import features


def clip_duration_ms(example: tuple, config: config_lib.Config) -> tf.Tensor:
    """Duration of an example's longer stream in milliseconds: the bucketing length.

    Args:
      example: (features, targets, weights) of one clip.
      config: frame rate, segment length and hop.

    Returns:
      int32 scalar.
    """
    inputs = example[0]
    video_s = tf.cast(tf.shape(inputs[features.VIDEO_MASK])[0], tf.float32) / config.video.fps
    segments = tf.cast(tf.shape(inputs[features.AUDIO_MASK])[0], tf.float32)
    audio_s = config.audio.segment_s + (segments - 1.0) * config.audio.hop_s
    return tf.cast(tf.round(1000.0 * tf.maximum(video_s, audio_s)), tf.int32)


def batch_examples(
    dataset: tf.data.Dataset,
    batch_size: int,
    config: config_lib.Config,
    drop_remainder: bool,
    bucket_boundaries_s: Sequence[float] = (),
) -> tf.data.Dataset:
    """Pads and batches (features, targets, weights) examples.

    Args:
      dataset: unbatched examples from `clip_features.clip_example`.
      batch_size: examples per batch (per replica).
      config: for the bucketing length.
      drop_remainder: True in training.
      bucket_boundaries_s: clip durations (s) separating length buckets; empty = no
        bucketing. Bucketing batches clips of similar length, so less of a batch is padding.

    Returns:
      Batched dataset; sequences zero-padded to the longest clip of the batch.
    """
    if not bucket_boundaries_s:
        return dataset.padded_batch(batch_size, drop_remainder=drop_remainder)
    boundaries = [int(round(1000.0 * float(b))) for b in bucket_boundaries_s]
    return dataset.bucket_by_sequence_length(
        element_length_func=lambda *example: clip_duration_ms(example, config),
        bucket_boundaries=boundaries,
        bucket_batch_sizes=[batch_size] * (len(boundaries) + 1),
        drop_remainder=drop_remainder,
    )


def pad_batch_axis(value: tf.Tensor, batch_size: int) -> tf.Tensor:
    """Zero-pads axis 0 up to `batch_size` and makes the batch size static."""
    extra = batch_size - tf.shape(value)[0]
    paddings = tf.concat([[[0, extra]], tf.zeros([value.shape.rank - 1, 2], tf.int32)], 0)
    padded = tf.pad(value, paddings)
    return tf.ensure_shape(padded, [batch_size, *value.shape[1:]])


def pad_to_full_batches(dataset: tf.data.Dataset, batch_size: int) -> tf.data.Dataset:
    """Pads the last, partial evaluation batch with all-masked, zero-weight padding clips.

    Args:
      dataset: batched (features, targets, weights), not dropping the remainder.
      batch_size: the full batch size.

    Returns:
      The same batches, every one of static size `batch_size`; no clip dropped or repeated.
    """
    return dataset.map(
        lambda *batch: tf.nest.map_structure(lambda v: pad_batch_axis(v, batch_size), batch)
    )
