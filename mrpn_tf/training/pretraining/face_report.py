"""How a face model scores held-out FER-2013 faces: accuracy, per-class recall, confusion PNG.

Each way of cropping the faces (the detector crops the model learned from, the whole images)
is scored as it is and with each face's mirror image averaged in (flip averaging, a common
test-time step on FER-2013), so the report says what each choice is worth in points. Beside
the confusion matrix, the learning curves (training and PublicTest accuracy per epoch) are
drawn from history.csv.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

import keras
import matplotlib
import numpy as np

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

from mrpn_tf import files  # noqa: E402
from mrpn_tf.config import config as config_lib  # noqa: E402
from mrpn_tf.data import features  # noqa: E402
from mrpn_tf.data.datasets import fer2013 as fer_data  # noqa: E402
from mrpn_tf.training import evaluation_figures  # noqa: E402
from mrpn_tf.training import history
from mrpn_tf.training import run_dir as run_dir_lib  # noqa: E402
from mrpn_tf.training.pretraining import fer2013  # noqa: E402

CONFUSION_NAME = "confusion_publictest.png"
CURVES_NAME = "learning_curves.png"
FLIPPED = " + flip"


def probabilities(model: keras.Model, crops: np.ndarray, video: config_lib.VideoConfig,
                  batch: int, flip: bool = False) -> np.ndarray:
    """float [N, classes]: the model's v head on each grey crop as a one-frame clip."""
    labels = np.zeros(len(crops), np.int32)
    dataset = fer2013.face_dataset(crops, labels, video, batch, False, flip=flip).map(lambda x, y: x)
    return np.asarray(model.predict(dataset, verbose=0)[features.V])


def scores(labels: np.ndarray, probs: np.ndarray, num_classes: int) -> dict[str, Any]:
    """{"accuracy", "recall": class -> recall, "confusion": [[count]] (rows true)}."""
    predicted = probs.argmax(axis=1)
    confusion = np.zeros([num_classes, num_classes], np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    recall = confusion.diagonal() / np.maximum(confusion.sum(axis=1), 1)
    return {
        "accuracy": float((predicted == labels).mean()),
        "recall": {fer_data.EMOTIONS[c]: float(r) for c, r in enumerate(recall)},
        "confusion": confusion.tolist(),
    }


def score_faces(model: keras.Model, crops: Mapping[str, np.ndarray], labels: np.ndarray,
                video: config_lib.VideoConfig, batch: int) -> dict[str, dict[str, Any]]:
    """`scores` of every cropping, plain and flip-averaged ("<name> + flip")."""
    report = {}
    for name, faces in crops.items():
        plain = probabilities(model, faces, video, batch)
        mirrored = probabilities(model, faces, video, batch, flip=True)
        report[name] = scores(labels, plain, len(fer_data.EMOTIONS))
        report[name + FLIPPED] = scores(labels, (plain + mirrored) / 2, len(fer_data.EMOTIONS))
    return report


def learning_curves(run_dir: run_dir_lib.RunDir) -> str:
    """PNG of training and PublicTest accuracy and loss per epoch, from history.csv; its path."""
    rows = history.read_history(run_dir.history_path)
    epochs = np.arange(1, len(rows) + 1)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key, title in ((axes[0], "accuracy", "accuracy"), (axes[1], "loss", "loss")):
        ax.plot(epochs, [r[key] for r in rows], label="training (augmented)")
        ax.plot(epochs, [r["val_" + key] for r in rows], label="PublicTest")
        ax.set_xlabel("epoch")
        ax.set_title(title)
        ax.grid(alpha=0.3)
    axes[0].legend()
    fig.tight_layout()
    path = os.path.join(run_dir.root, CURVES_NAME)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write(run_dir: run_dir_lib.RunDir, report: Mapping[str, Mapping[str, Any]],
          extra: Mapping[str, Any]) -> dict[str, Any]:
    """summary.json (the report under "publictest", the first cropping's accuracy as
    "val_accuracy"), the first cropping's confusion matrix and the learning curves as PNGs, in
    the run folder."""
    first = next(iter(report))
    figure = evaluation_figures.confusion_figure(
        {features.V: report[first]["confusion"]}, fer_data.EMOTIONS,
        os.path.join(run_dir.root, CONFUSION_NAME))
    summary = dict(extra, val_accuracy=report[first]["accuracy"], publictest=dict(report),
                   confusion_png=figure, curves_png=learning_curves(run_dir))
    files.write_json(run_dir.summary_path, summary)
    return summary
