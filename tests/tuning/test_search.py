"""A 2-trial random search on the tiny config, killed as its second trial starts and run
again: it continues (the finished trial kept, the killed one run again under its id),
completes, and writes a results table and a best config that is exactly the config the best
trial trained. Slow: the best config trained by `python -m mrpn_tf.train`; a search killed in
the middle of a trial, which resumes the trial from its last finished epoch."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import os
import pathlib
import subprocess
import sys

import keras
import pytest

from mrpn_tf.config import loading
from mrpn_tf.training import history
from mrpn_tf.training import strategy as strategy_lib
from mrpn_tf.tuning import objective
from mrpn_tf.tuning import run_file
from mrpn_tf.tuning import search
from mrpn_tf.tuning import tuner_folder
from tests.tuning.conftest import write_run_file

REPO = pathlib.Path(__file__).resolve().parents[2]


class KillSecondTrial(keras.callbacks.Callback):
    """Stops the search like Ctrl-C (KerasTuner does not catch it) as the second trial starts
    training. KerasTuner deep-copies the callbacks of every trial: the count is on the class."""

    started = 0

    def on_train_begin(self, logs=None):
        type(self).started += 1
        if type(self).started == 2:
            raise KeyboardInterrupt


class KillAfterFirstEpoch(keras.callbacks.Callback):
    """Stops the search like Ctrl-C at the end of the first epoch."""

    def on_epoch_end(self, epoch, logs=None):
        raise KeyboardInterrupt


def request_for(path: str, directory: str, tuner: str = "random", max_trials: int = 2) -> search.SearchRequest:
    return search.SearchRequest(run=run_file.load_tune_run(path), tuner=tuner, max_trials=max_trials,
                                folds=(1,), directory=directory)


def trial_history(directory: str, trial_id: str, fold: int = 1) -> list[dict]:
    return history.read_history(os.path.join(directory, f"trial_{trial_id}", f"fold{fold}", "history.csv"))


def oracle_state(directory: str) -> dict:
    with open(os.path.join(directory, "oracle.json")) as f:
        return json.load(f)


def killed_and_resumed(prepared_dir, strategy, folder, epochs, kill):
    """Runs a search until `kill` stops it, then again; returns what the test checks."""
    request = request_for(write_run_file(folder, prepared_dir, epochs=epochs), str(folder / "search"))
    with pytest.raises(KeyboardInterrupt):
        search.run_search(request, strategy, extra_callbacks=[kill])
    killed = oracle_state(request.directory)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        summary = search.run_search(request, strategy)
    return request, killed, summary, output.getvalue()


@pytest.fixture(scope="module")
def strategy():
    return strategy_lib.build_strategy()


@pytest.fixture(scope="module")
def resumed_search(prepared_dir, strategy, tmp_path_factory):
    """(request, oracle state when killed, second run's summary, second run's output)."""
    return killed_and_resumed(prepared_dir, strategy, tmp_path_factory.mktemp("tune"), 1, KillSecondTrial())


def test_search_completes_two_trials(resumed_search):
    request, _, summary, _ = resumed_search
    assert (summary["trials"], summary["completed"]) == (2, 2)
    assert 0.0 <= summary["best_objective"] <= 1.0
    trial_dirs = sorted(p for p in os.listdir(request.directory) if p.startswith("trial_"))
    assert trial_dirs == ["trial_0", "trial_1"]
    for trial_id in ("0", "1"):
        with open(os.path.join(request.directory, f"trial_{trial_id}", "trial.json")) as f:
            trial = json.load(f)
        assert trial["status"] == "COMPLETED"
        rows = trial_history(request.directory, trial_id)
        # The trial's score is the best epoch of its own history.csv.
        assert trial["score"] == pytest.approx(max(r[objective.OBJECTIVE] for r in rows))


def test_killed_search_continues_instead_of_restarting(resumed_search):
    request, killed, _, output = resumed_search
    assert killed["ongoing_trials"] == {"tuner0": "1"} and killed["end_order"] == ["0"]
    assert f"continuing the search in {request.directory}" in output
    # Trial 0 is kept as it was; the killed trial 1 runs again under its own id.
    assert os.path.join(request.directory, "trial_0") not in output
    assert f"trial run folder: {os.path.join(request.directory, 'trial_1', 'fold1')}" in output
    assert len(trial_history(request.directory, "0")) == 1
    assert oracle_state(request.directory)["end_order"] == ["0", "1"]


def test_results_table_lists_every_trial(resumed_search):
    request, _, summary, output = resumed_search
    with open(summary["results"]) as f:
        table = f.read()
    assert table in output  # printed at the end
    lines = [line for line in table.splitlines() if line.startswith("| ")]
    assert lines[0] == ("| rank | trial | val_va_accuracy | val_loss | epoch | model.residual_perceptron "
                        "| train.learning_rate | status |")
    assert [line.split(" | ")[0] for line in lines[1:]] == ["| 1", "| 2"]
    assert lines[1].split(" | ")[1] == summary["best_trial"]


def test_best_config_is_what_the_best_trial_trained(resumed_search):
    request, _, summary, _ = resumed_search
    best = loading.load_config([summary["best_config"]])  # train's own loader
    trained = loading.load_config(
        os.path.join(request.directory, f"trial_{summary['best_trial']}", "fold1", "config.yaml"))
    trained.train.run_dir = ""
    assert best == trained
    network = "N2" if summary["best_values"]["model.residual_perceptron"] else "N1"
    assert best.model.network == network
    assert best.train.learning_rate == pytest.approx(summary["best_values"]["train.learning_rate"])


def test_rerunning_a_finished_search_trains_nothing(resumed_search, strategy):
    request, _, summary, _ = resumed_search
    again = search.run_search(request, strategy)
    assert {k: again[k] for k in ("trials", "best_trial", "best_objective")} == {
        k: summary[k] for k in ("trials", "best_trial", "best_objective")}
    assert sorted(p for p in os.listdir(request.directory) if p.startswith("trial_")) == ["trial_0", "trial_1"]


def test_another_search_in_the_same_folder_is_refused(resumed_search, strategy):
    request, _, _, _ = resumed_search
    other = request_for(request.run.run_file, request.directory, tuner="bayesian")
    with pytest.raises(search.SearchError, match="tuner: folder has 'random', now 'bayesian'"):
        search.run_search(other, strategy)
    changed = dataclasses.replace(request, run=run_file.load_tune_run(request.run.run_file, ["model.dropout=0.2"]))
    with pytest.raises(search.SearchError, match="model.dropout: folder has 0.1, now 0.2"):
        search.run_search(changed, strategy)
    with open(os.path.join(request.directory, tuner_folder.SEARCH_NAME)) as f:
        assert json.load(f)["tuner"] == "random"  # the refused searches wrote nothing


@pytest.mark.slow
def test_command_line_search_then_train_of_its_best_config_reproduces_the_best_trial(prepared_dir, tmp_path):
    """`python -m mrpn_tf.tune ... --best-name tuned`, then `python -m mrpn_tf.train --config
    pipelines/tuned.yaml` as it is: with train.deterministic the run repeats the best trial."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    run_path = write_run_file(tmp_path, prepared_dir)
    tune = subprocess.run(
        [sys.executable, "-m", "mrpn_tf.tune", "--config", run_path, "--max-trials", "2",
         "--best-name", "tuned", "train.deterministic=true"],
        cwd=tmp_path, capture_output=True, text=True, timeout=900, env=env)
    assert tune.returncode == 0, tune.stderr[-4000:]
    directory = tmp_path / tuner_folder.RUNS_ROOT / "tune_run-random"
    copy = tmp_path / "pipelines" / "tuned.yaml"
    assert copy.read_text() == (directory / tuner_folder.BEST_NAME).read_text()
    train = subprocess.run(
        [sys.executable, "-m", "mrpn_tf.train", "--config", "pipelines/tuned.yaml", "train.run_dir=run"],
        cwd=tmp_path, capture_output=True, text=True, timeout=900, env=env)
    assert train.returncode == 0, train.stderr[-4000:]
    trials = {t: json.loads((directory / f"trial_{t}" / "trial.json").read_text()) for t in ("0", "1")}
    best_id = max(trials, key=lambda t: (trials[t]["score"], -int(t)))
    trained = history.read_history(str(tmp_path / "run" / "history.csv"))
    trial = trial_history(str(directory), best_id)
    for name in (objective.OBJECTIVE, objective.VAL_LOSS):
        assert [r[name] for r in trained] == pytest.approx([r[name] for r in trial], rel=1e-5), name


@pytest.mark.slow
def test_search_killed_inside_a_trial_resumes_the_trial(prepared_dir, strategy, tmp_path):
    """Killed after epoch 1 of trial 0's 2 epochs: the same trial resumes from its backup."""
    request, killed, summary, output = killed_and_resumed(prepared_dir, strategy, tmp_path, 2, KillAfterFirstEpoch())
    assert killed["ongoing_trials"] == {"tuner0": "0"}
    assert f"resuming {os.path.join(request.directory, 'trial_0', 'fold1')} after epoch 1" in output
    assert [r["epoch"] for r in trial_history(request.directory, "0")] == [0.0, 1.0]
    assert (summary["trials"], summary["completed"]) == (2, 2)


@pytest.mark.slow
def test_hyperband_search_caps_trials_and_records_budgets(prepared_dir, strategy, tmp_path):
    request = request_for(write_run_file(tmp_path, prepared_dir, epochs=2), str(tmp_path / "hb"),
                          tuner="hyperband")
    summary = search.run_search(request, strategy)
    assert (summary["trials"], summary["completed"]) == (2, 2)
    with open(summary["results"]) as f:
        assert "| tuner/epochs | status |" in f.read()
    for trial_id in ("0", "1"):
        with open(os.path.join(request.directory, f"trial_{trial_id}", "trial.json")) as f:
            budget = json.load(f)["hyperparameters"]["values"]["tuner/epochs"]
        assert len(trial_history(request.directory, trial_id)) == budget


@pytest.mark.slow
def test_k_fold_objective_is_the_mean_over_folds(prepared_dir, strategy, tmp_path):
    request = dataclasses.replace(
        request_for(write_run_file(tmp_path, prepared_dir), str(tmp_path / "kfold"), max_trials=1), folds=(1, 2))
    summary = search.run_search(request, strategy)
    curves = [trial_history(request.directory, "0", fold) for fold in (1, 2)]
    assert summary["best_objective"] == pytest.approx(objective.best_epoch_metrics(curves)[objective.OBJECTIVE])
    best = loading.load_config([summary["best_config"]])
    assert best.data.fold == 1  # the base config's fold: a train run of it is one fold
