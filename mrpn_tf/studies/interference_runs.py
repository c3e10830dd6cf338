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

import dataclasses
import json
import os
from typing import Any, Callable, Mapping, Sequence

from mrpn_tf import files
from mrpn_tf.config import config as config_lib
from mrpn_tf.config import resolved
from mrpn_tf.studies import runs as runs_lib
from mrpn_tf.training import run_dir as run_dir_lib

NETWORKS = ("N0", "N1", "N2")
RUNS_DIR = "runs"
EXPERIMENT_NAME = "experiment.json"
PRECISE_BN_NAME = "precise_bn.json"

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

    def settings(self) -> dict[str, Any]:
        """The config keys this run changes (runs.run_config)."""
        return {"model.network": self.network, "train.seed": self.seed, "data.seed": self.seed}


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
    config = runs_lib.run_config(base, spec, out_dir)
    config.data.root = root
    config.data.prepared_dir = prepared_dir
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
    settings = {"data": dict(data_settings), "config": resolved.to_dict(base)}
    return json.loads(json.dumps(settings))  # tuples -> lists, as a read file has them


def claim_out_dir(out_dir: str, settings: Mapping[str, Any]) -> None:
    """Records the settings in a new experiment folder, or refuses one made differently.

    Finished runs are skipped on a rerun, so runs of another budget or another generator
    version must never be mixed into one table.

    Raises:
      ExperimentFolderError: `out_dir` holds an experiment with other settings (the message
        lists what differs).
    """
    files.claim_folder(out_dir, EXPERIMENT_NAME, settings, listed=5, refuse=lambda detail: ExperimentFolderError(
        f"{out_dir} holds an experiment with other settings ({detail}); "
        "use another --out or delete the folder"))


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
      summaries: the finished runs' summaries (`runs.run_all`); runs not in it are left out.
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
        files.write_json(path, results[spec])
        on_result(results)
    return results
