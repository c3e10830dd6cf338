"""The web app's fixtures: the session's tiny exported N2 behind the app, the files users send
(serve_media.py), predict's own answers on them, and a real server on a free port."""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import threading
import time

import pytest

pytest.importorskip("starlette", reason="the web app's tests need the serve extra (requirements-serve.txt)")
pytest.importorskip("uvicorn", reason="the web app's tests need the serve extra (requirements-serve.txt)")

import uvicorn  # noqa: E402

from mrpn_tf import predict as predict_cli  # noqa: E402
from mrpn_tf.serve import app as app_lib  # noqa: E402
from mrpn_tf.serve import limits as limits_lib  # noqa: E402
from mrpn_tf.serve import shared_model  # noqa: E402
from tests.export import media_files  # noqa: E402
from tests.serve import serve_media  # noqa: E402

# Live answers every 0.5 s of the tiny model's 2-s window: more answers in a short test.
HOP_S = 0.5


@pytest.fixture(scope="session")
def serve_model(exported, face_model_path) -> shared_model.SharedModel:
    """The tiny SavedModel, loaded and warmed up as the server loads it."""
    return shared_model.load(exported["savedmodel"], face_model_path, hop_s=HOP_S)


@pytest.fixture(scope="session")
def uploads(shared_dir, tmp_path_factory) -> dict[str, str]:
    """The files of serve_media.write_uploads."""
    sound_dir = os.path.join(str(shared_dir), "data", "cremad", "AudioMP3")
    sound = os.path.join(sound_dir, sorted(os.listdir(sound_dir))[0])
    return serve_media.write_uploads(media_files.cremad_clips(shared_dir)[0], sound,
                                     str(tmp_path_factory.mktemp("uploads")))


def predict_json(paths: list[str], model_path: str, face_model: str) -> dict[str, dict]:
    """`python -m mrpn_tf.predict PATHS --model M --json`'s lines, by path."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        predict_cli.main([*paths, "--model", model_path, "--json", "--face-model", face_model])
    return {line["path"]: line for line in map(json.loads, out.getvalue().splitlines())}


@pytest.fixture(scope="session")
def predicted(uploads, exported, face_model_path) -> dict[str, dict]:
    """predict --json on the clip, the photo, the sound and the truncated clip, by upload key:
    the answers the app must give (one predict run for all the tests)."""
    keys = ("clip", "photo", "sound", "truncated")
    lines = predict_json([uploads[k] for k in keys], exported["savedmodel"], face_model_path)
    return {key: lines[uploads[key]] for key in keys}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_server(app):
    """uvicorn serving `app` on 127.0.0.1 in a thread, as `python -m mrpn_tf.serve` runs it;
    yields its URL."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, ws="websockets-sansio",
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def app(serve_model):
    """The app with the default limits but a small upload limit (oversized files are cheap)
    and a short duration limit; one per test, as its temp folder goes at its shutdown."""
    return app_lib.create_app(serve_model, limits_lib.ServeLimits(max_upload_bytes=2**20, max_duration_s=10.0))

