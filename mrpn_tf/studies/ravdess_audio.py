"""`python -m mrpn_tf.studies.ravdess_audio`: our AM rows of Table 1 beside the paper's.

    python -m mrpn_tf.prepare --dataset ravdess --root ../shared/data/ravdess-speech \
        --out prepared/ravdess-speech-cpu --config pipelines/ravdess_am_cpu.yaml
    python -m mrpn_tf.crossval --config pipelines/ravdess_am_cpu.yaml \
        --nt-config pipelines/ravdess_am_cpu_nt.yaml --folds 1,2,3,4,5,6,7,8,9,10 \
        --networks AM --out runs/crossval-ravdess-am-v2
    python -m mrpn_tf.studies.ravdess_reference          # -> results/ravdess_audio/reference_logreg.csv
    python -m mrpn_tf.studies.ravdess_audio --crossval runs/crossval-ravdess-am-v2 \
        [--out results/ravdess_audio] [--reference results/ravdess_audio/reference_logreg.csv]

Reads the Table 1 that crossval wrote (`<crossval>/table1_modalities.csv`: AM(NT) and AM(T)
per actor pair) and writes `<out>/table1_am_vs_paper.md`: per actor pair the paper's row
(paper_tables.py) above ours, and both rows' means over the pairs we have a number for; and
`<out>/table1_am_vs_paper.png`, the same numbers as bars per actor pair. When the reference
row's CSV (`ravdess_reference.py`; by default `<out>/reference_logreg.csv`) exists, its
per-pair accuracy is a last row of the table and grey bars in the figure. Beside them:
`<out>/learning_curves.png`, training and held-out accuracy per epoch of every run
(learning_curves.py), and the runs' summed wall time under the table.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from typing import Optional, Sequence

import matplotlib
import numpy as np

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

from mrpn_tf.studies import learning_curves  # noqa: E402
from mrpn_tf.studies import paper_tables  # noqa: E402
from mrpn_tf.studies import ravdess_reference  # noqa: E402

TABLE1_CSV = "table1_modalities.csv"  # crossval_tables.table1's file
COMPARISON_MD = "table1_am_vs_paper.md"
COMPARISON_PNG = "table1_am_vs_paper.png"
CURVES_PNG = "learning_curves.png"
DEFAULT_OUT = os.path.join("results", "ravdess_audio")
AM_ROWS = ("AM(NT)", "AM(T)")
CHANCE = 100.0 / 8  # eight emotions
MISSING = "–"
MEAN = "mean (these pairs)"
REFERENCE_LABEL = "reference (log-mel stats + logistic regression)"


def read_table_csv(path: str) -> tuple[list[str], dict[str, list[Optional[float]]]]:
    """A table CSV of crossval_tables.to_csv: (fold names, row label -> percent or None per fold).

    Raises:
      FileNotFoundError: no such file (crossval has not written Table 1 there).
      ValueError: a file not in the crossval layout.
    """
    with open(path, newline="") as f:
        lines = list(csv.reader(f))
    if not lines or "mean" not in lines[0] or lines[0][lines[0].index("mean") + 1] != "std":
        raise ValueError(f"{path}: not a crossval table (header {lines[:1]})")
    fold_names = lines[0][1:lines[0].index("mean")]
    rows = {line[0]: [float(v) if v else None for v in line[1:1 + len(fold_names)]]
            for line in lines[1:] if line}
    return fold_names, rows


def _mean(values: Sequence[Optional[float]]) -> Optional[float]:
    present = [v for v in values if v is not None]
    return float(np.mean(present)) if present else None


def _cells(values: Sequence[Optional[float]]) -> list[str]:
    return [MISSING if v is None else f"{v:.1f}%" for v in values]


def comparison_markdown(fold_names: Sequence[str], ours: dict[str, list[Optional[float]]],
                        source: str, reference: Optional[dict[str, float]] = None) -> str:
    """The paper's AM rows above ours, for the actor pairs of our table.

    Args:
      fold_names: our table's actor pairs ("A1,2", ...), all in the paper's Table 1.
      ours: row label -> our accuracy in percent (None: not run) per actor pair.
      source: where our numbers come from (printed under the table).
      reference: fold name -> the reference row's accuracy in percent (a last row), or None.

    Returns:
      Markdown text.
    """
    header = ["RAVDESS audio"] + list(fold_names) + [MEAN]
    lines = [f"**Table 1, AM rows: the paper vs this implementation (validation accuracy; "
             f"chance {CHANCE:.1f}%)**", "", "| " + " | ".join(header) + " |",
             "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    for row in AM_ROWS:
        if row not in ours:
            continue
        paper = [paper_tables.table1_value(row, name) for name in fold_names]
        # Both means over the pairs we have a number for: like with like.
        have = [v is not None for v in ours[row]]
        for label, values in ((f"{row} paper", paper), (f"{row} ours", ours[row])):
            mean = _mean([v for v, kept in zip(values, have) if kept])
            cells = _cells(values) + [MISSING if mean is None else f"{mean:.1f}%"]
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
    if reference is not None:
        values = [reference.get(name) for name in fold_names]
        mean = _mean(values)
        cells = _cells(values) + [MISSING if mean is None else f"{mean:.1f}%"]
        lines.append(f"| {REFERENCE_LABEL} | " + " | ".join(cells) + " |")
    lines += ["", f"Paper: Chang & Skarbek 2021, Table 1. Ours: {source}."]
    if reference is not None:
        lines.append(f"Reference: {ravdess_reference.ROW_LABEL} "
                     "(mrpn_tf/studies/ravdess_reference.py), same folds, no deep network.")
    return "\n".join(lines) + "\n"


def comparison_plot(fold_names: Sequence[str], ours: dict[str, list[Optional[float]]],
                    path: str, reference: Optional[dict[str, float]] = None) -> str:
    """Bars per actor pair: each AM row of the paper (pale) beside ours, and chance.

    Args:
      fold_names: our table's actor pairs.
      ours: row label -> our accuracy in percent (None: not run) per actor pair.
      path: PNG file to write.
      reference: fold name -> the reference row's accuracy in percent (grey bars), or None.

    Returns:
      `path`.
    """
    # Per AM row: the paper's bars (pale), then ours.
    bars = [(f"{row} {who}", values, row, alpha)
            for row in AM_ROWS if row in ours
            for who, values, alpha in (
                ("paper", [paper_tables.table1_value(row, name) for name in fold_names], 0.35),
                ("ours", ours[row], 1.0))]
    if reference is not None:
        bars.append(("reference", [reference.get(name) for name in fold_names], "reference", 1.0))
    colors = {row: color for row, color in zip(AM_ROWS, ("tab:blue", "tab:orange"))}
    colors["reference"] = "tab:gray"
    width = 0.8 / len(bars)
    x = np.arange(len(fold_names))
    fig, ax = plt.subplots(figsize=(max(6.4, 0.9 * len(fold_names) + 2), 4.4))
    for k, (label, values, row, alpha) in enumerate(bars):
        have = [(i, v) for i, v in enumerate(values) if v is not None]
        ax.bar([x[i] + (k - (len(bars) - 1) / 2) * width for i, _ in have], [v for _, v in have],
               width, color=colors[row], alpha=alpha, label=label)
    ax.axhline(CHANCE, color="gray", linestyle="--", linewidth=1, label=f"chance ({CHANCE:.1f}%)")
    ax.set_xticks(x, list(fold_names))
    ax.set_xlabel("validation actors (fold)")
    ax.set_ylabel("validation accuracy (%)")
    ax.set_ylim(0, 100)
    ax.set_title("RAVDESS audio only (AM): the paper's Table 1 and this implementation",
                 fontsize=10)
    ax.legend(loc="upper right", fontsize=8, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Writes the comparison (module docstring); returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m mrpn_tf.studies.ravdess_audio",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--crossval", required=True, help="the crossval --out folder")
    parser.add_argument("--out", default=DEFAULT_OUT, help="folder of the comparison table")
    parser.add_argument("--reference", default=None, help="the reference row's CSV (default: "
                        f"<out>/{ravdess_reference.CSV_NAME} when it exists)")
    args = parser.parse_args(argv)
    path = os.path.join(args.crossval, TABLE1_CSV)
    reference_path = args.reference or os.path.join(args.out, ravdess_reference.CSV_NAME)
    try:
        fold_names, ours = read_table_csv(path)
        if not set(AM_ROWS) & set(ours):
            raise ValueError(f"{path} has no AM rows; run crossval with --networks AM")
        reference = None
        if args.reference or os.path.isfile(reference_path):
            reference = ravdess_reference.read_reference_csv(reference_path)
        text = comparison_markdown(
            fold_names, ours, f"{path} (run configs in {args.crossval}/fold*/AM-*/config.yaml)",
            reference)
        runs, seconds = learning_curves.wall_time(args.crossval)
        if runs:
            text += (f"Wall time: {runs} runs took {seconds / 3600:.2f} h in all "
                     "(the sum of their summary.json `wall_time_s`).\n")
    except (OSError, ValueError, KeyError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    os.makedirs(args.out, exist_ok=True)
    target = os.path.join(args.out, COMPARISON_MD)
    with open(target, "w") as f:
        f.write(text)
    print(text)
    print(f"written: {target}")
    png = comparison_plot(fold_names, ours, os.path.join(args.out, COMPARISON_PNG), reference)
    print(f"written: {png}")
    curves = learning_curves.plot(args.crossval, os.path.join(args.out, CURVES_PNG), CHANCE)
    if curves:
        print(f"written: {curves}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
