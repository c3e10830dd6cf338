"""What every command line shares: a bad config is one error line and exit status 2.

    @cli.config_errors_exit
    def main(argv=None) -> int:
        args = parse_args(argv)
        config = loading.load_config(args.config, args.overrides)   # ConfigError -> exit 2
        ...
"""

from __future__ import annotations

import functools
import sys
from typing import Callable

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
