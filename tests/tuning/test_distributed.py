"""A search spread over a chief and workers (KerasTuner's distributed mode).

Fast: the KERASTUNER_* variables are checked; a restarted chief gives each open trial back to
its own worker and never reopens an ended one; a search moves between one process and a chief.
Slow, on 127.0.0.1: a chief and two workers run every trial once and find what one process
finds; a worker killed mid-trial is restarted and resumes its trial; a chief killed
mid-search is restarted and no trial runs twice.
"""

from __future__ import annotations

import socket
import time

import keras
import keras_tuner
import pytest
import tensorflow as tf

from mrpn_tf import tune
from mrpn_tf.training import history
from mrpn_tf.tuning import distributed
from mrpn_tf.tuning import objective
from mrpn_tf.tuning import results_table
from mrpn_tf.tuning import tuner_factory
from mrpn_tf.tuning import tuner_folder
from tests.tuning import local_search
from tests.tuning.conftest import write_run_file

CHIEF_ENV = {distributed.TUNER_ID: "chief", distributed.ORACLE_IP: "127.0.0.1", distributed.ORACLE_PORT: "1"}


def set_role(monkeypatch, env):
    for name in distributed.VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize("env, message", [
    ({distributed.ORACLE_IP: "127.0.0.1"}, "KERASTUNER_TUNER_ID, KERASTUNER_ORACLE_PORT are not set"),
    ({distributed.TUNER_ID: "tuner1"}, "KERASTUNER_ORACLE_IP, KERASTUNER_ORACLE_PORT are not set"),
    ({distributed.TUNER_ID: "chief", distributed.ORACLE_IP: "10.0.0.1"}, "KERASTUNER_ORACLE_PORT is not set"),
])
def test_variables_set_in_part_are_an_error(tmp_path, prepared_dir, monkeypatch, capsys, env, message):
    set_role(monkeypatch, env)
    code = tune.main(["--config", write_run_file(tmp_path, prepared_dir), "--dir", str(tmp_path / "t")])
    assert code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "t").exists()


def test_a_chief_whose_port_is_taken_is_an_error(tmp_path, prepared_dir, monkeypatch, capsys):
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = str(other.getsockname()[1])
        set_role(monkeypatch, {**CHIEF_ENV, distributed.ORACLE_PORT: port})
        code = tune.main(["--config", write_run_file(tmp_path, prepared_dir), "--dir", str(tmp_path / "t")])
    assert code == 2 and f"the chief cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
    set_role(monkeypatch, {**CHIEF_ENV, distributed.ORACLE_PORT: "http"})
    code = tune.main(["--config", write_run_file(tmp_path, prepared_dir), "--dir", str(tmp_path / "t")])
    assert code == 2 and "KERASTUNER_ORACLE_PORT='http' is not a port number" in capsys.readouterr().err
    assert not (tmp_path / "t").exists()


def test_overwrite_is_refused_in_a_distributed_search(tmp_path, prepared_dir, monkeypatch, capsys):
    set_role(monkeypatch, {**CHIEF_ENV, distributed.TUNER_ID: "tuner0"})
    code = tune.main(["--config", write_run_file(tmp_path, prepared_dir), "--dir", str(tmp_path / "t"),
                      "--overwrite"])
    assert code == 2 and "--overwrite deletes the tuner folder" in capsys.readouterr().err


class ToyHyperModel(keras_tuner.HyperModel):
    """One hyperparameter and a one-layer model: the oracle's bookkeeping without training."""

    def build(self, hp):
        hp.Float("x", 0.0, 1.0)
        return keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])


def toy_tuner(directory):
    return tuner_factory.build_tuner(tuner_factory.RANDOM, ToyHyperModel(), str(directory), max_trials=4,
                                     max_epochs=1, seed=7, strategy=tf.distribute.get_strategy())


def chief_went_down(directory):
    """The saved oracle of a chief that died while tuner0 had just ended trial 0 and tuner1
    was training trial 1. The oracle saves before it lets go of an ended trial, so the saved
    state lists both as open: {"tuner0": "0", "tuner1": "1"}."""
    oracle = toy_tuner(directory).oracle
    first, second = oracle.create_trial("tuner0"), oracle.create_trial("tuner1")
    oracle.update_trial(first.trial_id, {objective.OBJECTIVE: 0.5})
    first.status = results_table.COMPLETED
    oracle.end_trial(first)
    saved = local_search.read_json(directory / tuner_factory.ORACLE_NAME)
    assert saved["ongoing_trials"] == {"tuner0": "0", "tuner1": "1"} and saved["end_order"] == ["0"]
    return (first.hyperparameters.values, second.hyperparameters.values)


def test_a_restarted_chief_gives_each_open_trial_back_to_its_own_worker(tmp_path, monkeypatch):
    set_role(monkeypatch, {})
    values = chief_went_down(tmp_path / "search")
    set_role(monkeypatch, CHIEF_ENV)
    oracle = toy_tuner(tmp_path / "search").oracle  # no chief.json: the oracle is reloaded all the same
    assert oracle.trials["0"].status == results_table.COMPLETED and oracle.trials["0"].score == 0.5
    assert {k: t.trial_id for k, t in oracle.ongoing_trials.items()} == {"tuner1": "1"}
    # tuner0 asks for work: a new trial, not trial 1 (tuner1 may still be training it) and
    # not trial 0 (it ended); tuner1, restarted, is handed its own trial 1 again.
    new = oracle.create_trial("tuner0")
    assert new.trial_id == "2" and new.hyperparameters.values not in values
    again = oracle.create_trial("tuner1")
    assert again.trial_id == "1" and again.hyperparameters.values == values[1]
    # Both are known workers: the chief waits for each to be told to stop.
    assert oracle.tuner_ids == {"tuner0", "tuner1"}


def test_a_restarted_chief_ends_a_trial_begun_after_its_last_save(tmp_path, monkeypatch):
    """The oracle saves before its progress display notes a trial's start: a chief killed
    then knew no start for trial 1 when tuner1 ended it, and raised KeyError at the worker."""
    set_role(monkeypatch, CHIEF_ENV)
    oracle = toy_tuner(tmp_path / "search").oracle
    oracle.create_trial("tuner0"), oracle.create_trial("tuner1")
    restarted = toy_tuner(tmp_path / "search").oracle
    for trial_id, score in (("1", 0.25), ("0", 0.5)):
        restarted.update_trial(trial_id, {objective.OBJECTIVE: score})
        trial = restarted.get_trial(trial_id)
        trial.status = results_table.COMPLETED
        restarted.end_trial(trial)
    assert restarted.end_order == ["1", "0"] and restarted.ongoing_trials == {}
    assert restarted.get_best_trials()[0].trial_id == "0"


def test_one_process_continuing_a_distributed_search_runs_its_open_trial_but_no_ended_one(tmp_path, monkeypatch):
    set_role(monkeypatch, {})
    values = chief_went_down(tmp_path / "search")
    oracle = toy_tuner(tmp_path / "search").oracle
    assert oracle.create_trial("tuner0").trial_id == "1"  # tuner1's trial: no one else can be running it
    oracle.ongoing_trials.clear()
    assert oracle.create_trial("tuner0").trial_id == "2"  # then new ones, never trial 0 again
    assert oracle.trials["1"].hyperparameters.values == values[1]


def test_roles(monkeypatch):
    set_role(monkeypatch, {})
    assert (distributed.role(), distributed.tuner_id()) == (distributed.ONE_PROCESS, "tuner0")
    set_role(monkeypatch, CHIEF_ENV)
    assert (distributed.role(), distributed.tuner_id()) == (distributed.CHIEF, "chief")
    set_role(monkeypatch, {**CHIEF_ENV, distributed.TUNER_ID: "tuner3"})
    assert (distributed.role(), distributed.tuner_id()) == (distributed.WORKER, "tuner3")


# Each wait covers a few tiny trials on a loaded 2-core machine; the chief polls for the end
# of the search every 20 s (KerasTuner's oracle_chief), so it may outlive its workers by that.
TIMEOUT_S = 900


def search_args(run: str, directory, max_trials: int) -> list[str]:
    # Deterministic ops: a trial scores the same in any process, so the searches compare.
    return ["--config", run, "--max-trials", str(max_trials), "--dir", str(directory),
            "train.deterministic=true"]


def trial_ids(max_trials: int) -> list[str]:
    return [str(i) for i in range(max_trials)]


def saved_trials(directory) -> dict[str, dict]:
    return {p.name.removeprefix("trial_"): local_search.read_json(p / "trial.json")
            for p in directory.glob("trial_*") if (p / "trial.json").is_file()}


def epochs_trained(directory, trial_id: str) -> list[float]:
    rows = history.read_history(str(directory / f"trial_{trial_id}" / "fold1" / "history.csv"))
    return [row["epoch"] for row in rows]


def check_every_trial_completed_once(directory, max_trials: int, epochs: int) -> None:
    """The oracle's record and the trials' run folders: each trial ended once, fully trained."""
    oracle = local_search.read_json(directory / tuner_factory.ORACLE_NAME)
    assert sorted(oracle["end_order"]) == trial_ids(max_trials)  # each once
    assert oracle["ongoing_trials"] == {}
    trials = saved_trials(directory)
    assert sorted(trials) == trial_ids(max_trials)
    assert {t["status"] for t in trials.values()} == {results_table.COMPLETED}
    for trial_id in trials:
        assert epochs_trained(directory, trial_id) == [float(e) for e in range(epochs)], trial_id


def table_trials(directory) -> list[str]:
    """The trial column of results.md, in table order."""
    lines = (directory / tuner_folder.RESULTS_NAME).read_text().splitlines()
    return [line.split(" | ")[1] for line in lines if line.startswith("| ") and not line.startswith("| rank")]


def read_oracle(directory) -> dict:
    """The chief's oracle.json, {} while it is absent or half-written."""
    try:
        return local_search.read_json(directory / tuner_factory.ORACLE_NAME)
    except (OSError, ValueError):
        return {}


@pytest.mark.slow
def test_a_chief_and_two_workers_run_every_trial_once_and_find_what_one_process_finds(prepared_dir, tmp_path):
    """4 trials of a random search, seed fixed: the same trials, scores and best config.

    A random oracle draws trial k's values from its seed and k alone, whichever worker asks
    for it; with deterministic ops a trial then scores the same in any process. (A Bayesian
    oracle proposes from the trials completed so far, which depends on the workers' timing.)
    """
    run, trials = write_run_file(tmp_path, prepared_dir), 4
    spread, single = tmp_path / "spread", tmp_path / "single"
    started = time.perf_counter()
    with local_search.LocalSearch(tmp_path, search_args(run, spread, trials)) as search:
        for tuner_id in ("chief", "tuner0", "tuner1"):
            search.start(tuner_id)
        workers = [search.wait(tuner_id, TIMEOUT_S) for tuner_id in ("tuner0", "tuner1")]
        chief = search.wait("chief", TIMEOUT_S)
    spread_s = time.perf_counter() - started
    one, one_s = local_search.run_one_process(tmp_path, search_args(run, single, trials), TIMEOUT_S)
    print(f"\n{trials}-trial search: one process {one_s:.0f} s, a chief and two workers {spread_s:.0f} s")

    # Every trial ran exactly once, and both workers ran some.
    assert sorted(local_search.trials_started(*workers)) == trial_ids(trials)
    assert all(local_search.trials_started(output) for output in workers)
    check_every_trial_completed_once(spread, trials, epochs=1)
    # The chief alone wrote the results, and they list every trial.
    assert sorted(table_trials(spread)) == trial_ids(trials)
    assert (spread / tuner_folder.RESULTS_NAME).read_text() in chief and "best config:" in chief
    for tuner_id, output in zip(("tuner0", "tuner1"), workers):
        assert f"worker {tuner_id} done" in output and "best config:" not in output
    # What one process finds with the same oracle seed.
    assert sorted(local_search.trials_started(one)) == trial_ids(trials)
    spread_trials, single_trials = saved_trials(spread), saved_trials(single)
    assert ({k: t["hyperparameters"]["values"] for k, t in spread_trials.items()}
            == {k: t["hyperparameters"]["values"] for k, t in single_trials.items()})
    for trial_id, trial in single_trials.items():
        assert spread_trials[trial_id]["score"] == pytest.approx(trial["score"], rel=1e-6), trial_id
    assert table_trials(spread) == table_trials(single)
    best = [(d / tuner_folder.BEST_NAME).read_text().splitlines() for d in (spread, single)]
    assert best[0][1:] == best[1][1:]  # all but the first line, which names the folder


@pytest.mark.slow
def test_a_worker_killed_mid_trial_is_given_its_trial_again_and_resumes_it(prepared_dir, tmp_path):
    """SIGKILL after epoch 1 of 2: the oracle keeps the trial open for that worker id, the
    other worker runs the rest and stops, the chief waits; restarted with its id, the worker
    resumes the same trial from its backup, and the search ends with every trial once."""
    run, trials, directory = write_run_file(tmp_path, prepared_dir, epochs=2), 3, tmp_path / "search"
    with local_search.LocalSearch(tmp_path, search_args(run, directory, trials)) as search:
        for tuner_id in ("chief", "tuner0", "tuner1"):
            search.start(tuner_id)

        def tuner1_after_its_first_epoch():
            trial_id = read_oracle(directory).get("ongoing_trials", {}).get("tuner1")
            state = directory / f"trial_{trial_id}" / "fold1" / "backup" / "resume_state.json"
            try:
                return trial_id if local_search.read_json(state)["epoch"] == 1 else None
            except (OSError, ValueError):
                return None

        killed = local_search.wait_for(tuner1_after_its_first_epoch, TIMEOUT_S, "tuner1 after epoch 1 of a trial")
        search.kill("tuner1")
        tuner0 = search.wait("tuner0", TIMEOUT_S)  # told to stop: no trial is left to start
        time.sleep(25)  # longer than the chief's 20-s check for the end of the search
        assert search.running("chief")
        assert read_oracle(directory)["ongoing_trials"]["tuner1"] == killed
        assert saved_trials(directory)[killed]["status"] == "RUNNING"
        assert not (directory / tuner_folder.RESULTS_NAME).exists()

        search.start("tuner1")
        restarted = search.wait("tuner1", TIMEOUT_S)
        search.wait("chief", TIMEOUT_S)
    fold = directory / f"trial_{killed}" / "fold1"
    assert local_search.trials_started(restarted) == [killed]
    assert f"resuming {fold} after epoch 1" in restarted
    before_kill = search.output("tuner1", start=0)
    assert sorted(local_search.trials_started(tuner0, before_kill)) == trial_ids(trials)
    check_every_trial_completed_once(directory, trials, epochs=2)
    assert sorted(table_trials(directory)) == trial_ids(trials)


@pytest.mark.slow
def test_a_chief_killed_mid_search_is_restarted_and_no_trial_runs_twice(prepared_dir, tmp_path):
    """SIGKILL of the chief while both workers train: they wait for it (KerasTuner's client
    retries for an hour); restarted, it reloads the oracle, each open trial stays with its
    worker, and the search ends with every trial run once."""
    run, trials, directory = write_run_file(tmp_path, prepared_dir, epochs=2), 4, tmp_path / "search"
    with local_search.LocalSearch(tmp_path, search_args(run, directory, trials)) as search:
        for tuner_id in ("chief", "tuner0", "tuner1"):
            search.start(tuner_id)

        def both_training():
            open_trials = read_oracle(directory).get("ongoing_trials", {})
            return sorted(open_trials) == ["tuner0", "tuner1"] and all(
                saved_trials(directory).get(t, {}).get("status") == "RUNNING" for t in open_trials.values())

        local_search.wait_for(both_training, TIMEOUT_S, "both workers to train a trial")
        search.kill("chief")
        search.start("chief")
        workers = [search.wait(tuner_id, TIMEOUT_S) for tuner_id in ("tuner0", "tuner1")]
        chief = search.wait("chief", TIMEOUT_S)
    assert f"continuing the search in {directory}" in chief
    assert sorted(local_search.trials_started(*workers)) == trial_ids(trials)
    check_every_trial_completed_once(directory, trials, epochs=2)
    assert sorted(table_trials(directory)) == trial_ids(trials)
