"""The results table of a search: one Markdown row per trial, best first.

    | rank | trial | val_va_accuracy | val_loss | epoch | model.aggregator | ... | status |
    |---:|---|---:|---:|---:|---|---|---|
    | 1 | 1 | 0.667 | 1.21 | 2 | transformer | ... | COMPLETED |

`epoch` is the 1-based epoch the objective was taken at (objective.py). Failed trials come
last, with the last line of their error. Hyperband trials add their epoch budget
(`tuner/epochs`).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Iterable, Sequence

from mrpn_tf.tuning import objective
from mrpn_tf.tuning import search_space

COMPLETED = "COMPLETED"
HYPERBAND_EPOCHS = f"{search_space.TUNER_PREFIX}epochs"


@dataclasses.dataclass(frozen=True)
class TrialRow:
    """One trial's line of the table.

    Attributes:
      trial_id: KerasTuner's trial id.
      status: COMPLETED, FAILED, INVALID or RUNNING.
      objective: the trial's objective, None when it has none.
      val_loss: validation loss at the objective's epoch, None when unknown.
      epoch: the objective's epoch, 1-based, None when unknown.
      values: hyperparameter name -> value.
      note: the last line of a failed trial's error.
    """

    trial_id: str
    status: str
    objective: float | None
    val_loss: float | None
    epoch: int | None
    values: dict[str, Any]
    note: str = ""


def _metric(trial: Any, name: str) -> float | None:
    if not trial.metrics.exists(name):
        return None
    value = trial.metrics.get_last_value(name)
    return float(value) if value is not None and math.isfinite(value) else None


def _row(trial: Any) -> TrialRow:
    epoch = _metric(trial, "epoch")
    message = (trial.message or "").strip().splitlines()
    return TrialRow(
        trial_id=str(trial.trial_id),
        status=str(trial.status),
        objective=_metric(trial, objective.OBJECTIVE),
        val_loss=_metric(trial, objective.VAL_LOSS),
        epoch=int(epoch) if epoch is not None else None,
        values=dict(trial.hyperparameters.values),
        note=message[-1] if message and trial.status != COMPLETED else "",
    )


def rows_from_trials(trials: Iterable[Any]) -> list[TrialRow]:
    """Table rows of KerasTuner trials: completed ones by objective (best first), then the rest.

    Args:
      trials: `keras_tuner` Trial objects (e.g. `tuner.oracle.trials.values()`).

    Returns:
      The rows in table order; ties keep trial order.
    """
    rows = sorted((_row(t) for t in trials), key=lambda r: r.trial_id)
    done = [r for r in rows if r.status == COMPLETED and r.objective is not None]
    rest = [r for r in rows if r not in done]
    return sorted(done, key=lambda r: -r.objective) + rest


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value).replace("|", "\\|")


def format_markdown(rows: Sequence[TrialRow], names: Sequence[str], title: Sequence[str] = ()) -> str:
    """The Markdown table (module docstring), after optional title lines.

    Args:
      rows: from `rows_from_trials`.
      names: the hyperparameter columns, in order.
      title: lines printed above the table.

    Returns:
      The text, ending in a newline.
    """
    columns = list(names)
    if any(HYPERBAND_EPOCHS in r.values for r in rows):
        columns.append(HYPERBAND_EPOCHS)
    header = ["rank", "trial", objective.OBJECTIVE, objective.VAL_LOSS, "epoch", *columns, "status"]
    align = ["---:", "---", "---:", "---:", "---:", *["---"] * len(columns), "---"]
    lines = [*title, *([""] if title else []), "| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    for rank, row in enumerate(rows, start=1):
        status = f"{row.status}: {row.note}" if row.note else row.status
        cells = [rank if row.status == COMPLETED else None, row.trial_id, row.objective, row.val_loss,
                 row.epoch, *[row.values.get(name) for name in columns], status]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"
