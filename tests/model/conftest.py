"""Tiny synthetic clips for the model tests (tiny config: crop 48, ResNet width 0.125)."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import pytest

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import features


def padded_batch(
    frame_shape: Sequence[int],
    lengths: Sequence[int],
    steps: int,
    seed: int,
    pad_value: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Random frames [B, steps, *frame_shape] with `lengths` real steps and a float mask.

    The real frames depend only on `lengths` and `seed`, not on `steps`: the same clips can be
    padded to different lengths.
    """
    rng = np.random.default_rng(seed)
    real = rng.random((len(lengths), max(lengths)) + tuple(frame_shape), dtype=np.float32)
    x = np.full((len(lengths), steps) + tuple(frame_shape), pad_value, np.float32)
    mask = np.zeros((len(lengths), steps), np.float32)
    for i, n in enumerate(lengths):
        x[i, :n] = real[i, :n]
        mask[i, :n] = 1.0
    return x, mask


@pytest.fixture
def tiny_config() -> config_lib.Config:
    """A fresh tiny config (tests may change it)."""
    return config_lib.tiny()


@pytest.fixture
def clip_batch() -> Callable[..., dict[str, np.ndarray]]:
    """Factory: model inputs for clips of given frame / segment counts, padded to T / S."""

    def make(
        config: config_lib.Config,
        video_lengths: Sequence[int] = (2, 3),
        audio_lengths: Sequence[int] = (1, 2),
        video_steps: int | None = None,
        audio_steps: int | None = None,
        seed: int = 0,
        pad_value: float = 0.0,
    ) -> dict[str, np.ndarray]:
        size = config.video.crop_size
        video, video_mask = padded_batch(
            (size, size, 3), video_lengths, video_steps or max(video_lengths), seed, pad_value
        )
        audio, audio_mask = padded_batch(
            (config.audio.freq_bins, config.audio.frames_per_segment), audio_lengths,
            audio_steps or max(audio_lengths), seed + 1, pad_value,
        )
        return {
            features.VIDEO: video,
            features.VIDEO_MASK: video_mask,
            features.AUDIO: audio,
            features.AUDIO_MASK: audio_mask,
        }

    return make
