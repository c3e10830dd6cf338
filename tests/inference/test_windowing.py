"""Windows of the TFLite model: golden sizes and placements, cutting, clip aggregation."""

from __future__ import annotations

import numpy as np
import pytest

from mrpn_tf.config import config as config_lib
from mrpn_tf.inference import signature_keys
from mrpn_tf.inference import windowing


def test_window_spec_golden_sizes():
    # Default: 2 s at 15 fps = 30 frames; 32000 samples = 1 + (32000 - 16000) / 3200 = 6 segments.
    default = windowing.window_spec(config_lib.Config())
    assert (default.frames, default.samples, default.segments) == (30, 32000, 6)
    tiny = windowing.window_spec(config_lib.tiny())
    assert (tiny.frames, tiny.samples, tiny.segments) == (16, 32000, 6)


@pytest.mark.parametrize("window_s, hop_s", [(0.0, 1.0), (2.0, 0.0), (2.0, 2.5)])
def test_window_spec_rejects_bad_settings(window_s, hop_s):
    config = config_lib.tiny()
    config.export.window_s, config.export.window_hop_s = window_s, hop_s
    with pytest.raises(ValueError, match="export.window"):
        windowing.window_spec(config)


@pytest.mark.parametrize(
    "duration, hop, starts",
    [
        (0.5, 2.0, [0.0]),  # shorter than a window: one padded window
        (2.0, 2.0, [0.0]),
        (3.0, 2.0, [0.0, 1.0]),  # the last window ends at the clip's end
        (6.0, 2.0, [0.0, 2.0, 4.0]),
        (5.0, 1.0, [0.0, 1.0, 2.0, 3.0]),
    ],
)
def test_window_starts(duration, hop, starts):
    config = config_lib.tiny()
    config.export.window_hop_s = hop
    spec = windowing.window_spec(config)
    assert windowing.window_starts(duration, spec) == pytest.approx(starts)


def test_cut_pads_and_counts():
    window, length = windowing.cut(np.arange(5, dtype=np.float32), 3, 4)
    np.testing.assert_array_equal(window, [3, 4, 0, 0])
    assert length == 2


def test_raw_windows_shapes_and_content():
    spec = windowing.window_spec(config_lib.tiny())  # 16 frames / 32000 samples
    frames = np.arange(24, dtype=np.uint8)[:, None, None, None] * np.ones((1, 2, 2, 3), np.uint8)
    waveform = np.linspace(-1, 1, 3 * 16000, dtype=np.float32)  # 3 s of audio, 3 s of video
    batch, times = windowing.raw_windows(frames, waveform, spec)
    assert batch[signature_keys.FRAMES].shape == (2, 16, 2, 2, 3)
    assert batch[signature_keys.WAVEFORM].shape == (2, 32000)
    np.testing.assert_array_equal(batch[signature_keys.NUM_FRAMES], [16, 16])
    np.testing.assert_array_equal(batch[signature_keys.NUM_SAMPLES], [32000, 32000])
    assert times == [(0.0, 2.0), (1.0, 3.0)]
    assert batch[signature_keys.FRAMES][1, 0, 0, 0, 0] == 8  # starts 1 s in, at 8 fps
    assert batch[signature_keys.WAVEFORM][1, 0] == waveform[16000]


def test_raw_windows_short_clip_is_one_padded_window():
    spec = windowing.window_spec(config_lib.tiny())
    batch, times = windowing.raw_windows(None, np.ones(8000, np.float32), spec)
    assert set(batch) == {signature_keys.WAVEFORM, signature_keys.NUM_SAMPLES}
    np.testing.assert_array_equal(batch[signature_keys.NUM_SAMPLES], [8000])
    assert not batch[signature_keys.WAVEFORM][0, 8000:].any()
    assert times == [(0.0, 0.5)]


def test_clip_probabilities_is_the_window_mean():
    windows = np.array([[0.6, 0.4], [0.2, 0.8]])
    np.testing.assert_allclose(windowing.clip_probabilities(windows), [0.4, 0.6])
