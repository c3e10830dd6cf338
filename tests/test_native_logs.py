"""native_logs: the C++ start-up chatter is dropped from an entry point's stderr, nothing else."""

from __future__ import annotations

import os
import subprocess
import sys

from mrpn_tf import native_logs

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Lines TensorFlow 2.21 / MediaPipe print on this project's runs.
CHATTER = [
    b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    b"I0000 00:00:1796561892.845703   15769 port.cc:153] oneDNN custom operations are on.",
    b"W0000 00:00:1796559565.580913   20673 dataset.cc:997] Input of GeneratorDatasetOp::Dataset "
    b"will not be optimized because the dataset does not implement the AsGraphDefInternal() method",
    b"E0000 00:00:1796559673.909336   25865 util.cc:131] oneDNN supports DT_BOOL only on platforms "
    b"with AVX-512. Falling back to the default Eigen-based implementation if present.",
    b"To enable the following instructions: AVX2 AVX512F FMA, in other operations, rebuild "
    b"TensorFlow with the appropriate compiler flags.",
    b"INFO: [environment.cc:36] Creating LiteRT environment with options",
]
KEPT = [
    b"error: face model x.tflite does not exist",
    b"E0000 00:00:1796559673.909336   25865 op_kernel.cc:1857] OP_REQUIRES failed: out of memory",
    b"Traceback (most recent call last):",
    b"UserWarning: something the user should see",
    b"135/135 - 26s - 194ms/step - accuracy: 0.3102",
]


def test_chatter_is_noise_and_real_messages_are_not():
    assert all(native_logs.is_noise(line) for line in CHATTER)
    assert not any(native_logs.is_noise(line) for line in KEPT)


def _run_as_entry_point(environ_extra: dict) -> bytes:
    """A child that imports the package as `python -m mrpn_tf.<verb>` does, writes every line to
    descriptor 2, then dies of an exception: its stderr as the terminal would get it."""
    code = ("import os, sys; sys.argv = ['-m']; import mrpn_tf; "
            f"[os.write(2, line + b'\\n') for line in {CHATTER + KEPT!r}]; "
            "raise SystemExit('fatal: the last line, written at exit')")
    env = {k: v for k, v in os.environ.items() if k not in (native_logs.USER_LEVEL, native_logs.OPT_OUT)}
    env.update(environ_extra, PYTHONPATH=REPO)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          timeout=60).stderr


def test_an_entry_point_shows_every_real_line_and_none_of_the_chatter():
    err = _run_as_entry_point({})
    assert not any(line in err for line in CHATTER)
    for line in KEPT:
        assert line in err
    assert err.rstrip().endswith(b"fatal: the last line, written at exit")  # drained at exit


def test_the_users_own_log_level_turns_the_filter_off():
    err = _run_as_entry_point({native_logs.USER_LEVEL: "0"})
    assert all(line in err for line in CHATTER + KEPT)
