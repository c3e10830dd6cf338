"""Calibration windows for full-integer TFLite, cut and preprocessed as predict does.

Full-integer quantization fixes every activation's range from the values a representative
dataset produces. Those values come from the one scoring path (`window_scoring`): the run's
prepared records of the training actors of its fold (calibration must not look at the
validation actors), cut into the export's windows by `windowing.raw_windows` - the raw
windows the raw-input files take - and turned into features by
`serving_preprocessing.raw_to_features` - each window standardized on its own, exactly the
features the feature files are given by predict.

A face model trained on FER-2013 stills (`data.dataset: fer2013`) has no clips: its windows are
Training faces as predict gives it a still, one frame, framed whole (FER faces are centred).
"""

from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import datasets
from mrpn_tf.data import features
from mrpn_tf.data.datasets import fer2013
from mrpn_tf.data.media import face_image
from mrpn_tf.data.pipeline import dataset_builder
from mrpn_tf.inference import signature_keys
from mrpn_tf.export import tflite_export
from mrpn_tf.inference import window_scoring
from mrpn_tf.inference import windowing


def calibration_raw_windows(
    config: config_lib.Config, spec: windowing.WindowSpec, limit: int
) -> list[dict[str, np.ndarray]]:
    """Up to `limit` raw windows of the training actors' clips, in pipeline order.

    Args:
      config: the run's config (data source, fold).
      spec: the window (must be `windowing.window_spec(config)`, the export's).
      limit: how many windows at most.

    Returns:
      Windows as `windowing.raw_windows` cuts them, one at a time: `FRAMES` uint8
      [frames, crop, crop, 3] and `NUM_FRAMES` int32 scalar, `WAVEFORM` float32 [samples] and
      `NUM_SAMPLES` int32 scalar, for the streams the run has.

    Raises:
      ValueError / FileNotFoundError: the run's data cannot be read.
    """
    if spec != windowing.window_spec(config):
        raise ValueError(f"calibration window {spec} is not the config's export window")
    if config.data.dataset == datasets.FER2013:
        return still_raw_windows(config, spec, limit)
    windows: list[dict[str, np.ndarray]] = []
    for clip in window_scoring.split_clips(config, dataset_builder.TRAIN):
        batch = window_scoring.clip_raw_windows(clip, [features.V, features.A], spec)
        count = len(next(iter(batch.values())))
        windows += [{key: value[i] for key, value in batch.items()} for i in range(count)]
        if len(windows) >= limit:
            return windows[:limit]
    return windows


def still_raw_windows(
    config: config_lib.Config, spec: windowing.WindowSpec, limit: int
) -> list[dict[str, np.ndarray]]:
    """Up to `limit` one-frame windows of FER-2013 Training faces (`data.root`), spread evenly
    over the split, each face framed whole at `video.crop_size`."""
    faces = fer2013.read_fer2013(config.data.root)[fer2013.TRAINING]
    picks = np.linspace(0, len(faces) - 1, min(limit, len(faces))).astype(int)
    windows = []
    for crop in face_image.grey_crops(faces.images[picks], config.video.crop_size):
        frames = np.repeat(crop[None, ..., None], 3, axis=-1)
        batch, _ = windowing.raw_windows(frames, None, spec)
        windows.append({key: value[0] for key, value in batch.items()})
    return windows


def window_features(
    config: config_lib.Config, raw_windows: Sequence[dict[str, np.ndarray]]
) -> list[dict[str, np.ndarray]]:
    """The features of raw windows (`serving_preprocessing.raw_to_features`, one window at a time).

    Returns:
      Feature dicts (`features.VIDEO`, `VIDEO_MASK`, `AUDIO`, `AUDIO_MASK`) of [frames, ...]
      and [segments, ...] steps, masks 1 on real steps.
    """
    to_features = window_scoring.features_function(config, [features.V, features.A])
    windows = []
    for raw in raw_windows:
        batch = to_features({key: value[None] for key, value in raw.items()})
        windows.append({key: value[0] for key, value in batch.items()})
    return windows


def calibration_windows(
    config: config_lib.Config, spec: windowing.WindowSpec, limit: int
) -> list[dict[str, np.ndarray]]:
    """Up to `limit` windows of the training actors' clips, as features (`window_features`).

    Args:
      config: the run's config (data source, fold, preprocessing).
      spec: the window (must be `windowing.window_spec(config)`, the export's).
      limit: how many windows at most.

    Returns:
      Windows: feature dicts (`features.VIDEO`, `VIDEO_MASK`, `AUDIO`, `AUDIO_MASK`) of
      [frames, ...] and [segments, ...] steps, masks 1 on real steps.

    Raises:
      ValueError / FileNotFoundError: the run's data cannot be read.
    """
    return window_features(config, calibration_raw_windows(config, spec, limit))


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


def raw_signature_input_keys(heads: Sequence[str]) -> dict[str, list[str]]:
    """Raw-file signature name -> raw input keys (`serving_default` and the side heads')."""
    keys = {
        signature_keys.SERVING_DEFAULT: [k for h in heads for k in signature_keys.RAW_INPUTS[h]]
    }
    for head in heads:
        keys[signature_keys.SIDE_HEAD_SIGNATURES[head]] = list(signature_keys.RAW_INPUTS[head])
    return keys
