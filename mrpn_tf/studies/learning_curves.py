"""Learning curves of a cross-validation's AM runs, and the wall time the runs took.

    learning_curves.plot(crossval_dir, path)       -> PNG: training and held-out accuracy per
                                                      epoch, one panel per AM row (NT, T),
                                                      one thin line per fold, the mean thick
    learning_curves.wall_time(crossval_dir)        -> (runs finished, seconds they took)

Both read what the runs wrote (`fold<k>/AM-<NT|T>/history.csv` and `summary.json`), so they
work on a cross-validation that is still running: unfinished runs show the epochs done so far.
"""

from __future__ import annotations

import glob
import json
import os
from typing import Optional

import matplotlib
import numpy as np

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

from mrpn_tf.training import history

from mrpn_tf.training import run_dir as run_dir_lib  # noqa: E402

ROWS = (("AM-NT", "AM(NT)"), ("AM-T", "AM(T)"))


def _runs(crossval_dir: str, name: str) -> list[tuple[int, str]]:
    """(fold, run folder) of every fold that has a run called `name`, by fold."""
    found = []
    for folder in glob.glob(os.path.join(crossval_dir, "fold*", name)):
        fold = os.path.basename(os.path.dirname(folder))[len("fold"):]
        if fold.isdigit():
            found.append((int(fold), folder))
    return sorted(found)


def curves(crossval_dir: str, name: str) -> dict[int, dict[str, np.ndarray]]:
    """Per fold: "accuracy" and "val_accuracy" per epoch (percent) of run `name` ("AM-NT")."""
    result = {}
    for fold, folder in _runs(crossval_dir, name):
        path = run_dir_lib.RunDir(folder).history_path
        if not os.path.isfile(path):
            continue
        rows = history.read_history(path)
        if rows:
            result[fold] = {key: 100.0 * np.array([row[key] for row in rows], float)
                            for key in ("accuracy", "val_accuracy")}
    return result


def plot(crossval_dir: str, path: str, chance: Optional[float] = None) -> Optional[str]:
    """Writes the learning-curve figure (module docstring); None when no run has an epoch yet."""
    panels = [(label, curves(crossval_dir, name)) for name, label in ROWS]
    if not any(found for _, found in panels):
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(11, 4.2), sharey=True)
    for ax, (label, found) in zip(axes, panels):
        for key, color, what in (("accuracy", "tab:blue", "training"),
                                 ("val_accuracy", "tab:orange", "held-out actors")):
            series = [c[key] for c in found.values()]
            for values in series:
                ax.plot(np.arange(1, len(values) + 1), values, color=color, alpha=0.25, lw=0.8)
            if series:
                length = max(len(v) for v in series)
                mean = [np.mean([v[e] for v in series if len(v) > e]) for e in range(length)]
                ax.plot(np.arange(1, length + 1), mean, color=color, lw=2.2,
                        label=f"{what}, mean of {len(series)} folds")
        if chance is not None:
            ax.axhline(chance, color="gray", linestyle="--", lw=1, label=f"chance ({chance:.1f}%)")
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right", fontsize=8)
    axes[0].set_ylabel("accuracy (%)")
    axes[0].set_ylim(0, 100)
    fig.suptitle("RAVDESS audio (AM): learning curves per fold (thin) and their mean (thick)",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def wall_time(crossval_dir: str) -> tuple[int, float]:
    """(finished runs, the sum of their `wall_time_s`) over every fold and AM row."""
    count, seconds = 0, 0.0
    for name, _ in ROWS:
        for _, folder in _runs(crossval_dir, name):
            summary = run_dir_lib.RunDir(folder).summary_path
            if os.path.isfile(summary):
                with open(summary) as f:
                    seconds += float(json.load(f).get("wall_time_s", 0.0))
                count += 1
    return count, seconds
