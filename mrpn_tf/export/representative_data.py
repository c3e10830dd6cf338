"""Calibration windows for full-integer TFLite, cut and preprocessed as predict does.

Full-integer quantization fixes every activation's range from the values a representative
dataset produces. Those values come from the one scoring path (`window_scoring`): the run's
prepared records of the training actors of its fold (calibration must not look at the
validation actors), cut into the export's windows by `windowing.raw_windows` and turned into
features by `serving_preprocessing.raw_to_features` - each window standardized on its own,
exactly the features the .tflite files are given by predict.
"""

from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import features
from mrpn_tf.data.pipeline import dataset_builder
from mrpn_tf.export import signature_keys
from mrpn_tf.export import tflite_export
from mrpn_tf.export import window_scoring
from mrpn_tf.export import windowing


def calibration_windows(
    config: config_lib.Config, spec: windowing.WindowSpec, limit: int
) -> list[dict[str, np.ndarray]]:
    """Up to `limit` windows of the training actors' clips, in pipeline order.

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
    if spec != windowing.window_spec(config):
        raise ValueError(f"calibration window {spec} is not the config's export window")
    clips = window_scoring.split_clips(config, dataset_builder.TRAIN)
    windows: list[dict[str, np.ndarray]] = []
    for batch, counts in window_scoring.window_batches(clips, [features.V, features.A], config, 1):
        windows += [{key: value[i] for key, value in batch.items()} for i in range(sum(counts))]
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
