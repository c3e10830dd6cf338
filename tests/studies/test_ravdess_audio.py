"""The paper's Table 1 as transcribed, and our AM rows written beside it."""

import os
import pathlib

import pytest

from mrpn_tf.data.folds import folds
from mrpn_tf.studies import paper_tables
from mrpn_tf.studies import ravdess_audio
from mrpn_tf.studies import crossval_runs
from mrpn_tf.studies import crossval_tables
from mrpn_tf.config import loading

RUN_FILE = str(pathlib.Path(__file__).resolve().parents[2] / "pipelines" / "ravdess_am_cpu.yaml")


def test_table1_transcription():
    assert paper_tables.TABLE1_FOLDS == tuple(f.name for f in folds.load_folds("ravdess"))
    assert all(len(row) == 12 for row in paper_tables.TABLE1.values())
    assert paper_tables.table1_value("AM(NT)", "A9,10") == 43.5  # the paper's weakest AM fold
    assert paper_tables.table1_value("AM(T)", "A7,8") == 90.0
    assert paper_tables.table1_value("JM(T)", "A23,24") == 84.2
    with pytest.raises(KeyError, match="no actor pair"):
        paper_tables.table1_value("AM(T)", "A25,26")


def _crossval_folder(tmp_path):
    """A crossval folder holding the Table 1 CSV of AM on folds 1 and 2, AM(T) of fold 2 missing."""
    summary = lambda a: {"val": {"a": {"accuracy": a}}}  # noqa: E731
    results = {("AM", False, 1): summary(0.40625), ("AM", False, 2): summary(0.5),
               ("AM", True, 1): summary(0.4375)}
    table = crossval_tables.table1(results, "ravdess", [1, 2], ["A1,2", "A3,4"], ["AM"])
    folder = tmp_path / "cv"
    crossval_tables.write_tables(str(folder), [table])
    return str(folder)


def test_comparison_puts_paper_rows_above_ours(tmp_path, capsys):
    out = str(tmp_path / "results")
    assert ravdess_audio.main(["--crossval", _crossval_folder(tmp_path), "--out", out]) == 0
    with open(os.path.join(out, ravdess_audio.COMPARISON_MD)) as f:
        lines = f.read().splitlines()
    assert lines[2] == "| RAVDESS audio | A1,2 | A3,4 | mean (these pairs) |"
    assert lines[4:8] == ["| AM(NT) paper | 70.8% | 55.0% | 62.9% |",
                          "| AM(NT) ours | 40.6% | 50.0% | 45.3% |",
                          "| AM(T) paper | 71.6% | 77.5% | 71.6% |",
                          "| AM(T) ours | 43.8% | – | 43.8% |"]
    assert "chance 12.5%" in lines[0]
    with open(os.path.join(out, ravdess_audio.COMPARISON_PNG), "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_a_folder_without_table1_is_an_error(tmp_path, capsys):
    assert ravdess_audio.main(["--crossval", str(tmp_path), "--out", str(tmp_path / "o")]) == 1
    assert "table1_modalities.csv" in capsys.readouterr().err


def test_the_cpu_run_file_is_audio_am_with_a_valid_segment_grid(tmp_path):
    config = loading.load_config([RUN_FILE])
    assert (config.data.dataset, config.data.modality, config.model.network) == ("ravdess", "audio", "AM")
    # `train` exports (data.fold=all makes the deployable model); crossval's runs do not.
    assert config.export.on_train_end is True and config.export.name == "ravdess_am"
    spec = crossval_runs.RunSpec("AM", False, 1)
    assert crossval_runs.run_config(config, spec, str(tmp_path)).export.on_train_end is False
    # The spectrogram code needs the segment hop to be a whole number of STFT hops.
    hop_samples = round(config.audio.hop_s * config.audio.sample_rate)
    assert hop_samples % config.audio.frame_step == 0


def test_the_reference_row_joins_the_table_when_its_csv_is_there(tmp_path):
    from mrpn_tf.studies import ravdess_reference
    out = str(tmp_path / "results")
    rows = [{"fold": 1, "name": "A1,2", "train_clips": 1080, "val_clips": 120, "C": 0.03,
             "accuracy": 0.5}]
    ravdess_reference.write_results(rows, out, "test clips")  # A3,4 has no reference number
    assert ravdess_audio.main(["--crossval", _crossval_folder(tmp_path), "--out", out]) == 0
    with open(os.path.join(out, ravdess_audio.COMPARISON_MD)) as f:
        lines = f.read().splitlines()
    assert lines[8] == f"| {ravdess_audio.REFERENCE_LABEL} | 50.0% | – | 50.0% |"
    assert lines[4:8][1] == "| AM(NT) ours | 40.6% | 50.0% | 45.3% |"  # our rows unchanged
    # An explicit reference file that is missing is an error, not a silent omission.
    missing = str(tmp_path / "nope.csv")
    assert ravdess_audio.main(["--crossval", _crossval_folder(tmp_path), "--out", out,
                               "--reference", missing]) == 1


def _fake_run(folder, accuracies, wall_time_s=None):
    """A run folder with a history.csv (train, val accuracy per epoch) and maybe a summary."""
    import json

    os.makedirs(folder)
    with open(os.path.join(folder, "history.csv"), "w") as f:
        f.write("epoch,accuracy,loss,val_accuracy,val_loss\n")
        for epoch, (train, val) in enumerate(accuracies):
            f.write(f"{epoch},{train},1.0,{val},1.0\n")
    if wall_time_s is not None:
        with open(os.path.join(folder, "summary.json"), "w") as f:
            json.dump({"wall_time_s": wall_time_s}, f)


def test_learning_curves_and_wall_time_read_every_run(tmp_path):
    from mrpn_tf.studies import learning_curves

    cv = tmp_path / "cv"
    _fake_run(cv / "fold1" / "AM-NT", [(0.2, 0.25), (0.5, 0.4)], wall_time_s=600)
    _fake_run(cv / "fold2" / "AM-NT", [(0.3, 0.35)])  # still running: no summary yet
    _fake_run(cv / "fold1" / "AM-T", [(0.1, 0.2), (0.3, 0.3), (0.4, 0.45)], wall_time_s=300)
    found = learning_curves.curves(str(cv), "AM-NT")
    assert sorted(found) == [1, 2]
    assert list(found[1]["val_accuracy"]) == pytest.approx([25.0, 40.0])
    assert learning_curves.wall_time(str(cv)) == (2, 900.0)
    png = learning_curves.plot(str(cv), str(tmp_path / "curves.png"), 12.5)
    with open(png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert learning_curves.plot(str(tmp_path / "empty"), str(tmp_path / "none.png")) is None
