"""`python -m mrpn_tf.train`: train one network on one fold; with no run file, the offline demo.

    python -m mrpn_tf.train                                   # the demo: synthesize, prepare,
                                                              # train tiny, evaluate, export
    python -m mrpn_tf.train --config pipelines/ravdess_mrpn.yaml [--config OVERRIDES.yaml]
                            [section.key=value ...]           # e.g. data.fold=3 train.run_dir=R

The run folder is printed at the start; rerunning with `train.run_dir=` of a killed run
resumes it. A demo-dataset run without `data.prepared_dir` makes its data in the cache.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys

from mrpn_tf import cli
from mrpn_tf.config import loading

# No run file: the offline demo's, beside the package in the checkout (README installs it
# editable): the tiny variant on the synthetic demo set, with the demo's epoch budget.
DEMO_RUN_FILE = str(pathlib.Path(__file__).resolve().parents[1] / "pipelines" / "demo.yaml")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m mrpn_tf.train", description=__doc__.splitlines()[0])
    parser.add_argument("--config", action="append", default=[],
                        help="run file, then override files (repeatable); none = the offline demo")
    parser.add_argument("overrides", nargs="*", help="section.key=value overrides")
    return parser.parse_args(argv)


def train_and_export(config, strategy, extra_callbacks=()) -> dict:
    """`task.train`, then, on the chief and with `export.on_train_end`, the run's export
    (`run_export.export_run`), whose files summary.json then lists under "exports".

    Args:
      config: the resolved run config.
      strategy: from `strategy.build_strategy()`.
      extra_callbacks: passed to `task.train`.

    Returns:
      The run's summary.
    """
    from mrpn_tf.export import run_export
    from mrpn_tf.training import summary as summary_lib
    from mrpn_tf.training import run_dir, strategy as strategy_lib, task

    summary = task.train(config, strategy, extra_callbacks)
    if config.export.on_train_end and strategy_lib.is_chief():
        summary = {**summary, "exports": dict(run_export.export_run(summary["run_dir"]))}
        summary_lib.write_summary(run_dir.RunDir(summary["run_dir"]), summary)
    return summary


@cli.config_errors_exit
def main(argv=None) -> int:
    args = parse_args(argv)
    if not args.config and not os.path.isfile(DEMO_RUN_FILE):
        print(f"error: the offline demo's run file {DEMO_RUN_FILE} is missing; name a run file "
              "with --config", file=sys.stderr)
        return 2
    config = loading.load_config(args.config or [DEMO_RUN_FILE], args.overrides)
    # TensorFlow after the argument checks; the strategy before any other TF work.
    from mrpn_tf.demo import demo_run
    from mrpn_tf.training import evaluation_report, preflight, run_dir, strategy
    from mrpn_tf.training import summary as summary_lib

    distribution = strategy.build_strategy()
    try:
        if demo_run.needs_demo_data(config):
            demo_run.ensure_demo_data(config)
        result = train_and_export(config, distribution)
    except (preflight.PreflightError, demo_run.DemoDataError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if strategy.is_chief():
        # The demo also shows the evaluation of paper Fig. 5 (on held-out actors: data.fold=all has none).
        if not args.config and result["val"] is not None:
            report = evaluation_report.evaluate_run(run_dir.RunDir(result["run_dir"]))
            print(evaluation_report.format_report(report))
        print(summary_lib.format_table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
