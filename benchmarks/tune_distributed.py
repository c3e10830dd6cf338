"""One search, run by one process and by a chief with workers on this machine: wall times.

    python benchmarks/tune_distributed.py [--trials 4] [--workers 2] [--keep DIR] [section.key=value ...]

The demo search (pipelines/tune/demo_search.yaml: random oracle, its seed fixed by
train.seed) for `--trials` trials of `train.epochs=2` with deterministic ops unless
overridden, on the demo data (made first, so that neither run pays for it and no two
workers make it at once). Both runs are the same command, `python -m mrpn_tf.tune`, in
fresh tuner folders; the distributed one adds KERASTUNER_* for a chief and `--workers`
workers on 127.0.0.1. Prints the CPU, each wall time, which worker ran which trial, and
whether both runs found the same best trial.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import re
import socket
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
RUN_FILE = REPO / "pipelines" / "tune" / "demo_search.yaml"
TRIAL_STARTED = re.compile(r"^trial run folder: .*trial_(\w+)[/\\]fold\d+$", re.MULTILINE)
BEST = re.compile(r"^# val_va_accuracy (\S+) at epoch \d+ \(trial (\w+),", re.MULTILINE)


def cpu_name() -> str:
    with open("/proc/cpuinfo") as f:
        model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "?")
    return f"{model}, {os.cpu_count()} logical cores"


def demo_data_overrides(overrides: list[str]) -> list[str]:
    """Makes the demo data the search reads; returns the overrides that point at it."""
    sys.path.insert(0, str(REPO))
    from mrpn_tf.demo import demo_run
    from mrpn_tf.tuning import run_file

    config = run_file.load_tune_run(str(RUN_FILE), overrides).config
    demo_run.ensure_demo_data(config)
    return [f"data.root={config.data.root}", f"data.prepared_dir={config.data.prepared_dir}"]


def environment(**variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KERASTUNER_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    return {**env, "TF_CPP_MIN_LOG_LEVEL": "2", **variables}


def tune_command(directory: pathlib.Path, trials: int, overrides: list[str]) -> list[str]:
    return [sys.executable, "-m", "mrpn_tf.tune", "--config", str(RUN_FILE), "--tuner", "random",
            "--max-trials", str(trials), "--dir", str(directory), *overrides]


def one_process(workdir: pathlib.Path, trials: int, overrides: list[str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(tune_command(workdir / "one", trials, overrides), cwd=workdir, env=environment(),
                            capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode:
        raise SystemExit(f"the one-process search failed:\n{result.stdout[-2000:]}{result.stderr[-4000:]}")
    return seconds


def chief_and_workers(workdir: pathlib.Path, trials: int, workers: int, overrides: list[str]) -> tuple[float, dict]:
    """Runs the search as a chief and `workers` workers; returns (seconds, tuner id -> trials)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = str(s.getsockname()[1])
    ids = ["chief"] + [f"tuner{i}" for i in range(workers)]
    logs, processes = {}, {}
    started = time.perf_counter()
    try:
        for tuner_id in ids:
            logs[tuner_id] = workdir / f"{tuner_id}.log"
            with open(logs[tuner_id], "w") as out:
                processes[tuner_id] = subprocess.Popen(
                    tune_command(workdir / "spread", trials, overrides), cwd=workdir, stdout=out,
                    stderr=subprocess.STDOUT, env=environment(
                        KERASTUNER_TUNER_ID=tuner_id, KERASTUNER_ORACLE_IP="127.0.0.1",
                        KERASTUNER_ORACLE_PORT=port))
        codes = {tuner_id: processes[tuner_id].wait() for tuner_id in ids[1:] + ids[:1]}
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
    seconds = time.perf_counter() - started
    if any(codes.values()):
        failed = next(t for t, code in codes.items() if code)
        raise SystemExit(f"{failed} failed:\n{logs[failed].read_text()[-4000:]}")
    return seconds, {t: TRIAL_STARTED.findall(logs[t].read_text()) for t in ids[1:]}


def best_trial(directory: pathlib.Path) -> tuple[str, str]:
    """(trial id, objective) from the header of the search's best.yaml."""
    match = BEST.search((directory / "best.yaml").read_text())
    return match.group(2), match.group(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", default="", help="keep the tuner folders and logs in this folder")
    parser.add_argument("overrides", nargs="*", help="section.key=value overrides of the run file")
    args = parser.parse_args()
    overrides = ["train.epochs=2", "train.deterministic=true", *args.overrides]
    overrides += demo_data_overrides(overrides)
    with tempfile.TemporaryDirectory() as temp:
        workdir = pathlib.Path(args.keep or temp)
        workdir.mkdir(parents=True, exist_ok=True)
        one_s = one_process(workdir, args.trials, overrides)
        spread_s, by_worker = chief_and_workers(workdir, args.trials, args.workers, overrides)
        same = best_trial(workdir / "one") == best_trial(workdir / "spread")
        print(f"CPU: {cpu_name()}")
        print(f"{args.trials}-trial random search ({' '.join(overrides[:-2])}):")
        print(f"  one process:                 {one_s:6.0f} s")
        print(f"  a chief and {args.workers} workers:       {spread_s:6.0f} s   trials per worker: {by_worker}")
        print(f"  same best trial and objective: {same} {best_trial(workdir / 'one')}")


if __name__ == "__main__":
    main()
