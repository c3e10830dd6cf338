"""Cross-validation: every requested network on every requested fold, resumable run by run.

    <out>/fold<k>/<network>-<T|NT>/     one ordinary run folder each (run_dir.py)
    <out>/table1_modalities.md|csv      Table 1, when AM or VM (or N0 alone) was requested
    <out>/table2_networks.md|csv        Table 2 (table3_ for CREMA-D), when N0, N1 or N2 was
    <out>/heads_networks.md|csv         every head (v, a, va) of those networks, then too

Table 1 compares each of AM, VM and JM (= N0) with and without time augmentation, so when it
is asked for those networks run twice per fold (T and NT); N1 and N2 (and N0 asked for beside
them only) run with the config's `data.time_augment`.
Either mode may have settings of its own (`crossval --t-config FILE` / `--nt-config FILE`,
e.g. a longer budget and no spectrogram masks for T, whose slicing is already an
augmentation): the runs of that mode then start from that config, the others from the base.
A run with a summary.json is finished and kept; one without resumes from its backup; so
rerunning the same command after a crash continues where it stopped.
"""

from __future__ import annotations

import copy
import dataclasses
import os
from typing import Any, Sequence

import keras
import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.data.folds import folds
from mrpn_tf.studies import crossval_tables
from mrpn_tf.studies import runs as runs_lib
from mrpn_tf.training import preflight
from mrpn_tf.training import task

NETWORKS = ("N0", "N1", "N2", "AM", "VM")


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """One cross-validation run."""

    network: str
    time_augment: bool
    fold: int

    @property
    def name(self) -> str:
        """The run folder's name inside its fold folder, e.g. "AM-NT"."""
        return f"{self.network}-{'T' if self.time_augment else 'NT'}"

    @property
    def folder(self) -> str:
        """The run folder relative to the cross-validation folder."""
        return os.path.join(f"fold{self.fold}", self.name)

    @property
    def label(self) -> str:
        """A short name for progress lines, e.g. "fold 3 AM-NT"."""
        return f"fold {self.fold} {self.name}"

    def settings(self) -> dict[str, Any]:
        """The config keys this run changes (runs.run_config)."""
        return {"model.network": self.network, "data.fold": self.fold,
                "data.time_augment": self.time_augment}

    @property
    def key(self) -> tuple[str, bool, int]:
        """The key of this run in `crossval_tables.Results`."""
        return self.network, self.time_augment, self.fold


def parse_folds(text: str, dataset: str) -> list[int]:
    """"all" or a comma list ("1,3") -> fold numbers, checked against the fold file.

    Raises:
      ValueError: a fold outside the dataset's range, or text that is not a list of numbers.
    """
    count = len(folds.load_folds(dataset))
    if text.strip() == "all":
        return list(range(1, count + 1))
    chosen = [int(part) for part in text.split(",") if part.strip()]
    bad = [k for k in chosen if not 1 <= k <= count]
    if bad or not chosen:
        raise ValueError(f"--folds {text!r}: {dataset} has folds 1..{count}")
    return chosen


def parse_networks(text: str) -> list[str]:
    """"N0,N1,N2,AM,VM" -> the list, checked.

    Raises:
      ValueError: an unknown network name.
    """
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    bad = [n for n in chosen if n not in NETWORKS]
    if bad or not chosen:
        raise ValueError(f"--networks {text!r}: expected names from {', '.join(NETWORKS)}")
    return chosen


def wants_table1(networks: Sequence[str]) -> bool:
    """Whether the requested networks ask for Table 1 (`plan_runs`)."""
    chosen = set(networks)
    return bool(chosen & {"AM", "VM"}) or (chosen == {"N0"})


def plan_runs(networks: Sequence[str], fold_ids: Sequence[int], time_augment: bool) -> list[RunSpec]:
    """The runs the tables need (module docstring), fold by fold.

    Table 1 is asked for by AM or VM, or by N0 alone: then AM, VM and N0 run in both modes.
    N0 asked for beside N1 / N2 only (Table 2's question) runs once, in the config's mode, as
    they do.
    """
    table1 = wants_table1(networks)
    runs = []
    for fold in fold_ids:
        for network in networks:
            both = table1 and network in crossval_tables.TABLE1_NETWORKS
            modes = (False, True) if both else (time_augment,)
            runs += [RunSpec(network, mode, fold) for mode in modes]
    return runs


def check_folds_have_clips(base: config_lib.Config, fold_ids: Sequence[int]) -> None:
    """Refuses, before anything trains, folds whose validation actors have no clips in the data.

    A dataset folder may hold only some actors (../shared has RAVDESS actors 1-20 of 24); their
    folds would otherwise fail only when their turn comes, hours into the cross-validation.

    Raises:
      PreflightError: the folds without validation clips, their actors, and the folds to ask
        for instead; or no readable prepared folder (preflight's message).
    """
    empty = []
    for k in fold_ids:
        config = copy.deepcopy(base)
        config.data.fold = k
        try:
            if preflight.split_sizes(config).val_clips == 0:
                empty.append(folds.fold(config.data.dataset, k))
        except (ValueError, FileNotFoundError) as e:
            raise preflight.PreflightError(str(e)) from e
    if empty:
        where = base.data.prepared_dir or base.data.root
        actors = sorted(a for chosen in empty for a in chosen.val_actors)
        usable = [str(k) for k in fold_ids if k not in {chosen.index for chosen in empty}]
        hint = f"use --folds {','.join(usable)}" if usable else "no requested fold has clips"
        raise preflight.PreflightError(
            f"{base.data.dataset} folds {', '.join(f'{c.index} ({c.name})' for c in empty)} have no "
            f"validation clips in {where}: actors {', '.join(map(str, actors))} are not in the "
            f"data; {hint}")


def run_config(
    base: config_lib.Config,
    spec: RunSpec,
    out_dir: str,
    t_base: config_lib.Config | None = None,
    nt_base: config_lib.Config | None = None,
) -> config_lib.Config:
    """The config of one run: its base (`t_base` for a T run, `nt_base` for an NT run, each
    when given; else `base`) with its network, fold, augmentation and folder."""
    start = t_base if spec.time_augment else nt_base
    return runs_lib.run_config(base if start is None else start, spec, out_dir)


def run_all(
    base: config_lib.Config,
    runs: Sequence[RunSpec],
    out_dir: str,
    strategy: tf.distribute.Strategy,
    t_base: config_lib.Config | None = None,
    nt_base: config_lib.Config | None = None,
) -> dict[tuple[str, bool, int], dict[str, Any]]:
    """Makes every run that has no summary yet, in order; returns all their summaries.

    Args:
      base: the config every run starts from.
      runs: from `plan_runs`.
      out_dir: the cross-validation folder.
      strategy: the strategy all runs share.
      t_base, nt_base: the configs the T / NT runs start from instead (`crossval --t-config`,
        `--nt-config`); None: `base`.

    Returns:
      RunSpec.key -> summary.
    """
    def train(config: config_lib.Config) -> dict[str, Any]:
        summary = task.train(config, strategy)
        keras.backend.clear_session()  # each run builds a new model; free the last one
        return summary

    summaries = runs_lib.run_all(
        runs, out_dir, lambda spec: run_config(base, spec, out_dir, t_base, nt_base), train)
    return {spec.key: summary for spec, summary in summaries.items()}


def write_tables(
    base: config_lib.Config,
    results: Any,
    networks: Sequence[str],
    fold_ids: Sequence[int],
    out_dir: str,
) -> dict[str, str]:
    """Writes the tables the requested networks fill (module docstring).

    Returns:
      file name -> path of every table written.
    """
    dataset = base.data.dataset
    names = [folds.fold(dataset, k).name for k in fold_ids]
    tables = []
    if wants_table1(networks):
        tables.append(crossval_tables.table1(results, dataset, fold_ids, names, networks))
    if set(networks) & set(crossval_tables.NETWORK_TABLE_NETWORKS):
        tables.append(crossval_tables.networks_table(
            results, dataset, fold_ids, names, networks, base.data.time_augment))
        tables.append(crossval_tables.heads_table(
            results, dataset, fold_ids, names, networks, base.data.time_augment))
    return crossval_tables.write_tables(out_dir, tables)
