"""Mixup of training batches (issue 15): inputs and targets of two clips, mixed by one weight.

Zhang et al., "mixup: Beyond Empirical Risk Minimization" (ICLR 2018): train on convex
combinations of two examples and of their one-hot labels. The paper (MRPN) does not use it;
it is a regularizer for the speaker over-fitting measured on RAVDESS (docs/results.md).

Each clip of a training batch is mixed with the next clip of the same batch (the batch is a
shuffled draw, so the partner is a random clip), with its own weight lam ~ Beta(alpha,
alpha): `lam * own + (1 - lam) * partner`, stream by stream, segment by segment (audio) and
frame by frame (video). Clips are zero-padded to the longest clip of the batch, and padding is
not a signal to mix in: where the partner has no segment (or frame), the clip keeps its own;
the clip's masks stay its own, so its length does not change. Targets become class
distributions, `lam * onehot(own) + (1 - lam) * onehot(partner)`, for every head; the losses
and accuracy of `mrpn_tf.model.losses` take them as they take integer labels. Drawn with
stateless random ops from a seed per batch. `data.mixup_alpha` 0 (the default) is off, and
evaluation and serving never mix. Measured on RAVDESS AM(NT), which already trains with
SpecAugment masks, dropout and weight decay: alpha 0.4 cost ~7 points on two folds (under-
fitted; docs/results.md, item 26).
"""

from __future__ import annotations

import tensorflow as tf

from mrpn_tf.data import features

# (stream, its mask) pairs a batch may hold; masks are 1 on real frames / segments.
_STREAMS = ((features.VIDEO, features.VIDEO_MASK), (features.AUDIO, features.AUDIO_MASK))


def beta_weights(count: tf.Tensor, alpha: float, seed: tf.Tensor) -> tf.Tensor:
    """float32 [count] draws of Beta(alpha, alpha), as the ratio of two Gamma draws."""
    first_seed, second_seed = tf.unstack(tf.random.experimental.stateless_split(seed, num=2))
    first = tf.random.stateless_gamma([count], first_seed, alpha=alpha)
    second = tf.random.stateless_gamma([count], second_seed, alpha=alpha)
    # Both draws can underflow to 0 for a small alpha; the clip then keeps itself (lam 1).
    total = first + second
    return tf.where(total > 0.0, first / tf.maximum(total, 1e-30), tf.ones_like(first))


def _mix_stream(value: tf.Tensor, mask: tf.Tensor, lam: tf.Tensor) -> tf.Tensor:
    """Mixes each clip's stream with the next clip's where the next clip has data."""
    partner_value = tf.roll(value, shift=-1, axis=0)
    partner_mask = tf.roll(mask, shift=-1, axis=0)
    extra_axes = value.shape.rank - mask.shape.rank
    partner_real = tf.reshape(
        tf.cast(partner_mask > 0, value.dtype),
        tf.concat([tf.shape(mask), tf.ones([extra_axes], tf.int32)], 0))
    lam = tf.reshape(tf.cast(lam, value.dtype), [-1] + [1] * (value.shape.rank - 1))
    mixed = lam * value + (1.0 - lam) * partner_value
    return partner_real * mixed + (1.0 - partner_real) * value


def mix_batch(
    inputs: dict, targets: dict, weights: dict, alpha: float, num_classes: int, seed: tf.Tensor
) -> tuple[dict, dict, dict]:
    """Mixup of one training batch (module docstring).

    Args:
      inputs: batched features (`features.INPUT_KEYS`, any subset of the streams).
      targets: per head, int labels [B].
      weights: per head sample weights [B]; returned unchanged.
      alpha: the Beta distribution's parameter (> 0).
      num_classes: length of the target distributions.
      seed: int [2] stateless seed of this batch.

    Returns:
      (inputs, targets, weights); targets per head float32 [B, num_classes].
    """
    count = tf.shape(next(iter(targets.values())))[0]
    lam = beta_weights(count, alpha, seed)
    mixed = dict(inputs)
    for stream, mask in _STREAMS:
        if stream in inputs and mask in inputs:
            mixed[stream] = _mix_stream(inputs[stream], inputs[mask], lam)
    soft = {}
    for head, label in targets.items():
        onehot = tf.one_hot(tf.cast(label, tf.int32), num_classes, dtype=tf.float32)
        soft[head] = lam[:, None] * onehot + (1.0 - lam[:, None]) * tf.roll(onehot, -1, axis=0)
    return mixed, soft, weights
