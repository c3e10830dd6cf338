"""A modality branch: which inputs feed it and what one frame / segment looks like.

The network builder takes a mapping from head key (the side head's output name, e.g. "v") to
Branch, so any number of named modalities can be fused (paper 3.2, Fig. 8). `video_branch` and
`audio_branch` are the two of the paper, with shapes from the config.
"""

from __future__ import annotations

import dataclasses

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import features


@dataclasses.dataclass(frozen=True)
class Branch:
    """Inputs and shapes of one modality.

    Attributes:
      input_key: name of the [B, T, *frame_shape] float32 input.
      mask_key: name of the [B, T] float32 mask input (1 = real, 0 = padding).
      frame_shape: one frame (H, W, C) or one spectrogram segment (F, N).
      steps: static T, or None for a dynamic length (training, serving).
      extractor_weights: `.weights.h5` file for the ResNet-18, or "" (random init).
      width_multiplier: the ResNet-18's width, or None for `ModelConfig.width_multiplier`.
      aggregator: the aggregator's kind, or "" for `ModelConfig.aggregator`.
    """

    input_key: str
    mask_key: str
    frame_shape: tuple[int, ...]
    steps: int | None = None
    extractor_weights: str = ""
    width_multiplier: float | None = None
    aggregator: str = ""


def video_branch(config: config_lib.Config, steps: int | None = None) -> Branch:
    """The face-crop branch: [B, T, crop, crop, 3] frames.

    Args:
      config: run config (video.crop_size, model.video_extractor_weights,
        model.video_width_multiplier, model.video_aggregator).
      steps: static T, or None.

    Returns:
      The Branch for features.VIDEO / features.VIDEO_MASK.
    """
    size = config.video.crop_size
    return Branch(
        features.VIDEO, features.VIDEO_MASK, (size, size, 3), steps,
        config.model.video_extractor_weights,
        config.model.video_width_multiplier or config.model.width_multiplier,
        config.model.video_aggregator,
    )


def audio_branch(config: config_lib.Config, steps: int | None = None) -> Branch:
    """The spectrogram branch: [B, S, freq_bins, frames_per_segment] segments.

    Args:
      config: run config (audio.freq_bins, audio.frames_per_segment,
        model.audio_extractor_weights).
      steps: static S, or None.

    Returns:
      The Branch for features.AUDIO / features.AUDIO_MASK.
    """
    return Branch(
        features.AUDIO, features.AUDIO_MASK,
        (config.audio.freq_bins, config.audio.frames_per_segment), steps,
        config.model.audio_extractor_weights, config.model.width_multiplier,
    )
