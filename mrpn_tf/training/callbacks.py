"""The callbacks of a training run, in the order their epoch-end work must happen.

  ReduceLROnPlateau  paper 4.2: the learning rate is "decreased two times if validation loss
                     is not dropping over ten epochs" (factor and patience from the config);
                     or, with train.lr_schedule="cosine", a LearningRateScheduler
  EarlyStopping      optional (train.early_stopping_patience > 0), on validation loss
  ModelCheckpoint    the weights of every epoch (the best one becomes model.keras)
  CSVLogger          history.csv, appended to when a run resumes
  TensorBoard        logs/
  BackupAndRestore   backup/: a killed run resumes at the last finished epoch
  ResumeState        backup/: what BackupAndRestore leaves out (resume.py)

The learning-rate and stopping decisions come first so that the backup taken at the end of an
epoch holds the learning rate the next epoch will use. A run without validation
(`data.fold=all`) has no validation loss for them to watch: it has neither, and trains
`train.epochs` epochs on the cosine schedule (train.lr_schedule="cosine") or at
`train.learning_rate`.
"""

from __future__ import annotations

import keras

from mrpn_tf import runtime
from mrpn_tf.config import config as config_lib
from mrpn_tf.data.pipeline import dataset_builder
from mrpn_tf.training import optimizer
from mrpn_tf.training import resume
from mrpn_tf.training import history
from mrpn_tf.training import run_dir as run_dir_lib


def build_callbacks(
    config: config_lib.Config, run_dir: run_dir_lib.RunDir
) -> list[keras.callbacks.Callback]:
    """Callbacks for `fit` writing into `run_dir` (module docstring).

    Args:
      config: `train.lr_schedule`, `train.lr_factor`, `train.lr_patience`,
        `train.early_stopping_patience`; `data.fold` (without validation, only the cosine
        schedule applies).
      run_dir: the folder this process writes.

    Returns:
      The callbacks, in order.
    """
    train = config.train
    schedule = []
    if train.lr_schedule == "cosine":
        # A pure function of the epoch: a resumed run sets the same rate as an uninterrupted
        # one, and it needs no validation (data.fold=all follows it too).
        schedule.append(keras.callbacks.LearningRateScheduler(optimizer.cosine_schedule(train)))
    if dataset_builder.has_validation(config.data):
        if train.lr_schedule == "plateau":
            schedule.append(keras.callbacks.ReduceLROnPlateau(
                monitor=history.SELECTION_METRIC, factor=train.lr_factor, patience=train.lr_patience, verbose=1
            ))
        if train.early_stopping_patience > 0:
            schedule.append(keras.callbacks.EarlyStopping(
                monitor=history.SELECTION_METRIC, patience=train.early_stopping_patience, verbose=1
            ))
    return schedule + [
        keras.callbacks.ModelCheckpoint(run_dir.checkpoint_pattern, save_weights_only=True),
        keras.callbacks.CSVLogger(run_dir.history_path, append=True),
        keras.callbacks.TensorBoard(run_dir.logs_dir, write_graph=False, profile_batch=0),
        # Kept after the run: rerunning a finished run folder then trains nothing more.
        keras.callbacks.BackupAndRestore(run_dir.backup_dir, delete_checkpoint=False),
        resume.ResumeState(run_dir.backup_dir, schedule),
    ]


class KeepMallocSettings(keras.callbacks.Callback):
    """Re-applies the allocator settings (runtime.py) at the first step of every pass.

    Each training or validation pass creates a tf.distribute iterator, and with it a generator
    dataset whose kernel sets glibc's trim threshold back to 128 KB.
    """

    def on_train_batch_begin(self, batch, logs=None):
        if batch == 0:
            runtime.tune_malloc(again=True)

    def on_test_batch_begin(self, batch, logs=None):
        if batch == 0:
            runtime.tune_malloc(again=True)
