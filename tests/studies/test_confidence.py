"""t-intervals: golden numbers from Student's t table."""

import math

import pytest

from mrpn_tf.studies import confidence

# Student's t quantiles t_{0.975, df} (two-sided 95 %), from the table.
T_975 = {1: 12.706204736174698, 4: 2.7764451051977987}


def test_identical_values_give_a_zero_width_interval():
    interval = confidence.t_interval([0.5, 0.5, 0.5, 0.5, 0.5])
    assert (interval.mean, interval.low, interval.high, interval.n) == (0.5, 0.5, 0.5, 5)
    assert interval.half_width == 0.0


def test_five_values_give_the_textbook_interval():
    # mean 0.7, s = 0.158114, s / sqrt(5) = 0.0707107
    interval = confidence.t_interval([0.5, 0.6, 0.7, 0.8, 0.9])
    half = T_975[4] * math.sqrt(0.025) / math.sqrt(5)
    assert interval.mean == pytest.approx(0.7)
    assert interval.half_width == pytest.approx(half) == pytest.approx(0.196324, abs=1e-6)
    assert (interval.low, interval.high) == pytest.approx((0.7 - half, 0.7 + half))


def test_two_values_use_one_degree_of_freedom():
    interval = confidence.t_interval([0.0, 1.0])
    assert interval.half_width == pytest.approx(T_975[1] * 0.5)


def test_one_value_has_no_interval_and_bad_input_is_refused():
    single = confidence.t_interval([0.3])
    assert single.mean == 0.3 and single.n == 1 and math.isnan(single.low)
    for values, level in (([], 0.95), ([0.1, math.nan], 0.95), ([0.1, 0.2], 1.0)):
        with pytest.raises(ValueError):
            confidence.t_interval(values, level)
