"""`python -m mrpn_tf.tune`: hyperparameter search over the run config with KerasTuner.

    python -m mrpn_tf.tune --config pipelines/X.yaml --tuner hyperband|bayesian|random
                           --max-trials N [--folds 1,2,3] [--dir DIR] [--overwrite]
                           [--best-name NAME] [section.key=value ...]

The search space is the run file's `tune:` section (mrpn_tf/tuning/search_space.py; the
default space without one). Each trial trains the normal model with the trainer on the
fold(s) and scores val_va_accuracy on the held-out actors. The tuner folder (default
runs/tune/<run file>-<tuner>) keeps the search: rerunning the command continues it. At the
end: results.md and best.yaml in the tuner folder (best.yaml also as pipelines/NAME.yaml
with --best-name), which `python -m mrpn_tf.train --config` runs as it is.

With KERASTUNER_TUNER_ID, KERASTUNER_ORACLE_IP and KERASTUNER_ORACLE_PORT set, the same
command is one process of a distributed search: the chief (serves the oracle, writes the
results) or a worker (runs trials); mrpn_tf/tuning/distributed.py and docs/training.md.
"""

from __future__ import annotations

import argparse
import sys

from mrpn_tf import train
from mrpn_tf.config import config as config_lib
from mrpn_tf.tuning import run_file
from mrpn_tf.tuning import search_space


def _folds(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected fold numbers such as 1,2,3; got {text!r}") from None


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m mrpn_tf.tune", description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="run file with an optional tune: section; none = the demo's "
                        "run file (pipelines/demo.yaml, as for train) and the default space")
    # Checked against tuner_factory.TUNERS after the space: that module loads TensorFlow.
    parser.add_argument("--tuner", default="random", help="random (default), bayesian or hyperband")
    parser.add_argument("--max-trials", type=int, default=10, help="most trials, counting earlier runs")
    parser.add_argument("--folds", type=_folds, default=None,
                        help="folds a trial trains on, e.g. 1,2,3 (objective: their mean); default data.fold")
    parser.add_argument("--dir", default="", help="tuner folder (default runs/tune/<run file>-<tuner>)")
    parser.add_argument("--overwrite", action="store_true", help="start afresh instead of continuing")
    parser.add_argument("--best-name", default="", help="also write the best config as pipelines/NAME.yaml")
    parser.add_argument("overrides", nargs="*", help="section.key=value overrides of the base config")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        run = run_file.load_tune_run(args.config or train.DEMO_RUN_FILE, args.overrides)
    except (config_lib.ConfigError, search_space.SearchSpaceError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    # TensorFlow after the argument checks; the strategy before any other TF work.
    from mrpn_tf.training import strategy
    from mrpn_tf.tuning import distributed, search, tuner_folder

    request = search.SearchRequest(
        run=run, tuner=args.tuner, max_trials=args.max_trials,
        folds=args.folds or (run.config.data.fold,),
        directory=args.dir or tuner_folder.default_dir(run, args.tuner),
        overwrite=args.overwrite, best_name=args.best_name)
    try:
        search.check_request(request)
    except search.SearchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if distributed.role() == distributed.CHIEF:
        distributed.hide_gpus()
    try:
        result = search.run_search(request, strategy.build_strategy())
    except search.SearchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if distributed.role() == distributed.WORKER:
        print(f"worker {result['worker']} done; the chief writes the results in {result['directory']}")
        return 0
    print(f"best config: {result['best_config']} ({result['best_objective']:.4f}); "
          f"results: {result['results']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
