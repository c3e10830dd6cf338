"""summary.json: what a finished run reports, and its one-screen table.

    {
      "run_dir": ..., "dataset": "demo", "network": "N2", "fold": 1, "fold_name": "A1,2",
      "train_clips": 96, "val_clips": 32, "replicas": 1, "global_batch_size": 8,
      "epochs_trained": 30, "best_epoch": 27,          # 1-based, = checkpoints/epoch027
      "val": {"v": {"accuracy": .., "loss": ..}, "a": {..}, "va": {..}},
                  # model.keras (best epoch) on every validation clip once
      "final_epoch": {"v": {"accuracy": .., "loss": ..}, ..., "loss": ..},
                  # Keras's validation metrics of the last epoch trained
      "final_epoch_train": {...},                        # the same, training metrics
                  # (Keras's running means over the epoch's augmented batches)
      "model": "<run_dir>/model.keras",
      "exports": {name: path, ...},                      # {} when export.on_train_end is off
      "wall_time_s": ...
    }

A run on every actor (`data.fold=all`, fold and fold_name "all") has no validation split:
"val_clips", "val" and "final_epoch" are null, and "best_epoch" is the last epoch.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from mrpn_tf import files
from mrpn_tf.training import run_dir as run_dir_lib

HEAD_TITLES = {"v": "video (v)", "a": "audio (a)", "va": "fusion (va)"}


def read_summary(run_dir: run_dir_lib.RunDir) -> dict[str, Any]:
    """The run's summary.json.

    Raises:
      FileNotFoundError: the run has not finished (no summary yet).
    """
    with open(run_dir.summary_path) as f:
        return json.load(f)


def write_summary(run_dir: run_dir_lib.RunDir, summary: Mapping[str, Any]) -> str:
    """Writes summary.json atomically; returns its path."""
    files.write_json(run_dir.summary_path, dict(summary))
    return run_dir.summary_path


def format_table(summary: Mapping[str, Any]) -> str:
    """A short text table: per head, validation accuracy and loss of the best epoch.

    A run on every actor (`data.fold=all`) has no validation: its table shows the last
    epoch's training accuracy and loss instead (Keras's running means over the epoch).

    Args:
      summary: a summary.json dict.

    Returns:
      Lines ready to print.
    """
    if summary["val"] is not None:
        clips = f"{summary['train_clips']} training / {summary['val_clips']} validation clips"
        chosen, column, scores = "best epoch", "val", summary["val"]
    else:
        clips = f"{summary['train_clips']} training clips, no validation"
        chosen, column = "last epoch", "train"
        scores = {h: v for h, v in summary["final_epoch_train"].items() if isinstance(v, Mapping)}
    lines = [
        f"run       {summary['run_dir']}",
        f"data      {summary['dataset']} fold {summary['fold']} ({summary['fold_name']}): {clips}",
        f"network   {summary['network']}, {chosen} {summary['best_epoch']} of "
        f"{summary['epochs_trained']}, {summary['wall_time_s']:.0f} s",
        "",
        f"{'head':<14}{column + ' accuracy':>16}{column + ' loss':>12}",
    ]
    for head, values in scores.items():
        lines.append(f"{HEAD_TITLES.get(head, head):<14}{values['accuracy']:>16.1%}{values['loss']:>12.3f}")
    for name, path in summary.get("exports", {}).items():
        lines.append(f"export    {name}: {path}")
    return "\n".join(lines)
