"""Pretraining one extractor F_m on a classification task, and saving its weights.

The extractor is `resnet18` built exactly as the MRPN branch builds it (frame shape from the
config, the branch's width, the branch's layer names), so its weights file loads into
the branch (`resnet18.load_extractor_weights`). The classifier on top (dropout + one dense
layer) is thrown away: only F_m's weights are kept.
"""

from __future__ import annotations

import os
from typing import Any

import keras
import tensorflow as tf

from mrpn_tf import runtime
from mrpn_tf.config import config as config_lib
from mrpn_tf.model import branch as branch_lib
from mrpn_tf.model import layer_names
from mrpn_tf.model import resnet18
from mrpn_tf.data import features
from mrpn_tf.training import optimizer as optimizer_lib

VIDEO = "video"
AUDIO = "audio"
# The side-head key of each modality, which names its extractor's layers (layer_names.py).
HEADS = {VIDEO: features.V, AUDIO: features.A}


def build_extractor(config: config_lib.Config, modality: str) -> keras.Model:
    """F_m of the MRPN branch of `modality`, untrained.

    Args:
      config: video.crop_size, audio spectrogram shape, the branch's width.
      modality: "video" or "audio".

    Returns:
      The ResNet-18 mapping one frame / segment to its feature vector.
    """
    branch = branch_lib.video_branch(config) if modality == VIDEO else branch_lib.audio_branch(config)
    return resnet18.resnet18(
        branch.frame_shape, branch.width_multiplier, name=layer_names.resnet(HEADS[modality])
    )


def classifier(extractor: keras.Model, num_classes: int, dropout: float) -> keras.Model:
    """extractor -> Dropout -> Dense softmax: the pretraining task's model (shares F_m)."""
    inputs = keras.Input(extractor.input.shape[1:], name="frame")
    x = keras.layers.Dropout(dropout, name="dropout")(extractor(inputs))
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="scores")(x)
    return keras.Model(inputs, outputs, name=f"{extractor.name}_pretraining")


def train_extractor(
    extractor: keras.Model,
    train: tf.data.Dataset,
    val: tf.data.Dataset,
    num_classes: int,
    config: config_lib.Config,
    epochs: int,
    out_path: str,
) -> dict[str, Any]:
    """Fits the classifier on (frame, label) batches and saves F_m's weights to `out_path`.

    Args:
      extractor: from `build_extractor`.
      train: (frames, labels) training batches.
      val: (frames, labels) validation batches.
      num_classes: classes of the pretraining task.
      config: `train` (AdamW learning rate and decay), `model.dropout`.
      epochs: passes over `train`.
      out_path: the `.weights.h5` file to write.

    Returns:
      {"weights": out_path, "val_accuracy": last epoch's, "epochs": epochs}.
    """
    model = classifier(extractor, num_classes, config.model.dropout)
    model.compile(
        optimizer=optimizer_lib.build_optimizer(config.train),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )
    history = model.fit(train, validation_data=val, epochs=epochs, shuffle=False, verbose=runtime.progress_verbosity())
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    extractor.save_weights(out_path)
    return {"weights": out_path, "val_accuracy": float(history.history["val_accuracy"][-1]),
            "epochs": epochs}
