"""The MRPN HyperModel: hyperparameters -> a config -> the normal builder and the normal fit.

`build(hp)` sets the trial's hyperparameters on a copy of the base config and calls the
trainer's `build_compiled_model` (the model package's builder, AdamW, the eq. 5 losses, the
weighted per-head accuracy); KerasTuner calls it inside the strategy's scope. There is no
second model definition: a trial's model is the model `python -m mrpn_tf.train` would build
from the same config.

`fit(hp, model, trial_dir=...)` trains it with the trainer's `fit` on each fold of the search,
one trainer run folder per fold inside the trial's folder:

    <tuner dir>/trial_<id>/fold<k>/   config.yaml, checkpoints/, backup/, history.csv, logs/

so a trial killed half-way resumes at its last finished epoch (the trainer's backup), and
returns the objective of `objective.py` read from the folds' history.csv.
"""

from __future__ import annotations

import copy
import os
from typing import Any, Sequence

import keras
import keras_tuner
import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.data.datasets import label_sets
from mrpn_tf.training import preflight
from mrpn_tf.training import history
from mrpn_tf.training import run_dir as run_dir_lib
from mrpn_tf.training import strategy as strategy_lib
from mrpn_tf.training import accelerator_switches
from mrpn_tf.training import task
from mrpn_tf.tuning import objective
from mrpn_tf.tuning import search_space

FOLD_DIR = "fold{fold}"


def _seed_as_train_does(train: config_lib.TrainConfig) -> None:
    """The seed, determinism and accelerator switches `task.train` sets before it builds.

    So a trial and a `python -m mrpn_tf.train` run of the best config start from the same
    weights and draw the same input (exactly so with `train.deterministic`).
    """
    keras.utils.set_random_seed(train.seed)
    if train.deterministic:  # process-wide and permanent, as in task.train
        tf.config.experimental.enable_op_determinism()
    accelerator_switches.apply_switches(train)


class MRPNHyperModel(keras_tuner.HyperModel):
    """Builds and fits MRPN networks whose config a trial's hyperparameters set."""

    def __init__(
        self,
        base: config_lib.Config,
        space: search_space.SearchSpace,
        strategy: tf.distribute.Strategy,
        folds: Sequence[int],
    ):
        """Args:
          base: the config every trial starts from (data folders filled in).
          space: the hyperparameters and the config keys they set.
          strategy: the training strategy; models are built in its scope by the tuner.
          folds: the folds a trial trains on; the objective is their mean.
        """
        super().__init__(name="mrpn")
        self.base = base
        self.space = space
        self.strategy = strategy
        self.folds = tuple(folds)

    def trial_config(self, hp: keras_tuner.HyperParameters) -> config_lib.Config:
        """The base config with the trial's hyperparameters set (declaring them on `hp`).

        Args:
          hp: the trial's hyperparameters.

        Returns:
          A new config; `data.fold` is the search's first fold.
        """
        config = self.space.apply(self.base, self.space.declare(hp))
        config.data.fold = self.folds[0]
        return config

    def build(self, hp: keras_tuner.HyperParameters) -> keras.Model:
        """The compiled network of the trial's config, set up as `task.train` sets it up.

        Args:
          hp: the trial's hyperparameters.

        Returns:
          The model of `task.build_compiled_model`.
        """
        config = self.trial_config(hp)
        _seed_as_train_does(config.train)
        return task.build_compiled_model(config, len(label_sets.run_labels(config.data)))

    def fit(
        self,
        hp: keras_tuner.HyperParameters,
        model: keras.Model,
        *args: Any,
        trial_dir: str,
        callbacks: Sequence[keras.callbacks.Callback] = (),
        epochs: int | None = None,
        initial_epoch: int = 0,
        **kwargs: Any,
    ) -> dict[str, float]:
        """Trains the trial on every fold and scores it (module docstring).

        Args:
          hp: the trial's hyperparameters.
          model: built by `build` in the strategy scope (Hyperband: with the weights of the
            trial it continues); trains on the first fold, the other folds get fresh models.
          *args: unused (the data come from the config).
          trial_dir: the trial's folder in the tuner folder.
          callbacks: KerasTuner's callbacks, appended to the trainer's.
          epochs: Hyperband's epoch budget of this trial; None: `train.epochs`.
          initial_epoch: epochs a Hyperband trial's weights were already trained.
          **kwargs: unused.

        Returns:
          The metrics of `objective.best_epoch_metrics`.
        """
        config = self.trial_config(hp)
        if epochs is not None:
            config.train.epochs = epochs - initial_epoch  # a fresh run folder counts from 0
        curves = []
        for i, fold in enumerate(self.folds):
            fold_config = copy.deepcopy(config)
            fold_config.data.fold = fold
            fold_config.train.run_dir = os.path.join(trial_dir, FOLD_DIR.format(fold=fold))
            if i > 0:
                with self.strategy.scope():
                    model = self.build(hp)
            curves.append(self._fit_fold(model, fold_config, callbacks))
        return objective.best_epoch_metrics(curves)

    def _fit_fold(
        self, model: keras.Model, config: config_lib.Config, callbacks: Sequence[keras.callbacks.Callback]
    ) -> list[dict[str, float]]:
        """The trainer's checks, run folder and `fit` for one fold; returns its history rows."""
        run_dir = task.resolve_run_dir(config)
        global_batch = config.train.batch_size * self.strategy.num_replicas_in_sync
        sizes = preflight.check_run(config, global_batch, strategy_lib.uses_gpu(self.strategy))
        run_dir_lib.create(run_dir, config)
        print(f"trial run folder: {run_dir.root}")
        task.fit(model, config, self.strategy, run_dir, sizes, callbacks)
        return history.read_history(run_dir.history_path)
