"""The classes of a run whose corpora name their emotions differently, and each corpus's map.

A run that pairs two corpora (`data.video_dataset`, e.g. FER-2013 faces with RAVDESS voices)
trains on one label set, `data.labels`. Each corpus's emotions are mapped onto it:

  - an emotion named as a label maps onto that label unasked ("happy" -> "happy");
  - `data.label_map` entries "<dataset>.<emotion>=<label>" map the others
    ("fer2013.fear=fearful", "ravdess.calm=neutral");
  - "<dataset>.<emotion>=" (nothing after "=") drops that emotion's clips or faces.

An emotion neither named nor mapped is an error, not a silent drop: what becomes of RAVDESS's
"calm", which no face corpus has, is a choice the run file states.

A run of one corpus (`data.labels` empty) keeps that corpus's own classes and numbering.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import datasets

# A dataset label id whose clips the run drops.
DROPPED = -1


def run_labels(data: config_lib.DataConfig) -> tuple[str, ...]:
    """The run's class names in label order: `data.labels`, or `data.dataset`'s own."""
    return tuple(data.labels) or datasets.label_names(data.dataset)


def parse_label_map(entries: Sequence[str]) -> dict[tuple[str, str], str | None]:
    """{(dataset, emotion): label or None (dropped)} from "<dataset>.<emotion>=<label>" entries.

    Raises:
      ValueError: an entry without "=" or without "<dataset>.".
    """
    parsed: dict[tuple[str, str], str | None] = {}
    for entry in entries:
        source, sep, target = entry.partition("=")
        dataset, dot, emotion = source.strip().partition(".")
        if not sep or not dot or not dataset or not emotion:
            raise ValueError(f"data.label_map entry {entry!r}: expected "
                             "'<dataset>.<emotion>=<label>' or '<dataset>.<emotion>='")
        parsed[(dataset, emotion.strip())] = target.strip() or None
    return parsed


def emotion_mapping(data: config_lib.DataConfig, dataset: str) -> dict[str, str | None]:
    """One corpus's emotions -> the run's label names (None: dropped).

    Args:
      data: `labels` and `label_map`.
      dataset: a corpus of the run (`data.dataset` or `data.video_dataset`).

    Returns:
      {emotion: label or None} for every emotion of `dataset`, in its label order.

    Raises:
      ValueError: a map entry names an unknown emotion or label, or an emotion is neither a
        label nor mapped.
    """
    labels = run_labels(data)
    emotions = datasets.label_names(dataset)
    entries = parse_label_map(data.label_map)
    mapping: dict[str, str | None] = {}
    for (entry_dataset, emotion), target in entries.items():
        if entry_dataset != dataset:
            continue
        if emotion not in emotions:
            raise ValueError(f"data.label_map: {dataset} has no emotion {emotion!r}; "
                             f"its emotions are {', '.join(emotions)}")
        if target is not None and target not in labels:
            raise ValueError(f"data.label_map: {dataset}.{emotion}={target}, but {target!r} "
                             f"is not one of data.labels ({', '.join(labels)})")
        mapping[emotion] = target
    unmapped = [e for e in emotions if e not in mapping and e not in labels]
    if unmapped:
        raise ValueError(
            f"{dataset}'s emotions {', '.join(unmapped)} are not among data.labels "
            f"({', '.join(labels)}): map each in data.label_map as "
            f"'{dataset}.<emotion>=<label>', or drop it with '{dataset}.<emotion>='")
    return {e: mapping[e] if e in mapping else e for e in emotions}


def label_ids(data: config_lib.DataConfig, dataset: str) -> np.ndarray:
    """int64 [dataset's classes]: the run's label id of each of `dataset`'s label ids, or
    `DROPPED`."""
    labels = run_labels(data)
    mapping = emotion_mapping(data, dataset)
    return np.asarray(
        [DROPPED if mapping[e] is None else labels.index(mapping[e]) for e in mapping], np.int64)


def is_identity(ids: np.ndarray) -> bool:
    """Whether a `label_ids` table changes nothing (a run of one corpus's own classes)."""
    return bool(np.array_equal(ids, np.arange(len(ids))))


def check(data: config_lib.DataConfig) -> None:
    """Checks the run's labels and every corpus's map (the errors of `emotion_mapping`).

    Raises:
      ValueError: repeated labels, a map of a corpus the run does not read, or an emotion
        neither a label nor mapped.
    """
    labels = run_labels(data)
    if len(set(labels)) != len(labels):
        raise ValueError(f"data.labels repeats a name: {', '.join(labels)}")
    corpora = [data.dataset] + ([data.video_dataset] if data.video_dataset else [])
    strangers = sorted({d for d, _ in parse_label_map(data.label_map)} - set(corpora))
    if strangers:
        raise ValueError(f"data.label_map maps {', '.join(strangers)}, which this run does not "
                         f"read (its corpora: {', '.join(corpora)})")
    for corpus in corpora:
        emotion_mapping(data, corpus)


def mapped_names(mapping: Mapping[str, str | None]) -> str:
    """'calm->neutral, fear->fearful' for the entries that rename or drop (for logs, cards)."""
    return ", ".join(f"{e}->{t or '(dropped)'}" for e, t in mapping.items() if t != e)
