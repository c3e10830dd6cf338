"""A console a newcomer can read: TensorFlow's and MediaPipe's C++ start-up chatter filtered out.

TensorFlow 2.21 and MediaPipe log from C++ through absl before absl is initialized, so their
lines go straight to file descriptor 2 whatever `TF_CPP_MIN_LOG_LEVEL` says
(tensorflow/tensorflow#100442): at import, "oneDNN custom operations are on", the CPU-feature
note, MediaPipe's LiteRT environment lines; during training, "GeneratorDatasetOp::Dataset will
not be optimized" (tf.distribute's multi-device iterator, once per pass) and an E-level
"oneDNN supports DT_BOOL only on platforms with AVX-512", printed on machines that have
AVX-512. None of them is a problem of the run.

`quiet()` puts a filter on descriptor 2 for the entry points (`python -m mrpn_tf.<verb>` and the
`mrpn-*` commands): a pipe whose reader thread passes every line to the real stderr except
those matching `NOISE`. Python's own warnings, tracebacks, our progress and every other
library line pass unchanged. It does nothing when the user has set `TF_CPP_MIN_LOG_LEVEL`
(their choice), when `MRPN_NATIVE_LOGS=all`, or when stderr is not a real descriptor. At exit
the filter is drained before the process ends, so no line is lost in it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import sys
import threading

OPT_OUT = "MRPN_NATIVE_LOGS"
USER_LEVEL = "TF_CPP_MIN_LOG_LEVEL"
NOISE = re.compile(
    rb"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    rb"|[IW]\d{4} [\d:]+\.\d+ +\d+ [\w.]+:\d+\] "  # absl INFO / WARNING lines
    rb"|E\d{4} [\d:]+\.\d+ +\d+ [\w.]+:\d+\] oneDNN supports DT_BOOL only"
    rb"|To enable the following instructions: .*rebuild TensorFlow"
    rb"|INFO: \[[\w.]+:\d+\] "  # LiteRT's environment and accelerator lines (MediaPipe)
    rb"|INFO: Created TensorFlow Lite XNNPACK delegate for CPU\."
    rb")"
)

_state: dict = {}


def is_noise(line: bytes) -> bool:
    """Whether a line of stderr is start-up chatter `quiet` drops (module docstring)."""
    return NOISE.match(line) is not None


def _pump(read_fd: int, write_fd: int) -> None:
    with os.fdopen(read_fd, "rb", buffering=0) as source:
        pending = b""
        while True:
            chunk = source.read(65536)
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            kept = [line + b"\n" for line in lines if not is_noise(line)]
            if kept:
                os.write(write_fd, b"".join(kept))
        if pending and not is_noise(pending):
            os.write(write_fd, pending)


def quiet(environ: dict | None = None) -> bool:
    """Installs the filter on descriptor 2 (module docstring). Call before TensorFlow loads.

    Returns:
      Whether the filter is on.
    """
    environ = os.environ if environ is None else environ
    if _state or USER_LEVEL in environ or environ.get(OPT_OUT, "") == "all":
        return bool(_state)
    try:
        sys.stderr.flush()
        real = os.dup(2)
    except (OSError, AttributeError, ValueError):
        return False
    read_fd, write_fd = os.pipe()
    os.dup2(write_fd, 2)
    os.close(write_fd)
    thread = threading.Thread(target=_pump, args=(read_fd, real), name="native-log-filter",
                              daemon=True)
    thread.start()
    _state.update(real=real, thread=thread)
    atexit.register(_drain)
    return True


def _drain() -> None:
    """Puts the real stderr back and lets the reader pass what is left in the pipe."""
    with contextlib.suppress(OSError, ValueError):  # stderr may be closed at exit already
        sys.stderr.flush()
    os.dup2(_state["real"], 2)  # closes the pipe's last write end held by this process
    _state["thread"].join(timeout=5.0)
