"""The two pretraining tasks of paper 4.2, from their data to a saved extractor.

The ValueError / FileNotFoundError a task raises for bad data is raised before training: the
data are read (FER-2013) or listed (speakers) first.
"""

from __future__ import annotations

import os
from typing import Any

import keras

from mrpn_tf import runtime
from mrpn_tf.config import config as config_lib
from mrpn_tf.data import datasets
from mrpn_tf.data import features
from mrpn_tf.data.datasets import fer2013 as fer_data
from mrpn_tf.data.media import model_store
from mrpn_tf.model import layer_names
from mrpn_tf.model import networks
from mrpn_tf.training import resume
from mrpn_tf.training import history
from mrpn_tf.training import run_dir as run_dir_lib
from mrpn_tf.training import callbacks as callbacks_lib
from mrpn_tf.training import task
from mrpn_tf.training.pretraining import extractor_training
from mrpn_tf.training.pretraining import face_report
from mrpn_tf.data import fer2013_faces
from mrpn_tf.training.pretraining import fer2013
from mrpn_tf.training.pretraining import speakers


def pretrain_faces(fer_path: str, config: config_lib.Config, out_path: str) -> dict[str, Any]:
    """FER-2013 expression classification -> a face model and the video extractor's weights.

    The model is the config's network (a VM; `pipelines/fer2013_faces.yaml` gives it the
    averaging aggregator) trained on one-frame clips of detector-cropped faces
    (`fer2013.py`), in a run folder like any training run (`train.run_dir`, resumable), so
    that `export`, `predict` and `stream` take it as they take any run. The last epoch of
    `train.epochs` is kept (no choice by PublicTest); PublicTest scores it.

    Args:
      fer_path: fer2013.csv or the Kaggle folder (train/, test/ or validation/).
      config: the face run's config (network, crop size, width, optimizer, epochs, batch).
      out_path: the `.weights.h5` file for the extractor's weights.

    Returns:
      {"weights", "run_dir", "val_accuracy", "epochs", ...} (the run's summary.json).

    Raises:
      ValueError: the data is malformed or has no Training / PublicTest faces, or the
        network is not the video-only VM.
    """
    if config.model.network != networks.VM:
        raise ValueError(f"pretrain faces trains a face-only model: model.network=VM, "
                         f"not {config.model.network}")
    config.data.root = fer_path  # the export's int8 calibration reads its faces there too
    usages = fer_data.read_fer2013(fer_path)
    for usage in (fer_data.TRAINING, fer_data.PUBLIC_TEST):
        if usage not in usages:
            raise ValueError(f"{fer_path}: no {usage} faces")
    detector = model_store.resolve_face_model(config.video.face_model)
    cache = config.data.prepared_dir or os.path.join("prepared", datasets.FER2013)
    train_set, val_set = usages[fer_data.TRAINING], usages[fer_data.PUBLIC_TEST]
    train_boxes, train_found = fer2013_faces.cached_boxes(train_set, fer_data.TRAINING, config.video, detector, cache)
    val_boxes, val_found = fer2013_faces.cached_boxes(val_set, fer_data.PUBLIC_TEST, config.video, detector, cache)
    size = config.video.crop_size
    train_crops = fer2013_faces.crops(train_set, train_boxes, size)
    val_crops = fer2013_faces.crops(val_set, val_boxes, size)

    run_dir = task.resolve_run_dir(config)
    run_dir_lib.create(run_dir, config)
    print(f"run folder: {run_dir.root}")
    keras.utils.set_random_seed(config.train.seed)
    model = task.build_compiled_model(config, len(fer_data.EMOTIONS))
    done = resume.epochs_done(run_dir.backup_dir)
    resume.trim_history(run_dir.history_path, done)
    batch = config.train.batch_size
    train = fer2013.face_dataset(train_crops, train_set.labels, config.video, batch, True, config.train.seed)
    val = fer2013.face_dataset(val_crops, val_set.labels, config.video, batch, False)
    model.fit(train, validation_data=val, epochs=config.train.epochs, shuffle=False,
              callbacks=callbacks_lib.build_callbacks(config, run_dir), verbose=runtime.progress_verbosity())
    last = len(history.read_history(run_dir.history_path))
    model.load_weights(run_dir.checkpoint_path(last))
    model.save(run_dir.model_path)
    extractor = model.get_layer(layer_names.extractor(features.V)).layer
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    extractor.save_weights(out_path)

    whole_crops = fer2013_faces.crops(val_set, val_boxes, size, whole=True)
    report = face_report.score_faces(
        model, {"detector crops": val_crops, "whole images": whole_crops}, val_set.labels,
        config.video, batch)
    summary = face_report.write(run_dir, report, {
        "weights": out_path, "run_dir": run_dir.root, "epochs": last,
        "faces_found": {fer_data.TRAINING: [int(train_found.sum()), len(train_found)],
                        fer_data.PUBLIC_TEST: [int(val_found.sum()), len(val_found)]},
    })
    return summary


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
