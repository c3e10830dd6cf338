"""Evaluation of a trained model on a fold's validation clips (the held-out actors).

Each clip is scored as `predict` scores it (`mrpn_tf.inference.window_scoring`: the export's
2-s windows, each standardized on its own, the clip's probabilities the mean of its
windows'), so the accuracy a run reports (evaluation.json, summary.json, crossval) is that of
the model a user deploys. One pass over the split collects, per clip, the label, every head's
class probabilities and, on request, the deep features of the feature model (f_v, f_a and the
fused g_va, for the t-SNE plots of paper Fig. 5; a clip's features are its windows' mean).
From them: per-head accuracy and cross-entropy, per-class precision / recall / support and
the confusion matrix of each head.

The numbers are computed from the predictions, not from Keras's running means, so each clip
counts exactly once whatever the batch padding.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Sequence

import keras
import numpy as np
from sklearn import metrics as sk_metrics

from mrpn_tf import model as model_lib
from mrpn_tf.config import config as config_lib
from mrpn_tf.data.pipeline import dataset_builder
from mrpn_tf.inference import window_scoring
from mrpn_tf.model import testing_mode

# Keras's cross-entropy clips probabilities to [eps, 1 - eps]; the same here, so the loss
# matches what training reports.
EPSILON = 1e-7


@dataclasses.dataclass
class Predictions:
    """What a model says about the real clips of one split.

    Attributes:
      labels: int [N] true class of each clip.
      probabilities: head key -> float [N, C] softmax output.
      features: feature key ("f_v", "f_a", "fused") -> float [N, D]; empty unless asked for.
    """

    labels: np.ndarray
    probabilities: dict[str, np.ndarray]
    features: dict[str, np.ndarray]


def _with_features(model: keras.Model) -> keras.Model:
    """One model giving the heads' probabilities and the deep features (shared weights)."""
    features = model_lib.feature_model(model)
    return keras.Model(model.input, {**model.output, **features.output}, name=f"{model.name}_eval")


def predict_split(
    model: keras.Model,
    config: config_lib.Config,
    split: str = dataset_builder.VAL,
    with_features: bool = False,
    actors: Sequence[int] | None = None,
) -> Predictions:
    """Runs `model` in inference mode over one split of `data.fold`, window by window.

    Args:
      model: a trained model (built by `mrpn_tf.model.build_model` or loaded).
      config: the run config (data, fold, window, batch size = windows per model call).
      split: "val" (default) or "train" (then evaluated without augmentation).
      with_features: also collect the feature model's outputs.
      actors: explicit actor ids instead of the fold's split.

    Returns:
      The predictions for the split's clips, in pipeline order: per head, the mean of each
      clip's window probabilities (`window_scoring`), exactly as `Predictor.predict_clip`.

    Raises:
      ValueError: the validation split of `data.fold=all`, which has no actors.
    """
    if split == dataset_builder.VAL and actors is None and not dataset_builder.has_validation(config.data):
        raise ValueError(f"data.fold={config.data.fold} trained on every actor of "
                         f"{config.data.dataset}: there are no held-out actors to evaluate on")
    heads = list(model.output)
    runner = _with_features(model) if with_features else model
    branch_heads = testing_mode.branch_heads(model)
    clips = window_scoring.split_clips(config, split, actors)
    labels: list[int] = []

    def labelled(clips):
        for clip in clips:
            labels.append(clip.label)
            yield clip

    outputs = []
    batches = window_scoring.window_batches(
        labelled(clips), branch_heads, config, config.train.batch_size
    )
    for inputs, counts in batches:
        scores = runner.predict_on_batch({key: inputs[key] for key in model.input})
        outputs.append({
            key: window_scoring.clip_means(np.asarray(value), counts)
            for key, value in scores.items()
        })
    merged = {key: np.concatenate([o[key] for o in outputs]) for key in outputs[0]}
    return Predictions(
        labels=np.asarray(labels, np.int64),
        probabilities={key: merged[key] for key in heads},
        features={key: value for key, value in merged.items() if key not in heads},
    )


def head_metrics(predictions: Predictions) -> dict[str, dict[str, float]]:
    """Accuracy and cross-entropy of each head.

    Args:
      predictions: from `predict_split`.

    Returns:
      head -> {"accuracy": fraction correct, "loss": mean cross-entropy}.
    """
    results = {}
    for head, probabilities in predictions.probabilities.items():
        picked = probabilities[np.arange(len(predictions.labels)), predictions.labels]
        results[head] = {
            "accuracy": float(np.mean(np.argmax(probabilities, axis=-1) == predictions.labels)),
            "loss": float(np.mean(-np.log(np.clip(picked, EPSILON, 1.0 - EPSILON)))),
        }
    return results


def class_report(predictions: Predictions, class_names: Sequence[str]) -> dict[str, Any]:
    """Per-class precision, recall and support, and the confusion matrix, of each head.

    Args:
      predictions: from `predict_split`.
      class_names: names in label order.

    Returns:
      head -> {"classes": {name: {"precision", "recall", "support"}},
               "confusion_matrix": [[count true i predicted j]]}.
    """
    classes = list(range(len(class_names)))
    report = {}
    for head, probabilities in predictions.probabilities.items():
        predicted = np.argmax(probabilities, axis=-1)
        precision, recall, _, support = sk_metrics.precision_recall_fscore_support(
            predictions.labels, predicted, labels=classes, zero_division=0
        )
        report[head] = {
            "classes": {
                name: {"precision": float(p), "recall": float(r), "support": int(s)}
                for name, p, r, s in zip(class_names, precision, recall, support)
            },
            "confusion_matrix": sk_metrics.confusion_matrix(
                predictions.labels, predicted, labels=classes
            ).tolist(),
        }
    return report
