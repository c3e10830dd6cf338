"""The interference experiment's report: results.csv, table.md and accuracy_vs_q.png.

    results.csv        one row per finished run: q, network, seed, per head the validation
                       accuracy of the last epoch, of the best epoch and of the last epoch
                       with recomputed BatchNorm statistics ("precise"), epochs, wall time
    table.md           per network and q: mean accuracy of the fusion head va over the seeds
                       with its 95 % t-interval (confidence.py); then the side heads v and a;
                       then both again with recomputed BatchNorm statistics
    accuracy_vs_q.png  the first table as a plot: mean and interval per network against q,
                       with the chance line; accuracy_vs_q_precise_bn.png, the same with
                       recomputed statistics

The measured accuracy is the last epoch's, not the best epoch's: the best epoch is picked by
the validation loss, which is computed on the very actors the experiment measures and which
differs between networks (N0: L_va; N1, N2: L_v + L_a + L_va, paper eq. 5). Both are in
results.csv. Keras scores the last epoch with BatchNorm moving averages that lag the weights
(training/precise_bn.py); the "precise" figures score the same weights with the statistics
recomputed. Pure functions of the summaries: no TensorFlow here.
"""

from __future__ import annotations

import csv
import dataclasses
import math
from typing import Any, Mapping, Optional, Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

from mrpn_tf.data import features  # noqa: E402
from mrpn_tf.studies import confidence  # noqa: E402

HEADS = (features.VA, features.V, features.A)
# The reported metric: the fusion head at the last epoch (module docstring).
REPORTED = f"{features.VA}_final"
# The same, with recomputed BatchNorm statistics (precise_bn.json).
PRECISE = f"{features.VA}_precise"
SIDE_NETWORKS = ("N1", "N2")  # the networks with side heads v and a (paper eqs. 8-9)
ACCURACY_COLUMNS = tuple(f"{head}_{when}" for when in ("final", "best", "precise") for head in HEADS)
CSV_COLUMNS = ("q", "network", "seed") + ACCURACY_COLUMNS + (
    "best_epoch", "epochs_trained", "wall_time_s", "run_dir")
MISSING = "–"


@dataclasses.dataclass(frozen=True)
class RunRow:
    """One finished run, as results.csv has it.

    Attributes:
      q: the fuzzy probability of the run's data.
      network: "N0", "N1" or "N2".
      seed: the run's seed.
      accuracy: "<head>_final" / "<head>_best" / "<head>_precise" -> validation accuracy;
        heads the network lacks (N0 has no v, a), and precise figures not computed, are absent.
      best_epoch: 1-based epoch of model.keras.
      epochs_trained: epochs the run trained.
      wall_time_s: the run's wall time.
      run_dir: the run folder.
    """

    q: float
    network: str
    seed: int
    accuracy: Mapping[str, float]
    best_epoch: int
    epochs_trained: int
    wall_time_s: float
    run_dir: str


def row_from_summary(
    q: float, network: str, seed: int, summary: Mapping[str, Any],
    precise: Optional[Mapping[str, Any]] = None,
) -> RunRow:
    """The results.csv row of one run's summary.json (training/run_dir.py) and precise_bn.json, if any."""
    accuracy = {}
    sources = [("final", summary["final_epoch"]), ("best", summary["val"])]
    if precise is not None:
        sources.append(("precise", precise["val"]))
    for when, metrics in sources:
        for head in HEADS:
            value = metrics.get(head, {}).get("accuracy")
            if value is not None and math.isfinite(value):
                accuracy[f"{head}_{when}"] = float(value)
    return RunRow(q, network, seed, accuracy, int(summary["best_epoch"]),
                  int(summary["epochs_trained"]), float(summary["wall_time_s"]),
                  str(summary["run_dir"]))


def write_csv(rows: Sequence[RunRow], path: str) -> str:
    """Writes results.csv (accuracies as fractions, 4 decimals; blank for a missing head)."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for row in rows:
            values = [f"{row.accuracy[c]:.4f}" if c in row.accuracy else ""
                      for c in ACCURACY_COLUMNS]
            writer.writerow([f"{row.q:g}", row.network, row.seed, *values, row.best_epoch,
                             row.epochs_trained, f"{row.wall_time_s:.1f}", row.run_dir])
    return path


def intervals(
    rows: Sequence[RunRow], metric: str = REPORTED
) -> dict[tuple[str, float], confidence.Interval]:
    """(network, q) -> t-interval of `metric` over the seeds, for every pair with a value."""
    samples: dict[tuple[str, float], list[float]] = {}
    for row in rows:
        if metric in row.accuracy:
            samples.setdefault((row.network, row.q), []).append(row.accuracy[metric])
    return {key: confidence.t_interval(values) for key, values in samples.items()}


def format_cell(interval: Optional[confidence.Interval]) -> str:
    """ "62.5% [55.1, 69.9] n=5" (percent), "62.5% n=1" for one run, "–" for none."""
    if interval is None:
        return MISSING
    if interval.n < 2:
        return f"{100 * interval.mean:.1f}% n=1"
    return (f"{100 * interval.mean:.1f}% [{100 * interval.low:.1f}, {100 * interval.high:.1f}] "
            f"n={interval.n}")


def markdown_table(
    rows: Sequence[RunRow], qs: Sequence[float], lines: Sequence[tuple[str, str, str]]
) -> str:
    """A Markdown table, one column per q, one row per (label, network, metric) line."""
    header = "| network | " + " | ".join(f"q = {q:g}" for q in qs) + " |"
    table = [header, "|---|" + "---:|" * len(qs)]
    for label, network, metric in lines:
        found = intervals([r for r in rows if r.network == network], metric)
        cells = [format_cell(found.get((network, q))) for q in qs]
        table.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(table) + "\n"


def report_markdown(
    rows: Sequence[RunRow], qs: Sequence[float], networks: Sequence[str], caption: str
) -> str:
    """table.md: the fusion head of every network, then the side heads of N1 / N2.

    Args:
      rows: the finished runs.
      qs: the columns.
      networks: the rows of the first table.
      caption: what was fuzzy, for whom, and the budget (printed above the tables).

    Returns:
      The Markdown text.
    """
    def lines(when: str, heads: Sequence[str]) -> list[tuple[str, str, str]]:
        return [(network if head == features.VA else f"{network} {head}", network, f"{head}_{when}")
                for head in heads for network in networks
                if head == features.VA or network in SIDE_NETWORKS]

    sides = lines("final", (features.V, features.A))
    text = [caption, "",
            f"**Clean-actor validation accuracy of the fusion head {features.VA} (last epoch): "
            "mean over seeds [95 % t-interval]**", "",
            markdown_table(rows, qs, lines("final", (features.VA,)))]
    if sides:
        text += ["**Side heads v (video) and a (audio) of the same runs, same clean actors**", "",
                 markdown_table(rows, qs, sides)]
    if any(PRECISE in row.accuracy for row in rows):
        text += ["**The same last-epoch weights with BatchNorm statistics recomputed on the "
                 "training clips (training/precise_bn.py): fusion head, then side heads**", "",
                 markdown_table(rows, qs, lines("precise", (features.VA, features.V, features.A)))]
    return "\n".join(text)


def accuracy_plot(
    rows: Sequence[RunRow],
    qs: Sequence[float],
    networks: Sequence[str],
    path: str,
    chance: float,
    title: str,
    metric: str = REPORTED,
) -> str:
    """accuracy_vs_q.png: mean and 95 % interval of `metric` per network against q.

    Args:
      rows: the finished runs.
      qs: the x positions.
      networks: one line each.
      path: PNG file to write.
      chance: the accuracy of a guess (1 / classes), drawn as a dashed line.
      title: the figure's title.
      metric: the accuracy column plotted (`REPORTED`, or `PRECISE`).

    Returns:
      `path`.
    """
    found = intervals(rows, metric)
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    # Networks side by side around each q, so that their intervals do not hide each other.
    spread = 0.012 * (max(qs) - min(qs) or 1.0)
    for k, network in enumerate(networks):
        points = [(q, found[(network, q)]) for q in qs if (network, q) in found]
        if not points:
            continue
        offset = (k - (len(networks) - 1) / 2) * spread
        x = [q + offset for q, _ in points]
        y = [100 * i.mean for _, i in points]
        errors = [100 * i.half_width if i.n > 1 else 0.0 for _, i in points]
        ax.errorbar(x, y, yerr=errors, marker="o", capsize=4, label=network)
    ax.axhline(100 * chance, color="gray", linestyle="--", linewidth=1,
               label=f"chance ({100 * chance:.1f}%)")
    ax.set_xticks(list(qs), [f"{q:g}" for q in qs])
    ax.set_xlabel("q: probability of a wrong cue in a fuzzy actor's clip")
    ax.set_ylabel("clean-actor validation accuracy, va (%)")
    ax.set_ylim(0, 100)
    ax.set_title(title, fontsize=10)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
