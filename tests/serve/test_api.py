"""The HTTP API under the page: a file's answer is `predict --json`'s object, a file predict
cannot score gets predict's error line, the limits hold, uploads leave nothing behind, and
concurrent requests each get their own answer."""

from __future__ import annotations

import concurrent.futures
import io
import json
import os

import av
import numpy as np
import pytest
from starlette.testclient import TestClient

from mrpn_tf.data import clip_preparation
from mrpn_tf.data.media import decode
from mrpn_tf.data.media.encode import write_media
from mrpn_tf.serve import app as app_lib
from mrpn_tf.serve import limits as limits_lib
from tests.serve import serve_media
from tests.serve.conftest import running_server

AMBER = np.array([250, 190, 60])  # overlay.py's top bar and face box


def _post(client, path: str, name: str, route: str = "/api/predict", **headers):
    with open(path, "rb") as f:
        return client.post(route, params={"name": name}, content=f.read(), headers=headers)


def test_a_file_gets_predict_jsons_object(app, uploads, predicted):
    with TestClient(app) as client:
        for key in ("clip", "photo", "sound"):
            name = f"my {key}{os.path.splitext(uploads[key])[1]}"
            response = _post(client, uploads[key], name)
            assert response.status_code == 200, response.text
            assert response.json() == {**predicted[key], "path": name}
    assert predicted["photo"]["branch"] == "v side head"  # a photo: the face head
    assert predicted["sound"]["branch"] == "a side head"  # a sound: the voice head


def test_a_file_predict_cannot_score_gets_predicts_error_line(app, uploads, predicted):
    line = predicted["truncated"]
    assert set(line) == {"path", "error"}
    with TestClient(app) as client:
        response = _post(client, uploads["truncated"], "cut.flv")
    assert response.status_code == 422
    assert response.json() == {"path": "cut.flv", "error": line["error"].replace(uploads["truncated"], "cut.flv")}


def test_what_is_not_media_too_large_or_too_long_is_refused(app, uploads, tmp_path):
    long_clip = write_media(str(tmp_path / "long.mp4"), np.zeros((60, 64, 64, 3), np.uint8), 5.0)  # 12 s
    oversized = serve_media.write_oversized(uploads["clip"], str(tmp_path), 2**20 + 1)
    with TestClient(app) as client:
        text = _post(client, uploads["text"], "notes.mp4")
        big = _post(client, oversized, "big.flv")
        long = _post(client, long_clip, "long.mp4")
        empty = client.post("/api/predict", params={"name": "empty.mp4"}, content=b"")
    assert text.status_code == 415 and text.json()["error"].startswith("notes.mp4: not a video, audio or image")
    assert big.status_code == 413 and big.json()["error"] == "big.flv: larger than 1 MB, this server's limit"
    assert long.status_code == 413 and long.json()["error"] == (
        "long.mp4: 12.0 s long; this server takes clips of at most 10 s")
    assert empty.status_code == 400 and empty.json() == {"path": "empty.mp4", "error": "empty.mp4: empty file (0 bytes)"}


def test_analyze_gives_the_face_track_predict_crops_and_the_annotated_copy(app, uploads, serve_model):
    config = serve_model.predictor.config
    with TestClient(app) as client:
        plain = _post(client, uploads["clip"], "clip.flv").json()
        body = _post(client, uploads["clip"], "clip.flv", "/api/analyze").json()
        downloaded = client.get(body["downloads"]["json"])
        annotated = client.get(body["downloads"]["annotated"])
        photo = _post(client, uploads["photo"], "face.jpg", "/api/analyze").json()
        picture = client.get(photo["downloads"]["annotated"])
        root = app.state.serve.store.root
        left = [name for _, _, names in os.walk(root) for name in names]
    assert body["result"] == plain and json.loads(downloaded.text) == plain
    assert body["kind"] == "video" and body["duration_s"] == pytest.approx(2.27, abs=0.05)
    # The boxes are prepare's track of the frames predict cropped, as fractions of the frame.
    frames = decode.decode_clip(uploads["clip"], config.video.fps, 16000, config.video.max_frame_side).frames
    detector = clip_preparation.detector_for(config.video)
    boxes, _ = clip_preparation.track_boxes([detector.detect(f) for f in frames], (480, 360), config.video)
    np.testing.assert_allclose(body["faces"]["boxes"], boxes / [480, 360, 480, 360], atol=1e-4)
    assert body["faces"]["fps"] == config.video.fps and all(body["faces"]["detected"])
    # The annotated copy: every frame of the clip, the face box drawn where the track says.
    with av.open(io.BytesIO(annotated.content)) as video:
        pictures = [f.to_ndarray(format="rgb24") for f in video.decode(video=0)]
    assert annotated.headers["content-type"] == "video/mp4" and len(pictures) == 67
    x0, y0, x1, y1 = (np.array(body["faces"]["boxes"][0]) * [480, 360, 480, 360]).round().astype(int)
    edge = pictures[0][(y0 + y1) // 2, x1 - 1 : x1 + 2]
    assert np.abs(edge.astype(int) - AMBER).sum(axis=1).min() < 60
    assert photo["kind"] == "image" and len(photo["faces"]["boxes"]) == 1
    assert picture.headers["content-type"] == "image/png" and picture.content[:4] == b"\x89PNG"
    assert sorted(left) == ["annotated.mp4", "annotated.png", "result.json", "result.json"]  # no upload


def test_results_of_others_are_not_found(app):
    with TestClient(app) as client:
        assert client.get("/api/results/AAAAAAAAAAAAAAAAAAAAAA/result.json").status_code == 404
        assert client.get("/api/results/..%2F..%2Fetc/passwd").status_code == 404


def test_a_busy_server_and_another_site_are_refused(app, uploads):
    with TestClient(app) as client:
        state = app.state.serve
        state.uploads = state.limits.upload_workers + state.limits.max_waiting_uploads
        busy = _post(client, uploads["photo"], "face.jpg")
        state.uploads = 0
        foreign = _post(client, uploads["photo"], "face.jpg", origin="http://elsewhere.example")
        own = _post(client, uploads["photo"], "face.jpg", origin="http://testserver")
    assert busy.status_code == 503 and "busy" in busy.json()["error"]
    assert foreign.status_code == 403 and own.status_code == 200


def test_concurrent_uploads_each_get_their_own_answer(serve_model, uploads):
    import httpx2

    keys = ["clip", "photo", "sound", "clip", "photo"]
    app = app_lib.create_app(serve_model, limits_lib.ServeLimits(upload_workers=2, max_waiting_uploads=3))
    with running_server(app) as url:
        alone = {key: _post(httpx2.Client(base_url=url, timeout=120), uploads[key], key).json() for key in set(keys)}
        with concurrent.futures.ThreadPoolExecutor(len(keys)) as pool:
            answers = list(pool.map(lambda key: _post(httpx2.Client(base_url=url, timeout=120), uploads[key], key),
                                    keys))
    for key, response in zip(keys, answers):
        assert response.status_code == 200 and response.json() == alone[key]


def test_the_page_loads_nothing_from_elsewhere(app):
    with TestClient(app) as client:
        page = client.get("/")
        assert "default-src 'self'" in page.headers["content-security-policy"]
        for asset in ("/static/app.js", "/static/style.css", "/static/pcm_worklet.js"):
            text = client.get(asset).text
            assert "http://" not in text.replace("http://www.w3.org/2000/svg", "") and "https://" not in text
        assert "http" not in page.text.lower().replace('charset="utf-8"', "")
        model = client.get("/api/model").json()
    assert model["labels"] == app.state.serve.model.predictor.labels and model["hop_s"] == 0.5
