"""Regenerates the committed fold files (ravdess.json, cremad.json, demo.json), byte for byte.

    python -m mrpn_tf.data.folds.make_folds               # rewrite the files in this package
    python -m mrpn_tf.data.folds.make_folds --out-dir DIR # write them elsewhere

Nothing here is random, so the output depends only on this module. Methods:

- RAVDESS (paper 4.1, Table 1): 12 folds; fold k validates actors 2k-1 (male) and 2k (female)
  and trains on the other 22 actors.
- demo (offline synthetic set, RAVDESS naming, 8 actors): the same pairing, 4 folds.
- CREMA-D: 9 folds S1..S9, about 10 % of the 91 actors each, gender-balanced. Stratified
  round-robin: the male actors, in ascending id order, are dealt to S1, S2, ..., S9, S1, ...;
  the female actors, also ascending, are dealt on from the fold after the one that got the
  last male (then actors of unknown gender, if any, the same way). Dealing each gender round
  the folds puts 5 or 6 of the 48 males and 4 or 5 of the 43 females in every fold (the
  closest integer counts to the dataset's 48:43 ratio), and carrying the position from one
  gender to the next keeps fold sizes within one of each other: one fold of 11, eight of 10.
  Each fold validates the actors dealt to it and trains on all others.

CREMA-D genders are the Sex column of VideoDemographics.csv from the dataset's own repository
(github.com/CheyneyComputerScience/CREMA-D, commit 98df52c29f4fc2a3cc6d2536b96112d013ba5290),
copied into `CREMAD_MALE_ACTORS` below and written into cremad.json, so that parsing works
without the CSV.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any, Sequence

from mrpn_tf.data.datasets import manifest, ravdess
from mrpn_tf.data.folds import folds

CREMAD_ACTORS = tuple(range(1001, 1092))
# Sex column of CREMA-D's VideoDemographics.csv: these 48 actors are "Male", the other 43
# actors of 1001-1091 are "Female".
CREMAD_MALE_ACTORS = (
    1001, 1005, 1011, 1014, 1015, 1016, 1017, 1019, 1022, 1023, 1026, 1027,
    1031, 1032, 1033, 1034, 1035, 1036, 1038, 1039, 1040, 1041, 1042, 1044,
    1045, 1048, 1050, 1051, 1057, 1059, 1062, 1064, 1065, 1066, 1067, 1068,
    1069, 1070, 1071, 1077, 1080, 1081, 1083, 1085, 1086, 1087, 1088, 1090,
)  # fmt: skip
CREMAD_GENDER_SOURCE = (
    "Sex column of VideoDemographics.csv in the CREMA-D repository "
    "(github.com/CheyneyComputerScience/CREMA-D, commit "
    "98df52c29f4fc2a3cc6d2536b96112d013ba5290): 48 male, 43 female"
)
CREMAD_NUM_FOLDS = 9
GENERATOR_COMMAND = "python -m mrpn_tf.data.folds.make_folds"
DEMO_NUM_ACTORS = 8
# Strata are dealt in this order; "U" comes last so known genders set the balance.
GENDER_ORDER = (manifest.MALE, manifest.FEMALE, manifest.UNKNOWN_GENDER)

PAIR_METHOD = (
    "Actor pairs as in the paper's Table 1: fold k validates actors 2k-1 (male) and 2k "
    "(female) and trains on all other actors."
)
CREMAD_METHOD = (
    "Stratified round-robin by gender: male actors in ascending id order are dealt to folds "
    "S1, S2, ..., S9, S1, ...; female actors (then unknown-gender actors), also ascending, are "
    "dealt on from the fold after the one that got the last male. Each fold validates the "
    "actors dealt to it (10 or 11, about 10 % of 91, with 5-6 males and 4-5 females, the "
    "dataset's 48:43 ratio as closely as whole actors allow) and trains on all others."
)


def cremad_genders() -> dict[int, str]:
    """CREMA-D actor id -> "M"/"F", from the committed copy of VideoDemographics.csv's Sex."""
    males = set(CREMAD_MALE_ACTORS)
    return {a: manifest.MALE if a in males else manifest.FEMALE for a in CREMAD_ACTORS}


def deal_by_gender(genders: dict[int, str], num_folds: int) -> list[list[int]]:
    """Stratified round-robin (see the module docstring): validation actors of each fold.

    Args:
      genders: actor id -> "M", "F" or "U".
      num_folds: how many folds to deal into.

    Returns:
      One ascending list of actor ids per fold; every actor is in exactly one list.
    """
    dealt: list[list[int]] = [[] for _ in range(num_folds)]
    position = 0
    for gender in GENDER_ORDER:
        for actor in sorted(a for a, g in genders.items() if g == gender):
            dealt[position % num_folds].append(actor)
            position += 1
    return [sorted(actors) for actors in dealt]


def pair_val_actors(num_actors: int) -> list[list[int]]:
    """Validation actors of the Table 1 pairing: [[1, 2], [3, 4], ...]."""
    return [[actor, actor + 1] for actor in range(1, num_actors + 1, 2)]


def fold_entries(
    val_sets: Sequence[Sequence[int]], actors: Sequence[int], names: Sequence[str]
) -> list[dict[str, Any]]:
    """Fold objects for the JSON file: each trains on the actors it does not validate."""
    return [
        {
            folds.NAME: name,
            folds.VAL_ACTORS: sorted(val),
            folds.TRAIN_ACTORS: sorted(set(actors) - set(val)),
        }
        for name, val in zip(names, val_sets)
    ]


def _spec(
    dataset: str, method: str, source: str, genders: dict[int, str], entries: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        folds.DATASET: dataset,
        folds.GENERATOR: GENERATOR_COMMAND,
        folds.METHOD: method,
        folds.GENDER_SOURCE: source,
        folds.GENDERS: {str(actor): genders[actor] for actor in sorted(genders)},
        folds.FOLDS: entries,
    }


def pair_spec(dataset: str, num_actors: int) -> dict[str, Any]:
    """Fold file contents for RAVDESS-named datasets (Table 1 actor pairs)."""
    actors = list(range(1, num_actors + 1))
    val_sets = pair_val_actors(num_actors)
    names = [f"A{a},{b}" for a, b in val_sets]
    genders = {actor: ravdess.actor_gender(actor) for actor in actors}
    source = "RAVDESS naming convention: odd actor ids are male, even ids female"
    return _spec(dataset, PAIR_METHOD, source, genders, fold_entries(val_sets, actors, names))


def cremad_spec() -> dict[str, Any]:
    """Fold file contents for CREMA-D (stratified round-robin, 9 folds S1..S9)."""
    genders = cremad_genders()
    val_sets = deal_by_gender(genders, CREMAD_NUM_FOLDS)
    names = [f"S{k}" for k in range(1, CREMAD_NUM_FOLDS + 1)]
    entries = fold_entries(val_sets, list(CREMAD_ACTORS), names)
    return _spec(manifest.CREMAD, CREMAD_METHOD, CREMAD_GENDER_SOURCE, genders, entries)


def build_spec(dataset: str) -> dict[str, Any]:
    """The fold file contents of one dataset.

    Args:
      dataset: "ravdess", "cremad" or "demo".

    Returns:
      The JSON object to write.
    """
    if dataset == manifest.RAVDESS:
        return pair_spec(manifest.RAVDESS, ravdess.NUM_ACTORS)
    if dataset == manifest.DEMO:
        return pair_spec(manifest.DEMO, DEMO_NUM_ACTORS)
    if dataset == manifest.CREMAD:
        return cremad_spec()
    raise ValueError(f"no fold method for {dataset!r}; expected one of {folds.FOLD_DATASETS}")


def _render_value(value: Any) -> str:
    # Tables and fold lists get one entry per line so that diffs of the file stay readable.
    if isinstance(value, dict):
        items = [f"    {json.dumps(k)}: {json.dumps(v)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n  }"
    if isinstance(value, list):
        return "[\n" + ",\n".join(f"    {json.dumps(v)}" for v in value) + "\n  ]"
    return json.dumps(value)


def render(spec: dict[str, Any]) -> str:
    """The exact text written for a fold spec (valid JSON, one fold per line)."""
    fields = [f"  {json.dumps(key)}: {_render_value(value)}" for key, value in spec.items()]
    return "{\n" + ",\n".join(fields) + "\n}\n"


def write(dataset: str, out_dir: str) -> str:
    """Writes `<out_dir>/<dataset>.json`; returns its path."""
    path = os.path.join(out_dir, folds.fold_file_name(dataset))
    with open(path, "w", encoding="utf-8") as f:
        f.write(render(build_spec(dataset)))
    return path


def main(argv: Sequence[str] | None = None) -> list[str]:
    """Command line: writes the requested fold files (all by default); returns their paths."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # No `choices=` here: argparse checks an empty `nargs="*"` list against them and fails.
    parser.add_argument("datasets", nargs="*", metavar="DATASET", help=f"{folds.FOLD_DATASETS}")
    parser.add_argument("--out-dir", default=os.path.dirname(os.path.abspath(__file__)))
    args = parser.parse_args(argv)
    unknown = sorted(set(args.datasets) - set(folds.FOLD_DATASETS))
    if unknown:
        parser.error(f"unknown datasets {unknown}; expected some of {folds.FOLD_DATASETS}")
    return [write(dataset, args.out_dir) for dataset in args.datasets or folds.FOLD_DATASETS]


if __name__ == "__main__":
    for written in main():
        print(written)
