"""Calibration windows for full-integer TFLite, drawn from the run's own input pipeline.

Full-integer quantization fixes every activation's range from the values a representative
dataset produces. Those values come from `build_dataset` - the records, decoding and
spectrogram code the model was trained and evaluated with - on the training actors of the
run's fold (calibration must not look at the validation actors), without augmentation, cut
into the window model's static windows at the positions `windowing.window_starts` gives.

One difference from predict, harmless for ranges: the pipeline standardizes a clip's audio
over the whole clip, predict over each window (as training does over each random slice).
"""

from __future__ import annotations

import math
from typing import Iterator, Sequence

import numpy as np

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import features
from mrpn_tf.data.pipeline import dataset_builder
from mrpn_tf.export import signature_keys
from mrpn_tf.export import tflite_export
from mrpn_tf.export import windowing


def _masked_cut(data: np.ndarray, real: int, start: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """A window of the real steps of `data` from `start`, and its mask."""
    window, length = windowing.cut(data[:real], start, size)
    return window, (np.arange(size) < length).astype(np.float32)


def clip_windows(
    clip: dict[str, np.ndarray], spec: windowing.WindowSpec, config: config_lib.Config
) -> list[dict[str, np.ndarray]]:
    """Cuts one clip's padded pipeline features into static windows.

    Args:
      clip: one clip's features (`features.VIDEO`, `VIDEO_MASK`, `AUDIO`, `AUDIO_MASK`),
        padded to its batch's longest clip.
      spec: the window.
      config: audio segment length and hop (segment k starts at k x audio.hop_s).

    Returns:
      Windows of the same keys, [frames, ...] and [segments, ...], masks 1 on real steps.
    """
    real_frames = int(clip[features.VIDEO_MASK].sum())
    real_segments = int(clip[features.AUDIO_MASK].sum())
    audio_s = config.audio.segment_s + (real_segments - 1) * config.audio.hop_s
    # A stream a single-modality run does not have is one masked step: it sets no duration.
    durations = [d for d, real in ((real_frames / spec.fps, real_frames), (audio_s, real_segments)) if real]
    duration = min(durations, default=0.0)
    windows = []
    for start in windowing.window_starts(duration, spec):
        video, video_mask = _masked_cut(
            clip[features.VIDEO], real_frames, int(math.floor(start * spec.fps + 1e-6)), spec.frames
        )
        audio, audio_mask = _masked_cut(
            clip[features.AUDIO], real_segments, int(round(start / config.audio.hop_s)), spec.segments
        )
        windows.append({
            features.VIDEO: video, features.VIDEO_MASK: video_mask,
            features.AUDIO: audio, features.AUDIO_MASK: audio_mask,
        })
    return windows


def calibration_windows(
    config: config_lib.Config, spec: windowing.WindowSpec, limit: int
) -> list[dict[str, np.ndarray]]:
    """Up to `limit` windows of the training actors' clips, unaugmented, in pipeline order.

    Args:
      config: the run's config (data source, fold, preprocessing).
      spec: the window.
      limit: how many windows at most.

    Returns:
      Windows as from `clip_windows`.

    Raises:
      ValueError / FileNotFoundError: the run's data cannot be read (from `build_dataset`).
    """
    dataset = dataset_builder.build_dataset(config, dataset_builder.TRAIN, is_training=False)
    windows: list[dict[str, np.ndarray]] = []
    for inputs, _, weights in dataset.as_numpy_iterator():
        for i in np.flatnonzero(weights[features.VA] > 0):  # weight 0: evaluation padding clip
            clip = {key: value[i] for key, value in inputs.items()}
            windows += clip_windows(clip, spec, config)
            if len(windows) >= limit:
                return windows[:limit]
    return windows


def representative_dataset(
    windows: Sequence[dict[str, np.ndarray]], signature_inputs: dict[str, Sequence[str]]
) -> tflite_export.RepresentativeDataset:
    """The converter's representative dataset: every window, for every signature.

    Args:
      windows: from `calibration_windows`.
      signature_inputs: signature name -> its input keys (a side head takes one branch).

    Returns:
      A generator function yielding (signature name, {key: [1, ...] array}).
    """

    def generate() -> Iterator[tuple[str, dict[str, np.ndarray]]]:
        for window in windows:
            for name, keys in signature_inputs.items():
                yield name, {key: window[key][None] for key in keys}

    return generate


def signature_input_keys(heads: Sequence[str]) -> dict[str, list[str]]:
    """Signature name -> feature input keys, for the window models of a model with `heads`.

    Args:
      heads: the model's branch heads.

    Returns:
      {FEATURES: all heads' inputs, VIDEO_ONLY / AUDIO_ONLY: one head's} for the given heads;
      the side-head entries are for N1 / N2 only, the caller keeps the signatures it has.
    """
    keys = {signature_keys.FEATURES: [k for h in heads for k in signature_keys.FEATURE_INPUTS[h]]}
    for head in heads:
        keys[signature_keys.SIDE_HEAD_SIGNATURES[head]] = list(signature_keys.FEATURE_INPUTS[head])
    return keys
