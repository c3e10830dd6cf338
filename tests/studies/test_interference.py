"""The interference experiment: arguments checked before anything trains, the plan of runs,
resuming by summary.json, the folder guard, main with a fake trainer, and (slow) a real run."""

import dataclasses
import json
import os
import re

import pytest

from mrpn_tf.config import config as config_lib
from mrpn_tf.data.folds import folds
from mrpn_tf.studies import interference
from mrpn_tf.studies import interference_data
from mrpn_tf.studies import interference_runs
from mrpn_tf.studies import runs as runs_lib


def fake_summary(config, va=0.5):
    """What task.train returns (only what the experiment reads)."""
    heads = {"va": va} if config.model.network == "N0" else {"v": 0.25, "a": 0.75, "va": va}
    metrics = {h: {"accuracy": x, "loss": 1.0} for h, x in heads.items()}
    return {"val": metrics, "final_epoch": {**metrics, "loss": 2.0}, "best_epoch": 1,
            "epochs_trained": config.train.epochs, "wall_time_s": 1.0,
            "run_dir": config.train.run_dir}


@pytest.fixture
def nothing_trains(monkeypatch):
    """Fails the test if data were made or a run trained."""
    def refuse(*args, **kwargs):
        raise AssertionError("the experiment started although its arguments are bad")
    monkeypatch.setattr(interference_data, "make_data", refuse)
    monkeypatch.setattr(runs_lib, "run_all", refuse)


@pytest.mark.parametrize("argv, message", [
    (["--q", "0,1.5"], "distinct probabilities in \\[0, 1\\]"),
    (["--q", "-0.1"], "distinct probabilities"),
    (["--q", "0,0"], "distinct probabilities"),
    (["--q", "half"], "comma list of numbers"),
    (["--networks", "N0,N3"], "expected distinct names from N0, N1, N2"),
    (["--networks", "AM"], "expected distinct names"),
    (["--fuzzy-modality", "smell"], "expected one of video, audio"),
    (["--fuzzy-actors", "1,3"], "validation actors 1, 2 must stay clean"),
    (["--fuzzy-actors", "9"], "training actors of demo fold 1"),
    (["--seeds", "0"], "--seeds 0"),
    (["--epochs", "0"], "train.epochs=0"),
    (["data.dataset=ravdess"], "data.dataset must be 'demo'"),
    (["model.aggregatr=lstm"], "unknown config key"),
])
def test_bad_arguments_stop_before_anything_trains(argv, message, tmp_path, capsys, nothing_trains):
    out = str(tmp_path / "exp")
    assert interference.main(["--out", out, *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and re.search(message, err), err
    assert not os.path.exists(out)  # not even the experiment folder was claimed


def test_parsers():
    assert interference.parse_qs("0.6, 0,0.3") == [0.0, 0.3, 0.6]
    assert interference.parse_networks("N2,N0") == ["N2", "N0"]
    fuzzy = interference.parse_fuzzy("video", "6,3,4", folds.fold("demo", 1))
    assert fuzzy == interference_data.FuzzySetting("video", (3, 4, 6))


def test_default_fuzzy_actors_are_gender_balanced_training_actors():
    fold = folds.fold("demo", 1)
    genders = folds.actor_genders("demo")
    fuzzy = interference.parse_fuzzy(interference.DEFAULT_MODALITY, interference.DEFAULT_FUZZY_ACTORS, fold)
    assert set(fuzzy.actors) <= set(fold.train_actors)
    assert sorted(genders[a] for a in fuzzy.actors) == ["F", "F", "M", "M"]


def test_the_run_file_gives_every_network_one_steady_budget():
    config = interference.load_config(interference.parse_args([]))
    assert config.data.dataset == "demo" and config.export.on_train_end is False
    assert config.train.lr_patience > config.train.epochs  # the plateau schedule never fires
    assert interference.load_config(interference.parse_args(["--epochs", "7"])).train.epochs == 7


def test_plan_interleaves_networks_and_names_folders():
    runs = interference_runs.plan_runs([0.0, 0.5], ["N0", "N2"], [1, 2])
    assert len(runs) == 8
    # Seed by seed: a stopped experiment has every q and network for each seed it finished.
    assert [(r.q, r.network, r.seed) for r in runs[:4]] == [
        (0.0, "N0", 1), (0.0, "N2", 1), (0.5, "N0", 1), (0.5, "N2", 1)]
    assert runs[4].folder == os.path.join("runs", "q0", "N0", "seed2")
    assert interference_runs.q_name(0.25) == "q0.25" and interference_runs.q_name(1.0) == "q1"


def test_run_config_changes_network_seed_data_and_folder_only():
    base = config_lib.tiny()
    spec = interference_runs.RunSpec(0.3, "N1", 4)
    config = interference_runs.run_config(base, spec, "out", "out/data/q0.3", "out/prepared/q0.3")
    assert (config.model.network, config.train.seed, config.data.seed) == ("N1", 4, 4)
    assert (config.data.root, config.data.prepared_dir) == ("out/data/q0.3", "out/prepared/q0.3")
    assert config.train.run_dir == os.path.join("out", "runs", "q0.3", "N1", "seed4")
    assert config.export.on_train_end is False
    assert base.model.network == "N2" and base.train.seed == 42  # the base is untouched
    assert config.model == dataclasses.replace(base.model, network="N1")
    assert config.train == dataclasses.replace(base.train, seed=4, run_dir=config.train.run_dir)


def test_finished_runs_are_skipped(tmp_path, capsys):
    out = str(tmp_path)
    runs = interference_runs.plan_runs([0.0], ["N0", "N2"], [1])
    done = os.path.join(out, runs[0].folder)
    os.makedirs(done)
    with open(os.path.join(done, "summary.json"), "w") as f:
        json.dump({"marker": "earlier"}, f)
    trained = []

    def train(config):
        trained.append(config.model.network)
        return fake_summary(config)

    reports = []
    results = runs_lib.run_all(
        runs, out, lambda s: interference_runs.run_config(config_lib.tiny(), s, out, "d", "p"),
        train, on_result=lambda r: reports.append(len(r)))
    assert trained == ["N2"]
    assert results[runs[0]] == {"marker": "earlier"} and results[runs[1]]["run_dir"].endswith("seed1")
    assert reports == [2]
    assert "[1/2] q=0 N0 seed 1: done earlier" in capsys.readouterr().out


def test_a_folder_of_other_settings_is_refused(tmp_path):
    out = str(tmp_path / "exp")
    fuzzy = interference_data.FuzzySetting("audio", (3, 4))
    data = interference_data.data_settings(fuzzy)
    settings = interference_runs.experiment_settings(config_lib.tiny(), data)
    interference_runs.claim_out_dir(out, settings)
    interference_runs.claim_out_dir(out, settings)  # the same settings: fine
    longer = config_lib.tiny()
    longer.train.epochs = 99
    other = interference_runs.experiment_settings(longer, data)
    with pytest.raises(interference_runs.ExperimentFolderError,
                       match="config.train.epochs: folder has 30, now 99"):
        interference_runs.claim_out_dir(out, other)


def test_precise_scores_are_kept_and_not_made_twice(tmp_path, capsys):
    out = str(tmp_path)
    runs = interference_runs.plan_runs([0.0], ["N0", "N2"], [1, 2])
    summaries = {spec: {"epochs_trained": 8} for spec in runs[:3]}  # the last run is unfinished
    for spec in runs[:3]:
        os.makedirs(os.path.join(out, spec.folder))
    earlier = os.path.join(out, runs[0].folder)
    with open(os.path.join(earlier, interference_runs.PRECISE_BN_NAME), "w") as f:
        json.dump({"marker": "earlier"}, f)
    scored, reports = [], []

    def score(folder, epoch):
        scored.append((os.path.relpath(folder.root, out), epoch))
        return {"epoch": epoch}

    found = interference_runs.score_precise_bn(runs, out, summaries, score,
                                               on_result=lambda r: reports.append(len(r)))
    assert scored == [(runs[1].folder, 8), (runs[2].folder, 8)]
    assert found == {runs[0]: {"marker": "earlier"}, runs[1]: {"epoch": 8}, runs[2]: {"epoch": 8}}
    assert reports == [2, 3]
    with open(os.path.join(out, runs[2].folder, interference_runs.PRECISE_BN_NAME)) as f:
        assert json.load(f) == {"epoch": 8}
    assert "[3/4] q=0 N0 seed 2: epoch 8 scored with recomputed BatchNorm" in capsys.readouterr().out
    scored.clear()
    interference_runs.score_precise_bn(runs, out, summaries, score)
    assert scored == []


def test_main_with_a_fake_trainer_writes_the_report(tmp_path, monkeypatch, capsys):
    from mrpn_tf.training import precise_bn
    from mrpn_tf.training import task

    out = str(tmp_path / "exp")
    monkeypatch.setattr(interference_data, "make_data",
                        lambda config, out_dir, q, fuzzy, workers: interference_data.folders(out_dir, q))
    def fake_train(config, strategy):
        os.makedirs(config.train.run_dir)
        return fake_summary(config, 0.5 + config.train.seed / 100)

    monkeypatch.setattr(task, "train", fake_train)

    def fake_score(run_folder, epoch):
        return {"epoch": epoch, "batches": 1, "val": {"va": {"accuracy": 0.9, "loss": 1.0}}}

    monkeypatch.setattr(precise_bn, "evaluate_checkpoint", fake_score)
    argv = ["--out", out, "--q", "0,0.5", "--seeds", "2", "--networks", "N0,N2", "--epochs", "3"]
    assert interference.main(argv) == 0
    with open(os.path.join(out, "results.csv")) as f:
        lines = f.read().splitlines()
    assert len(lines) == 1 + 8 and lines[1].startswith("0,N0,1,0.5100,,,0.5100,,,0.9000,,,")
    with open(os.path.join(out, "table.md")) as f:
        table = f.read()
    assert "| N0 | 51.5% [45.1, 57.9] n=2 | 51.5% [45.1, 57.9] n=2 |" in table
    assert "| N0 | 90.0% [90.0, 90.0] n=2 | 90.0% [90.0, 90.0] n=2 |" in table  # precise
    assert "Every run: 3 epochs" in table and "Fuzzy audio for training actors 3, 4, 5, 6" in table
    for name in ("accuracy_vs_q.png", interference.PRECISE_PLOT_PNG):
        assert os.path.getsize(os.path.join(out, name)) > 0
    assert "[8/8] q=0.5 N2 seed 2" in capsys.readouterr().out


@pytest.mark.slow
def test_one_real_run_end_to_end_and_resumed(tmp_path, face_model_path, capsys):
    """Synthesize + prepare one q, train N2 for one epoch, report; a rerun trains nothing."""
    out = str(tmp_path / "exp")
    argv = ["--out", out, "--q", "0.5", "--seeds", "1", "--networks", "N2", "--epochs", "1",
            f"video.face_model={face_model_path}"]
    assert interference.main(argv) == 0
    with open(os.path.join(out, "results.csv")) as f:
        header, row = f.read().splitlines()
    assert row.startswith("0.5,N2,1,")
    for name in ("table.md", "accuracy_vs_q.png", "experiment.json"):
        assert os.path.getsize(os.path.join(out, name)) > 0
    with open(os.path.join(out, "data", "q0.5", "demo.json")) as f:
        settings = json.load(f)["settings"]
    fuzzy = settings["fuzzy_modality"], settings["fuzzy_prob"], settings["fuzzy_actors"]
    assert fuzzy == ("audio", 0.5, [3, 4, 5, 6])
    capsys.readouterr()
    assert interference.main(argv) == 0
    assert "[1/1] q=0.5 N2 seed 1: done earlier" in capsys.readouterr().out
