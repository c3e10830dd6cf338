"""The offline demo, end to end: wall time and validation accuracy of the fusion head.

    python benchmarks/demo_run.py [--cache DIR] [section.key=value ...]

Runs `python -m mrpn_tf.train` with no run file (synthesize the demo set, prepare it, train
the tiny config on demo fold 1, evaluate on the held-out actors 1 and 2, export) in a temp
working folder, with a fresh `MRPN_CACHE` unless `--cache` names one (a warm cache skips
synthesis and prepare). Target (issue): <= 10 minutes on 2 cores, >= 90 % on the va head.
Prints the wall time, the summary table and the per-epoch validation accuracy. `--keep DIR`
keeps the run folder and its export (e.g. for `benchmarks/inference.py --run`).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]


def run_demo(cache: str, workdir: str, overrides: list[str]) -> tuple[float, str, str]:
    """Runs the demo; returns (wall seconds, run folder, its output)."""
    env = {**os.environ, "MRPN_CACHE": cache, "TF_CPP_MIN_LOG_LEVEL": "2",
           "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "mrpn_tf.train", *overrides], cwd=workdir, env=env,
                            capture_output=True, text=True)
    seconds = time.perf_counter() - start
    output = result.stdout + result.stderr
    if result.returncode != 0:
        raise SystemExit(f"the demo failed ({result.returncode}):\n{output[-4000:]}")
    run_dir = re.search(r"^run folder: (.+)$", result.stdout, re.MULTILINE).group(1)
    return seconds, os.path.join(workdir, run_dir), result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", help="MRPN_CACHE to use (default: a fresh temp folder)")
    parser.add_argument("--keep", metavar="DIR",
                        help="work in DIR and keep it (run folder, savedmodels/, and the cache unless "
                             "--cache names one), e.g. for benchmarks/inference.py --run")
    parser.add_argument("overrides", nargs="*", help="section.key=value overrides for the demo")
    args = parser.parse_args()
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        tmp = os.path.abspath(args.keep) if args.keep else scratch
        cache = args.cache or os.path.join(tmp, "cache")
        warm = os.path.isdir(os.path.join(cache, "demo"))
        load = os.getloadavg()[0]
        seconds, run_dir, stdout = run_demo(cache, tmp, args.overrides)
        with open(os.path.join(run_dir, "summary.json")) as f:
            summary = json.load(f)
        with open(os.path.join(run_dir, "history.csv")) as f:
            curve = [round(float(row["val_va_accuracy"]), 3) for row in csv.DictReader(f)]
        print(stdout[stdout.rindex("run       "):])
        print(f"\ndemo wall time {seconds:.0f} s ({'warm' if warm else 'cold'} cache, "
              f"load average {load:.1f} at the start, {os.cpu_count()} cores)")
        print(f"va accuracy {summary['val']['va']['accuracy']:.1%} (best epoch {summary['best_epoch']} "
              f"of {summary['epochs_trained']}); per-epoch val va accuracy {curve}")


if __name__ == "__main__":
    main()
