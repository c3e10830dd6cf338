"""The run folder: everything one training run writes, at fixed names.

    <run_dir>/config.yaml      resolved config (`save_resolved`); `load_config` reads it back
    <run_dir>/labels.json      {"dataset": ..., "labels": [class names in output order]}
    <run_dir>/model.keras      the full model (all heads), weights of the best epoch by val loss
                               (data.fold=all: of the last epoch, BatchNorm statistics
                               recomputed when train.precise_bn_batches > 0)
    <run_dir>/checkpoints/     epoch001.weights.h5, ... one per epoch (1-based, as Keras counts)
    <run_dir>/backup/          BackupAndRestore state, plus what it does not keep (resume.py)
    <run_dir>/logs/            TensorBoard
    <run_dir>/history.csv      one row per epoch (CSVLogger; epoch column 0-based; history.py)
    <run_dir>/summary.json     final metrics, best epoch, export paths (summary.py)

The export code reads this layout through `RunDir` (export/run_export.py). In a multi-worker run only the chief writes
here; every other worker keeps its own copy under `<run_dir>/workers/<task>/` (each worker
must save and restore its own state, and their files would otherwise collide).
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
from typing import Any

import yaml

from mrpn_tf import files
from mrpn_tf.config import config as config_lib
from mrpn_tf.config import loading
from mrpn_tf.config import resolved
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
        return self.path(resolved.RESOLVED_CONFIG_NAME)

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
        run_dir.root, resolved.RESOLVED_CONFIG_NAME, resolved.to_dict(config),
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
    resolved.save_resolved(config, run_dir.root)
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
    return loading.load_config(run_dir.config_path)
