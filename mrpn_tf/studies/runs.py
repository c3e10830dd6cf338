"""The run orchestrator every study shares: planned runs, one run folder each, resumable.

A study plans its runs as specs (its own `RunSpec`: the cross-validation's network, fold and
time augmentation; the interference study's q, network and seed). Each spec says

    folder      its run folder, relative to the study folder
    label       a short name for progress lines
    settings()  the config keys it changes, "section.key" -> value

`run_config` turns a spec into the base config with those settings and that folder;
`run_all` trains the runs in order and skips every run whose folder holds a summary.json (a
finished run is kept; an unfinished one resumes from its backup, training/task.py), so
rerunning the same study command continues where it stopped.
"""

from __future__ import annotations

import copy
import os
import time
from typing import Any, Callable, Mapping, Optional, Protocol, Sequence, TypeVar

from mrpn_tf.config import config as config_lib
from mrpn_tf.training import summary as summary_lib
from mrpn_tf.training import run_dir as run_dir_lib


class RunSpec(Protocol):
    """What the orchestrator needs of a study's run (module docstring)."""

    @property
    def folder(self) -> str: ...

    @property
    def label(self) -> str: ...

    def settings(self) -> Mapping[str, Any]: ...


Spec = TypeVar("Spec", bound=RunSpec)
# One training run: the run's config -> its summary (task.train with the strategy bound).
TrainFn = Callable[[config_lib.Config], Mapping[str, Any]]


def run_config(base: config_lib.Config, spec: RunSpec, out_dir: str) -> config_lib.Config:
    """The config of one run: the base with the spec's settings, in its folder, no export.

    Args:
      base: the config every run of the study starts from.
      spec: the run.
      out_dir: the study folder.

    Returns:
      A new config.
    """
    config = copy.deepcopy(base)
    for key, value in spec.settings().items():
        section, name = key.split(".")
        setattr(getattr(config, section), name, value)
    config.train.run_dir = os.path.join(out_dir, spec.folder)
    config.export.on_train_end = False  # studies are about accuracies, not serving
    return config


def finished_summary(out_dir: str, spec: RunSpec) -> Optional[dict[str, Any]]:
    """The run's summary.json when it has finished, else None."""
    folder = run_dir_lib.RunDir(os.path.join(out_dir, spec.folder))
    return summary_lib.read_summary(folder) if os.path.isfile(folder.summary_path) else None


def run_all(
    runs: Sequence[Spec],
    out_dir: str,
    config_for: Callable[[Spec], config_lib.Config],
    train_fn: TrainFn,
    on_result: Callable[[dict[Spec, Mapping[str, Any]]], None] = lambda results: None,
) -> dict[Spec, Mapping[str, Any]]:
    """Makes every run that has no summary yet, in order; returns all their summaries.

    Args:
      runs: the study's plan.
      out_dir: the study folder.
      config_for: the config of a run (`run_config`, plus what else the study sets).
      train_fn: trains one run and returns its summary.
      on_result: called with the summaries so far after each run trained (a study rewrites
        its report as it goes, so hours in, a partial table can be read).

    Returns:
      spec -> summary.
    """
    results: dict[Spec, Mapping[str, Any]] = {}
    started, trained = time.time(), 0
    for number, spec in enumerate(runs, start=1):
        prefix = f"[{number}/{len(runs)}] {spec.label}"
        summary = finished_summary(out_dir, spec)
        if summary is not None:
            print(f"{prefix}: done earlier")
            results[spec] = summary
            continue
        print(f"{prefix}: training ({_clock(time.time() - started)} elapsed)", flush=True)
        results[spec] = train_fn(config_for(spec))
        trained += 1
        left = sum(1 for s in runs[number:] if finished_summary(out_dir, s) is None)
        per_run = (time.time() - started) / trained
        print(f"{prefix}: done, {_clock(per_run)} per run so far, "
              f"{left} to go (~{_clock(per_run * left)})", flush=True)
        on_result(results)
    return results


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
