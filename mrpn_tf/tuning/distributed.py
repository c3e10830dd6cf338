"""A search spread over processes: KerasTuner's chief oracle and the workers that ask it for trials.

The same `python -m mrpn_tf.tune` command runs in every process; three variables give each
its part (KerasTuner's own distributed mode, `keras_tuner/src/distribute/`):

    KERASTUNER_ORACLE_IP, KERASTUNER_ORACLE_PORT    where the chief serves the oracle (gRPC)
    KERASTUNER_TUNER_ID=chief      serves the oracle, trains nothing, and at the end writes
                                   results.md and best.yaml: the only process that does
    KERASTUNER_TUNER_ID=tuner0, tuner1, ...   a worker: asks the chief for a trial, trains
                                   it in trial_<id>/ (the only process that writes there),
                                   reports its objective, and asks again until the oracle stops

Without them one process is oracle and worker at once, as KerasTuner's id "tuner0".

What the oracle does with a trial whose worker dies: nothing. It stays RUNNING, assigned to
the dead worker's id; the other workers go on with new trials, and the chief does not end the
search while it is open. A worker restarted with the same id is handed the same trial again
(`Oracle.create_trial` returns a worker's open trial), which resumes from the trainer's
backup at its last finished epoch. A chief restarted on the folder reloads the oracle and
keeps those assignments too (`reopen_trials`): KerasTuner's own reload would queue every
open trial for whichever worker asks first, and run a trial that a live worker is still
training a second time.
"""

from __future__ import annotations

import datetime
import os
import socket
from typing import Mapping

import keras_tuner
import tensorflow as tf

TUNER_ID = "KERASTUNER_TUNER_ID"
ORACLE_IP = "KERASTUNER_ORACLE_IP"
ORACLE_PORT = "KERASTUNER_ORACLE_PORT"
VARIABLES = (TUNER_ID, ORACLE_IP, ORACLE_PORT)
ONE_PROCESS, CHIEF, WORKER = "one process", "chief", "worker"
RUNNING = "RUNNING"  # KerasTuner's status of a trial a worker has and has not ended
# KerasTuner's tuner id when the variables are not set.
ONE_PROCESS_ID = "tuner0"


class DistributedSetupError(ValueError):
    """The KERASTUNER_* variables describe no search that can run; the message says why."""


def check_environment() -> None:
    """All three variables or none (KerasTuner would run a lone worker id as one process).

    Raises:
      DistributedSetupError: some are set, others are not.
    """
    missing = [name for name in VARIABLES if not os.environ.get(name)]
    if 0 < len(missing) < len(VARIABLES):
        raise DistributedSetupError(
            f"a distributed search needs {', '.join(VARIABLES)}; {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not set")


def check_chief_address() -> None:
    """The chief can listen at KERASTUNER_ORACLE_IP:KERASTUNER_ORACLE_PORT.

    Checked up front, so that a port in use is one line naming it rather than gRPC's
    "Failed to bind" after TensorFlow has started.

    Raises:
      DistributedSetupError: the port is not a number, or the address cannot be bound.
    """
    ip, port = os.environ[ORACLE_IP], os.environ[ORACLE_PORT]
    if not port.isdigit():
        raise DistributedSetupError(f"{ORACLE_PORT}={port!r} is not a port number")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(ip, int(port), type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            # As gRPC binds: a chief restarted on its port may bind beside closing connections.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as e:
        raise DistributedSetupError(f"the chief cannot listen on {ip}:{port} ({e.strerror or e}); "
                                    f"is another chief running there? choose another {ORACLE_PORT}") from e


def role() -> str:
    """ONE_PROCESS, CHIEF or WORKER, as KerasTuner decides it (an id containing "chief")."""
    if not os.environ.get(ORACLE_IP):
        return ONE_PROCESS
    return CHIEF if "chief" in os.environ.get(TUNER_ID, "") else WORKER


def tuner_id() -> str:
    """This process's tuner id: KERASTUNER_TUNER_ID, or "tuner0" in one process."""
    return os.environ.get(TUNER_ID) or ONE_PROCESS_ID


def hide_gpus() -> None:
    """Keeps the chief off the GPUs (call before TensorFlow starts its devices).

    The chief only serves the oracle; started beside a worker on a GPU machine, its
    TensorFlow would otherwise reserve the memory of every GPU the worker trains on.
    """
    tf.config.set_visible_devices([], "GPU")


def reopen_trials(oracle: keras_tuner.Oracle, open_trials: Mapping[str, str], keep_assigned: bool) -> None:
    """After `Oracle.reload`, settles the trials the saved oracle had open.

    `Oracle.reload` queues every trial of the saved `ongoing_trials` for a retry, which the
    next worker to ask is given. Two of those are wrong:

      * a trial that had ended: the oracle saves before it lets go of a trial, and a chief
        saves nothing more until that worker asks again, so the saved state of a chief
        lists each worker's last trial as open. It must not run again.
      * on a chief (`keep_assigned`), a trial still running: the worker that has it may
        still be training it, and a second worker would run it again in the same folder. It
        goes back to its own worker id only (module docstring).

    In one process a running trial is queued as KerasTuner does (no one else can have it).

    Args:
      oracle: the oracle, just reloaded.
      open_trials: tuner id -> trial id, the `ongoing_trials` of the saved oracle.json.
      keep_assigned: True on a chief.
    """
    queue = oracle._retry_queue  # pylint: disable=protected-access
    for worker, trial_id in open_trials.items():
        queue.remove(trial_id)  # the reload's own entry
        if oracle.trials[trial_id].status != RUNNING:
            continue  # ended, or queued for a retry by the oracle itself
        if keep_assigned:
            oracle.ongoing_trials[worker] = oracle.trials[trial_id]
            # The chief stops once every worker it knows of has been told to stop: a worker
            # still training when the chief restarted must be one of them.
            oracle.tuner_ids.add(worker)
            _show_as_started(oracle, trial_id)
        else:
            queue.append(trial_id)


def _show_as_started(oracle: keras_tuner.Oracle, trial_id: str) -> None:
    """Gives KerasTuner's progress display the start of a trial it will see end.

    The oracle saves its state before the display notes a new trial's start, so a chief
    restarted after its last save has no start for that trial, and its `end_trial` raised
    KeyError when the display printed the trial's time: the worker died of it.
    """
    display = oracle._display  # pylint: disable=protected-access
    now = datetime.datetime.now()
    display.search_start = display.search_start or now
    display.trial_start.setdefault(trial_id, now)
    display.trial_number.setdefault(trial_id, oracle.start_order.index(trial_id) + 1)
