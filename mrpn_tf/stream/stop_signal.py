"""SIGTERM stops a stream run as Ctrl-C does.

`docker stop`, systemd and Kubernetes stop a process with SIGTERM, whose default action ends
it at once: a run writing `--annotate` then leaves only its temporary file, which no player
opens. Ctrl-C (SIGINT) raises KeyboardInterrupt instead, which the session takes as the end
of the stream: the tail is scored, the annotated file finished and renamed into place, the
report printed, and the exit status is the run's own. `sigterm_interrupts` gives SIGTERM the
same meaning while the stream is read. Once the session is finishing (the signal came, or the
stream ended), a SIGTERM is ignored, so that a second one from an impatient supervisor does not
break the file being finished; SIGKILL remains for that.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Callable, Iterator


@contextlib.contextmanager
def sigterm_interrupts(active: Callable[[], bool]) -> Iterator[None]:
    """Within the block, SIGTERM raises KeyboardInterrupt while `active()` is true.

    Args:
      active: whether a SIGTERM now stops the run (False: it is ignored).

    The previous handler is restored when the block ends. Signal handlers belong to the main
    thread: elsewhere (a web app's worker) the block changes nothing, and SIGTERM is the
    application's to handle.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame) -> None:
        if active():
            raise KeyboardInterrupt(f"stopped by signal {signal.Signals(signum).name}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        # None: a handler set outside Python, which cannot be put back; the default is closest.
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
