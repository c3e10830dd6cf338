"""`python -m mrpn_tf.serve`: binds to this machine only unless told, refuses a model it cannot
load with one error line, and serves a shipped model from the command line (slow: a process of
its own loads TensorFlow and the model)."""

from __future__ import annotations

import glob
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import pytest

from mrpn_tf.inference import predictor as predictor_lib
from mrpn_tf.serve import __main__ as serve_cli
from tests.conftest import REPO
from tests.serve.conftest import _free_port

REAL_PEOPLE = REPO / "released" / "real_people" / "1"


def test_it_listens_on_this_machine_only_by_default():
    args = serve_cli.parse_args(["--model", "m"])
    assert (args.host, args.port) == ("127.0.0.1", 8000)
    limits = serve_cli.limits_of(serve_cli.parse_args(["--model", "m", "--max-upload-mb", "2", "--max-live", "3"]))
    assert limits.max_upload_bytes == 2 * 2**20 and limits.max_live_clients == 3


def test_a_model_it_cannot_load_is_one_error_line_and_exit_2(tmp_path, capsys):
    assert serve_cli.main(["--model", str(tmp_path / "missing")]) == 2
    assert capsys.readouterr().err.startswith(f"error: {tmp_path / 'missing'}: not a SavedModel folder")


@pytest.mark.slow
def test_the_command_serves_the_shipped_real_people_model(uploads, face_model_path):
    import httpx2

    port = _free_port()
    before = set(glob.glob(os.path.join(tempfile.gettempdir(), "mrpn_serve_*")))
    process = subprocess.Popen(
        [sys.executable, "-m", "mrpn_tf.serve", "--model", str(REAL_PEOPLE), "--port", str(port),
         "--face-model", face_model_path],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        line = ""
        deadline = time.monotonic() + 300
        while not line.startswith("serving") and time.monotonic() < deadline:
            line = process.stdout.readline()
            assert line or process.poll() is None, "the server exited"
        assert line.strip() == f"serving {REAL_PEOPLE} on http://127.0.0.1:{port}"
        with httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            assert client.get("/api/model").json()["model"] == "real_people/1"
            with open(uploads["clip"], "rb") as f:
                answer = client.post("/api/predict", params={"name": "clip.flv"}, content=f.read()).json()
            assert "<title>MRPN emotion</title>" in client.get("/").text
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    expected = predictor_lib.Predictor.load(str(REAL_PEOPLE), face_model_path).predict_file(uploads["clip"])
    assert json.dumps(answer) == json.dumps({**expected.as_json(), "path": "clip.flv"})
    assert set(glob.glob(os.path.join(tempfile.gettempdir(), "mrpn_serve_*"))) == before  # nothing left
