"""SIGTERM (docker stop, systemd) stops a stream run as Ctrl-C does: the annotated file is
finished and playable, the exit status is the run's own."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import av
import pytest

from mrpn_tf.stream import stop_signal
from tests.stream import stream_media

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_sigterm_raises_keyboard_interrupt_while_active_and_the_handler_is_restored():
    before = signal.getsignal(signal.SIGTERM)
    active = [True]
    with stop_signal.sigterm_interrupts(lambda: active[0]):
        with pytest.raises(KeyboardInterrupt, match="SIGTERM"):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler runs at the next bytecode; the sleep is cut short
        active[0] = False
        os.kill(os.getpid(), signal.SIGTERM)  # finishing: ignored
        time.sleep(0.01)
    assert signal.getsignal(signal.SIGTERM) is before


def test_off_the_main_thread_the_handler_is_left_alone():
    seen = []

    def worker():
        with stop_signal.sigterm_interrupts(lambda: True):
            seen.append(signal.getsignal(signal.SIGTERM))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen == [signal.getsignal(signal.SIGTERM)]


# SIGTERM (docker stop, systemd) in the default run; Ctrl-C, the behaviour it matches, in the
# slow run (each case is a subprocess that loads TensorFlow and the model: ~10 s).
@pytest.mark.parametrize("stop", [signal.SIGTERM, pytest.param(signal.SIGINT, marks=pytest.mark.slow)],
                         ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_during_annotate_finishes_the_file(stop, exported, face_model_path, tmp_path):
    # A 12-s clip read at its recorded pace: the run is stopped once its first answer is out.
    # SIGINT is Ctrl-C, what SIGTERM must match.
    clip = stream_media.write_pattern(str(tmp_path / "long.mp4"), 12.0)
    out = str(tmp_path / "annotated.mp4")
    env = {**os.environ, "PYTHONPATH": REPO, "TF_CPP_MIN_LOG_LEVEL": "2"}
    with open(tmp_path / "stderr.txt", "w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "mrpn_tf.stream", clip, "--model", exported["savedmodel"], "--realtime",
             "--json", "--annotate", out, "--face-model", face_model_path],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True,
            # As a terminal starts it: a shell's background job (a CI runner's) ignores SIGINT.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        try:
            first = process.stdout.readline()  # the first answer: the stream is being read
            assert first, open(tmp_path / "stderr.txt").read()
            process.send_signal(stop)
            rest, _ = process.communicate(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
    err = open(tmp_path / "stderr.txt").read()
    assert process.returncode == 0, err
    assert "Traceback" not in err and "hop(s) of 2 s" in err  # the report
    hops = [json.loads(line) for line in [first] + rest.splitlines()]
    assert hops[0]["t"] == 2.0 and hops[-1]["t"] < 11.0  # stopped early (its tail scored, if any)
    with av.open(out) as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == pytest.approx(hops[-1]["t"] * stream_media.FPS, abs=3)  # every frame read
    assert sorted(os.listdir(tmp_path)) == ["annotated.mp4", "long.mp4", "stderr.txt"]  # no temp file
