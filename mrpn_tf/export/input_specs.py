"""Input specs of the exported signatures: raw clips, and the model's features.

A model has the inputs of its branch heads only (N0 / N1 / N2: video and audio; the AM / VM
baselines: one of them), so every spec is built from the list of heads.
"""

from __future__ import annotations

from typing import Optional, Sequence

import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import features
from mrpn_tf.inference import signature_keys


def raw_specs(
    heads: Sequence[str],
    config: config_lib.Config,
    batch: Optional[int] = None,
    steps: Optional[dict[str, int]] = None,
) -> dict[str, tf.TensorSpec]:
    """Raw inputs of `serving_default` (all heads) or of a side-head signature (one head).

    Args:
      heads: branch head keys, e.g. ("v", "a") or ("v",).
      config: video.crop_size.
      batch: static batch size, or None.
      steps: static lengths per head ({"v": frames, "a": samples}), or None (dynamic).

    Returns:
      For "v": `FRAMES` uint8 [B, T, crop, crop, 3] and `NUM_FRAMES` int32 [B]; for "a":
      `WAVEFORM` float32 [B, N] at audio.sample_rate and `NUM_SAMPLES` int32 [B]. T and N are
      the batch's padded lengths; the counts say how much of each row is real.
    """
    steps = steps or {}
    size = config.video.crop_size
    shapes = {
        signature_keys.FRAMES: ([batch, steps.get(features.V), size, size, 3], tf.uint8),
        signature_keys.NUM_FRAMES: ([batch], tf.int32),
        signature_keys.WAVEFORM: ([batch, steps.get(features.A)], tf.float32),
        signature_keys.NUM_SAMPLES: ([batch], tf.int32),
    }
    keys = [key for head in heads for key in signature_keys.RAW_INPUTS[head]]
    return {key: tf.TensorSpec(*shapes[key], name=key) for key in keys}


def feature_specs(
    heads: Sequence[str],
    config: config_lib.Config,
    batch: Optional[int] = None,
    steps: Optional[dict[str, int]] = None,
) -> dict[str, tf.TensorSpec]:
    """Model feature inputs (`mrpn_tf.data.features` keys) of the given heads.

    Args:
      heads: branch head keys.
      config: crop size and spectrogram shape.
      batch: static batch size, or None.
      steps: static time steps per head ({"v": frames, "a": segments}), or None (dynamic).

    Returns:
      `VIDEO` float32 [B, T, crop, crop, 3] in [0, 1], `VIDEO_MASK` float32 [B, T], `AUDIO`
      float32 [B, S, freq_bins, frames_per_segment], `AUDIO_MASK` float32 [B, S], for the
      heads asked for.
    """
    steps = steps or {}
    size, audio = config.video.crop_size, config.audio
    frame_shapes = {
        features.V: (size, size, 3),
        features.A: (audio.freq_bins, audio.frames_per_segment),
    }
    specs = {}
    for head in heads:
        data_key, mask_key = signature_keys.FEATURE_INPUTS[head]
        leading = [batch, steps.get(head)]
        specs[data_key] = tf.TensorSpec(leading + list(frame_shapes[head]), tf.float32, name=data_key)
        specs[mask_key] = tf.TensorSpec(leading, tf.float32, name=mask_key)
    return specs
