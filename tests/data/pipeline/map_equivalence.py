"""The check big_vision's `pp/ops_image_test.py` makes of every pure op: same result eagerly and inside `Dataset.map`."""

from __future__ import annotations

from typing import Callable

import numpy as np
import tensorflow as tf


def in_dataset_map(fn: Callable, *args):
    """Runs `fn(*args)` as the map function of a one-element dataset (graph mode)."""
    dataset = tf.data.Dataset.from_tensors(tuple(args)).map(lambda *a: fn(*a))
    return next(iter(dataset))


def assert_same_eager_and_in_map(fn: Callable, *args, atol: float = 0.0) -> None:
    """Asserts `fn(*args)` gives the same nested tensors eagerly and inside `Dataset.map`."""
    eager = fn(*args)
    mapped = in_dataset_map(fn, *args)
    tf.nest.assert_same_structure(eager, mapped)
    for e, m in zip(tf.nest.flatten(eager), tf.nest.flatten(mapped)):
        e, m = np.asarray(e), np.asarray(m)
        assert e.shape == m.shape, (e.shape, m.shape)
        if e.dtype.kind in "fc":
            np.testing.assert_allclose(e, m, atol=atol, rtol=0)
        else:
            np.testing.assert_array_equal(e, m)
