"""Resuming a killed run exactly where it stopped.

`keras.callbacks.BackupAndRestore` saves, at each epoch end, the model's weights, the
optimizer's state (moments, step count, learning rate) and the epoch. Three more things decide
what the next epochs compute, and it keeps none of them:

  1. The dropout masks: each Dropout layer draws from a Keras SeedGenerator whose state is a
     variable that `save_weights` leaves out, so a resumed run would replay the masks of
     epoch 1.
  2. The callbacks' counters: ReduceLROnPlateau and EarlyStopping restart their patience and
     their best value at every `fit`, so a resumed run would halve the learning rate later.
  3. The input pipeline's random stream: shuffles, time slices and augmentations draw new
     seeds from the dataset's seed generators each time an iterator is created, and a new
     process starts that stream over.

`ResumeState` saves and restores 1 and 2 next to the backup; `replay_input_draws` advances 3
by the epochs already trained. With them, and `train.deterministic` on (the pipeline's
parallel reads otherwise deliver clips in a different order in every process), a resumed run
computes what the uninterrupted run would have computed (tests/training/test_resume.py).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
from typing import Any, Sequence

import keras
import numpy as np
import tensorflow as tf

from mrpn_tf import files

# BackupAndRestore's own metadata file in its backup folder: {"epoch": epochs done, ...}.
BACKUP_METADATA = "training_metadata.json"
STATE_NAME = "resume_state.json"
SEED_STATE = "seed_generator_state"
# The counters of the callbacks whose decisions depend on earlier epochs.
COUNTERS = {
    keras.callbacks.ReduceLROnPlateau: ("wait", "best", "cooldown_counter"),
    keras.callbacks.EarlyStopping: ("wait", "best", "best_epoch"),
}

log = logging.getLogger(__name__)


def epochs_done(backup_dir: str) -> int:
    """Epochs a backed-up run has finished (0 when there is no backup).

    Args:
      backup_dir: the BackupAndRestore folder.

    Returns:
      The epoch BackupAndRestore will resume at.
    """
    path = os.path.join(backup_dir, BACKUP_METADATA)
    if not os.path.isfile(path):
        return 0
    with open(path) as f:
        return int(json.load(f)["epoch"])


def replay_input_draws(dataset: tf.data.Dataset, epochs: int) -> None:
    """Advances a dataset's random stream past `epochs` epochs without reading any data.

    Shuffle and random datasets draw their per-pass seeds when an iterator is created (not
    when it is read), so creating and dropping one iterator per epoch replays the draws
    cheaply. The training input makes one pass per epoch (`input_data.exact_epochs`: one
    iterator repeated, `epochs` passes before epoch `epochs`).

    Args:
      dataset: one input pipeline's training dataset, one pass = one epoch.
      epochs: epochs already trained (`epochs_done`).
    """
    for _ in range(epochs):
        iter(dataset)


def trim_history(history_path: str, epochs: int) -> None:
    """Drops history.csv rows of epochs >= `epochs` (0-based), which the resumed run redoes.

    A run killed after CSVLogger wrote an epoch but before the backup of that epoch would
    otherwise list the epoch twice.
    """
    if not os.path.isfile(history_path):
        return
    with open(history_path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        return
    kept = [rows[0]] + [row for row in rows[1:] if row and int(row[0]) < epochs]
    text = io.StringIO()
    csv.writer(text).writerows(kept)
    files.write_atomic(history_path, text.getvalue())


def _seed_variables(model: keras.Model) -> list:
    """The model's SeedGenerator states, in the model's variable order.

    Their names carry a process-wide counter ("seed_generator_16"), so a state is matched
    by its position among the model's variables, which the architecture fixes.
    """
    return [v for v in model.variables if v.path.endswith(SEED_STATE)]


def _plain(value: Any) -> Any:
    """A counter as a JSON value: int, float (inf included) or None (not set yet)."""
    if value is None:
        return None
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    return float(value)


def _counters(callback: keras.callbacks.Callback) -> tuple[str, ...]:
    return next((names for kind, names in COUNTERS.items() if isinstance(callback, kind)), ())


class ResumeState(keras.callbacks.Callback):
    """Saves and restores what BackupAndRestore leaves out (items 1 and 2 above).

    Place it after BackupAndRestore and after the callbacks it restores: on train begin they
    reset their counters and BackupAndRestore loads the weights, then this restores; on epoch
    end they update, then this saves.

    Args:
      backup_dir: BackupAndRestore's folder (this writes `resume_state.json` into it).
      callbacks: callbacks whose counters to keep (ReduceLROnPlateau, EarlyStopping).
    """

    def __init__(self, backup_dir: str, callbacks: Sequence[keras.callbacks.Callback]):
        super().__init__()
        self.backup_dir = backup_dir
        self.tracked = [c for c in callbacks if _counters(c)]
        self.path = os.path.join(backup_dir, STATE_NAME)

    def _state(self, epochs: int) -> dict[str, Any]:
        return {
            "epoch": epochs,
            "seeds": [np.asarray(v.numpy()).tolist() for v in _seed_variables(self.model)],
            "callbacks": [
                {name: _plain(getattr(c, name)) for name in _counters(c)} for c in self.tracked
            ],
        }

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        os.makedirs(self.backup_dir, exist_ok=True)
        files.write_json(self.path, self._state(epoch + 1), indent=None)

    def on_train_begin(self, logs: dict | None = None) -> None:
        done = epochs_done(self.backup_dir)
        if not done or not os.path.isfile(self.path):
            return
        with open(self.path) as f:
            state = json.load(f)
        if state["epoch"] != done:  # killed between the two saves: the backup is one ahead
            log.warning("%s is from epoch %d, the backup from epoch %d: dropout masks and "
                        "callback counters restart", self.path, state["epoch"], done)
            return
        variables = _seed_variables(self.model)
        if len(variables) != len(state["seeds"]):
            raise ValueError(f"{self.path} holds {len(state['seeds'])} dropout seed states, the "
                             f"model has {len(variables)}: the backup is of another model")
        for variable, value in zip(variables, state["seeds"]):
            variable.assign(np.asarray(value, dtype=variable.dtype))
        for callback, counters in zip(self.tracked, state["callbacks"]):
            for name, value in counters.items():
                setattr(callback, name, value)
