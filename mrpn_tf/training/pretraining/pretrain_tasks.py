"""The two pretraining tasks of paper 4.2, from their data to a saved extractor.

The ValueError / FileNotFoundError a task raises for bad data is raised before training: the
data are read (FER-2013) or listed (speakers) first.
"""

from __future__ import annotations

from typing import Any

import keras

from mrpn_tf.config import config as config_lib
from mrpn_tf.training.pretraining import extractor_training
from mrpn_tf.training.pretraining import fer2013
from mrpn_tf.training.pretraining import speakers


def pretrain_faces(
    csv_path: str, config: config_lib.Config, out_path: str, epochs: int, batch_size: int
) -> dict[str, Any]:
    """FER-2013 expression classification -> the video extractor's weights.

    Args:
      csv_path: fer2013.csv.
      config: the MRPN run's config (crop size, width, optimizer).
      out_path: the `.weights.h5` file to write.
      epochs: passes over the training faces.
      batch_size: faces per batch.

    Returns:
      {"weights", "val_accuracy", "epochs"}.

    Raises:
      ValueError: the CSV is malformed or has no "Training" / "PublicTest" rows.
    """
    usages = fer2013.read_fer2013(csv_path)
    for usage in (fer2013.TRAINING, fer2013.VALIDATION):
        if usage not in usages:
            raise ValueError(f"{csv_path}: no {usage!r} rows (Usage column)")
    keras.utils.set_random_seed(config.train.seed)
    train = fer2013.face_dataset(usages[fer2013.TRAINING], config, batch_size, True, config.train.seed)
    val = fer2013.face_dataset(usages[fer2013.VALIDATION], config, batch_size, False)
    extractor = extractor_training.build_extractor(config, extractor_training.VIDEO)
    return extractor_training.train_extractor(
        extractor, train, val, len(fer2013.EMOTIONS), config, epochs, out_path)


def pretrain_speakers(
    root: str, config: config_lib.Config, out_path: str, epochs: int, batch_size: int, crops: int
) -> dict[str, Any]:
    """Speaker identification on 1-s segments -> the audio extractor's weights.

    Args:
      root: VoxCeleb-layout folder.
      config: the MRPN run's config (audio settings, width, optimizer).
      out_path: the `.weights.h5` file to write.
      epochs: passes over the training utterances.
      batch_size: segments per batch.
      crops: one-second crops per utterance per epoch.

    Returns:
      {"weights", "val_accuracy", "epochs"}.

    Raises:
      FileNotFoundError / ValueError: no such folder, fewer than 2 speakers, or no
        validation recording.
    """
    utterances, names = speakers.scan_speakers(root)
    train_set, val_set = speakers.split_by_video(utterances)
    if not val_set or len(train_set) * crops < batch_size:
        raise ValueError(f"{root}: {len(train_set)} training and {len(val_set)} validation "
                         f"utterances; need a validation recording and one full batch of {batch_size}")
    keras.utils.set_random_seed(config.train.seed)
    train = speakers.segment_dataset(train_set, config, crops, batch_size, True, config.train.seed)
    val = speakers.segment_dataset(val_set, config, crops, batch_size, False)
    extractor = extractor_training.build_extractor(config, extractor_training.AUDIO)
    return extractor_training.train_extractor(extractor, train, val, len(names), config, epochs, out_path)
