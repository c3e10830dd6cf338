"""What travels with an export: `labels.txt` and `metadata.json`.

`labels.txt` holds the class names, one per line, in output order. `metadata.json` says what a
client needs to feed the model and read its outputs, without the repository:

    {
      "format": 1, "name": "mrpn", "version": 3, "dataset": "ravdess",
      "labels": [...], "config_hash": "...", "network": "N2", "heads": ["v", "a"],
      "preprocessing": {"video": {...}, "audio": {...}},   # the constants the graphs use
      "window": {"seconds": 2.0, "hop_seconds": 2.0, "frames": 30, "samples": 32000,
                 "segments": 6, "aggregation": "..."},
      "savedmodel": {"signatures": {name: {"inputs": {key: {"dtype", "shape"}}, "outputs": ...}}},
      "tflite": {"files": {variant: file name}, "signatures": {...}},       # on model features
      "tflite_raw": {"files": {variant: file name}, "signatures": {...}},   # on raw windows
      "config": {...}                                      # the resolved run config
    }

Both files go into the SavedModel's assets/ and beside the .tflite files.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any, Sequence

import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.config import keys
from mrpn_tf.config import resolved
from mrpn_tf.data.pipeline import spectrogram_segments
from mrpn_tf.inference import windowing

LABELS_NAME = "labels.txt"
METADATA_NAME = "metadata.json"
FORMAT = 1
AGGREGATION = "mean of the window probabilities"


def spec_json(specs: dict[str, tf.TensorSpec]) -> dict[str, dict[str, Any]]:
    """{key: {"dtype": "uint8", "shape": [-1, -1, 112, 112, 3]}}, -1 for any size."""
    return {
        key: {"dtype": spec.dtype.name, "shape": [-1 if d is None else d for d in spec.shape.as_list()]}
        for key, spec in specs.items()
    }


def preprocessing_json(config: config_lib.Config) -> dict[str, dict[str, Any]]:
    """The constants the exported graphs and predict apply, by stream."""
    video, audio = config.video, config.audio
    return {
        "video": {
            "input": "RGB face crops, uint8; the graph scales them to [0, 1] (x / 255)",
            "fps": video.fps,
            "crop_size": video.crop_size,
            "face_margin": video.face_margin,
            "box_smoothing": video.box_smoothing,
            "min_face_score": video.min_face_score,
            "max_frame_side": video.max_frame_side,
            "jpeg_quality": video.jpeg_quality,
        },
        "audio": {
            "input": "mono waveform, float32 in [-1, 1) (PCM16 / 32768)",
            **dataclasses.asdict(audio),
            "std_floor": spectrogram_segments.STD_FLOOR,
        },
    }


def window_json(spec: windowing.WindowSpec) -> dict[str, Any]:
    """The TFLite window and how window scores make a clip's (windowing.py)."""
    return {**dataclasses.asdict(spec), "aggregation": AGGREGATION}


def build(
    config: config_lib.Config,
    labels: Sequence[str],
    dataset: str,
    heads: Sequence[str],
    spec: windowing.WindowSpec,
    signatures: dict[str, dict[str, Any]],
    name: str,
    version: int,
) -> dict[str, Any]:
    """The metadata of one export.

    Args:
      config: the run's resolved config.
      labels: class names in output order.
      dataset: the dataset the labels come from.
      heads: the model's branch heads.
      spec: the TFLite window.
      signatures: {"savedmodel": {...}, "tflite": {...}} input / output specs and file names.
      name, version: the export's model name and version.

    Returns:
      The JSON-ready dict (module docstring).
    """
    return {
        "format": FORMAT,
        "name": name,
        "version": version,
        "dataset": dataset,
        "labels": list(labels),
        "config_hash": resolved.config_hash(config),
        "network": config.model.network,
        "aggregator": config.model.aggregator,
        "video_aggregator": config.model.video_aggregator or config.model.aggregator,
        "heads": list(heads),
        "preprocessing": preprocessing_json(config),
        "window": window_json(spec),
        **signatures,
        "config": resolved.to_dict(config),
    }


def write(folder: str, labels: Sequence[str], metadata: dict[str, Any]) -> dict[str, str]:
    """Writes labels.txt and metadata.json into `folder`; returns {"labels": .., "metadata": ..}."""
    os.makedirs(folder, exist_ok=True)
    paths = {"labels": os.path.join(folder, LABELS_NAME), "metadata": os.path.join(folder, METADATA_NAME)}
    with open(paths["labels"], "w") as f:
        f.write("".join(f"{label}\n" for label in labels))
    with open(paths["metadata"], "w") as f:
        json.dump(metadata, f, indent=1)
    return paths


def read(path: str) -> dict[str, Any]:
    """Reads a metadata.json.

    Raises:
      FileNotFoundError: naming the file, when it is missing.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path} not found: not an mrpn_tf export (no {METADATA_NAME})")
    with open(path) as f:
        return json.load(f)


def config_of(metadata: dict[str, Any]) -> config_lib.Config:
    """The run config recorded in an export's metadata."""
    config = config_lib.Config()
    for section, values in metadata["config"].items():
        for key, value in values.items():
            keys.set_value(config, f"{section}.{key}", value, source=METADATA_NAME)
    return config
