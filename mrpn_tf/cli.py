"""What every command line shares: a bad config is one error line and exit status 2, the
`mrpn-*` commands (pyproject's console scripts) start with the native-log filter on, as
`python -m mrpn_tf.<verb>` does (native_logs.py), and a job that must stop cleanly on SIGTERM
(a scheduler's or `kill`'s stop) takes it as Ctrl-C (`sigterm_as_interrupt`).

    @cli.config_errors_exit
    def main(argv=None) -> int:
        args = parse_args(argv)
        config = loading.load_config(args.config, args.overrides)   # ConfigError -> exit 2
        ...
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import signal
import sys
import threading
from typing import Callable, Iterator

from mrpn_tf import native_logs
from mrpn_tf.config.config import ConfigError

# Exit statuses of the entry points.
EXIT_OK = 0
EXIT_FAILED = 1  # the job ran into bad data, a failed check or a failed file
EXIT_CONFIG = 2  # the run file, an override or an argument is wrong
# 128 + the signal's number, as shells report a job a signal stopped; a job that handles the
# signal returns these after stopping cleanly.
EXIT_INTERRUPTED = 128 + signal.SIGINT  # 130: Ctrl-C
EXIT_TERMINATED = 128 + signal.SIGTERM  # 143: SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C's KeyboardInterrupt (`sigterm_as_interrupt`)."""


def _raise_terminated(signum, frame) -> None:
    raise Terminated()


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block SIGTERM raises `Terminated`, a KeyboardInterrupt, in the main thread.

    Without it SIGTERM ends the process where it stands; with it the job unwinds as after
    Ctrl-C (`finally` blocks run, temp files are removed). The former handler is restored at
    the end. Outside the main thread, where Python sets no handlers, it does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def interrupt_exit(interrupt: KeyboardInterrupt) -> tuple[str, int]:
    """(what stopped the job, exit status): ("SIGTERM", 143) or ("Ctrl-C", 130)."""
    if isinstance(interrupt, Terminated):
        return "SIGTERM", EXIT_TERMINATED
    return "Ctrl-C", EXIT_INTERRUPTED


def config_errors_exit(main: Callable[..., int]) -> Callable[..., int]:
    """Wraps an entry point's `main`: a `ConfigError` prints `error: ...` and returns 2."""
    @functools.wraps(main)
    def wrapped(*args, **kwargs) -> int:
        try:
            return main(*args, **kwargs)
        except ConfigError as e:
            print(f"error: {e}", file=sys.stderr)
            return EXIT_CONFIG

    return wrapped


def _command(module: str) -> Callable[[], int]:
    """A console script: the native-log filter, then `module.main()` (imported after it)."""
    def run() -> int:
        native_logs.quiet()
        return importlib.import_module(module).main()

    run.__name__ = module.rsplit(".", 1)[-1]
    return run


prepare = _command("mrpn_tf.prepare")
train = _command("mrpn_tf.train")
evaluate = _command("mrpn_tf.evaluate")
crossval = _command("mrpn_tf.crossval")
pretrain = _command("mrpn_tf.pretrain")
tune = _command("mrpn_tf.tune")
export = _command("mrpn_tf.export.__main__")
predict = _command("mrpn_tf.predict")
stream = _command("mrpn_tf.stream.__main__")
serve = _command("mrpn_tf.serve.__main__")
