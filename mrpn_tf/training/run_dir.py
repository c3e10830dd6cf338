"""The run folder: everything one training run writes, at fixed names.

    <run_dir>/config.yaml      resolved config (`save_resolved`); `load_config` reads it back
    <run_dir>/labels.json      {"dataset": ..., "labels": [class names in output order]}
    <run_dir>/model.keras      the full model (all heads), weights of the best epoch by val loss
                               (data.fold=all: of the last epoch, BatchNorm statistics
                               recomputed when train.precise_bn_batches > 0)
    <run_dir>/checkpoints/     epoch001.weights.h5, ... one per epoch (1-based, as Keras counts)
    <run_dir>/backup/          BackupAndRestore state, plus what it does not keep (resume.py)
    <run_dir>/logs/            TensorBoard
    <run_dir>/history.csv      one row per epoch (CSVLogger; epoch column 0-based)
    <run_dir>/summary.json     final metrics, best epoch, export paths (`write_summary`)

The export code reads this layout through `RunDir` (export/run_export.py). In a multi-worker run only the chief writes
here; every other worker keeps its own copy under `<run_dir>/workers/<task>/` (each worker
must save and restore its own state, and their files would otherwise collide).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import json
import math
import os
from typing import Any, Mapping, Sequence

import yaml

from mrpn_tf import files
from mrpn_tf.config import config as config_lib
from mrpn_tf.config import overrides
from mrpn_tf.data.datasets import label_sets

LABELS_NAME = "labels.json"
MODEL_NAME = "model.keras"
CHECKPOINT_DIR = "checkpoints"
CHECKPOINT_PATTERN = "epoch{epoch:03d}.weights.h5"  # Keras fills {epoch} 1-based
BACKUP_DIR = "backup"
LOG_DIR = "logs"
HISTORY_NAME = "history.csv"
SUMMARY_NAME = "summary.json"
WORKERS_DIR = "workers"
RUNS_ROOT = "runs"
# Keys a resumed run may change: training longer, stopping differently, exporting or not.
RESUMABLE_CHANGES = ("train.epochs", "train.early_stopping_patience", "train.run_dir")
RESUMABLE_SECTIONS = ("export",)


@dataclasses.dataclass(frozen=True)
class RunDir:
    """Paths inside one run folder (module docstring)."""

    root: str

    def path(self, name: str) -> str:
        """`name` inside the run folder."""
        return os.path.join(self.root, name)

    @property
    def config_path(self) -> str:
        return self.path(overrides.RESOLVED_CONFIG_NAME)

    @property
    def labels_path(self) -> str:
        return self.path(LABELS_NAME)

    @property
    def model_path(self) -> str:
        return self.path(MODEL_NAME)

    @property
    def checkpoints_dir(self) -> str:
        return self.path(CHECKPOINT_DIR)

    @property
    def checkpoint_pattern(self) -> str:
        """The ModelCheckpoint file pattern ({epoch} is 1-based)."""
        return os.path.join(self.checkpoints_dir, CHECKPOINT_PATTERN)

    def checkpoint_path(self, epoch: int) -> str:
        """Checkpoint of a 1-based epoch."""
        return os.path.join(self.checkpoints_dir, CHECKPOINT_PATTERN.format(epoch=epoch))

    @property
    def backup_dir(self) -> str:
        return self.path(BACKUP_DIR)

    @property
    def logs_dir(self) -> str:
        return self.path(LOG_DIR)

    @property
    def history_path(self) -> str:
        return self.path(HISTORY_NAME)

    @property
    def summary_path(self) -> str:
        return self.path(SUMMARY_NAME)


def default_root(config: config_lib.Config) -> str:
    """`runs/<dataset>-<network>-fold<k>-<YYYYmmdd-HHMMSS>`: a new folder per run."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    return os.path.join(
        RUNS_ROOT, f"{config.data.dataset}-{config.model.network}-fold{config.data.fold}-{stamp}"
    )


def for_worker(root: str, chief: bool, worker: str) -> RunDir:
    """The folder this process writes: the run folder (chief) or the worker's own copy."""
    return RunDir(root if chief else os.path.join(root, WORKERS_DIR, worker))


def _changed_keys(saved: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    changed = []
    for section, fields in wanted.items():
        if section in RESUMABLE_SECTIONS:
            continue
        for name, value in fields.items():
            key = f"{section}.{name}"
            if key not in RESUMABLE_CHANGES and saved.get(section, {}).get(name) != value:
                changed.append(f"{key}: run has {saved.get(section, {}).get(name)!r}, now {value!r}")
    return changed


def check_resumable(run_dir: RunDir, config: config_lib.Config) -> None:
    """Refuses to continue a run folder written with other settings.

    Resuming (BackupAndRestore) a run with another model or data would mix two experiments
    in one folder; only the epoch budget, early stopping and export may change.

    Raises:
      ValueError: the folder's config.yaml differs; the message lists the differences.
    """
    files.claim_folder(
        run_dir.root, overrides.RESOLVED_CONFIG_NAME, overrides.to_dict(config),
        refuse=lambda detail: ValueError(
            f"{run_dir.root} holds a run with other settings ({detail}); "
            "choose another train.run_dir to start a new run"),
        diff=_changed_keys, read=_read_yaml, write=False)  # `create` writes config.yaml


def _read_yaml(path: str) -> dict[str, Any]:
    with open(path) as f:
        return yaml.safe_load(f) or {}


def create(run_dir: RunDir, config: config_lib.Config) -> None:
    """Makes the folder and writes config.yaml and labels.json.

    Args:
      run_dir: the folder to write.
      config: the resolved config (its `train.run_dir` should name the folder).
    """
    for folder in (run_dir.root, run_dir.checkpoints_dir, run_dir.logs_dir):
        os.makedirs(folder, exist_ok=True)
    overrides.save_resolved(config, run_dir.root)
    files.write_json(run_dir.labels_path, {
        "dataset": config.data.dataset,
        "labels": list(label_sets.run_labels(config.data)),
    })


def read_run_labels(run_dir: RunDir) -> tuple[str, list[str]]:
    """(dataset, class names in output order) from the run's labels.json.

    Raises:
      FileNotFoundError: no labels.json (the folder is not a training run).
    """
    if not os.path.isfile(run_dir.labels_path):
        raise FileNotFoundError(
            f"{run_dir.labels_path} not found: {run_dir.root} is not a finished training run")
    with open(run_dir.labels_path) as f:
        payload = json.load(f)
    return payload["dataset"], list(payload["labels"])


def read_labels(run_dir: RunDir) -> list[str]:
    """Class names in output order, from labels.json."""
    return read_run_labels(run_dir)[1]


def load_config(run_dir: RunDir) -> config_lib.Config:
    """The run's resolved config.yaml."""
    return overrides.load_config(run_dir.config_path)


# --- history.csv ----------------------------------------------------------------
# Reading history.csv: the per-epoch metrics CSVLogger wrote, across resumes.
#
# Columns are Keras's log names: `epoch` (0-based), `loss`, `val_loss`, per head `<h>_loss`,
# `<h>_accuracy`, `val_<h>_loss`, `val_<h>_accuracy`, and `learning_rate` (logged by
# ReduceLROnPlateau, so absent without validation).

MONITOR = "val_loss"
# How CSVLogger writes a value an epoch did not log: the val_* columns of a run without
# validation (data.fold=all) are "NA" in every row.
MISSING = ("", "NA")


def read_history(path: str) -> list[dict[str, float]]:
    """The rows of history.csv as numbers, in epoch order.

    Raises:
      FileNotFoundError: no history (the run trained no epoch).
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no training history (did the run train an epoch?)")
    with open(path, newline="") as f:
        rows = [{k: float(v) for k, v in row.items() if v not in MISSING} for row in csv.DictReader(f)]
    return sorted(rows, key=lambda row: row["epoch"])


def best_epoch(rows: Sequence[dict[str, float]], monitor: str = MONITOR) -> int:
    """The 1-based epoch of lowest `monitor` (the checkpoint numbering), ties to the earliest.

    Raises:
      ValueError: no epoch has a finite `monitor` value.
    """
    scored = [(row[monitor], int(row["epoch"])) for row in rows
              if monitor in row and math.isfinite(row[monitor])]
    if not scored:
        raise ValueError(f"no epoch has a finite {monitor}: training diverged or never validated")
    return min(scored)[1] + 1


def head_values(row: dict[str, float], heads: Sequence[str], prefix: str = "val_") -> dict:
    """{head: {"accuracy", "loss"}} of one history row (validation columns by default).

    Keras names the columns of a model with one output without the output's name
    (`val_accuracy`, `val_loss`: N0, AM, VM); the one head then reads those.
    """
    def value(head: str, metric: str) -> float:
        named = row.get(f"{prefix}{head}_{metric}")
        if named is None and len(heads) == 1:
            named = row.get(f"{prefix}{metric}")
        return math.nan if named is None else named

    return {head: {"accuracy": value(head, "accuracy"), "loss": value(head, "loss")} for head in heads}


# --- summary.json ---------------------------------------------------------------
# summary.json: what a finished run reports, and its one-screen table.
#
#     {
#       "run_dir": ..., "dataset": "demo", "network": "N2", "fold": 1, "fold_name": "A1,2",
#       "train_clips": 96, "val_clips": 32, "replicas": 1, "global_batch_size": 8,
#       "epochs_trained": 30, "best_epoch": 27,          # 1-based, = checkpoints/epoch027
#       "val": {"v": {"accuracy": .., "loss": ..}, "a": {..}, "va": {..}},
#                   # model.keras (best epoch) on every validation clip once
#       "final_epoch": {"v": {"accuracy": .., "loss": ..}, ..., "loss": ..},
#                   # Keras's validation metrics of the last epoch trained
#       "final_epoch_train": {...},                        # the same, training metrics
#                   # (Keras's running means over the epoch's augmented batches)
#       "model": "<run_dir>/model.keras",
#       "exports": {name: path, ...},                      # {} when export.on_train_end is off
#       "wall_time_s": ...
#     }
#
# A run on every actor (`data.fold=all`, fold and fold_name "all") has no validation split:
# "val_clips", "val" and "final_epoch" are null, and "best_epoch" is the last epoch.

HEAD_TITLES = {"v": "video (v)", "a": "audio (a)", "va": "fusion (va)"}


def read_summary(run_dir: RunDir) -> dict[str, Any]:
    """The run's summary.json.

    Raises:
      FileNotFoundError: the run has not finished (no summary yet).
    """
    with open(run_dir.summary_path) as f:
        return json.load(f)


def write_summary(run_dir: RunDir, summary: Mapping[str, Any]) -> str:
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
