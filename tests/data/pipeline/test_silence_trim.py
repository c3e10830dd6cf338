"""Silence trimming before segmenting: where it cuts, what it leaves alone, eager == in map."""

import dataclasses
import glob
import os

import numpy as np
import pytest
import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.data.pipeline import silence_trim
from mrpn_tf.data.pipeline import spectrogram_segments
from tests.data.pipeline import map_equivalence

AUDIO = dataclasses.replace(config_lib.AudioConfig(), trim_db=30.0)
RATE = AUDIO.sample_rate
SPEECH_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "shared", "data",
                          "ravdess-speech", "Actor_01")


def noisy_tone(before_s: float, tone_s: float, after_s: float, noise: float = 1e-3) -> np.ndarray:
    """Room noise (~-60 dB), a loud 440-Hz tone, room noise again."""
    rng = np.random.default_rng(0)
    n = int(round((before_s + tone_s + after_s) * RATE))
    wave = noise * rng.standard_normal(n)
    start, end = int(round(before_s * RATE)), int(round((before_s + tone_s) * RATE))
    wave[start:end] += 0.5 * np.sin(2 * np.pi * 440 * np.arange(end - start) / RATE)
    return wave.astype(np.float32)


def test_cuts_the_noise_around_the_loud_part_to_the_10_ms_frame():
    wave = noisy_tone(1.0, 1.5, 0.7)
    start, end = (int(v) for v in silence_trim.speech_span(wave, AUDIO))
    assert (start, end) == (16000, 40000)  # 1.0 s and 2.5 s fall on 10-ms frame edges
    trimmed = silence_trim.trim_silence(wave, AUDIO).numpy()
    np.testing.assert_array_equal(trimmed, wave[16000:40000])


def test_off_by_default_and_no_op_on_loud_or_silent_waves():
    wave = noisy_tone(1.0, 1.5, 0.7)
    off = silence_trim.trim_silence(wave, config_lib.AudioConfig())
    np.testing.assert_array_equal(off.numpy(), wave)
    loud = noisy_tone(0.0, 2.0, 0.0)
    np.testing.assert_array_equal(silence_trim.trim_silence(loud, AUDIO).numpy(), loud)
    zeros = np.zeros(8000, np.float32)  # digital silence: every frame is the loudest
    assert silence_trim.trim_silence(zeros, AUDIO).shape == (8000,)
    assert silence_trim.trim_silence(np.zeros(0, np.float32), AUDIO).shape == (0,)


def test_threshold_is_relative_to_the_loudest_frame():
    wave = noisy_tone(1.0, 1.5, 0.7)
    for gain in (0.01, 1.0):
        span = [int(v) for v in silence_trim.speech_span(gain * wave, AUDIO)]
        assert span == [16000, 40000]
    # A quieter tail 20 dB down stays inside the span at 30 dB and is cut at 10 dB.
    tail = wave.copy()
    tail[40000:44800] += 0.05 * np.sin(2 * np.pi * 300 * np.arange(4800) / RATE)
    assert int(silence_trim.speech_span(tail, AUDIO)[1]) == 44800
    strict = dataclasses.replace(AUDIO, trim_db=10.0)
    assert int(silence_trim.speech_span(tail, strict)[1]) == 40000


def test_segments_hold_only_the_trimmed_span_and_map_equals_eager():
    wave = noisy_tone(1.0, 1.5, 0.7)
    segments = spectrogram_segments.waveform_to_segments(wave, AUDIO)
    # 1.5 s of tone at a 0.2-s hop: 1 + ceil(0.5 / 0.2) = 4 segments instead of 12.
    assert segments.shape[0] == 4
    untrimmed = spectrogram_segments.waveform_to_segments(wave, config_lib.AudioConfig())
    assert untrimmed.shape[0] == 12
    map_equivalence.assert_same_eager_and_in_map(
        lambda w: spectrogram_segments.waveform_to_segments(w, AUDIO), tf.constant(wave))


@pytest.mark.skipif(not os.path.isdir(SPEECH_DIR), reason="../shared/data/ravdess-speech absent")
def test_ravdess_sentences_are_kept_whole():
    from mrpn_tf.data.media import decode

    for path in sorted(glob.glob(os.path.join(SPEECH_DIR, "03-01-*.wav")))[:6]:
        wave = decode.decode_audio(path, RATE).astype(np.float32) / 32768.0
        start, end = (int(v) / RATE for v in silence_trim.speech_span(wave, AUDIO))
        # "Kids are talking by the door" / "Dogs are sitting by the door": 1.1-2.2 s of speech
        # after ~0.8-1.1 s of room noise.
        assert 0.5 < start < 1.3, path
        assert 1.0 < end - start < 2.5, path
        assert end < len(wave) / RATE - 0.2, path
