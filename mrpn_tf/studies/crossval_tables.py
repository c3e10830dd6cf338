"""The paper's result tables, from the summaries of cross-validation runs.

  Table 1 (paper 4.3): single modalities vs the joint model N0 per actor pair, with (T) and
           without (NT) time augmentation. Rows AM(NT), AM(T), VM(NT), VM(T), JM(NT), JM(T),
           where JM is N0; AM is scored on its audio head, VM on its video head.
  Table 2 (RAVDESS) / Table 3 (CREMA-D) (paper 4.5): N0, N1 and N2 (MRPN) per fold, scored
           on the fusion head va.
  Heads: every head (v, a, va) of N0, N1 and N2 per fold: does fusion beat the better single
           modality, and does N2 beat N0? (N0 has the va head only.)

Every table gets the columns "mean ± std" over the folds it has (sample standard deviation,
0 for a single fold) and "95% CI", Student's t interval of that mean (– for a single fold). Cells are validation accuracies of the run's best epoch (summary.json
"val"), written as percentages as in the paper; a run not made yet is "–".
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
from typing import Mapping, Optional, Sequence

import numpy as np

from mrpn_tf.data import features
from mrpn_tf.studies import confidence

# The head each network is scored on.
SCORED_HEAD = {"AM": features.A, "VM": features.V, "N0": features.VA, "N1": features.VA,
               "N2": features.VA}
# Table 1's rows: (label, network, time augmentation).
TABLE1_ROWS = (("AM(NT)", "AM", False), ("AM(T)", "AM", True), ("VM(NT)", "VM", False),
               ("VM(T)", "VM", True), ("JM(NT)", "N0", False), ("JM(T)", "N0", True))
NETWORK_ROWS = (("N0", "N0"), ("N1", "N1"), ("N2 (MRPN)", "N2"))
TABLE1_NETWORKS = ("AM", "VM", "N0")
NETWORK_TABLE_NETWORKS = ("N0", "N1", "N2")
HEAD_ROWS = (features.V, features.A, features.VA)
MISSING = "–"
MEAN_STD = "mean ± std"
CI = "95% CI"

# (network, time augmentation, fold) -> that run's summary.json.
Results = Mapping[tuple[str, bool, int], Mapping]


@dataclasses.dataclass
class Table:
    """One result table: a title, fold columns, and per row one accuracy (or None) per fold."""

    title: str
    name: str
    corner: str
    folds: list[str]
    rows: list[tuple[str, list[Optional[float]]]]


def scored_accuracy(network: str, summary: Mapping) -> float:
    """The validation accuracy a table reports for one run: its scored head's."""
    return float(summary["val"][SCORED_HEAD[network]]["accuracy"])


def _row(results: Results, network: str, augment: bool, fold_ids: Sequence[int]) -> list:
    return [
        scored_accuracy(network, results[(network, augment, k)]) if (network, augment, k) in results else None
        for k in fold_ids
    ]


def table1(results: Results, dataset: str, fold_ids: Sequence[int], fold_names: Sequence[str],
           networks: Sequence[str]) -> Table:
    """Table 1 for the requested networks among AM, VM, N0 (as JM)."""
    rows = [(label, _row(results, net, augment, fold_ids))
            for label, net, augment in TABLE1_ROWS if net in networks]
    return Table("Table 1. Single modalities (AM, VM) vs the joint model (JM = N0), without (NT) "
                 "and with (T) time augmentation: validation accuracy", "table1_modalities",
                 dataset.upper(), list(fold_names), rows)


def networks_table(results: Results, dataset: str, fold_ids: Sequence[int],
                   fold_names: Sequence[str], networks: Sequence[str], time_augment: bool) -> Table:
    """Table 2 (RAVDESS and others) or 3 (CREMA-D): N0, N1, N2 on the fusion head."""
    number = 3 if dataset == "cremad" else 2
    rows = [(label, _row(results, net, time_augment, fold_ids))
            for label, net in NETWORK_ROWS if net in networks]
    return Table(f"Table {number}. MRPN (N2) vs simple fusion (N0) and advanced fusion (N1): "
                 "validation accuracy of the fusion head", f"table{number}_networks",
                 dataset.upper(), list(fold_names), rows)


def heads_table(results: Results, dataset: str, fold_ids: Sequence[int],
                fold_names: Sequence[str], networks: Sequence[str], time_augment: bool) -> Table:
    """Each head of N0, N1 and N2 per fold (a head a network lacks is not a row)."""
    rows = []
    for label, net in NETWORK_ROWS:
        if net not in networks:
            continue
        for head in HEAD_ROWS:
            if net == "N0" and head != features.VA:
                continue
            values = []
            for k in fold_ids:
                summary = results.get((net, time_augment, k))
                values.append(None if summary is None else float(summary["val"][head]["accuracy"]))
            rows.append((f"{label} {head}", values))
    return Table("Every head of N0, N1 and N2 (v: the face side head, a: the voice side head, "
                 "va: the fusion): validation accuracy", "heads_networks", dataset.upper(),
                 list(fold_names), rows)


def confidence_interval(values: Sequence[Optional[float]]) -> Optional[confidence.Interval]:
    """The 95 % t-interval of the mean of the values present; None for fewer than two."""
    present = [v for v in values if v is not None]
    return confidence.t_interval(present) if len(present) > 1 else None


def mean_std(values: Sequence[Optional[float]]) -> Optional[tuple[float, float]]:
    """Mean and sample standard deviation of the values present; None when none is."""
    present = np.array([v for v in values if v is not None], dtype=np.float64)
    if present.size == 0:
        return None
    std = float(present.std(ddof=1)) if present.size > 1 else 0.0
    return float(present.mean()), std


def _percent(value: Optional[float]) -> str:
    return MISSING if value is None else f"{100 * value:.1f}%"


def _summary_cell(values: Sequence[Optional[float]]) -> str:
    moments = mean_std(values)
    return MISSING if moments is None else f"{100 * moments[0]:.1f}% ± {100 * moments[1]:.1f}%"


def _interval_cell(values: Sequence[Optional[float]]) -> str:
    interval = confidence_interval(values)
    return MISSING if interval is None else f"{100 * interval.low:.1f}–{100 * interval.high:.1f}%"


def to_markdown(table: Table) -> str:
    """The table as Markdown: title line, then the paper's layout plus the mean and the 95% CI."""
    header = [table.corner] + table.folds + [MEAN_STD, CI]
    lines = [f"**{table.title}**", "", "| " + " | ".join(header) + " |",
             "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    for label, values in table.rows:
        cells = [label] + [_percent(v) for v in values] + [_summary_cell(values), _interval_cell(values)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def to_csv(table: Table) -> str:
    """The table as CSV: accuracies in percent (2 decimals), then mean, std and the 95% CI."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([table.corner] + table.folds + ["mean", "std", "ci95_low", "ci95_high"])
    for label, values in table.rows:
        moments, interval = mean_std(values), confidence_interval(values)
        summary = ["", ""] if moments is None else [f"{100 * moments[0]:.2f}", f"{100 * moments[1]:.2f}"]
        summary += ["", ""] if interval is None else [f"{100 * interval.low:.2f}", f"{100 * interval.high:.2f}"]
        writer.writerow([label] + ["" if v is None else f"{100 * v:.2f}" for v in values] + summary)
    return out.getvalue()


def write_tables(out_dir: str, tables: Sequence[Table]) -> dict[str, str]:
    """Writes each table as `<name>.md` and `<name>.csv` in `out_dir`.

    Returns:
      file name -> path.
    """
    os.makedirs(out_dir, exist_ok=True)
    paths = {}
    for table in tables:
        for extension, text in (("md", to_markdown(table)), ("csv", to_csv(table))):
            path = os.path.join(out_dir, f"{table.name}.{extension}")
            with open(path, "w") as f:
                f.write(text)
            paths[os.path.basename(path)] = path
    return paths
