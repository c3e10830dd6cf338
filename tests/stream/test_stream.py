"""`python -m mrpn_tf.stream` on files fed as live sources, and on devices (lavfi stands in for
a camera and a microphone: no machine of ours has either).

The tiny exported N2 (fps 8, 2-s windows, hop 2 s) and clips of a real CREMA-D face:
`one_window` (2.0 s) and `face_then_black` (2 s of the face, then 2 s of black frames while
the voice goes on).
"""

from __future__ import annotations

import json
import time

import av
import numpy as np
import pytest

from mrpn_tf.data.media import decode
from mrpn_tf.inference import clip_loader
from mrpn_tf.inference import predictor as predictor_lib
from mrpn_tf.inference import signature_keys as keys
from mrpn_tf.stream import __main__ as stream_cli
from mrpn_tf.stream import session as session_lib
from mrpn_tf.stream import source as source_lib
from tests.stream import stream_media

HOP_KEYS = {"t", "start", "label", "probabilities", "face", "face_ratio", "branch", "fallback",
            "note", "error", "latency_ms", "score_ms"}


def _run(predictor, source, hop_s=None, **kwargs):
    hops = []
    session = session_lib.StreamSession(
        predictor, source, session_lib.stream_spec(predictor, hop_s), hops.append, **kwargs
    )
    return hops, session.run()


def _cli(argv, capsys):
    status = stream_cli.main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def test_json_lines_one_per_hop(exported, clips, face_model_path, tiny_run, capsys):
    status, out, err = _cli([clips["face_then_black"], "--model", exported["savedmodel"], "--json",
                             "--hop", "0.5", "--face-model", face_model_path], capsys)
    assert status == 0, err
    hops = [json.loads(line) for line in out.splitlines()]
    assert [h["t"] for h in hops] == [2.0, 2.5, 3.0, 3.5, 4.0]  # first full window, then every hop
    for hop in hops:
        assert set(hop) == HOP_KEYS
        assert list(hop["probabilities"]) == tiny_run.labels
        assert sum(hop["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
        assert hop["label"] == max(hop["probabilities"], key=hop["probabilities"].get)
        assert hop["start"] == pytest.approx(hop["t"] - 2.0) and hop["latency_ms"] > 0
    assert [h["face"] for h in hops] == [True] * 4 + [False]
    assert [h["face_ratio"] for h in hops] == [1.0, 0.75, 0.5, 0.25, 0.0]
    assert "5 hop(s) of 0.5 s" in err and "read at full speed" in err and "real-time factor" in err


@pytest.mark.parametrize("clip", ["one_window", "short"])
def test_a_window_scores_as_predict_scores_that_window(exported, clips, face_model_path, clip):
    # `one_window` is exactly one window, `short` shorter (one padded window, given at the
    # stream's end): predict scores the same frames and samples. With box smoothing off, the
    # live track and prepare's clip track give the same boxes (the face is found in every
    # frame), so the crops and the scores are the same, for either backend.
    for path in (exported["savedmodel"], exported["tflite_fp32"]):
        predictor = predictor_lib.Predictor.load(path, face_model_path, num_threads=1)
        predictor.config.video.box_smoothing = 1.0
        hops, _ = _run(predictor, source_lib.FileSource(clips[clip]))
        reference = predictor.predict_file(clips[clip])
        assert len(hops) == 1 and len(reference.windows) == 1
        assert hops[0].label == reference.label and hops[0].branch == reference.branch
        np.testing.assert_allclose(
            list(hops[0].probabilities.values()), list(reference.probabilities.values()), atol=1e-6
        )
    assert hops[0].t == pytest.approx(2.0 if clip == "one_window" else 1.7, abs=0.05)  # the stream's end


def test_the_tail_is_scored_by_a_last_window_ending_at_the_streams_end(exported, clips, face_model_path, predictor):
    # The real CREMA-D clip: 2.25 s at 8 fps (2.27 s of audio). The hop gives the window
    # 0-2 s; the last 0.25 s are scored by a window moved back to end at the stream's end:
    # predict's two windows, with predict's numbers (box smoothing off, as above).
    exact = predictor_lib.Predictor.load(exported["savedmodel"], face_model_path, num_threads=1)
    exact.config.video.box_smoothing = 1.0
    hops, report = _run(exact, source_lib.FileSource(clips["flv"]))
    reference = exact.predict_file(clips["flv"])
    np.testing.assert_allclose([(h.start, h.t) for h in hops], [(0.0, 2.0), (0.25, 2.25)], atol=1e-9)
    np.testing.assert_allclose([(w.start_s, w.end_s) for w in reference.windows], [(0.0, 2.0), (0.25, 2.25)],
                               atol=1e-9)
    for hop, window in zip(hops, reference.windows):
        np.testing.assert_allclose(list(hop.probabilities.values()), list(window.probabilities.values()), atol=1e-6)
    assert report.hops == 2
    # A stop (here --duration) ends the stream where it is: its tail is scored the same way.
    hops, _ = _run(predictor, source_lib.FileSource(clips["face_then_black"]), max_seconds=3.0)
    assert [h.t for h in hops] == pytest.approx([2.0, 3.0], abs=0.07)
    assert hops[-1].start == pytest.approx(hops[-1].t - 2.0)


def test_without_a_face_the_audio_side_head_answers_and_says_so(predictor, clips):
    hops, report = _run(predictor, source_lib.FileSource(clips["face_then_black"]))
    assert [h.t for h in hops] == [2.0, 4.0]
    assert hops[0].face and not hops[0].fallback and hops[0].branch == predictor_lib.CENTRAL
    assert not hops[1].face and hops[1].fallback and hops[1].branch == "a side head"
    assert hops[1].note == "no face detected in any frame: scored by the a side head (N2)"
    assert report.fallbacks == 1 and report.unscored == 0
    # The fallback scored the window's own samples: those predict decodes from 2 s on.
    pcm = decode.decode_clip(clips["face_then_black"], 8.0, 16000, 640).pcm16[32000:64000]
    direct = predictor.predict_clip(clip_loader.LoadedClip("x", None, pcm.astype(np.float32) / 32768.0, no_face=True))
    np.testing.assert_allclose(list(hops[1].probabilities.values()), list(direct.probabilities.values()), atol=1e-6)


class _CentralOnly:
    """An N0 export's backend: the central branch only, no side heads."""

    def __init__(self, backend):
        self.backend = backend
        self.metadata = {**backend.metadata, "network": "N0"}

    def signatures(self):
        return {keys.SERVING_DEFAULT, keys.FEATURES}

    def window_probabilities(self, signature, windows):
        assert signature == keys.SERVING_DEFAULT, "an N0 model has no side head"
        return self.backend.window_probabilities(signature, windows)


def test_n0_cannot_answer_a_window_without_a_face(predictor, clips, exported, face_model_path, capsys, monkeypatch):
    n0 = predictor_lib.Predictor(_CentralOnly(predictor.backend), face_model_path)
    hops, report = _run(n0, source_lib.FileSource(clips["face_then_black"]))
    assert hops[0].label is not None and hops[0].branch == predictor_lib.CENTRAL
    assert hops[1].label is None and hops[1].probabilities is None and not hops[1].face
    assert "no face detected in any frame, and this N0 model has no side head" in hops[1].error
    assert report.unscored == 1
    monkeypatch.setattr(predictor_lib.Predictor, "load", classmethod(lambda cls, *args: n0))
    status, out, _ = _cli([clips["face_then_black"], "--model", exported["savedmodel"]], capsys)
    assert status == 1  # some hop could not be answered
    assert "no answer: no face detected in any frame, and this N0 model" in out.splitlines()[1]


def test_realtime_pacing_takes_the_clip_duration_and_keeps_up(predictor, clips):
    began = time.monotonic()
    hops, report = _run(predictor, source_lib.FileSource(clips["face_then_black"], realtime=True))
    took = time.monotonic() - began
    assert [h.t for h in hops] == [2.0, 4.0]
    assert report.realtime and took >= report.wall_s >= 4.0  # 4 s of video (4.2 s of audio)
    assert report.idle_s > 0  # frames were held until due
    assert report.cpu_s < report.media_s  # the work takes less CPU than the stream lasts
    verdict = "kept up with real time" if report.kept_up else "did NOT keep up"
    assert verdict in report.format_text()
    if report.busy_s > 3 * report.cpu_s + 1.0:  # e.g. a niced test run beside a training job
        pytest.skip(f"the process waited for the CPU ({report.busy_s:.1f} s busy, {report.cpu_s:.1f} CPU s): "
                    f"keeping up is not this code's to judge here")
    assert report.kept_up, report.format_text()


def _probe(path: str) -> dict:
    with av.open(path) as container:
        times = [frame.time for frame in container.decode(video=0)]
    with av.open(path) as container:
        rate = container.streams.audio[0].rate if container.streams.audio else None
        samples = sum(frame.samples for frame in container.decode(audio=0)) if rate else 0
        size = (container.streams.video[0].width, container.streams.video[0].height)
    return {"frames": len(times), "video_s": times[-1] - times[0] + (times[1] - times[0]),
            "audio_s": samples / rate if rate else None, "size": size}


def test_annotated_video_keeps_frames_duration_and_audio(exported, clips, face_model_path, tmp_path, capsys):
    out = str(tmp_path / "annotated.mp4")
    status, _, err = _cli([clips["face_then_black"], "--model", exported["savedmodel"], "--annotate", out,
                           "--face-model", face_model_path], capsys)
    assert status == 0, err
    source, annotated = _probe(clips["face_then_black"]), _probe(out)
    assert abs(annotated["frames"] - source["frames"]) <= 1
    assert annotated["video_s"] == pytest.approx(source["video_s"], abs=1 / stream_media.FPS)
    assert annotated["audio_s"] == pytest.approx(source["audio_s"], abs=1 / stream_media.FPS)
    assert annotated["size"] == source["size"]
    with av.open(clips["face_then_black"]) as a, av.open(out) as b:
        first_in = next(a.decode(video=0)).to_ndarray(format="rgb24").astype(int)
        first_out = next(b.decode(video=0)).to_ndarray(format="rgb24").astype(int)
    height, width = first_in.shape[:2]
    panel = (slice(0, height // 4), slice(0, width // 4))
    assert first_out[panel].mean() < first_in[panel].mean() - 20  # the dark panel is drawn
    below = (slice(height // 2, None), slice(width // 2, None))
    assert np.abs(first_out[below] - first_in[below]).mean() < 8  # the picture is kept


def test_a_camera_and_a_microphone_through_pyav_devices(exported, clips, face_model_path, capsys):
    # lavfi's movie / amovie sources play the real face as a camera and its voice as a mic.
    path = clips["one_window"]
    status, out, err = _cli(["--camera", f"lavfi:movie={path}", "--mic", f"lavfi:amovie={path}", "--json",
                             "--model", exported["savedmodel"], "--face-model", face_model_path], capsys)
    assert status == 0, err
    hops = [json.loads(line) for line in out.splitlines()]
    assert len(hops) == 1 and hops[0]["t"] == 2.0
    assert hops[0]["face"] and hops[0]["branch"] == predictor_lib.CENTRAL


def test_paced_synthetic_devices_keep_both_streams_to_the_duration(predictor):
    # lavfi produces faster than real time: paced device by device, neither crowds the other
    # out, and --duration ends the run once both streams have reached it.
    source = source_lib.DeviceSource(
        "lavfi:testsrc=size=160x120:rate=15", "lavfi:sine=frequency=300:sample_rate=16000", realtime=True
    )
    hops, report = _run(predictor, source, max_seconds=4.2)
    # The hops, then the tail: a last window ending where the stream was stopped (its last
    # audio frame, 64 ms long, began before 4.2 s).
    assert len(hops) == 3 and [h.t for h in hops[:2]] == [2.0, 4.0] and hops[2].t == pytest.approx(4.2, abs=0.07)
    assert all(not h.face and h.branch == "a side head" for h in hops)  # a test pattern, no face
    assert report.media_s == pytest.approx(4.2, abs=0.1) and report.wall_s >= 4.0


def test_a_camera_that_cannot_be_opened_is_a_clear_error(exported, capsys):
    status, _, err = _cli(["--camera", "v4l2:/dev/video99", "--model", exported["savedmodel"]], capsys)
    assert status == 2
    assert "error: cannot open camera v4l2:/dev/video99:" in err and "No such file or directory" in err


def test_device_specs_and_formats_are_checked():
    with pytest.raises(source_lib.SourceError, match="camera '/dev/video0': expected FORMAT:DEVICE"):
        source_lib.DeviceSource("/dev/video0", None)
    if "nosuchdevice" not in av.formats_available:
        with pytest.raises(source_lib.SourceError, match="no input format 'nosuchdevice' .*lavfi"):
            source_lib.DeviceSource(None, "nosuchdevice:default")
    with pytest.raises(source_lib.SourceError, match="no device"):
        source_lib.DeviceSource(None, None)


def test_a_missing_file_and_a_bad_model_are_errors(exported, clips, tmp_path, capsys):
    status, _, err = _cli(["/nonexistent/clip.mp4", "--model", exported["savedmodel"]], capsys)
    assert status == 2 and "error: /nonexistent/clip.mp4: file does not exist" in err
    status, _, err = _cli([clips["one_window"], "--model", str(tmp_path)], capsys)
    assert status == 2 and "not a SavedModel folder" in err
    with pytest.raises(SystemExit):
        stream_cli.parse_args(["--model", "m"])  # neither a source nor a device
