"""`evaluate_run`: the evaluation of a finished run, written into its folder.

    <run_dir>/evaluation.json       per head: accuracy, loss, per-class precision / recall /
                                    support, confusion matrix
    <run_dir>/confusion_matrix.png  one panel per head
    <run_dir>/tsne.png              t-SNE of the deep features per modality and fused (Fig. 5)

It reads only the run folder (config.yaml, labels.json, model.keras) and the prepared data
the config names, so it can run any time after training, on any machine.
"""

from __future__ import annotations

from typing import Any

import keras

from mrpn_tf import files
from mrpn_tf.config import loading
from mrpn_tf.training import evaluation
from mrpn_tf.training import evaluation_figures
from mrpn_tf.training import run_dir as run_dir_lib

REPORT_NAME = "evaluation.json"
CONFUSION_NAME = "confusion_matrix.png"
TSNE_NAME = "tsne.png"


def evaluate_run(run_dir: run_dir_lib.RunDir) -> dict[str, Any]:
    """Evaluates model.keras on the run's validation clips and writes the report and figures.

    Args:
      run_dir: a finished run folder.

    Returns:
      The report: {"heads": {head: {"accuracy", "loss", "classes", "confusion_matrix"}},
      "val_clips": N, "files": {"report", "confusion_matrix", "tsne"}}.

    Raises:
      FileNotFoundError: the folder has no model.keras or config.yaml.
    """
    config = loading.load_config(run_dir.config_path)
    class_names = run_dir_lib.read_labels(run_dir)
    model = keras.saving.load_model(run_dir.model_path)
    predictions = evaluation.predict_split(model, config, with_features=True)
    metrics = evaluation.head_metrics(predictions)
    classes = evaluation.class_report(predictions, class_names)
    outputs = {
        "report": run_dir.path(REPORT_NAME),
        "confusion_matrix": evaluation_figures.confusion_figure(
            {h: c["confusion_matrix"] for h, c in classes.items()}, class_names,
            run_dir.path(CONFUSION_NAME),
        ),
        "tsne": evaluation_figures.tsne_figure(
            predictions.features, predictions.labels, class_names, run_dir.path(TSNE_NAME),
            seed=config.train.seed,
        ),
    }
    report = {
        "heads": {head: {**metrics[head], **classes[head]} for head in metrics},
        "val_clips": int(len(predictions.labels)),
        "files": outputs,
    }
    files.write_json(outputs["report"], report)
    return report


def format_report(report: dict[str, Any]) -> str:
    """Per head and class: precision and recall, as a text table.

    Args:
      report: from `evaluate_run`.

    Returns:
      Lines ready to print.
    """
    lines = []
    for head, values in report["heads"].items():
        lines.append(f"head {head}: accuracy {values['accuracy']:.1%}, loss {values['loss']:.3f} "
                     f"({report['val_clips']} clips)")
        lines.append(f"  {'class':<12}{'precision':>10}{'recall':>8}{'support':>9}")
        for name, c in values["classes"].items():
            lines.append(f"  {name:<12}{c['precision']:>10.2f}{c['recall']:>8.2f}{c['support']:>9d}")
    lines += [f"{name}: {path}" for name, path in report["files"].items()]
    return "\n".join(lines)
