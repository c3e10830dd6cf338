"""Confidence intervals of a mean over seeds: Student's t-interval.

Runs of one network at one setting differ only in their seed, so their accuracies are a small
sample (five seeds, say) of what the network reaches. For a sample that small the interval is
Student's, not the normal one:

    mean ± t_{(1 + level) / 2, n - 1} · s / √n,     s the sample standard deviation (ddof=1).

One run gives a mean and no interval (NaN bounds).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Sequence

import numpy as np
from scipy import stats

LEVEL = 0.95


@dataclasses.dataclass(frozen=True)
class Interval:
    """A sample mean with its confidence interval.

    Attributes:
      mean: the sample mean.
      low: lower bound (NaN for a single value).
      high: upper bound (NaN for a single value).
      n: sample size.
      level: confidence level, e.g. 0.95.
    """

    mean: float
    low: float
    high: float
    n: int
    level: float = LEVEL

    @property
    def half_width(self) -> float:
        """Half the interval's width (NaN for a single value)."""
        return (self.high - self.low) / 2


def t_interval(values: Sequence[float], level: float = LEVEL) -> Interval:
    """The t-interval of the mean of `values` (module docstring).

    Args:
      values: the sample, e.g. one accuracy per seed.
      level: confidence level in (0, 1).

    Returns:
      The mean and its interval.

    Raises:
      ValueError: an empty sample, a non-finite value, or a level outside (0, 1).
    """
    sample = np.asarray(values, dtype=np.float64)
    if sample.size == 0 or not np.all(np.isfinite(sample)):
        raise ValueError(f"t_interval needs finite values, got {list(values)}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    mean = float(sample.mean())
    if sample.size == 1:
        return Interval(mean, math.nan, math.nan, 1, level)
    sem = float(sample.std(ddof=1)) / math.sqrt(sample.size)
    half = float(stats.t.ppf((1.0 + level) / 2.0, sample.size - 1)) * sem
    return Interval(mean, mean - half, mean + half, int(sample.size), level)
