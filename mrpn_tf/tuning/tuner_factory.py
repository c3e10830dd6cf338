"""KerasTuner tuners over the MRPN HyperModel: random search, Bayesian optimization, Hyperband.

Every tuner
  * maximizes `objective.OBJECTIVE`;
  * builds each trial's model in the training strategy's scope (`distribution_strategy`);
  * keeps its state in the tuner folder (`directory/project_name` in KerasTuner's terms) and
    reloads it when the folder exists: finished trials are kept, and a trial that was
    running when the search stopped is run again under its own id, resuming from its
    trainer backup (hypermodel.py);
  * in a distributed search (distributed.py) is the chief, which owns the oracle, or a
    worker, which asks the chief for trials and keeps no oracle of its own;
  * gives the HyperModel's `fit` its trial folder (`trial_dir=`).

`max_trials` caps the trials of every kind. Hyperband decides its own number of trials from
`max_epochs` (= `train.epochs`, the longest a trial trains) and its reduction factor 3; the
cap still holds, so a small `--max-trials` stops it before its brackets are complete.
"""

from __future__ import annotations

import os
from typing import Any

import keras_tuner
import tensorflow as tf

from mrpn_tf import files
from mrpn_tf.tuning import distributed
from mrpn_tf.tuning import objective

RANDOM, BAYESIAN, HYPERBAND = "random", "bayesian", "hyperband"
TUNERS = (RANDOM, BAYESIAN, HYPERBAND)
# KerasTuner stops a search after this many failed trials in a row: a setting that fails
# three times in a row is more likely a broken setup than unlucky hyperparameters.
MAX_CONSECUTIVE_FAILED_TRIALS = 3
ORACLE_NAME = "oracle.json"


class _TrialFolders:
    """Passes each trial's folder to `HyperModel.fit`, so its runs live inside it."""

    def run_trial(self, trial: keras_tuner.engine.trial.Trial, *args: Any, **kwargs: Any) -> Any:
        return super().run_trial(trial, *args, trial_dir=self.get_trial_dir(trial.trial_id), **kwargs)


class RandomSearchTuner(_TrialFolders, keras_tuner.RandomSearch):
    """Random search with trial folders."""


class BayesianTuner(_TrialFolders, keras_tuner.BayesianOptimization):
    """Gaussian-process Bayesian optimization with trial folders."""


class HyperbandTuner(_TrialFolders, keras_tuner.Hyperband):
    """Hyperband with trial folders."""


def build_tuner(
    kind: str,
    hypermodel: keras_tuner.HyperModel,
    directory: str,
    max_trials: int,
    max_epochs: int,
    seed: int,
    strategy: tf.distribute.Strategy,
) -> keras_tuner.Tuner:
    """A tuner of the named kind whose state lives in `directory` (module docstring).

    Args:
      kind: "random", "bayesian" or "hyperband".
      hypermodel: the MRPN HyperModel.
      directory: the tuner folder; reloaded when it holds a search.
      max_trials: the most trials the search runs, counting those already run.
      max_epochs: Hyperband's longest trial (`train.epochs`).
      seed: the oracle's seed (the same search draws the same trials).
      strategy: the training strategy.

    Returns:
      The tuner; `search()` runs it.

    Raises:
      ValueError: an unknown kind.
    """
    folder = os.path.abspath(directory)
    saved = _saved_oracle(folder)
    # KerasTuner reloads its oracle only when this tuner id's own file is there (tuner0.json,
    # chief.json): a search begun in one process and continued by a chief would start over.
    reloads_itself = os.path.isfile(os.path.join(folder, f"{distributed.tuner_id()}.json"))
    tuner = _new_tuner(kind, hypermodel, folder, max_trials, max_epochs, seed, strategy)
    if saved is not None and distributed.role() != distributed.WORKER:
        if not reloads_itself:
            tuner.oracle.reload()
        distributed.reopen_trials(tuner.oracle, saved["ongoing_trials"],
                                  keep_assigned=distributed.role() == distributed.CHIEF)
    return tuner


def holds_search(directory: str) -> bool:
    """Whether the tuner folder holds a KerasTuner search (its oracle's saved state)."""
    return os.path.isfile(os.path.join(directory, ORACLE_NAME))


def _saved_oracle(folder: str) -> dict[str, Any] | None:
    """The folder's oracle.json state, None when it has none."""
    return files.read_json(os.path.join(folder, ORACLE_NAME)) if holds_search(folder) else None


def _new_tuner(
    kind: str,
    hypermodel: keras_tuner.HyperModel,
    folder: str,
    max_trials: int,
    max_epochs: int,
    seed: int,
    strategy: tf.distribute.Strategy,
) -> keras_tuner.Tuner:
    """KerasTuner's tuner of the kind over `folder` (it reloads what it recognizes)."""
    common = dict(
        hypermodel=hypermodel,
        objective=keras_tuner.Objective(objective.OBJECTIVE, objective.DIRECTION),
        seed=seed,
        max_consecutive_failed_trials=MAX_CONSECUTIVE_FAILED_TRIALS,
        distribution_strategy=strategy,
        directory=os.path.dirname(folder),
        project_name=os.path.basename(folder),
        overwrite=False,
    )
    if kind == RANDOM:
        return RandomSearchTuner(max_trials=max_trials, **common)
    if kind == BAYESIAN:
        return BayesianTuner(max_trials=max_trials, **common)
    if kind == HYPERBAND:
        tuner = HyperbandTuner(max_epochs=max_epochs, factor=3, **common)
        tuner.oracle.max_trials = max_trials  # the Oracle's own cap, which Hyperband leaves unset
        return tuner
    raise ValueError(f"unknown tuner {kind!r}; expected one of {', '.join(TUNERS)}")
