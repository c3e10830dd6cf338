"""FER-2013 faces as one-frame clips of the VM, for the face pretraining (paper 4.2).

The faces are detector crops (`data/fer2013_faces.py`: the crop `prepare` makes of a video
frame). Each face is then a one-frame clip of the VM (`video` [1, crop, crop, 3],
`video_mask` [1]), so that the model trained on stills is the network `predict`, `export` and
`stream` already run, and training crops get the pipeline's own spatial augmentation
(`video_augmentation`).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import features
from mrpn_tf.data.pipeline import video_augmentation


def one_frame_clip(crop: tf.Tensor) -> dict[str, tf.Tensor]:
    """A grey uint8 crop [H, W] -> the VM's inputs: `video` [1, H, W, 3] in [0, 1], `video_mask` [1]."""
    rgb = tf.image.grayscale_to_rgb(tf.cast(crop[..., None], tf.float32) / 255.0)
    return {features.VIDEO: rgb[None], features.VIDEO_MASK: tf.ones([1], tf.float32)}


def face_dataset(
    faces: np.ndarray, labels: np.ndarray, video: config_lib.VideoConfig, batch_size: int,
    training: bool, seed: int = 0, flip: bool = False,
) -> tf.data.Dataset:
    """({video, video_mask}, {v: label}) batches of one-frame clips.

    Args:
      faces: grey crops uint8 [N, crop, crop] (`crops`).
      labels: int [N].
      video: augmentation ranges.
      batch_size: clips per batch.
      training: shuffle, augment (one draw per face, new each epoch), drop the remainder.
      seed: shuffle and augmentation seed.
      flip: mirror every face (evaluation with flip averaging).

    Returns:
      A dataset of known size.
    """
    dataset = tf.data.Dataset.from_tensor_slices((faces, labels.astype(np.int32)))
    if training:
        dataset = dataset.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True)
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)

    def prepare(pair, face_seed):
        crop, label = pair
        clip = one_frame_clip(crop)
        if training:
            clip[features.VIDEO] = video_augmentation.random_augment_clip(
                clip[features.VIDEO], face_seed, video)
        if flip:
            clip[features.VIDEO] = tf.reverse(clip[features.VIDEO], axis=[2])
        return clip, {features.V: label}

    dataset = tf.data.Dataset.zip((dataset, seeds)).map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.batch(batch_size, drop_remainder=training).prefetch(tf.data.AUTOTUNE)
