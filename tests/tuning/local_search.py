"""`python -m mrpn_tf.tune` as a chief and workers on 127.0.0.1, or as one process, for the tests.

Every process runs the same command in the same folder; each writes its output to its own
log file (a pipe nobody reads would block it). Leaving the `with` block kills whatever is still
running, so a failed test leaves no chief waiting for workers.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
# A trial run folder as the HyperModel prints it when a worker starts (or resumes) the trial.
TRIAL_STARTED = re.compile(r"^trial run folder: .*trial_(\w+)[/\\]fold\d+$", re.MULTILINE)


def free_port() -> int:
    """A port nothing on 127.0.0.1 listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env() -> dict[str, str]:
    """The test's environment without KerasTuner's variables, the checkout on PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KERASTUNER_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    return env


class LocalSearch:
    """Starts, kills, restarts and waits for the processes of one search.

    Args:
      workdir: the processes' working folder; logs go to `workdir/logs/<id>-<start>.log`.
      args: the `python -m mrpn_tf.tune` arguments, the same for every process.
    """

    def __init__(self, workdir: pathlib.Path, args: list[str]):
        self.workdir = workdir
        self.args = args
        self.port = free_port()
        self.processes: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, list[pathlib.Path]] = {}
        (workdir / "logs").mkdir(parents=True, exist_ok=True)

    def __enter__(self) -> "LocalSearch":
        return self

    def __exit__(self, *exc) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()

    def start(self, tuner_id: str) -> None:
        """Starts (or restarts) the process with this KERASTUNER_TUNER_ID."""
        env = {**base_env(), "KERASTUNER_TUNER_ID": tuner_id, "KERASTUNER_ORACLE_IP": "127.0.0.1",
               "KERASTUNER_ORACLE_PORT": str(self.port)}
        log = self.workdir / "logs" / f"{tuner_id}-{len(self.logs.get(tuner_id, []))}.log"
        self.logs.setdefault(tuner_id, []).append(log)
        with open(log, "w") as out:
            self.processes[tuner_id] = subprocess.Popen(
                [sys.executable, "-m", "mrpn_tf.tune", *self.args], cwd=self.workdir, env=env,
                stdout=out, stderr=subprocess.STDOUT, text=True)

    def kill(self, tuner_id: str) -> None:
        """SIGKILL: the process dies where it stands, as on a lost machine."""
        process = self.processes[tuner_id]
        process.send_signal(signal.SIGKILL)
        process.wait()

    def running(self, tuner_id: str) -> bool:
        return self.processes[tuner_id].poll() is None

    def wait(self, tuner_id: str, timeout: float) -> str:
        """Waits for the process to end; returns its (last) log, asserting it exited with 0."""
        code = self.processes[tuner_id].wait(timeout=timeout)
        output = self.output(tuner_id)
        assert code == 0, f"{tuner_id} exited with {code}:\n{output[-4000:]}"
        return output

    def output(self, tuner_id: str, start: int = -1) -> str:
        """The log of the process's `start`-th start (the last by default)."""
        return self.logs[tuner_id][start].read_text()


def run_one_process(workdir: pathlib.Path, args: list[str], timeout: float) -> tuple[str, float]:
    """The same search in one process; returns its output and wall time in seconds."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "mrpn_tf.tune", *args], cwd=workdir, env=base_env(),
                            capture_output=True, text=True, timeout=timeout)
    seconds = time.perf_counter() - started
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return result.stdout, seconds


def trials_started(*outputs: str) -> list[str]:
    """The trial ids whose run folder a worker started, once per start, over the outputs."""
    return [m.group(1) for output in outputs for m in TRIAL_STARTED.finditer(output)]


def read_json(path: pathlib.Path) -> dict:
    with open(path) as f:
        return json.load(f)


def wait_for(condition, timeout: float, what: str, poll_s: float = 0.2):
    """Polls `condition()` until it returns a true value (returned); fails after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(poll_s)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
