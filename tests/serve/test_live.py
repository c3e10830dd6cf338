"""The live WebSocket: a client's pictures and sound go through stream's own StreamSession, so
its answers are `stream`'s on the same clip; a server that falls behind drops and says so;
what breaks the protocol or the limits is refused with a message."""

from __future__ import annotations

import dataclasses
import time

import av
import numpy as np
import pytest
from starlette.testclient import TestClient

from mrpn_tf.inference import predictor as predictor_lib
from mrpn_tf.serve import app as app_lib
from mrpn_tf.serve import limits as limits_lib
from mrpn_tf.serve import live_client
from mrpn_tf.serve import live_protocol as protocol
from mrpn_tf.serve import shared_model
from mrpn_tf.stream import session as session_lib
from mrpn_tf.stream import source as source_lib
from tests.export import media_files
from tests.serve import serve_media
from tests.stream import stream_media


@pytest.fixture(scope="module")
def clip(shared_dir, tmp_path_factory) -> str:
    """4 s: the real face and voice for 2 s, then black frames while the voice goes on."""
    folder = str(tmp_path_factory.mktemp("live_clips"))
    return stream_media.write_clips(media_files.cremad_clips(shared_dir)[0], folder)["face_then_black"]


def client_messages(path: str) -> tuple[protocol.Start, list[bytes]]:
    """The clip as a client sends it: each picture as a JPEG, the sound as mono PCM16 at its
    own rate, each with its time since its stream's first frame, in the file's order."""
    messages, first = [], {}
    with av.open(path) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        mono = av.AudioResampler(format="s16", layout="mono", rate=audio.rate)
        for frame in container.decode(video, audio):
            kind = protocol.VIDEO if isinstance(frame, av.VideoFrame) else protocol.AUDIO
            t = frame.time - first.setdefault(kind, frame.time)
            if kind == protocol.VIDEO:
                payload = serve_media.jpeg(frame.to_ndarray(format="rgb24"))
            else:
                payload = b"".join(f.to_ndarray().tobytes() for f in mono.resample(frame))
            if payload:
                messages.append(protocol.pack(kind, t, payload))
        start = protocol.Start(float(video.average_rate), audio.rate)
    return start, messages


def stream_answers(model: shared_model.SharedModel, path: str) -> list:
    """`python -m mrpn_tf.stream PATH` with the server's hop: its HopResults."""
    hops = []
    session_lib.StreamSession(model.predictor, source_lib.FileSource(path), model.live_spec, hops.append).run()
    return hops


def live_answers(app, start: protocol.Start, messages: list[bytes]) -> list[dict]:
    """The server's messages to a client that sends `messages`, then stop."""
    with TestClient(app) as client, client.websocket_connect("/api/live") as ws:
        ws.send_json({"type": "start", "video": {"fps": start.video_fps}, "audio": {"sample_rate": start.sample_rate}})
        assert ws.receive_json()["type"] == "ready"
        for message in messages:
            ws.send_bytes(message)
        ws.send_json({"type": "stop"})
        answers = []
        while not answers or answers[-1]["type"] not in ("report", "error"):
            answers.append(ws.receive_json())
    return answers


def test_live_answers_are_streams_on_the_same_clip(serve_model, clip):
    # Nothing is dropped here (the lag allowed is long), so every window is stream's window.
    app = app_lib.create_app(serve_model, limits_lib.ServeLimits(max_lag_s=120.0))
    answers = live_answers(app, *client_messages(clip))
    hops = [a for a in answers if a["type"] == "hop"]
    reference = stream_answers(serve_model, clip)
    assert [h["t"] for h in hops] == [r.t for r in reference] == [2.0, 2.5, 3.0, 3.5, 4.0]
    assert [h["label"] for h in hops] == [r.label for r in reference]
    assert [(h["face"], h["branch"]) for h in hops] == [(r.face, r.branch) for r in reference]
    assert hops[-1]["branch"] == "a side head"  # the face has left: the voice head answers
    for hop, ref in zip(hops, reference):  # the pictures went through JPEG on the way
        np.testing.assert_allclose(list(hop["probabilities"].values()), list(ref.probabilities.values()), atol=0.02)
    report = answers[-1]
    assert report["type"] == "report" and report["hops"] == 5 and report["dropped_s"] == 0
    assert report["realtime"] and set(report["latency_ms"]) == {"p50", "p95", "max"}


class _SlowBackend:
    """A model that needs `delay_s` per call: a machine that cannot keep up."""

    def __init__(self, backend, delay_s: float):
        self.backend, self.metadata, self.delay_s = backend, backend.metadata, delay_s

    def signatures(self):
        return self.backend.signatures()

    def window_probabilities(self, signature, windows):
        time.sleep(self.delay_s)
        return self.backend.window_probabilities(signature, windows)


def test_a_server_that_falls_behind_drops_frames_and_says_so(serve_model, clip):
    slow = dataclasses.replace(serve_model, predictor=predictor_lib.Predictor(
        _SlowBackend(serve_model.predictor.backend, 1.5), serve_model.predictor.config.video.face_model))
    start, messages = client_messages(clip)
    sent = []
    client = live_client.LiveClient(slow, start, sent.append, max_lag_s=1.0)
    for message in messages:  # the whole clip at once: 4 s of stream waiting for a 1.5-s model
        client.push(protocol.parse(message))
    client.stop()
    client.run()
    kinds = [m["type"] for m in sent[:-1]]
    assert sent[-1] is None and kinds[-1] == "report"
    dropped = [m for m in sent[:-1] if m["type"] == "dropped"]
    assert dropped and dropped[0]["seconds"] > 0 and "behind the stream" in dropped[0]["reason"]
    assert sent[-2]["dropped_s"] == pytest.approx(sum(d["seconds"] for d in dropped), abs=1e-3)
    assert kinds.count("hop") < 5  # fewer answers than the 5 of a machine that keeps up
    for hop in (m for m in sent[:-1] if m["type"] == "hop"):  # and none of them late
        assert hop["latency_ms"] < 1000 * (1.0 + 1.5 + 1.0)


def test_what_breaks_the_protocol_or_the_limits_is_refused(serve_model):
    app = app_lib.create_app(serve_model, limits_lib.ServeLimits(max_live_clients=1))
    with TestClient(app) as client:
        with client.websocket_connect("/api/live") as ws:
            ws.send_json({"type": "start"})
            assert ws.receive_json() == {"type": "error", "error": "the start message names no stream (video, audio)"}
        with client.websocket_connect("/api/live") as first:
            first.send_json({"type": "start", "audio": {"sample_rate": 16000}})
            assert first.receive_json()["type"] == "ready"
            with client.websocket_connect("/api/live") as second:
                assert "1 live streams already" in second.receive_json()["error"]
            first.send_bytes(b"\x07" + bytes(12))
            assert first.receive_json()["error"].startswith("message kind 7")
            assert first.receive_json()["type"] == "report"  # then the server closes the stream
        with client.websocket_connect("/api/live") as again:  # and its place is free again
            again.send_json({"type": "start", "audio": {"sample_rate": 16000}})
            assert again.receive_json()["type"] == "ready"
        with client.websocket_connect("/api/live", headers={"origin": "http://elsewhere.example"}) as ws:
            assert ws.receive_json() == {"type": "error", "error": "a stream from another site"}
