"""The SavedModel's signatures equal the Keras model; malformed requests get clear errors.

The signatures are called through `tf.saved_model.load(...).signatures[...]`, the form TF
Serving's REST and gRPC requests take (there is no Docker engine to run TF Serving itself).
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from mrpn_tf.data import features
from mrpn_tf.data.pipeline import clip_features
from mrpn_tf.data.pipeline import video_frames
from mrpn_tf.inference import signature_keys as keys

ATOL = 1e-4


def raw_clips(config, frame_counts, sample_counts, seed=0) -> dict[str, np.ndarray]:
    """A padded raw batch: random face crops and noisy tones, of the given lengths."""
    rng = np.random.default_rng(seed)
    size = config.video.crop_size
    frames = np.zeros((len(frame_counts), max(frame_counts), size, size, 3), np.uint8)
    waveform = np.zeros((len(sample_counts), max(sample_counts)), np.float32)
    for i, (t, n) in enumerate(zip(frame_counts, sample_counts)):
        frames[i, :t] = rng.integers(0, 256, (t, size, size, 3))
        tone = 0.3 * np.sin(2 * np.pi * (200 + 100 * i) * np.arange(n) / 16000)
        waveform[i, :n] = tone + 0.01 * rng.standard_normal(n)
    return {
        keys.FRAMES: frames,
        keys.NUM_FRAMES: np.array(frame_counts, np.int32),
        keys.WAVEFORM: waveform,
        keys.NUM_SAMPLES: np.array(sample_counts, np.int32),
    }


def pipeline_features(raw, i, config) -> dict[str, np.ndarray]:
    """Clip i's features as the evaluation pipeline computes them, with a batch axis."""
    frames = raw[keys.FRAMES][i, : raw[keys.NUM_FRAMES][i]]
    waveform = raw[keys.WAVEFORM][i, : raw[keys.NUM_SAMPLES][i]]
    example = clip_features.clip_features(video_frames.to_unit_float(frames), waveform, config)
    return {key: value.numpy()[None] for key, value in example.items()}


def call(loaded, signature, inputs):
    outputs = loaded.signatures[signature](**{k: tf.constant(v) for k, v in inputs.items()})
    return {k: v.numpy() for k, v in outputs.items()}


def test_serving_default_equals_keras_central_branch(loaded, central, tiny_run):
    config = tiny_run.config
    raw = raw_clips(config, frame_counts=[20, 9], sample_counts=[40000, 17000])  # 2.5 s, ~1.1 s
    outputs = call(loaded, keys.SERVING_DEFAULT, raw)
    for i in range(2):
        expected = central(pipeline_features(raw, i, config), training=False)[features.VA]
        np.testing.assert_allclose(outputs[keys.PROBABILITIES][i], expected.numpy()[0], atol=ATOL)
    labels = np.array(tiny_run.labels)
    assert outputs[keys.CLASSES].shape == (2, len(labels))
    assert [c.decode() for c in outputs[keys.CLASSES][0]] == tiny_run.labels
    assert [x.decode() for x in outputs[keys.LABEL]] == list(labels[outputs[keys.PROBABILITIES].argmax(1)])


def test_features_signature_equals_keras_central_branch(loaded, central, tiny_run):
    raw = raw_clips(tiny_run.config, [12], [24000], seed=1)
    inputs = pipeline_features(raw, 0, tiny_run.config)
    outputs = call(loaded, keys.FEATURES, inputs)
    expected = central(inputs, training=False)[features.VA].numpy()
    np.testing.assert_allclose(outputs[keys.PROBABILITIES], expected, atol=ATOL)


@pytest.mark.parametrize("head, signature", [(features.V, keys.VIDEO_ONLY), (features.A, keys.AUDIO_ONLY)])
def test_side_head_signatures_equal_keras_side_heads(loaded, side_heads, tiny_run, head, signature):
    raw = raw_clips(tiny_run.config, [14], [30000], seed=2)
    taken = keys.RAW_INPUTS[head]
    outputs = call(loaded, signature, {k: raw[k] for k in taken})
    inputs = pipeline_features(raw, 0, tiny_run.config)
    model = side_heads[head]
    expected = model({k: inputs[k] for k in keys.FEATURE_INPUTS[head]}, training=False)[head]
    np.testing.assert_allclose(outputs[keys.PROBABILITIES], expected.numpy(), atol=ATOL)


def _malformed(config):
    good = raw_clips(config, [10, 8], [20000, 16000])
    size = config.video.crop_size
    return {
        "wrong rank": ({**good, keys.FRAMES: good[keys.FRAMES][0]}, "frames must have shape"),
        "wrong frame size": (
            {**good, keys.FRAMES: np.zeros((2, 10, size - 1, size, 3), np.uint8)}, "frames must have shape"),
        "wrong waveform rank": ({**good, keys.WAVEFORM: good[keys.WAVEFORM][None]}, "waveform must have shape"),
        "empty batch": (
            {keys.FRAMES: np.zeros((0, 10, size, size, 3), np.uint8), keys.NUM_FRAMES: np.zeros(0, np.int32),
             keys.WAVEFORM: np.zeros((0, 100), np.float32), keys.NUM_SAMPLES: np.zeros(0, np.int32)},
            "empty batch"),
        "empty clip": ({**good, keys.NUM_FRAMES: np.array([0, 8], np.int32)}, "num_frames must be >= 1"),
        "counts per clip": ({**good, keys.NUM_SAMPLES: np.array([100], np.int32)}, "one count per clip"),
        "count too long": ({**good, keys.NUM_FRAMES: np.array([11, 8], np.int32)}, "exceeds the padded length"),
        "NaN audio": ({**good, keys.WAVEFORM: np.full_like(good[keys.WAVEFORM], np.nan)}, "NaN or inf"),
    }


@pytest.mark.parametrize(
    "case", ["wrong rank", "wrong frame size", "wrong waveform rank", "empty batch", "empty clip",
             "counts per clip", "count too long", "NaN audio"],
)
def test_malformed_raw_input_is_refused_clearly(loaded, tiny_run, case):
    inputs, message = _malformed(tiny_run.config)[case]
    with pytest.raises(tf.errors.InvalidArgumentError, match=message) as error:
        call(loaded, keys.SERVING_DEFAULT, inputs)
    assert keys.SERVING_DEFAULT in str(error.value)


def test_wrong_dtype_is_refused_by_the_signature(loaded, tiny_run):
    raw = raw_clips(tiny_run.config, [10], [16000])
    raw[keys.FRAMES] = raw[keys.FRAMES].astype(np.float32)
    with pytest.raises((tf.errors.InvalidArgumentError, TypeError), match="uint8"):
        call(loaded, keys.SERVING_DEFAULT, raw)


def test_features_signature_checks_shapes(loaded, tiny_run):
    inputs = pipeline_features(raw_clips(tiny_run.config, [6], [16000]), 0, tiny_run.config)
    inputs[features.AUDIO] = inputs[features.AUDIO][..., :100]
    with pytest.raises(tf.errors.InvalidArgumentError, match="features: audio must have shape"):
        call(loaded, keys.FEATURES, inputs)
