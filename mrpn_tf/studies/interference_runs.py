"""The interference experiment's runs: which, where, with what config, resumable run by run.

    <out>/experiment.json               what decides the content (refused when it changes)
    <out>/runs/q<q>/<network>/seed<k>/  one ordinary run folder per (q, network, seed), and in
                                        it precise_bn.json: the last checkpoint scored with
                                        recomputed BatchNorm statistics (training/precise_bn.py)

Every run is the base config with its network, its seed (`train.seed` and `data.seed`: weight
init, augmentation draws and clip order) and the data of its q; nothing else differs, so the
networks share one budget. A run with a summary.json is finished and kept; one without resumes
from its backup (training/task.py); so rerunning the same command continues where it stopped.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import time
from typing import Any, Callable, Mapping, Optional, Sequence

from mrpn_tf.config import config as config_lib
from mrpn_tf.config import overrides
from mrpn_tf.training import run_dir as run_dir_lib

NETWORKS = ("N0", "N1", "N2")
RUNS_DIR = "runs"
EXPERIMENT_NAME = "experiment.json"
PRECISE_BN_NAME = "precise_bn.json"

# One training run: the run's config -> its summary (task.train with the strategy bound).
TrainFn = Callable[[config_lib.Config], Mapping[str, Any]]
# A run folder and epoch -> that checkpoint's validation scores (precise_bn.evaluate_checkpoint).
ScoreFn = Callable[[run_dir_lib.RunDir, int], Mapping[str, Any]]


class ExperimentFolderError(ValueError):
    """The output folder holds an experiment made with other settings."""


def q_name(q: float) -> str:
    """The folder name of a fuzzy probability: 0 -> "q0", 0.3 -> "q0.3"."""
    return f"q{q:g}"


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """One run of the experiment.

    Attributes:
      q: probability that a fuzzy actor's clip carries another class's cue.
      network: "N0", "N1" or "N2".
      seed: `train.seed` and `data.seed` of the run.
    """

    q: float
    network: str
    seed: int

    @property
    def folder(self) -> str:
        """The run folder relative to the experiment folder."""
        return os.path.join(RUNS_DIR, q_name(self.q), self.network, f"seed{self.seed}")

    @property
    def label(self) -> str:
        """A short name for progress lines, e.g. "q=0.3 N2 seed 1"."""
        return f"q={self.q:g} {self.network} seed {self.seed}"


def plan_runs(qs: Sequence[float], networks: Sequence[str], seeds: Sequence[int]) -> list[RunSpec]:
    """Every run, seed by seed, then q by q, the networks side by side.

    An experiment stopped early then has, for every seed done, every q and every network: its
    partial table and plot already span the whole q axis and compare like with like.
    """
    return [RunSpec(q, network, seed) for seed in seeds for q in qs for network in networks]


def run_config(
    base: config_lib.Config, spec: RunSpec, out_dir: str, root: str, prepared_dir: str
) -> config_lib.Config:
    """The config of one run: the base with its network, seed, data and folder.

    Args:
      base: the experiment's config.
      spec: the run.
      out_dir: the experiment folder.
      root: the demo folder of the run's q.
      prepared_dir: its prepared folder.

    Returns:
      A new config.
    """
    config = copy.deepcopy(base)
    config.model.network = spec.network
    config.train.seed = spec.seed
    config.data.seed = spec.seed
    config.data.root = root
    config.data.prepared_dir = prepared_dir
    config.train.run_dir = os.path.join(out_dir, spec.folder)
    config.export.on_train_end = False  # the experiment is about accuracies, not serving
    return config


def experiment_settings(base: config_lib.Config, data_settings: Mapping[str, Any]) -> dict[str, Any]:
    """What decides the content of an experiment folder, as JSON-native values.

    Args:
      base: the experiment's config (the budget every run gets).
      data_settings: the demo generator version and the fuzzy settings (interference_data).

    Returns:
      {"data": ..., "config": ...}; the q values, seeds and networks are left out, since
      more of them only add runs.
    """
    settings = {"data": dict(data_settings), "config": overrides.to_dict(base)}
    return json.loads(json.dumps(settings))  # tuples -> lists, as a read file has them


def _differences(old: Any, new: Any, prefix: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        keys = sorted(set(old) | set(new))
        return [d for k in keys for d in _differences(old.get(k), new.get(k), f"{prefix}{k}.")]
    return [] if old == new else [f"{prefix.rstrip('.')}: folder has {old!r}, now {new!r}"]


def claim_out_dir(out_dir: str, settings: Mapping[str, Any]) -> None:
    """Records the settings in a new experiment folder, or refuses one made differently.

    Finished runs are skipped on a rerun, so runs of another budget or another generator
    version must never be mixed into one table.

    Raises:
      ExperimentFolderError: `out_dir` holds an experiment with other settings (the message
        lists what differs).
    """
    path = os.path.join(out_dir, EXPERIMENT_NAME)
    if os.path.isfile(path):
        with open(path) as f:
            found = json.load(f)
        changed = _differences(found, dict(settings))
        if changed:
            raise ExperimentFolderError(
                f"{out_dir} holds an experiment with other settings ({'; '.join(changed[:5])}"
                f"{'; ...' if len(changed) > 5 else ''}); use another --out or delete the folder")
        return
    os.makedirs(out_dir, exist_ok=True)
    run_dir_lib.write_json(path, dict(settings))


def finished_summary(out_dir: str, spec: RunSpec) -> Optional[dict[str, Any]]:
    """The run's summary.json when it has finished, else None."""
    folder = run_dir_lib.RunDir(os.path.join(out_dir, spec.folder))
    return run_dir_lib.read_summary(folder) if os.path.isfile(folder.summary_path) else None


def run_all(
    runs: Sequence[RunSpec],
    out_dir: str,
    config_for: Callable[[RunSpec], config_lib.Config],
    train_fn: TrainFn,
    on_result: Callable[[dict[RunSpec, Mapping[str, Any]]], None] = lambda results: None,
) -> dict[RunSpec, Mapping[str, Any]]:
    """Makes every run that has no summary yet, in order; returns all their summaries.

    Args:
      runs: from `plan_runs`.
      out_dir: the experiment folder.
      config_for: the config of a run (`run_config` with the run's data folders).
      train_fn: trains one run and returns its summary.
      on_result: called with the summaries so far after each run trained (the report is
        rewritten as the experiment goes, so hours in, a partial table can be read).

    Returns:
      RunSpec -> summary.
    """
    results: dict[RunSpec, Mapping[str, Any]] = {}
    started, trained = time.time(), 0
    for number, spec in enumerate(runs, start=1):
        prefix = f"[{number}/{len(runs)}] {spec.label}"
        summary = finished_summary(out_dir, spec)
        if summary is not None:
            print(f"{prefix}: done earlier")
            results[spec] = summary
            continue
        print(f"{prefix}: training ({_elapsed(started)} elapsed)", flush=True)
        results[spec] = train_fn(config_for(spec))
        trained += 1
        left = sum(1 for s in runs[number:] if finished_summary(out_dir, s) is None)
        per_run = (time.time() - started) / trained
        print(f"{prefix}: done, {_clock(per_run)} per run so far, "
              f"{left} to go (~{_clock(per_run * left)})", flush=True)
        on_result(results)
    return results


def score_precise_bn(
    runs: Sequence[RunSpec],
    out_dir: str,
    summaries: Mapping[RunSpec, Mapping[str, Any]],
    score_fn: ScoreFn,
    on_result: Callable[[dict[RunSpec, Mapping[str, Any]]], None] = lambda results: None,
) -> dict[RunSpec, Mapping[str, Any]]:
    """Scores the last checkpoint of every finished run with recomputed BatchNorm statistics.

    Each score is kept in the run's precise_bn.json, so a rerun scores only the runs without
    one (about 15 s each for the tiny model on 2 cores).

    Args:
      runs: from `plan_runs`.
      out_dir: the experiment folder.
      summaries: the finished runs' summaries (`run_all`); runs not in it are left out.
      score_fn: scores a run folder's checkpoint of a given epoch.
      on_result: called with the scores so far after each new one.

    Returns:
      RunSpec -> score, for the runs in `summaries`.
    """
    results: dict[RunSpec, Mapping[str, Any]] = {}
    for number, spec in enumerate(runs, start=1):
        if spec not in summaries:
            continue
        folder = run_dir_lib.RunDir(os.path.join(out_dir, spec.folder))
        path = folder.path(PRECISE_BN_NAME)
        if os.path.isfile(path):
            with open(path) as f:
                results[spec] = json.load(f)
            continue
        epoch = int(summaries[spec]["epochs_trained"])
        print(f"[{number}/{len(runs)}] {spec.label}: epoch {epoch} scored with recomputed "
              "BatchNorm statistics", flush=True)
        results[spec] = dict(score_fn(folder, epoch))
        run_dir_lib.write_json(path, results[spec])
        on_result(results)
    return results


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _elapsed(started: float) -> str:
    return _clock(time.time() - started)
