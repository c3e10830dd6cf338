"""Reading history.csv: the per-epoch metrics CSVLogger wrote, across resumes.

Columns are Keras's log names: `epoch` (0-based), `loss`, `val_loss`, per head `<h>_loss`,
`<h>_accuracy`, `val_<h>_loss`, `val_<h>_accuracy`, and `learning_rate` (logged by
ReduceLROnPlateau, so absent without validation).
"""

from __future__ import annotations

import csv
import math
import os
from typing import Sequence

# The metric that picks the best epoch (model.keras) and drives the plateau schedule.
SELECTION_METRIC = "val_loss"
# How CSVLogger writes a value an epoch did not log: the val_* columns of a run without
# validation (data.fold=all) are "NA" in every row.
MISSING = ("", "NA")


def read_history(path: str) -> list[dict[str, float]]:
    """The rows of history.csv as numbers, in epoch order.

    Raises:
      FileNotFoundError: no history (the run trained no epoch).
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no training history (did the run train an epoch?)")
    with open(path, newline="") as f:
        rows = [{k: float(v) for k, v in row.items() if v not in MISSING} for row in csv.DictReader(f)]
    return sorted(rows, key=lambda row: row["epoch"])


def best_epoch(rows: Sequence[dict[str, float]], monitor: str = SELECTION_METRIC) -> int:
    """The 1-based epoch of lowest `monitor` (the checkpoint numbering), ties to the earliest.

    Raises:
      ValueError: no epoch has a finite `monitor` value.
    """
    scored = [(row[monitor], int(row["epoch"])) for row in rows
              if monitor in row and math.isfinite(row[monitor])]
    if not scored:
        raise ValueError(f"no epoch has a finite {monitor}: training diverged or never validated")
    return min(scored)[1] + 1


def head_values(row: dict[str, float], heads: Sequence[str], prefix: str = "val_") -> dict:
    """{head: {"accuracy", "loss"}} of one history row (validation columns by default).

    Keras names the columns of a model with one output without the output's name
    (`val_accuracy`, `val_loss`: N0, AM, VM); the one head then reads those.
    """
    def value(head: str, metric: str) -> float:
        named = row.get(f"{prefix}{head}_{metric}")
        if named is None and len(heads) == 1:
            named = row.get(f"{prefix}{metric}")
        return math.nan if named is None else named

    return {head: {"accuracy": value(head, "accuracy"), "loss": value(head, "loss")} for head in heads}
