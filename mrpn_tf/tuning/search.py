"""One hyperparameter search: checks, tuner folder, KerasTuner search, results, best config.

    run_search(request, strategy)
      demo data when the run reads the demo set (as `python -m mrpn_tf.train` makes it)
      the trainer's preflight on every fold, the objective's head in every network
                                               -> clear errors before any trial runs
      tuner folder: search.json; continue the search it holds, refuse another one
      tuner.search(): each trial builds the normal model in the strategy scope and trains it
                      with the trainer's fit on the fold(s) (hypermodel.py)
      results.md (printed), best.yaml (and a copy in pipelines/ when asked)

In a distributed search (distributed.py) the chief skips the data (it trains nothing), serves
the oracle in `tuner.search()` until the workers are done, then writes the results; a worker
runs trials until the oracle stops it and writes no results.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import shutil
import time
from typing import Any, Sequence

import keras
import tensorflow as tf

from mrpn_tf import model as model_lib
from mrpn_tf import runtime
from mrpn_tf.config import config as config_lib
from mrpn_tf.data import features
from mrpn_tf.data.folds import folds as folds_lib
from mrpn_tf.demo import demo_run
from mrpn_tf.training import preflight
from mrpn_tf.training import strategy as strategy_lib
from mrpn_tf.tuning import best_config
from mrpn_tf.tuning import distributed
from mrpn_tf.tuning import hypermodel as hypermodel_lib
from mrpn_tf.tuning import objective
from mrpn_tf.tuning import results_table
from mrpn_tf.tuning import run_file as run_file_lib
from mrpn_tf.tuning import tuner_factory
from mrpn_tf.tuning import tuner_folder

PIPELINES_DIR = "pipelines"


class SearchError(RuntimeError):
    """A search cannot start or found nothing; the message says why."""


@dataclasses.dataclass(frozen=True)
class SearchRequest:
    """What to search and where.

    Attributes:
      run: the base config and space (`run_file.load_tune_run`).
      tuner: "random", "bayesian" or "hyperband".
      max_trials: the most trials, counting those a continued search already ran.
      folds: the folds a trial trains on; the objective is their mean.
      directory: the tuner folder.
      overwrite: delete the folder's search first instead of continuing it.
      best_name: also write the best config as `pipelines/<best_name>.yaml` ("" = no).
    """

    run: run_file_lib.TuneRun
    tuner: str
    max_trials: int
    folds: tuple[int, ...]
    directory: str
    overwrite: bool = False
    best_name: str = ""

    @property
    def best_copy_path(self) -> str:
        """Where `best_name` puts the best config ("" without one)."""
        return os.path.join(PIPELINES_DIR, f"{self.best_name}.yaml") if self.best_name else ""


def check_request(request: SearchRequest) -> None:
    """The checks that need no data and no TensorFlow (the command line runs them first).

    Raises:
      SearchError: a bad trial count, a fold the dataset lacks, Hyperband over several
        folds, a network without the objective's head, a multi-worker cluster, KERASTUNER_*
        variables set in part or with --overwrite, or a `--best-name` file a person wrote.
    """
    if request.max_trials < 1:
        raise SearchError(f"--max-trials must be at least 1, got {request.max_trials}")
    if request.tuner not in tuner_factory.TUNERS:
        raise SearchError(f"--tuner {request.tuner!r}; expected one of {', '.join(tuner_factory.TUNERS)}")
    _check_folds(request)
    if request.tuner == tuner_factory.HYPERBAND and len(request.folds) > 1:
        # Hyperband continues a trial from one model's checkpoint; k folds have k models.
        raise SearchError("--tuner hyperband searches one fold; use random or bayesian for a k-fold mean")
    _check_objective_heads(request.run)
    if os.environ.get(strategy_lib.TF_CONFIG):
        raise SearchError("a search runs on one machine (KerasTuner supports single-worker "
                          "strategies only); unset TF_CONFIG")
    _check_distributed(request)
    if request.best_copy_path:
        try:
            best_config.check_writable(request.best_copy_path)
        except FileExistsError as e:
            raise SearchError(str(e)) from e


def _check_distributed(request: SearchRequest) -> None:
    """The KERASTUNER_* variables all set or none; no --overwrite across processes."""
    try:
        distributed.check_environment()
        if distributed.role() == distributed.CHIEF:
            distributed.check_chief_address()
    except distributed.DistributedSetupError as e:
        raise SearchError(str(e)) from e
    if request.overwrite and distributed.role() != distributed.ONE_PROCESS:
        # Each process would delete the folder the others have started to write.
        raise SearchError("--overwrite deletes the tuner folder, which the other processes of a "
                          "distributed search are using; delete it before starting them, "
                          "or use another --dir")


def _check_folds(request: SearchRequest) -> None:
    """The folds are distinct and exist in the dataset's fold file."""
    if not request.folds or len(set(request.folds)) != len(request.folds):
        raise SearchError(f"--folds needs distinct fold numbers, got {list(request.folds)}")
    for fold in request.folds:
        if fold == folds_lib.ALL:
            raise SearchError(f"data.fold={fold} has no validation actors to score a trial on; "
                              "search numbered folds (--folds 1,2,3)")
        try:
            folds_lib.fold(request.run.config.data.dataset, fold)
        except ValueError as e:
            raise SearchError(f"--folds: {e}") from e


def _check_objective_heads(run: run_file_lib.TuneRun) -> None:
    """Every network the search can build must have the fusion head the objective scores."""
    networks = {run.config.model.network}
    for entry in run.space.hyperparameters:
        if entry.config_key == "model.network":
            networks |= {entry.config_value(v) for v in entry.values}
    for network in sorted(networks):
        if features.VA not in model_lib.output_keys(network):
            raise SearchError(f"model.network={network} has no fusion head '{features.VA}'; the "
                              f"objective {objective.OBJECTIVE} needs N0, N1 or N2")


def prepare_trials_base(request: SearchRequest, strategy: tf.distribute.Strategy) -> config_lib.Config:
    """The config trials start from: demo data made when needed, each fold preflighted.

    Args:
      request: the search.
      strategy: the training strategy (its replicas fix the global batch).

    Returns:
      A copy of the base config with the data folders filled in.

    Raises:
      SearchError: a preflight check failed on a fold, or the demo data could not be made.
    """
    base = copy.deepcopy(request.run.config)
    try:
        if demo_run.needs_demo_data(base):
            demo_run.ensure_demo_data(base)
        for fold in request.folds:
            fold_config = copy.deepcopy(base)
            fold_config.data.fold = fold
            preflight.check_run(fold_config, base.train.batch_size * strategy.num_replicas_in_sync,
                                strategy_lib.uses_gpu(strategy))
    except (preflight.PreflightError, demo_run.DemoDataError) as e:
        raise SearchError(str(e)) from e
    return base


def _open_folder(request: SearchRequest) -> None:
    """Starts or continues the tuner folder (search.json); refuses one holding another search."""
    if request.overwrite:
        tuner_folder.remove(request.directory)
    record = tuner_folder.search_record(request.run, request.tuner, request.folds)
    try:
        tuner_folder.check_same_search(request.directory, record)
    except tuner_folder.SearchFolderError as e:
        raise SearchError(str(e)) from e
    tuner_folder.write_search_record(request.directory, record)


def _write_outputs(request: SearchRequest, tuner: Any, elapsed_s: float) -> dict[str, Any]:
    """results.md and best.yaml (plus the pipelines/ copy); returns the search's summary."""
    rows = results_table.rows_from_trials(tuner.oracle.trials.values())
    done = [r for r in rows if r.status == results_table.COMPLETED and r.objective is not None]
    folds = ",".join(str(f) for f in request.folds)
    title = [f"# Search {request.directory}", "",
             f"{request.tuner} search over {request.run.run_file or 'the demo config'}, "
             f"{len(done)} of {len(rows)} trials completed; objective {objective.OBJECTIVE} "
             f"(mean over folds {folds}), best epoch of each trial."]
    table = results_table.format_markdown(rows, request.run.space.names, title)
    results_path = os.path.join(request.directory, tuner_folder.RESULTS_NAME)
    with open(results_path, "w") as f:
        f.write(table)
    print(table)
    if not done:
        raise SearchError(f"no trial completed; see {results_path}")
    best = done[0]
    config = request.run.space.apply(request.run.config, best.values)
    header = [f"best of {len(rows)} trials ({request.tuner}), {request.directory}",
              f"{objective.OBJECTIVE} {best.objective:.4f} at epoch {best.epoch} "
              f"(trial {best.trial_id}, folds {folds})",
              "train it: python -m mrpn_tf.train --config FILE (this file)"]
    best_path = os.path.join(request.directory, tuner_folder.BEST_NAME)
    best_config.write_best_config(best_path, config, request.run.variant, header)
    if request.best_copy_path:
        os.makedirs(PIPELINES_DIR, exist_ok=True)
        shutil.copyfile(best_path, request.best_copy_path)
    return {"directory": request.directory, "trials": len(rows), "completed": len(done),
            "best_trial": best.trial_id, "best_objective": best.objective, "best_values": best.values,
            "best_config": request.best_copy_path or best_path, "results": results_path,
            "wall_time_s": round(elapsed_s, 1)}


def run_search(
    request: SearchRequest,
    strategy: tf.distribute.Strategy,
    extra_callbacks: Sequence[keras.callbacks.Callback] = (),
) -> dict[str, Any]:
    """Runs (or continues) a search and writes its results (module docstring).

    Args:
      request: the search.
      strategy: from `strategy.build_strategy()`, as for training.
      extra_callbacks: appended to every trial's callbacks (tests interrupt a trial with one).

    Returns:
      Summary: tuner folder, trial counts, best trial, objective and values, paths; a
      worker of a distributed search: its folder, its tuner id and its wall time only.

    Raises:
      SearchError: a check failed before any trial ran, or no trial completed.
    """
    started = time.time()
    check_request(request)
    role = distributed.role()
    # The chief builds the space's model once (KerasTuner declares the space so) but
    # trains nothing: it needs neither the data nor the preflight.
    if role == distributed.CHIEF:
        base = copy.deepcopy(request.run.config)
    else:
        base = prepare_trials_base(request, strategy)
    _open_folder(request)
    # Only the oracle's owner knows; a worker's search.json may be another process's.
    if role != distributed.WORKER and tuner_factory.holds_search(request.directory):
        print(f"continuing the search in {request.directory}")
    hypermodel = hypermodel_lib.MRPNHyperModel(base, request.run.space, strategy, request.folds)
    tuner = tuner_factory.build_tuner(
        request.tuner, hypermodel, request.directory, request.max_trials,
        max_epochs=base.train.epochs, seed=base.train.seed, strategy=strategy)
    tuner.search(callbacks=list(extra_callbacks), verbose=runtime.progress_verbosity())
    if role == distributed.CHIEF:
        # The oracle saved its state before letting go of each worker's last trial, and the
        # workers' own saves never include it: oracle.json would list those trials as open.
        tuner.oracle.save()
    if role == distributed.WORKER:
        return {"directory": request.directory, "worker": distributed.tuner_id(),
                "wall_time_s": round(time.time() - started, 1)}
    return _write_outputs(request, tuner, time.time() - started)
