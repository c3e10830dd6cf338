"""Face-model lookup: config path, environment, cache, checksum-verified download, offline error."""

import dataclasses
import functools
import hashlib
import http.server
import threading

import pytest

from mrpn_tf.data.media import model_store


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    monkeypatch.delenv(model_store.FACE_MODEL_ENV, raising=False)
    monkeypatch.setenv(model_store.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path


@pytest.fixture
def served_file(tmp_path):
    """A loopback HTTP server serving one model file; yields (asset pinned to it, payload)."""
    payload = b"not really a tflite model, but bytes with a known checksum"
    root = tmp_path / "www"
    root.mkdir()
    (root / "model.tflite").write_bytes(payload)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/model.tflite"
    asset = model_store.ModelAsset("blaze.tflite", url, hashlib.sha256(payload).hexdigest(), len(payload))
    yield asset, payload
    server.shutdown()


def test_config_path_wins_and_missing_file_is_named(clean_env, tmp_path):
    model = tmp_path / "m.tflite"
    model.write_bytes(b"x")
    assert model_store.resolve_face_model(str(model)) == str(model)
    with pytest.raises(model_store.ModelUnavailableError, match="nope.tflite.*video.face_model"):
        model_store.resolve_face_model(str(tmp_path / "nope.tflite"))


def test_environment_variable(clean_env, monkeypatch, tmp_path):
    model = tmp_path / "env.tflite"
    model.write_bytes(b"x")
    monkeypatch.setenv(model_store.FACE_MODEL_ENV, str(model))
    assert model_store.resolve_face_model("") == str(model)


def test_download_verifies_checksum_and_caches(clean_env, served_file, monkeypatch):
    asset, payload = served_file
    monkeypatch.setattr(model_store, "BLAZE_FACE_SHORT_RANGE", asset)
    path = model_store.resolve_face_model("")
    assert open(path, "rb").read() == payload
    assert path.startswith(str(model_store.cache_dir()))
    # second call uses the cache: the server may be gone
    monkeypatch.setattr(model_store, "BLAZE_FACE_SHORT_RANGE", dataclasses.replace(asset, url="http://127.0.0.1:9/x"))
    assert model_store.resolve_face_model("") == path


def test_checksum_mismatch_leaves_nothing_behind(clean_env, served_file):
    asset, _ = served_file
    bad = dataclasses.replace(asset, sha256="0" * 64)
    with pytest.raises(model_store.ModelUnavailableError, match="checksum mismatch"):
        model_store.download(bad, model_store.cache_dir())
    assert list(model_store.cache_dir().iterdir()) == []


def test_offline_error_says_how_to_provide_the_model(clean_env, monkeypatch):
    unreachable = dataclasses.replace(model_store.BLAZE_FACE_SHORT_RANGE, url="http://127.0.0.1:9/blaze.tflite")
    monkeypatch.setattr(model_store, "BLAZE_FACE_SHORT_RANGE", unreachable)
    with pytest.raises(model_store.ModelUnavailableError) as info:
        model_store.resolve_face_model("")
    message = str(info.value)
    assert "MRPN_FACE_MODEL" in message and "video.face_model" in message
    assert unreachable.sha256 in message and str(model_store.cache_dir()) in message
