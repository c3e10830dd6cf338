"""`python -m mrpn_tf.studies.interference`: cross-modal interference, made controllable.

    python -m mrpn_tf.studies.interference [--out results/interference] [--q 0,0.3,0.6]
        [--seeds 5] [--networks N0,N1,N2] [--fuzzy-modality audio] [--fuzzy-actors 3,4,5,6]
        [--epochs N] [--config pipelines/interference.yaml ...] [section.key=value ...]

Paper section 2 hypothesizes that when one modality's information is fuzzy for some samples,
the fusion layer of a simply fused network (N0) carries that noise into the other modality, and
sections 4.4-4.5 credit MRPN (N2) with preventing it. Here the fuzziness is ours to set: a demo
set (mrpn_tf.demo) in which both modalities carry the label, except that for the fuzzy
actors (training actors of fold 1) one modality's cue comes from a wrong class with probability
q. N0, N1 and N2 train with one budget (pipelines/interference.yaml) over several seeds at each
q, and are scored on fold 1's validation actors 1 and 2, who are never fuzzy: clean actors.

Default fuzzy modality, audio. Fuzziness can only hurt a network through a modality it leans on,
and we expect the voice to be the plainer cue of the demo for the tiny model: the tiny variant
keeps the paper's full spectrogram, while the face's cues are a few pixels of a 48-px crop at
8 fps. A network trained on the fused loss alone (N0) learns first and mostly from the easier
modality; made fuzzy, that modality's wrong cues reach N0's decision, and only the fused loss
trains N0's video branch to take over. N1 and N2 also train each branch on its own head. This
is also the paper's own case (4.4, A9,10), where adding the voice made the joint model worse
than video alone. The side heads' accuracies at q = 0 (table.md) show which modality is in
fact the stronger; if it is the face, `--fuzzy-modality video` is the sharper test.

Default fuzzy actors 3, 4, 5, 6: two of each gender among fold 1's six training actors, so that
the clean training actors 7 and 8 are one of each too (the cartoon voices differ by gender).

Outputs under --out (rerun the same command to resume; finished runs are kept):
  data/q<q>/, prepared/q<q>/   the clips and shards of each q (interference_data.py)
  runs/q<q>/<network>/seed<k>/ one run folder each (interference_runs.py)
  results.csv, table.md, accuracy_vs_q.png (interference_report.py), rewritten after each run
  accuracy_vs_q_precise_bn.png and the precise columns and tables: once every run has trained,
      each run's last checkpoint is scored again with its BatchNorm statistics recomputed
      (training/precise_bn.py; kept in the run folder's precise_bn.json)
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
from typing import Optional, Sequence

from mrpn_tf.config import config as config_lib
from mrpn_tf.config import loading
from mrpn_tf.data import datasets
from mrpn_tf.data.datasets import label_sets
from mrpn_tf.demo import clip_plan
from mrpn_tf.data.folds import folds
from mrpn_tf.studies import interference_data
from mrpn_tf.studies import interference_report
from mrpn_tf.studies import interference_runs
from mrpn_tf.studies import runs as runs_lib

# The experiment's run file, beside the package in the checkout (as train's demo run file).
RUN_FILE = str(pathlib.Path(__file__).resolve().parents[2] / "pipelines" / "interference.yaml")
DEFAULT_OUT = os.path.join("results", "interference")
DEFAULT_QS = "0,0.3,0.6"
DEFAULT_MODALITY = clip_plan.AUDIO  # module docstring
DEFAULT_FUZZY_ACTORS = "3,4,5,6"  # module docstring
RESULTS_CSV = "results.csv"
TABLE_MD = "table.md"
PLOT_PNG = "accuracy_vs_q.png"
PRECISE_PLOT_PNG = "accuracy_vs_q_precise_bn.png"


class ArgumentError(ValueError):
    """A command-line value is out of range; nothing has been trained."""


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """The command line (module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m mrpn_tf.studies.interference",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=DEFAULT_OUT, help="experiment folder (resumable)")
    parser.add_argument("--q", default=DEFAULT_QS, help="comma list of probabilities in [0, 1]")
    parser.add_argument("--seeds", type=int, default=5, help="seeds 1..N per network and q")
    parser.add_argument("--networks", default=",".join(interference_runs.NETWORKS),
                        help="comma list of N0,N1,N2")
    parser.add_argument("--fuzzy-modality", default=DEFAULT_MODALITY,
                        help="the modality whose cue may lie: video or audio")
    parser.add_argument("--fuzzy-actors", default=DEFAULT_FUZZY_ACTORS,
                        help="comma list of training actors of the fold whose clips may lie")
    parser.add_argument("--epochs", type=int, help="train.epochs of every run (default: run file)")
    parser.add_argument("--workers", type=int, default=2, help="clips synthesized / prepared in parallel")
    parser.add_argument("--config", action="append", default=[],
                        help=f"run file, then override files (default {RUN_FILE})")
    parser.add_argument("overrides", nargs="*", help="section.key=value overrides")
    return parser.parse_args(argv)


def parse_qs(text: str) -> list[float]:
    """ "0,0.3,0.6" -> [0.0, 0.3, 0.6], ascending, checked.

    Raises:
      ArgumentError: not numbers, a value outside [0, 1], a repeat, or none.
    """
    try:
        qs = [float(part) for part in text.split(",") if part.strip()]
    except ValueError as e:
        raise ArgumentError(f"--q {text!r}: expected a comma list of numbers in [0, 1]") from e
    bad = [q for q in qs if not 0.0 <= q <= 1.0]
    if bad or not qs or len(set(qs)) != len(qs):
        raise ArgumentError(f"--q {text!r}: expected distinct probabilities in [0, 1], got {qs}")
    return sorted(qs)


def parse_networks(text: str) -> list[str]:
    """ "N0,N2" -> ["N0", "N2"], checked against interference_runs.NETWORKS.

    Raises:
      ArgumentError: an unknown or repeated name, or none.
    """
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    bad = [n for n in chosen if n not in interference_runs.NETWORKS]
    if bad or not chosen or len(set(chosen)) != len(chosen):
        raise ArgumentError(f"--networks {text!r}: expected distinct names from "
                            f"{', '.join(interference_runs.NETWORKS)} (the networks with a fusion head)")
    return chosen


def parse_fuzzy(modality: str, actors_text: str, fold: folds.Fold) -> interference_data.FuzzySetting:
    """The fuzzy modality and actors, checked against the fold.

    Raises:
      ArgumentError: an unknown modality, or an actor that is not a training actor of the
        fold (a validation actor made fuzzy would not be a clean actor).
    """
    if modality not in clip_plan.FUZZY_MODALITIES:
        raise ArgumentError(f"--fuzzy-modality {modality!r}: expected one of "
                            f"{', '.join(clip_plan.FUZZY_MODALITIES)}")
    try:
        actors = tuple(sorted({int(part) for part in actors_text.split(",") if part.strip()}))
    except ValueError as e:
        raise ArgumentError(f"--fuzzy-actors {actors_text!r}: expected a comma list of actor ids") from e
    stray = [a for a in actors if a not in fold.train_actors]
    if stray or not actors:
        raise ArgumentError(
            f"--fuzzy-actors {actors_text!r}: expected training actors of {fold.dataset} fold "
            f"{fold.index} ({', '.join(map(str, fold.train_actors))}); validation actors "
            f"{', '.join(map(str, fold.val_actors))} must stay clean")
    return interference_data.FuzzySetting(modality, actors)


def load_config(args: argparse.Namespace) -> config_lib.Config:
    """The experiment's config: the run file(s), --epochs, then key=value overrides.

    Raises:
      ConfigError: as for train (unknown keys, wrong types); also a dataset other than the
        demo, whose generator is what makes the fuzziness controllable.
    """
    extra = [f"train.epochs={args.epochs}"] if args.epochs is not None else []
    config = loading.load_config(args.config or [RUN_FILE], extra + list(args.overrides))
    if config.data.dataset != datasets.DEMO or config.data.source != "tfrecord":
        raise config_lib.ConfigError(
            f"the experiment synthesizes its own demo data: data.dataset must be 'demo' and "
            f"data.source 'tfrecord', got {config.data.dataset!r} and {config.data.source!r}")
    if config.train.epochs < 1:
        raise config_lib.ConfigError(f"train.epochs={config.train.epochs}; expected >= 1")
    return config


def write_report(
    out: str,
    rows: Sequence[interference_report.RunRow],
    qs: Sequence[float],
    networks: Sequence[str],
    fuzzy: interference_data.FuzzySetting,
    config: config_lib.Config,
) -> dict[str, str]:
    """Writes results.csv, table.md and the plot into `out`.

    Args:
      out: the experiment folder.
      rows: the finished runs.
      qs: the q values asked for (table columns, plot positions).
      networks: the networks asked for.
      fuzzy: the fuzzy modality and actors (for the caption).
      config: the experiment's config (fold, budget, number of classes).

    Returns:
      File name -> path (the precise plot only once a run has a precise score).
    """
    chance = 1.0 / len(label_sets.run_labels(config.data))
    fold = folds.fold(config.data.dataset, config.data.fold)
    actors = ", ".join(map(str, fuzzy.actors))
    epochs = f"{config.train.epochs} epoch{'s' if config.train.epochs != 1 else ''}"
    caption = (f"Fuzzy {fuzzy.modality} for training actors {actors} of demo fold {fold.name} "
               f"(a wrong-class {fuzzy.modality} cue with probability q); validation on the clean "
               f"actors {', '.join(map(str, fold.val_actors))}. Every run: {epochs}, batch "
               f"{config.train.batch_size}, learning rate {config.train.learning_rate:g}. "
               f"Chance {100 * chance:.1f}%.")
    title = f"Fuzzy {fuzzy.modality} (actors {actors}), {epochs}"
    paths = {name: os.path.join(out, name) for name in (RESULTS_CSV, TABLE_MD, PLOT_PNG)}
    interference_report.write_csv(rows, paths[RESULTS_CSV])
    with open(paths[TABLE_MD], "w") as f:
        f.write(interference_report.report_markdown(rows, qs, networks, caption))
    interference_report.accuracy_plot(rows, qs, networks, paths[PLOT_PNG], chance, title)
    if any(interference_report.PRECISE in row.accuracy for row in rows):
        paths[PRECISE_PLOT_PNG] = interference_report.accuracy_plot(
            rows, qs, networks, os.path.join(out, PRECISE_PLOT_PNG), chance,
            f"{title}, BatchNorm statistics recomputed", interference_report.PRECISE)
    return paths


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the experiment (module docstring); returns the exit status."""
    args = parse_args(argv)
    try:
        config = load_config(args)
        qs, networks = parse_qs(args.q), parse_networks(args.networks)
        fuzzy = parse_fuzzy(args.fuzzy_modality, args.fuzzy_actors,
                            folds.fold(config.data.dataset, config.data.fold))
        if args.seeds < 1:
            raise ArgumentError(f"--seeds {args.seeds}: expected >= 1 (>= 2 for an interval)")
        settings = interference_data.data_settings(fuzzy)
        interference_runs.claim_out_dir(args.out, interference_runs.experiment_settings(config, settings))
    except (config_lib.ConfigError, ArgumentError, interference_runs.ExperimentFolderError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return run_experiment(args, config, qs, networks, fuzzy)


def run_experiment(
    args: argparse.Namespace,
    config: config_lib.Config,
    qs: Sequence[float],
    networks: Sequence[str],
    fuzzy: interference_data.FuzzySetting,
) -> int:
    """Makes the data, trains what is not finished, writes the report; returns the exit status.

    Args:
      args: the command line (--out, --seeds, --workers).
      config: the experiment's config, checked.
      qs: the q values, checked.
      networks: the networks, checked.
      fuzzy: the fuzzy modality and actors, checked.
    """
    # TensorFlow after the argument checks; the strategy before any other TF work.
    import keras

    from mrpn_tf.demo import demo_run
    from mrpn_tf.training import precise_bn, preflight, strategy, task

    distribution = strategy.build_strategy()
    runs = interference_runs.plan_runs(qs, networks, range(1, args.seeds + 1))
    print(f"interference experiment: {args.out} ({len(runs)} runs)")

    def train(run_config: config_lib.Config):
        summary = task.train(run_config, distribution)
        keras.backend.clear_session()  # each run builds a new model; free the last one
        return summary

    def score(run_folder, epoch):
        scored = precise_bn.evaluate_checkpoint(run_folder, epoch)
        keras.backend.clear_session()
        return scored

    def report(results, precise=None) -> None:
        precise = precise or {}
        rows = [interference_report.row_from_summary(s.q, s.network, s.seed, summary, precise.get(s))
                for s, summary in results.items()]
        write_report(args.out, rows, qs, networks, fuzzy, config)

    try:
        data = {q: interference_data.make_data(config, args.out, q, fuzzy, args.workers) for q in qs}
        results = runs_lib.run_all(
            runs, args.out,
            lambda spec: interference_runs.run_config(config, spec, args.out, *data[spec.q]),
            train, on_result=report)
        precise = interference_runs.score_precise_bn(
            runs, args.out, results, score, on_result=lambda found: report(results, found))
    except (preflight.PreflightError, demo_run.DemoDataError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    report(results, precise)
    with open(os.path.join(args.out, TABLE_MD)) as f:
        print(f.read())
    print(f"results: {os.path.join(args.out, RESULTS_CSV)}, {os.path.join(args.out, PLOT_PNG)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
