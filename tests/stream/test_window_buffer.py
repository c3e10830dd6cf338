"""The rolling window holds what predict's window at the same start holds, whatever the chunking."""

import dataclasses

import numpy as np
import pytest

from mrpn_tf.config import config as config_lib
from mrpn_tf.data.media.live_face_track import TrackedFrame
from mrpn_tf.inference import windowing
from mrpn_tf.stream.window_buffer import WindowBuffer

SEEN = TrackedFrame(np.zeros(4), True)


def _spec(hop_s: float) -> windowing.WindowSpec:
    return dataclasses.replace(windowing.window_spec(config_lib.tiny()), hop_seconds=hop_s)


def _stream(spec, seconds):
    """Frames whose pixels hold their index, and samples that count up."""
    count = int(seconds * spec.fps)
    frames = (np.arange(count, dtype=np.uint8)[:, None, None, None] * np.ones((1, 2, 2, 3), np.uint8))
    samples = (np.arange(int(seconds * spec.sample_rate)) % 30000).astype(np.int16)
    return frames, samples


def _feed(buffer, frames, samples, seed):
    """Feeds both streams in random interleaved chunks; returns every window handed out."""
    rng = np.random.default_rng(seed)
    windows, f, s = [], 0, 0
    while f < len(frames) or s < len(samples):
        if rng.random() < 0.5 and f < len(frames):
            buffer.add_frame(frames[f], SEEN)
            f += 1
        elif s < len(samples):
            n = int(rng.integers(1, 1500))
            buffer.add_samples(samples[s : s + n])
            s += n
        while buffer.ready():
            windows.append(buffer.pop())
    return windows


@pytest.mark.parametrize("hop_s", [2.0, 0.5, 0.3, 3.0])
def test_windows_cut_where_predict_cuts_them(hop_s):
    spec = _spec(hop_s)
    frames, samples = _stream(spec, 7.0)
    windows = _feed(WindowBuffer(spec, video=True, audio=True), frames, samples, seed=int(hop_s * 10))
    expected_count = int(np.floor((7.0 - spec.seconds) / hop_s + 1e-6)) + 1
    assert [w.index for w in windows] == list(range(expected_count))
    for w in windows:
        assert w.start_s == pytest.approx(w.index * hop_s) and w.end_s == pytest.approx(w.start_s + 2.0)
        start_frame = int(np.floor(w.start_s * spec.fps + 1e-6))
        start_sample = int(np.floor(w.start_s * spec.sample_rate + 1e-6))
        np.testing.assert_array_equal(w.frames, windowing.cut(frames, start_frame, spec.frames)[0])
        np.testing.assert_array_equal(w.pcm16, windowing.cut(samples, start_sample, spec.samples)[0])
        assert len(w.tracked) == spec.frames


@pytest.mark.parametrize("hop_s", [2.0, 0.5, 3.0])
@pytest.mark.parametrize("seconds", [3.84, 4.0])
def test_the_windows_and_the_last_one_are_predicts_windows(hop_s, seconds):
    # 3.84 s of samples but 30 frames (3.75 s): the stream ends where its video ends, as a
    # clip's duration is its shorter stream's. The hops leave a tail (3.84 s, or 4.0 s with a
    # 3-s hop) that a last window ending at the stream's end scores, as predict places its
    # last window; where the hops end at the stream's end (4.0 s, hop 2 or 0.5) there is none.
    spec = _spec(hop_s)
    frames, samples = _stream(spec, seconds)
    buffer = WindowBuffer(spec, video=True, audio=True)
    windows = _feed(buffer, frames, samples, seed=int(seconds * 100 + hop_s))
    last = buffer.last()
    handed = windows + ([last] if last is not None else [])
    duration = windowing.clip_duration(frames, samples, spec)
    assert [w.start_s for w in handed] == pytest.approx(windowing.window_starts(duration, spec))
    assert handed[-1].end_s == pytest.approx(duration)
    for w in handed:
        start_frame = int(np.floor(w.start_s * spec.fps + 1e-6))
        start_sample = int(np.floor(w.start_s * spec.sample_rate + 1e-6))
        np.testing.assert_array_equal(w.frames, windowing.cut(frames, start_frame, spec.frames)[0])
        np.testing.assert_array_equal(w.pcm16, windowing.cut(samples, start_sample, spec.samples)[0])
    assert buffer.last() is None  # the tail is scored once


def test_the_buffer_keeps_about_one_window():
    spec = _spec(0.5)
    buffer = WindowBuffer(spec, video=True, audio=True)
    frames, samples = _stream(spec, 10.0)
    _feed(buffer, frames, samples, seed=1)
    assert len(buffer.frames.items) <= spec.frames
    assert sum(len(c) for c in buffer.samples.chunks) <= spec.samples


def test_one_stream_only_and_a_short_stream_gives_one_partial_window():
    spec = _spec(2.0)
    buffer = WindowBuffer(spec, video=False, audio=True)
    buffer.add_samples(np.ones(12000, np.int16))
    assert not buffer.ready()
    window = buffer.last()
    assert window.frames is None and len(window.pcm16) == 12000
    assert window.start_s == 0 and window.end_s == pytest.approx(0.75)
    assert buffer.last() is None  # given once
    assert WindowBuffer(spec, video=True, audio=False).last() is None


def test_a_window_needs_a_stream():
    with pytest.raises(ValueError, match="frames or samples"):
        WindowBuffer(_spec(2.0), video=False, audio=False)
