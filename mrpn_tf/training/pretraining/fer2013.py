"""FER-2013 (Goodfellow et al. 2013): the face extractor's pretraining task (paper 4.2).

The CSV as distributed has the columns `emotion` (0 angry, 1 disgust, 2 fear, 3 happy, 4 sad,
5 surprise, 6 neutral), `pixels` (48 x 48 = 2304 grey levels separated by spaces) and `Usage`
("Training", "PublicTest", "PrivateTest"). Training uses the "Training" rows; "PublicTest"
validates; "PrivateTest" stays unseen, as in the challenge.

Each grey 48 x 48 face becomes an RGB crop of `video.crop_size` in [0, 1] (resized, channel
repeated), the format of the pipeline's face crops, and training crops get the pipeline's own
spatial augmentation (`video_augmentation`, one frame as a one-frame clip).
"""

from __future__ import annotations

import csv
import dataclasses

import numpy as np
import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.data.pipeline import video_augmentation

EMOTIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
SIDE = 48
TRAINING = "Training"
VALIDATION = "PublicTest"
COLUMNS = ("emotion", "pixels", "Usage")


@dataclasses.dataclass
class FerSet:
    """The rows of one usage: uint8 faces [N, 48, 48] and int labels [N]."""

    images: np.ndarray
    labels: np.ndarray


def read_fer2013(path: str) -> dict[str, FerSet]:
    """Reads the FER-2013 CSV, grouped by usage.

    Args:
      path: fer2013.csv.

    Returns:
      usage ("Training", "PublicTest", "PrivateTest") -> FerSet.

    Raises:
      ValueError: a missing column, a row without 2304 pixels or a label outside 0..6 (the
        message names the line).
    """
    rows: dict[str, tuple[list, list]] = {}
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: no column {', '.join(missing)} (expected {', '.join(COLUMNS)})")
        for line, row in enumerate(reader, start=2):
            pixels = np.array(row["pixels"].split(), dtype=np.uint8)
            label = int(row["emotion"])
            if pixels.size != SIDE * SIDE or not 0 <= label < len(EMOTIONS):
                raise ValueError(f"{path}:{line}: expected 2304 pixels and an emotion in 0..6, "
                                 f"got {pixels.size} pixels and emotion {label}")
            images, labels = rows.setdefault(row["Usage"], ([], []))
            images.append(pixels.reshape(SIDE, SIDE))
            labels.append(label)
    return {usage: FerSet(np.stack(images), np.array(labels, np.int32))
            for usage, (images, labels) in rows.items()}


def to_crop(image: tf.Tensor, crop_size: int) -> tf.Tensor:
    """A uint8 grey face [48, 48] -> float32 RGB [crop, crop, 3] in [0, 1]."""
    grey = tf.cast(image[..., None], tf.float32) / 255.0
    resized = tf.image.resize(grey, [crop_size, crop_size], antialias=True)
    return tf.clip_by_value(tf.tile(resized, [1, 1, 3]), 0.0, 1.0)


def face_dataset(
    fer: FerSet, config: config_lib.Config, batch_size: int, training: bool, seed: int = 0
) -> tf.data.Dataset:
    """(crops [B, crop, crop, 3], labels [B]) batches of one usage.

    Args:
      fer: one usage of `read_fer2013`.
      config: `video.crop_size` and the augmentation ranges.
      batch_size: faces per batch.
      training: shuffle, augment and drop the remainder.
      seed: shuffle and augmentation seed.

    Returns:
      A dataset of known size.
    """
    size = config.video.crop_size
    dataset = tf.data.Dataset.from_tensor_slices((fer.images, fer.labels))
    if training:
        dataset = dataset.shuffle(len(fer.labels), seed=seed, reshuffle_each_iteration=True)
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)

    def prepare(pair, face_seed):
        image, label = pair
        crop = to_crop(image, size)
        if training:
            crop = video_augmentation.random_augment_clip(crop[None], face_seed, config.video)[0]
        return crop, label

    dataset = tf.data.Dataset.zip((dataset, seeds)).map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.batch(batch_size, drop_remainder=training).prefetch(tf.data.AUTOTUNE)
