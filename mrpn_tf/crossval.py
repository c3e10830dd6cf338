"""`python -m mrpn_tf.crossval`: train and evaluate networks on folds, write the paper's tables.

    python -m mrpn_tf.crossval --config pipelines/ravdess_mrpn.yaml --folds all \
        --networks N0,N1,N2,AM,VM [--out runs/crossval-ravdess] [--t-config FILE] \
        [--nt-config FILE] [section.key=value ...]

Writes Table 1 (AM / VM / JM, NT and T, per actor pair) and Table 2 / 3 (N0 / N1 / N2 per
fold) as Markdown and CSV with mean ± std. Rerun the same command to resume after a stop.
`--t-config FILE` is an override file for the runs with time augmentation only, `--nt-config
FILE` one for the runs without (each applied after the --config files, before the key=value
overrides), so AM(T) and AM(NT) can each have a recipe of their own.
Folds whose validation actors have no clips in the data (a dataset folder with only some
actors) are refused, naming the folds to ask for, before anything trains.
"""

from __future__ import annotations

import argparse
import os
import sys

from mrpn_tf import cli
from mrpn_tf.config import loading


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m mrpn_tf.crossval", description=__doc__.splitlines()[0])
    parser.add_argument("--config", action="append", default=[], help="run file, then override files")
    parser.add_argument("--folds", default="all", help='"all" or a comma list, e.g. 1,2')
    parser.add_argument("--networks", default="N0,N1,N2,AM,VM", help="comma list of N0,N1,N2,AM,VM")
    parser.add_argument("--out", help="cross-validation folder (default runs/crossval-<dataset>)")
    parser.add_argument("--t-config", help="override file for the time-augmented (T) runs only")
    parser.add_argument("--nt-config", help="override file for the NT runs only")
    parser.add_argument("overrides", nargs="*", help="section.key=value overrides")
    return parser.parse_args(argv)


@cli.config_errors_exit
def main(argv=None) -> int:
    args = parse_args(argv)
    config = loading.load_config(args.config, args.overrides)
    t_config, nt_config = (
        loading.load_config([*args.config, path], args.overrides) if path else None
        for path in (args.t_config, args.nt_config))
    from mrpn_tf.demo import demo_run  # TensorFlow now
    from mrpn_tf.studies import crossval_runs
    from mrpn_tf.training import preflight, strategy

    try:
        fold_ids = crossval_runs.parse_folds(args.folds, config.data.dataset)
        networks = crossval_runs.parse_networks(args.networks)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    distribution = strategy.build_strategy()
    out = args.out or os.path.join("runs", f"crossval-{config.data.dataset}")
    runs = crossval_runs.plan_runs(networks, fold_ids, config.data.time_augment)
    print(f"cross-validation folder: {out} ({len(runs)} runs)")
    try:
        if demo_run.needs_demo_data(config):
            demo_run.ensure_demo_data(config)
        crossval_runs.check_folds_have_clips(config, fold_ids)
        results = crossval_runs.run_all(config, runs, out, distribution, t_config, nt_config)
    except (preflight.PreflightError, demo_run.DemoDataError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if strategy.is_chief():
        for name, path in crossval_runs.write_tables(config, results, networks, fold_ids, out).items():
            print(f"{name}: {path}")
            if path.endswith(".md"):
                with open(path) as f:
                    print(f.read())
    return 0


if __name__ == "__main__":
    sys.exit(main())
