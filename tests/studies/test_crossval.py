"""Cross-validation: the paper's table layouts, folds without clips refused before training,
and a run over 2 tiny folds that resumes."""

import os
import pathlib

import pytest

from mrpn_tf import crossval
from mrpn_tf.config import config as config_lib
from mrpn_tf.config import loading
from mrpn_tf.studies import crossval_runs
from mrpn_tf.studies import crossval_tables
from mrpn_tf.training import preflight
from tests.training import conftest

_TINY_RUN_FILE = str(pathlib.Path(__file__).resolve().parents[2] / "pipelines" / "demo.yaml")
_AM_RUN_FILE = str(pathlib.Path(__file__).resolve().parents[2] / "pipelines" / "ravdess_am_cpu.yaml")
_AM_NT_FILE = str(pathlib.Path(__file__).resolve().parents[2] / "pipelines" / "ravdess_am_cpu_nt.yaml")


def _summary(v, a, va):
    return {"val": {"v": {"accuracy": v}, "a": {"accuracy": a}, "va": {"accuracy": va}}}


def test_plan_runs_doubles_the_table1_networks():
    runs = crossval_runs.plan_runs(["N2", "AM", "N0"], [1, 2], time_augment=True)
    assert [r.name for r in runs if r.fold == 1] == ["N2-T", "AM-NT", "AM-T", "N0-NT", "N0-T"]
    assert len(runs) == 10


def test_plan_runs_runs_n0_once_without_table1():
    """N0 beside N1 / N2 only (Table 2's question) runs in the config's mode, as they do."""
    runs = crossval_runs.plan_runs(["N0", "N1", "N2"], [1, 2], time_augment=True)
    assert [r.name for r in runs if r.fold == 2] == ["N0-T", "N1-T", "N2-T"]


def test_each_mode_starts_from_its_own_config_when_given(tmp_path):
    t_file = tmp_path / "t.yaml"
    t_file.write_text("train:\n  epochs: 7\naudio:\n  freq_mask_bins: 3\n")
    base = loading.load_config([_AM_RUN_FILE])
    t_base = loading.load_config([_AM_RUN_FILE, str(t_file)])
    nt, t = crossval_runs.plan_runs(["AM"], [3], time_augment=False)
    nt_config = crossval_runs.run_config(base, nt, str(tmp_path), t_base)
    t_config = crossval_runs.run_config(base, t, str(tmp_path), t_base)
    assert base.train.epochs != 7 and base.audio.freq_mask_bins != 3
    assert (nt_config.train.epochs, nt_config.audio.freq_mask_bins) == (
        base.train.epochs, base.audio.freq_mask_bins)
    assert (t_config.train.epochs, t_config.audio.freq_mask_bins) == (7, 3)
    assert (nt_config.data.time_augment, t_config.data.time_augment) == (False, True)
    assert t_config.data.fold == nt_config.data.fold == 3
    assert t_config.train.run_dir == os.path.join(str(tmp_path), "fold3", "AM-T")
    # Without a T config both start from the base; an NT config reaches the NT runs only.
    assert crossval_runs.run_config(base, t, str(tmp_path)).train.epochs == base.train.epochs
    nt_file = tmp_path / "nt.yaml"
    nt_file.write_text("train:\n  epochs: 5\n")
    nt_base = loading.load_config([_AM_RUN_FILE, str(nt_file)])
    assert crossval_runs.run_config(base, nt, str(tmp_path), nt_base=nt_base).train.epochs == 5
    assert (crossval_runs.run_config(base, t, str(tmp_path), nt_base=nt_base).train.epochs
            == base.train.epochs)


def test_the_am_cpu_files_give_nt_its_masks_and_both_modes_one_budget():
    """pipelines/ravdess_am_cpu.yaml is AM(T); with ravdess_am_cpu_nt.yaml, AM(NT)."""
    t = loading.load_config([_AM_RUN_FILE])
    nt = loading.load_config([_AM_RUN_FILE, _AM_NT_FILE])
    assert (t.data.time_augment, nt.data.time_augment) == (True, False)
    assert t.audio.freq_mask_bins == t.audio.time_mask_frames == 0
    assert nt.audio.freq_mask_bins > 0 and nt.audio.time_mask_frames > 0
    assert nt.audio.hop_s < t.audio.hop_s
    # Everything else is shared, the 36-epoch budget included (docs/results.md, item 25).
    assert t.train.epochs == nt.train.epochs == 36
    changed = {"data.time_augment", "audio.hop_s", "audio.freq_mask_bins", "audio.time_mask_frames"}
    for section in ("data", "audio", "model", "train", "export"):
        for key, value in vars(getattr(t, section)).items():
            if f"{section}.{key}" not in changed:
                assert getattr(getattr(nt, section), key) == value, f"{section}.{key}"


def test_parse_folds_and_networks():
    assert crossval_runs.parse_folds("all", "ravdess") == list(range(1, 13))
    assert crossval_runs.parse_folds("2,5", "cremad") == [2, 5]
    with pytest.raises(ValueError, match="folds 1..4"):
        crossval_runs.parse_folds("5", "demo")
    with pytest.raises(ValueError, match="N0,"):
        crossval_runs.parse_networks("N3")


def test_tables_in_the_paper_layout_with_mean_and_std():
    results = {
        ("AM", False, 1): _summary(0.1, 0.708, 0.2), ("AM", False, 2): _summary(0.1, 0.550, 0.2),
        ("AM", True, 1): _summary(0.1, 0.716, 0.2),
        ("N0", True, 1): _summary(0.3, 0.4, 0.975), ("N0", True, 2): _summary(0.3, 0.4, 0.903),
    }
    table1 = crossval_tables.table1(results, "ravdess", [1, 2], ["A1,2", "A3,4"], ["AM", "N0"])
    markdown = crossval_tables.to_markdown(table1).splitlines()
    assert markdown[2] == "| RAVDESS | A1,2 | A3,4 | mean ± std | 95% CI |"
    # t interval of two folds: 62.9 +- 12.706 * 11.2 / sqrt(2)
    assert markdown[4] == "| AM(NT) | 70.8% | 55.0% | 62.9% ± 11.2% | -37.5–163.3% |"
    assert markdown[5] == "| AM(T) | 71.6% | – | 71.6% ± 0.0% | – |"
    assert markdown[6] == "| JM(NT) | – | – | – | – |"
    assert [label for label, _ in table1.rows] == ["AM(NT)", "AM(T)", "JM(NT)", "JM(T)"]
    networks = crossval_tables.networks_table(results, "cremad", [1, 2], ["S1", "S2"], ["N0"], True)
    assert networks.name == "table3_networks"
    csv_lines = crossval_tables.to_csv(networks).splitlines()
    assert csv_lines == ["CREMAD,S1,S2,mean,std,ci95_low,ci95_high",
                         "N0,97.50,90.30,93.90,5.09,48.16,139.64"]
    heads = crossval_tables.heads_table(results, "ravdess", [1, 2], ["A1,2", "A3,4"],
                                        ["N0", "N1"], True)
    # N0 has the fusion head only; a network without runs has empty cells.
    assert [label for label, _ in heads.rows] == ["N0 va", "N1 v", "N1 a", "N1 va"]
    assert heads.rows[0][1] == [0.975, 0.903] and heads.rows[1][1] == [None, None]


def test_folds_without_validation_clips_are_refused_before_training(tmp_path):
    # Actors 7 and 8 absent, as RAVDESS actors 21-24 are from ../shared: fold 4 (A7,8) is empty.
    clips = [clip for clip in conftest.TRAIN_CLIPS + conftest.VAL_CLIPS if clip[0] <= 6]
    prepared = conftest.write_demo_prepared(tmp_path / "prepared", clips, config_lib.tiny())
    config = conftest.training_config(prepared, str(tmp_path / "run"))
    crossval_runs.check_folds_have_clips(config, [1, 2, 3])
    with pytest.raises(preflight.PreflightError,
                       match=r"folds 4 \(A7,8\) have no validation clips .*actors 7, 8 are not in "
                             r"the data; use --folds 1,2,3"):
        crossval_runs.check_folds_have_clips(config, [1, 2, 3, 4])


# tests/training's session fixture: its conftest is not this folder's, so name it here.
prepared_dir = conftest.prepared_dir


@pytest.mark.slow
def test_crossval_two_folds_writes_both_tables_and_resumes(prepared_dir, tmp_path, capsys):
    out = str(tmp_path / "cv")
    overrides_ = [f"data.prepared_dir={prepared_dir}", "data.dataset=demo", "train.epochs=1",
                  f"video.crop_size={config_lib.tiny().video.crop_size}",
                  "train.batch_size=2"]
    nt_file = tmp_path / "nt.yaml"
    nt_file.write_text("model:\n  dropout: 0.45\n")
    assert crossval.main(["--config", _TINY_RUN_FILE, "--folds", "1,2", "--networks", "N0",
                          "--out", out, "--nt-config", str(nt_file), *overrides_]) == 0
    for k in (1, 2):  # the NT file reached the NT runs only
        for run, dropout in (("N0-NT", 0.45), ("N0-T", config_lib.tiny().model.dropout)):
            resolved = loading.load_config([os.path.join(out, f"fold{k}", run, "config.yaml")])
            assert resolved.model.dropout == dropout
    for name in ("table1_modalities", "table2_networks"):
        for extension in ("md", "csv"):
            assert os.path.getsize(os.path.join(out, f"{name}.{extension}")) > 0
    with open(os.path.join(out, "table2_networks.csv")) as f:
        rows = f.read().splitlines()
    assert rows[0] == 'DEMO,"A1,2","A3,4",mean,std,ci95_low,ci95_high' and rows[1].startswith("N0,")
    assert all(os.path.isfile(os.path.join(out, f"fold{k}", run, "summary.json"))
               for k in (1, 2) for run in ("N0-T", "N0-NT"))
    capsys.readouterr()
    # A second call finds every run finished and only rewrites the tables.
    assert crossval.main(["--config", _TINY_RUN_FILE, "--folds", "1,2", "--networks", "N0",
                          "--out", out, *overrides_]) == 0
    assert capsys.readouterr().out.count("done earlier") == 4
