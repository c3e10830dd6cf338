"""Cross-clip pairing: the video of one clip with the audio of another clip of the same label.

Paper 1.4 point 2: "due to the elimination of the cross-modal information interference by
MRPN, visual and vocal inputs can pair from different movie sources to make the learned
multimodal features more general". The label is shared by construction, so every head's
target (v, a, va) stays the clip label.

Mechanism: `group_by_window` keyed by label collects consecutive same-label clips of the
shuffled stream in pairs; with probability `data.pairing_prob` a pair swaps its audio, so
each clip is cross-paired with that probability (a clip left alone at the end of an epoch
keeps its own audio). Only raw records are swapped, before slicing and the STFT, so nothing
is computed twice.
"""

from __future__ import annotations

import tensorflow as tf

from mrpn_tf.data import clip_record

# The audio half of a record: swapped together so that a waveform keeps its own rate/length.
AUDIO_KEYS = (clip_record.AUDIO_PCM16, clip_record.NUM_SAMPLES, clip_record.SAMPLE_RATE)
# Added by pairing: the clip id the audio came from (its own id when not swapped).
AUDIO_CLIP_ID = "pairing/audio_clip_id"


def _with_lengths(clip: dict, seed: tf.Tensor) -> tuple[dict, tf.Tensor]:
    """Records the true lengths, so they survive the padding of a pair."""
    clip = dict(clip)
    clip[clip_record.NUM_FRAMES] = tf.shape(clip[clip_record.FRAMES], out_type=tf.int64)[0]
    clip[clip_record.NUM_SAMPLES] = tf.size(clip[clip_record.AUDIO_PCM16], out_type=tf.int64)
    clip[AUDIO_CLIP_ID] = clip[clip_record.CLIP_ID]
    return clip, seed


def swap_audio(
    pair: dict[str, tf.Tensor], seeds: tf.Tensor, probability: float
) -> tuple[dict, tf.Tensor]:
    """Swaps the audio of a batched pair with the given probability.

    Args:
      pair: a padded batch of 1 or 2 same-label clips (a batch of 1 is left as it is).
      seeds: int [n, 2] per-clip seeds; the first one draws the coin.
      probability: chance that the pair is cross-paired.

    Returns:
      (pair, seeds) with `AUDIO_KEYS` and `AUDIO_CLIP_ID` exchanged when the coin says so.
    """
    size = tf.shape(seeds)[0]
    coin = tf.random.stateless_uniform([], seeds[0]) < probability
    order = tf.range(size)
    order = tf.where(tf.logical_and(coin, size == 2), tf.reverse(order, axis=[0]), order)
    swapped = dict(pair)
    for key in (*AUDIO_KEYS, AUDIO_CLIP_ID):
        swapped[key] = tf.gather(pair[key], order)
    return swapped, seeds


def _unpad(clip: dict, seed: tf.Tensor) -> tuple[dict, tf.Tensor]:
    """Trims frames and waveform back to their true lengths after the pair is unbatched."""
    clip = dict(clip)
    clip[clip_record.FRAMES] = clip[clip_record.FRAMES][: clip[clip_record.NUM_FRAMES]]
    clip[clip_record.AUDIO_PCM16] = clip[clip_record.AUDIO_PCM16][: clip[clip_record.NUM_SAMPLES]]
    return clip, seed


def pair_across_clips(
    dataset: tf.data.Dataset, probability: float, shuffle_buffer: int, seed: int
) -> tf.data.Dataset:
    """Cross-pairs audio between same-label clips of a (clip, seed) dataset.

    Args:
      dataset: elements (parsed clip dict, int [2] seed), already shuffled.
      probability: `data.pairing_prob`; 0 returns the dataset unchanged.
      shuffle_buffer: buffer of the re-shuffle after pairing (pairs leave `group_by_window`
        side by side, which would put two clips of one label next to each other in a batch).
      seed: seed of that shuffle.

    Returns:
      A dataset of the same structure plus `AUDIO_CLIP_ID` in each clip.
    """
    if probability <= 0.0:
        return dataset

    def reduce_pair(label: tf.Tensor, window: tf.data.Dataset) -> tf.data.Dataset:
        del label  # every clip of the window has it
        pairs = window.padded_batch(2).map(lambda c, s: swap_audio(c, s, probability))
        return pairs.unbatch().map(_unpad)

    paired = dataset.map(_with_lengths).group_by_window(
        key_func=lambda clip, seed: clip[clip_record.LABEL],
        reduce_func=reduce_pair,
        window_size=2,
    )
    return paired.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
