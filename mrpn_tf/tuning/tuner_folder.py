"""The tuner folder: everything one search writes, at fixed names.

    <dir>/search.json              what is searched: tuner, folds, base config, space, run file
    <dir>/oracle.json, trial_<id>/trial.json   KerasTuner's oracle, written by its owner (the
                                   one process, or the chief of a distributed search)
    <dir>/tuner0.json, chief.json  KerasTuner's tuner of each process, one file per tuner id
    <dir>/trial_<id>/fold<k>/      the trial's trainer run folders (the process running it)
    <dir>/results.md               the results table (results_table.py)
    <dir>/best.yaml                the best configuration as a run file (best_config.py)

Rerunning a search on its folder continues it, and only the same search may continue it:
another base config, space, tuner or folds in the same folder would mix two searches, so
`check_same_search` refuses them (a larger `--max-trials` is how a search is extended).
"""

from __future__ import annotations

import os
import shutil
from typing import Any, Mapping, Sequence

from mrpn_tf import files
from mrpn_tf.config import resolved
from mrpn_tf.tuning import run_file as run_file_lib

SEARCH_NAME = "search.json"
RESULTS_NAME = "results.md"
BEST_NAME = "best.yaml"
RUNS_ROOT = os.path.join("runs", "tune")


class SearchFolderError(ValueError):
    """The tuner folder holds another search; the message lists the differences."""


def default_dir(run: run_file_lib.TuneRun, tuner: str) -> str:
    """`runs/tune/<run file name>-<tuner>` (`demo-<tuner>` without a run file).

    A fixed name, so that rerunning the same command continues the same search.
    """
    stem = os.path.splitext(os.path.basename(run.run_file))[0] if run.run_file else "demo"
    return os.path.join(RUNS_ROOT, f"{stem}-{tuner}")


def search_record(run: run_file_lib.TuneRun, tuner: str, folds: Sequence[int]) -> dict[str, Any]:
    """What identifies a search (the contents of search.json)."""
    return {
        "tuner": tuner,
        "folds": list(folds),
        "variant": run.variant,
        "run_file": run.run_file,
        "space": run.space.to_dict(),
        "config": resolved.to_dict(run.config),
    }


def _differences(saved: Mapping[str, Any], wanted: Mapping[str, Any]) -> list[str]:
    changed = [f"{key}: folder has {saved.get(key)!r}, now {wanted[key]!r}"
               for key in wanted if key not in ("config", "run_file") and saved.get(key) != wanted[key]]
    for section, fields in wanted["config"].items():
        for name, value in fields.items():
            old = saved.get("config", {}).get(section, {}).get(name)
            if old != value:
                changed.append(f"{section}.{name}: folder has {old!r}, now {value!r}")
    return changed


def check_same_search(directory: str, record: Mapping[str, Any]) -> bool:
    """Whether `directory` holds this search already; refuses one holding another.

    Args:
      directory: the tuner folder.
      record: `search_record` of the search to run.

    Returns:
      True when the folder holds this search (it will continue), False when it is new.

    Raises:
      SearchFolderError: the folder holds another search, or KerasTuner state of unknown
        origin (no search.json).
    """
    if (not os.path.isfile(os.path.join(directory, SEARCH_NAME))
            and os.path.isfile(os.path.join(directory, "oracle.json"))):
        raise SearchFolderError(f"{directory} holds a KerasTuner search without {SEARCH_NAME}; "
                                "choose another --dir, or --overwrite to start afresh")
    return files.claim_folder(
        directory, SEARCH_NAME, record, diff=_differences, write=False,  # write_search_record
        refuse=lambda detail: SearchFolderError(
            f"{directory} holds another search ({detail}); "
            "choose another --dir, or --overwrite to start afresh"))


def write_search_record(directory: str, record: Mapping[str, Any]) -> str:
    """Writes search.json (atomically); returns its path."""
    os.makedirs(directory, exist_ok=True)
    return files.write_json(os.path.join(directory, SEARCH_NAME), dict(record))


def remove(directory: str) -> None:
    """Deletes a tuner folder (`--overwrite`: start the search afresh)."""
    if os.path.isdir(directory):
        shutil.rmtree(directory)
