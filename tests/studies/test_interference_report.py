"""The interference report from made-up summaries: results.csv, table.md, the plot."""

import csv

import pytest

from mrpn_tf.studies import interference_report

# Made-up va accuracies (last epoch) per (network, q), one per seed 1..5.
VA = {("N0", 0.0): [0.5, 0.6, 0.7, 0.8, 0.9], ("N2", 0.0): [0.5] * 5,
      ("N0", 0.5): [0.4] * 5, ("N2", 0.5): [0.45, 0.55]}


def summary(va, v=None, a=None, best_va=None):
    """A summary.json as task.train writes it (only what the report reads)."""
    heads = {"va": va} if v is None else {"v": v, "a": a, "va": va}
    return {"val": {h: {"accuracy": best_va if h == "va" and best_va else x, "loss": 1.0}
                    for h, x in heads.items()},
            "final_epoch": {**{h: {"accuracy": x, "loss": 1.0} for h, x in heads.items()}, "loss": 3.0},
            "best_epoch": 2, "epochs_trained": 3, "wall_time_s": 12.34, "run_dir": "r"}


def rows():
    made = []
    for (network, q), values in VA.items():
        for seed, va in enumerate(values, start=1):
            sides = {} if network == "N0" else {"v": 0.25, "a": 0.75}
            made.append(interference_report.row_from_summary(q, network, seed, summary(va, **sides)))
    return made


def test_rows_keep_final_and_best_accuracy_and_skip_missing_heads():
    row = interference_report.row_from_summary(0.3, "N0", 1, summary(0.6, best_va=0.7))
    assert row.accuracy == {"va_final": 0.6, "va_best": 0.7}
    side = interference_report.row_from_summary(0.3, "N2", 1, summary(0.6, v=0.2, a=0.4))
    assert side.accuracy["v_final"] == 0.2 and side.accuracy["a_best"] == 0.4


def precise(va, v=None, a=None):
    """A precise_bn.json as precise_bn.evaluate_checkpoint returns it."""
    heads = {"va": va} if v is None else {"v": v, "a": a, "va": va}
    return {"epoch": 3, "batches": 9, "val": {h: {"accuracy": x, "loss": 1.0} for h, x in heads.items()}}


def test_precise_scores_join_the_row_the_csv_and_a_table_of_their_own(tmp_path):
    made = [interference_report.row_from_summary(0.0, "N2", seed, summary(0.5, v=0.25, a=0.75),
                                                 precise(0.5 + seed / 10, v=0.3, a=0.8))
            for seed in (1, 2)]
    made.append(interference_report.row_from_summary(0.0, "N0", 1, summary(0.4), precise(0.45)))
    assert made[0].accuracy["va_precise"] == 0.6 and made[0].accuracy["a_precise"] == 0.8
    path = interference_report.write_csv(made, str(tmp_path / "results.csv"))
    with open(path, newline="") as f:
        table = list(csv.DictReader(f))
    assert (table[1]["va_final"], table[1]["va_precise"], table[2]["v_precise"]) == ("0.5000", "0.7000", "")
    lines = interference_report.report_markdown(made, [0.0], ["N0", "N2"], "C.").splitlines()
    start = next(i for i, line in enumerate(lines) if "BatchNorm statistics recomputed" in line)
    assert lines[start + 2:start + 8] == ["| network | q = 0 |", "|---|---:|", "| N0 | 45.0% n=1 |",
                                          "| N2 | 65.0% [1.5, 128.5] n=2 |",
                                          "| N2 v | 30.0% [30.0, 30.0] n=2 |",
                                          "| N2 a | 80.0% [80.0, 80.0] n=2 |"]
    plot = str(tmp_path / "precise.png")
    interference_report.accuracy_plot(made, [0.0], ["N0", "N2"], plot, 0.125, "t",
                                      interference_report.PRECISE)
    with open(plot, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_no_precise_table_without_precise_scores():
    text = interference_report.report_markdown(rows(), [0.0, 0.5], ["N0", "N2"], "Caption.")
    assert "BatchNorm statistics recomputed" not in text


def test_csv_has_one_row_per_run(tmp_path):
    path = interference_report.write_csv(rows(), str(tmp_path / "results.csv"))
    with open(path, newline="") as f:
        table = list(csv.DictReader(f))
    assert len(table) == 17
    assert table[0] == {"q": "0", "network": "N0", "seed": "1", "va_final": "0.5000",
                        "v_final": "", "a_final": "", "va_best": "0.5000", "v_best": "",
                        "a_best": "", "va_precise": "", "v_precise": "", "a_precise": "",
                        "best_epoch": "2", "epochs_trained": "3", "wall_time_s": "12.3",
                        "run_dir": "r"}
    assert table[5]["network"] == "N2" and table[5]["a_final"] == "0.7500"


def test_intervals_per_network_and_q():
    found = interference_report.intervals(rows())
    assert found[("N0", 0.0)].mean == pytest.approx(0.7)
    assert found[("N0", 0.0)].half_width == pytest.approx(0.196324, abs=1e-6)
    assert found[("N2", 0.5)].n == 2


def test_markdown_table_cells():
    text = interference_report.report_markdown(rows(), [0.0, 0.5], ["N0", "N2"], "Caption.")
    lines = text.splitlines()
    assert lines[0] == "Caption."
    assert "| network | q = 0 | q = 0.5 |" in lines
    assert "| N0 | 70.0% [50.4, 89.6] n=5 | 40.0% [40.0, 40.0] n=5 |" in lines
    assert "| N2 | 50.0% [50.0, 50.0] n=5 | 50.0% [-13.5, 113.5] n=2 |" in lines
    # Side heads: only N2 has them here; N0 gets no side rows.
    assert "| N2 v | 25.0% [25.0, 25.0] n=5 | 25.0% [25.0, 25.0] n=2 |" in lines
    assert not any(line.startswith("| N0 v") for line in lines)
    missing = interference_report.markdown_table(rows(), [0.0, 1.0], [("N1", "N1", "va_final")])
    assert missing.splitlines()[-1] == "| N1 | – | – |"


def test_single_run_cell():
    one = [interference_report.row_from_summary(0.0, "N1", 1, summary(0.625, v=0.5, a=0.5))]
    assert interference_report.format_cell(interference_report.intervals(one)[("N1", 0.0)]) == "62.5% n=1"


def test_plot_is_a_png(tmp_path):
    path = str(tmp_path / "accuracy_vs_q.png")
    interference_report.accuracy_plot(rows(), [0.0, 0.5], ["N0", "N1", "N2"], path, 0.125, "t")
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
