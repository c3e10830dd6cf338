"""Fixed actor-disjoint train/validation folds, read from the JSON files committed beside this.

Paper 4.1: about 10 % of the actors validate, the rest train, the actors of a fold's two sets
never overlap and the split rotates over the whole dataset. Every dataset has one file,
`<dataset>.json` (ravdess: 12 folds A1,2 ... A23,24 as in Table 1; cremad: 9 folds S1 ... S9;
demo: 4 folds), written by `make_folds.py`; its "method" field says how the folds were made
and its "genders" table gives each actor's gender ("gender_source" says where it came from).

Besides the numbered folds, `fold(dataset, ALL)` is every actor of the dataset for training
and none for validation: the split of a model trained for deployment (`data.fold=all`), which
is scored later on actors outside the dataset, never on held-out actors of its own.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.resources
import json
from typing import Any, Iterable, Sequence, TypeVar

from mrpn_tf.config import config as config_lib

# Keys of a fold file.
DATASET = "dataset"
GENERATOR = "generator"
METHOD = "method"
GENDER_SOURCE = "gender_source"
GENDERS = "genders"
FOLDS = "folds"
NAME = "name"
VAL_ACTORS = "val_actors"
TRAIN_ACTORS = "train_actors"

FOLD_DATASETS = ("ravdess", "cremad", "demo")
# The fold id (`DataConfig.fold`) of the split that trains on every actor (module docstring).
ALL = config_lib.ALL_FOLDS

# Anything with an integer `actor` attribute (a manifest `ClipInfo`, for instance).
ClipT = TypeVar("ClipT")


@dataclasses.dataclass(frozen=True)
class Fold:
    """One train/validation split of a dataset's actors.

    Attributes:
      dataset: the dataset the fold belongs to.
      index: 1-based fold number (`DataConfig.fold`), or `ALL`.
      name: the fold's name ("A1,2" for RAVDESS fold 1, "S1" for CREMA-D fold 1).
      train_actors: actor ids used for training, ascending.
      val_actors: actor ids used for validation, ascending.
    """

    dataset: str
    index: int | str
    name: str
    train_actors: tuple[int, ...]
    val_actors: tuple[int, ...]


def fold_file_name(dataset: str) -> str:
    """The fold file's name inside this package, e.g. "ravdess.json"."""
    return f"{dataset}.json"


@functools.lru_cache(maxsize=None)
def _read_text(dataset: str) -> str:
    if dataset not in FOLD_DATASETS:
        raise ValueError(f"no fold file for dataset {dataset!r}; expected one of {FOLD_DATASETS}")
    resource = importlib.resources.files(__package__) / fold_file_name(dataset)
    return resource.read_text(encoding="utf-8")


def load_spec(dataset: str) -> dict[str, Any]:
    """The parsed fold file of a dataset (a fresh copy each call, safe to modify).

    Args:
      dataset: "ravdess", "cremad" or "demo".

    Returns:
      The JSON object: dataset, generator, method, gender_source, genders, folds.

    Raises:
      ValueError: no fold file for `dataset`.
    """
    return json.loads(_read_text(dataset))


def load_folds(dataset: str) -> list[Fold]:
    """All folds of a dataset, in file order (fold 1 first).

    Args:
      dataset: "ravdess", "cremad" or "demo".

    Returns:
      The folds; `result[k - 1]` is fold k.
    """
    return [
        Fold(
            dataset=dataset,
            index=k,
            name=entry[NAME],
            train_actors=tuple(entry[TRAIN_ACTORS]),
            val_actors=tuple(entry[VAL_ACTORS]),
        )
        for k, entry in enumerate(load_spec(dataset)[FOLDS], start=1)
    ]


def every_actor(dataset: str) -> Fold:
    """The `ALL` split: every actor of the dataset's folds trains, none validates.

    Args:
      dataset: "ravdess", "cremad" or "demo".

    Returns:
      A Fold with index and name `ALL` and no validation actors.
    """
    actors = {a for chosen in load_folds(dataset) for a in chosen.train_actors + chosen.val_actors}
    return Fold(dataset=dataset, index=ALL, name=ALL, train_actors=tuple(sorted(actors)), val_actors=())


def fold(dataset: str, k: int | str) -> Fold:
    """Fold k (1-based) of a dataset, or every actor for k = `ALL`.

    Args:
      dataset: "ravdess", "cremad" or "demo".
      k: fold number, 1..number of folds, or `ALL` (`every_actor`).

    Returns:
      The fold.

    Raises:
      ValueError: k is outside 1..number of folds and not `ALL` (the message gives the range).
    """
    if k == ALL:
        return every_actor(dataset)
    folds = load_folds(dataset)
    if isinstance(k, str) or not 1 <= k <= len(folds):
        raise ValueError(f"{dataset} has folds 1..{len(folds)}; got fold {k} ({ALL!r} trains on "
                         "every actor)")
    return folds[k - 1]


def actor_genders(dataset: str) -> dict[int, str]:
    """Each actor's gender ("M", "F" or "U") from the fold file's table.

    Args:
      dataset: "ravdess", "cremad" or "demo".

    Returns:
      actor id -> gender, for every actor of the dataset.
    """
    return {int(actor): gender for actor, gender in load_spec(dataset)[GENDERS].items()}


def _unassigned_actors(clips: Iterable[Any], chosen: Fold) -> list[int]:
    known = set(chosen.train_actors) | set(chosen.val_actors)
    return sorted({clip.actor for clip in clips} - known)


def split(clips: Sequence[ClipT], dataset: str, k: int | str) -> tuple[list[ClipT], list[ClipT]]:
    """Splits clips into fold k's training and validation clips by actor, keeping their order.

    Args:
      clips: manifest entries (anything with an integer `actor`).
      dataset: whose fold file to use.
      k: fold number, 1-based, or `ALL` (every clip trains).

    Returns:
      (train clips, validation clips).

    Raises:
      ValueError: k is out of range, or a clip's actor is in neither set of the fold (a clip
        is never dropped silently).
    """
    chosen = fold(dataset, k)
    unassigned = _unassigned_actors(clips, chosen)
    if unassigned:
        raise ValueError(
            f"actors {unassigned} are in neither the training nor the validation set of "
            f"{dataset} fold {k} ({chosen.name}); is the dataset name right?"
        )
    val = set(chosen.val_actors)
    train_clips = [clip for clip in clips if clip.actor not in val]
    val_clips = [clip for clip in clips if clip.actor in val]
    return train_clips, val_clips
