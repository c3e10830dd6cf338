"""`python -m mrpn_tf.studies.real_people`: the paper's claim on real faces and voices.

    python -m mrpn_tf.crossval --config pipelines/real_people.yaml --networks N0,N1,N2 \
        --folds 1,2 --out runs/crossval-real-people train.epochs=24
    python -m mrpn_tf.crossval ... --out runs/crossval-real-people-seed2 train.seed=7 data.seed=7
    python -m mrpn_tf.studies.real_people runs/crossval-real-people runs/crossval-real-people-seed2 \
        --out results/real_people

Reads the runs' summaries (each a fold of RAVDESS voices paired with FER-2013 PublicTest
faces, `pipelines/real_people.yaml`), one crossval folder per seed, and answers the two
questions of issue 30 with every run as one sample:

  1. Does fusion beat the better single modality? Per N1 / N2 run: va minus max(v, a).
  2. Does N2 beat N0? Per fold and seed: N2's va minus N0's va.

Written to `<out>/`: `heads.md` / `heads.csv` (each head of each network per run, mean and
95 % t-interval), `questions.md` (the two differences, mean and interval, and the answers),
and `heads.png` (every head of every network, one dot per run, the mean as a bar).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from typing import Any, Optional, Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

from mrpn_tf.studies import confidence  # noqa: E402

NETWORKS = ("N0", "N1", "N2")
HEADS = {"N0": ("va",), "N1": ("v", "a", "va"), "N2": ("v", "a", "va")}
# Issue 30's goal for question 1.
FUSION_GOAL = 0.10


def read_runs(folders: Sequence[str]) -> dict[tuple[str, str], dict[str, float]]:
    """{(network, "fold k / seed s"): {head: accuracy}} of every finished run in the folders
    (`<folder>/fold<k>/<network>-<T|NT>/summary.json`)."""
    runs = {}
    for folder in folders:
        for fold in sorted(os.listdir(folder)):
            if not fold.startswith("fold"):
                continue
            for run in sorted(os.listdir(os.path.join(folder, fold))):
                path = os.path.join(folder, fold, run, "summary.json")
                network = run.split("-")[0]
                if network not in NETWORKS or not os.path.isfile(path):
                    continue
                with open(path) as f:
                    summary = json.load(f)
                config_path = os.path.join(folder, fold, run, "config.yaml")
                seed = _seed(config_path)
                key = f"{summary['fold_name']} / seed {seed}"
                runs[(network, key)] = {h: float(v["accuracy"]) for h, v in summary["val"].items()}
    return runs


def _seed(config_path: str) -> str:
    import yaml

    with open(config_path) as f:
        return str(yaml.safe_load(f)["train"]["seed"])


def _interval_text(values: Sequence[float], unit: str = "%") -> str:
    """"mean [low, high]" of a sample of fractions, in percent (or points)."""
    if not values:
        return "–"
    interval = confidence.t_interval(values)
    if interval.n < 2:
        return f"{100 * interval.mean:+.1f}{unit} (one run)" if unit != "%" else \
            f"{100 * interval.mean:.1f}% (one run)"
    sign = "+" if unit != "%" else ""
    return (f"{100 * interval.mean:{sign}.1f}{unit} [{100 * interval.low:{sign}.1f}, "
            f"{100 * interval.high:{sign}.1f}]")


def heads_rows(runs) -> tuple[list[str], list[tuple[str, list[Optional[float]]]]]:
    """(run columns, [(network head, accuracy per run or None)])."""
    columns = sorted({key for _, key in runs})
    rows = []
    for network in NETWORKS:
        for head in HEADS[network]:
            values = [runs.get((network, c), {}).get(head) for c in columns]
            if any(v is not None for v in values):
                rows.append((f"{network} {head}", values))
    return columns, rows


def questions(runs) -> dict[str, Any]:
    """The two questions' per-run differences and their intervals (module docstring)."""
    gains = [runs[(n, c)]["va"] - max(runs[(n, c)]["v"], runs[(n, c)]["a"])
             for (n, c) in sorted(runs) if n in ("N1", "N2")]
    gains_n2 = [runs[(n, c)]["va"] - max(runs[(n, c)]["v"], runs[(n, c)]["a"])
                for (n, c) in sorted(runs) if n == "N2"]
    columns = sorted({c for n, c in runs if n == "N2"} & {c for n, c in runs if n == "N0"})
    n2_minus_n0 = [runs[("N2", c)]["va"] - runs[("N0", c)]["va"] for c in columns]
    return {"fusion_gain": gains, "fusion_gain_n2": gains_n2, "n2_minus_n0": n2_minus_n0,
            "paired_runs": columns}


def _answer(values: Sequence[float], goal: float = 0.0) -> str:
    if not values:
        return "no runs yet"
    interval = confidence.t_interval(values)
    if interval.n < 2:
        return "one run: no interval"
    if interval.low > goal:
        return "yes (the whole interval is above {:.0f} points)".format(100 * goal)
    if interval.high < goal:
        return "no (the whole interval is below {:.0f} points)".format(100 * goal)
    return "not decided at this number of runs (the interval holds {:.0f} points)".format(100 * goal)


def write(runs, out_dir: str) -> dict[str, str]:
    """Writes heads.md, heads.csv, questions.md and heads.png; returns their paths."""
    os.makedirs(out_dir, exist_ok=True)
    columns, rows = heads_rows(runs)
    paths = {name: os.path.join(out_dir, name)
             for name in ("heads.md", "heads.csv", "questions.md", "heads.png")}
    lines = ["**Each head of N0, N1 and N2 on real content: RAVDESS voices of the fold's held-out "
             "actors paired with FER-2013 PublicTest faces (validation accuracy; 7 classes, "
             "chance 14.3 %)**", "",
             "| network head | " + " | ".join(columns) + " | mean [95% CI] |",
             "|---|" + "---:|" * (len(columns) + 1)]
    for label, values in rows:
        present = [v for v in values if v is not None]
        cells = ["–" if v is None else f"{100 * v:.1f}%" for v in values]
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {_interval_text(present)} |")
    with open(paths["heads.md"], "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(paths["heads.csv"], "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["network head", *columns])
        for label, values in rows:
            writer.writerow([label, *("" if v is None else f"{100 * v:.2f}" for v in values)])
    answers = questions(runs)
    text = [
        "**The two questions, each run one sample (differences in points; mean [95 % CI])**", "",
        "| question | runs | difference | answer |", "|---|---:|---:|---|",
        f"| 1. fusion (va) above the better single head, N1 and N2 | {len(answers['fusion_gain'])} | "
        f"{_interval_text(answers['fusion_gain'], ' pts')} | > 0: {_answer(answers['fusion_gain'])}; "
        f">= 10 points: {_answer(answers['fusion_gain'], FUSION_GOAL)} |",
        f"| 1'. the same, N2 alone | {len(answers['fusion_gain_n2'])} | "
        f"{_interval_text(answers['fusion_gain_n2'], ' pts')} | > 0: {_answer(answers['fusion_gain_n2'])} |",
        f"| 2. N2's va minus N0's va, same fold and seed | {len(answers['n2_minus_n0'])} | "
        f"{_interval_text(answers['n2_minus_n0'], ' pts')} | > 0: {_answer(answers['n2_minus_n0'])} |",
    ]
    with open(paths["questions.md"], "w") as f:
        f.write("\n".join(text) + "\n")
    _plot(rows, paths["heads.png"])
    return paths


def _plot(rows, path: str) -> None:
    fig, ax = plt.subplots(figsize=(8, 4))
    colours = {"v": "tab:blue", "a": "tab:orange", "va": "tab:green"}
    for i, (label, values) in enumerate(rows):
        present = [100 * v for v in values if v is not None]
        head = label.split()[1]
        ax.bar(i, sum(present) / len(present), color=colours[head], alpha=0.5)
        ax.scatter([i] * len(present), present, color="black", s=12, zorder=3)
    ax.axhline(100 / 7, color="gray", linestyle="--", linewidth=1, label="chance (14.3 %)")
    ax.set_xticks(range(len(rows)), [label for label, _ in rows])
    ax.set_ylabel("held-out accuracy (%)")
    ax.set_ylim(0, 100)
    ax.set_title("RAVDESS voices x FER-2013 faces: every head (bar: mean, dots: runs)")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mrpn_tf.studies.real_people",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("crossval", nargs="+", help="crossval folders of pipelines/real_people.yaml")
    parser.add_argument("--out", default="results/real_people")
    args = parser.parse_args(argv)
    runs = read_runs(args.crossval)
    if not runs:
        print(f"error: no finished N0 / N1 / N2 run in {', '.join(args.crossval)}", file=sys.stderr)
        return 1
    paths = write(runs, args.out)
    for name in ("heads.md", "questions.md"):
        print(open(paths[name]).read())
    print(f"wrote {', '.join(paths.values())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
