"""One clip -> the model's features, targets and weights: the per-clip preprocessing.

`clip_features` is the preprocessing shared by training, evaluation, serving and TFLite
export: it takes decoded frames in [0, 1] and a 16-kHz waveform, and is pure tf, so the
export graph calls exactly this function. `clip_example` wraps it for a parsed record:
time slicing and spatial augmentation in training (paper 3.3), the whole clip otherwise.
"""

from __future__ import annotations

import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import clip_record
from mrpn_tf.data import features
from mrpn_tf.data.pipeline import frequency_warp
from mrpn_tf.data.pipeline import silence_trim
from mrpn_tf.data.pipeline import spectrogram_masking
from mrpn_tf.data.pipeline import spectrogram_segments
from mrpn_tf.data.pipeline import time_slicing
from mrpn_tf.data.pipeline import video_augmentation
from mrpn_tf.data.pipeline import video_frames


def _sequence_mask(length: tf.Tensor) -> tf.Tensor:
    return tf.ones([length], tf.float32)


def _video_or_placeholder(frames: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """A clip without frames becomes one black frame with mask 0 (`clip_validation`)."""
    num_frames = tf.shape(frames)[0]
    placeholder = tf.zeros([1, *frames.shape[1:]], frames.dtype)
    video = tf.cond(num_frames > 0, lambda: frames, lambda: placeholder)
    mask = tf.cond(num_frames > 0, lambda: _sequence_mask(num_frames), lambda: tf.zeros([1]))
    return video, mask


def clip_features(
    frames: tf.Tensor, waveform: tf.Tensor, config: config_lib.Config
) -> dict[str, tf.Tensor]:
    """Model inputs of one clip (no batch axis).

    Args:
      frames: float32 [T, H, W, 3] in [0, 1] (already sliced / augmented when training).
      waveform: float32 [N] at `audio.sample_rate` (already sliced when training).
      config: the run config (audio settings; `video.grayscale`).

    Returns:
      `features.VIDEO` [T', H, W, 3], `VIDEO_MASK` [T'], `AUDIO` [S, 256, 250] and
      `AUDIO_MASK` [S], float32; an empty stream is one step with mask 0 (T' = 1 or S = 1).
    """
    frames = tf.convert_to_tensor(frames, tf.float32)
    if config.video.grayscale:  # the luma of each frame, in all three channels
        frames = tf.image.grayscale_to_rgb(tf.image.rgb_to_grayscale(frames))
    video, video_mask = _video_or_placeholder(frames)
    audio = spectrogram_segments.waveform_to_segments(waveform, config.audio)
    num_segments = tf.shape(audio)[0]
    audio_mask = tf.cond(
        tf.size(waveform) > 0, lambda: _sequence_mask(num_segments), lambda: tf.zeros([1])
    )
    return {
        features.VIDEO: video,
        features.VIDEO_MASK: video_mask,
        features.AUDIO: audio,
        features.AUDIO_MASK: audio_mask,
    }


def head_targets(label: tf.Tensor) -> dict[str, tf.Tensor]:
    """The clip label for each head (paper eq. 5 scores v, a and va against the same label)."""
    label = tf.cast(label, tf.int32)
    return {head: label for head in features.HEAD_KEYS}


def head_sample_weights(weight: tf.Tensor | float) -> dict[str, tf.Tensor]:
    """Per-head sample weight: 1 for a real clip, 0 for an evaluation padding clip."""
    weight = tf.cast(weight, tf.float32)
    return {head: weight for head in features.HEAD_KEYS}


def clip_example(
    clip: dict[str, tf.Tensor], seed: tf.Tensor, config: config_lib.Config, training: bool
) -> tuple[dict, dict, dict]:
    """A parsed (validated, possibly paired) record -> (features, targets, weights).

    Args:
      clip: `clip_record.parse` output.
      seed: int [2] stateless seed of this clip (unused when not training).
      config: the run config.
      training: slice in time (when `data.time_augment`), augment spatially, warp the
        spectrograms' frequency axis (when `audio.freq_warp` > 0) and mask them (when
        `audio.freq_mask_bins` / `time_mask_frames` > 0).

    Returns:
      (`clip_features` dict, `head_targets`, `head_sample_weights(1)`).
    """
    slice_seed, video_seed = tf.unstack(tf.random.experimental.stateless_split(seed, num=2))
    if training and config.data.time_augment:
        # Slices are drawn inside the speech (audio.trim_db > 0), not in the silence around it.
        clip = dict(clip)
        clip[clip_record.AUDIO_PCM16] = silence_trim.trim_silence(
            clip[clip_record.AUDIO_PCM16], config.audio
        )
        clip = time_slicing.random_slice(clip, slice_seed, config.data.min_slice_s)
    frames = video_frames.to_unit_float(
        video_frames.decode_frames(clip[clip_record.FRAMES], config.video.crop_size)
    )
    if training:
        frames = video_augmentation.random_augment_clip(frames, video_seed, config.video)
    example = clip_features(frames, clip[clip_record.AUDIO_PCM16], config)
    if training:  # seeds of their own, so the slice and video draws stay what they were
        warp_seed = tf.random.experimental.stateless_fold_in(seed, 2)
        example[features.AUDIO] = frequency_warp.random_warp(
            example[features.AUDIO], warp_seed, config.audio)
        mask_seed = tf.random.experimental.stateless_fold_in(seed, 1)
        example[features.AUDIO] = spectrogram_masking.random_mask(
            example[features.AUDIO], mask_seed, config.audio)
    return example, head_targets(clip[clip_record.LABEL]), head_sample_weights(1.0)
