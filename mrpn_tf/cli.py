"""What every command line shares: a bad config is one error line and exit status 2, and the
`mrpn-*` commands (pyproject's console scripts) start with the native-log filter on, as
`python -m mrpn_tf.<verb>` does (native_logs.py).

    @cli.config_errors_exit
    def main(argv=None) -> int:
        args = parse_args(argv)
        config = loading.load_config(args.config, args.overrides)   # ConfigError -> exit 2
        ...
"""

from __future__ import annotations

import functools
import importlib
import sys
from typing import Callable

from mrpn_tf import native_logs
from mrpn_tf.config.config import ConfigError

# Exit statuses of the entry points.
EXIT_OK = 0
EXIT_FAILED = 1  # the job ran into bad data, a failed check or a failed file
EXIT_CONFIG = 2  # the run file, an override or an argument is wrong


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
