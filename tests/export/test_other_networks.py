"""Export of the other aggregators and networks (slow: each converts a model of its own).

BiLSTM and Transformer aggregators must also convert to builtin ops alone and match Keras;
N0 has no side heads (serving_default and features only, and predict refuses a clip without
audio); the AM baseline takes audio alone.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from ai_edge_litert import interpreter as interpreter_lib

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import features
from mrpn_tf.export import input_specs
from mrpn_tf.inference import predictor as predictor_lib
from mrpn_tf.export import run_export
from mrpn_tf.inference import serving_preprocessing
from mrpn_tf.inference import signature_keys as keys
from mrpn_tf.export import tflite_export
from mrpn_tf.export import window_model
from mrpn_tf.inference import windowing
from mrpn_tf.model import build_model
from mrpn_tf.model import inference_model
from tests.export import media_files
from tests.export.test_serving_module import call
from tests.export.test_serving_module import pipeline_features
from tests.export.test_serving_module import raw_clips

pytestmark = pytest.mark.slow


def window_inputs(config, heads) -> dict[str, np.ndarray]:
    """The features of one window of a clip shorter than a window (so padded and masked)."""
    spec = windowing.window_spec(config)
    clip = raw_clips(config, [spec.frames - 3], [spec.samples - 5000], seed=7)
    raw, _ = windowing.raw_windows(clip[keys.FRAMES][0], clip[keys.WAVEFORM][0], spec)
    raw = {k: tf.constant(v) for k, v in raw.items()}
    return {k: v.numpy() for k, v in serving_preprocessing.raw_to_features(raw, heads, config).items()}


@pytest.mark.parametrize("aggregator", ["bilstm", "transformer"])
def test_aggregator_converts_to_builtin_ops_and_matches_keras(aggregator):
    config = config_lib.tiny()
    config.model.aggregator = aggregator
    model = build_model(config, 8)
    spec = windowing.window_spec(config)
    heads = [features.V, features.A]
    models = window_model.build_window_models(model, config, 8, spec)
    specs = {keys.FEATURES: input_specs.feature_specs(heads, config, 1, window_model.window_steps(spec))}
    functions = {keys.FEATURES: tflite_export.model_function(models[keys.FEATURES])}
    content = tflite_export.convert(functions, specs, ["fp32"])["fp32"]
    tflite_export.check_builtin_only(content)
    inputs = window_inputs(config, heads)
    runner = interpreter_lib.Interpreter(model_content=content).get_signature_runner(keys.FEATURES)
    got = runner(**inputs)[keys.PROBABILITIES]
    expected = inference_model(model)(inputs, training=False)[features.VA].numpy()
    np.testing.assert_allclose(got, expected, atol=1e-4)


def _export(network: str, tmp_path):
    """(config, model, export paths) of an untrained tiny model of `network`, fp32 only."""
    config = config_lib.tiny()
    config.model.network = network
    config.export.tflite_variants = ("fp32",)  # no calibration data needed
    config.export.raw_tflite_variants = ("fp32",)
    model = build_model(config, 8)
    labels = [f"class{i}" for i in range(8)]
    return config, model, run_export.export_model(model, config, labels, "demo", "m", 1, str(tmp_path))


def test_n0_has_no_side_heads_and_refuses_a_clip_without_audio(tmp_path, shared_dir, face_model_path):
    config, _, paths = _export("N0", tmp_path)
    loaded = tf.saved_model.load(paths["savedmodel"])
    assert set(loaded.signatures) == {keys.SERVING_DEFAULT, keys.FEATURES}
    videos = media_files.write_variants(media_files.cremad_clips(shared_dir)[2], str(tmp_path))
    for path in (paths["savedmodel"], paths["tflite_fp32"]):
        n0 = predictor_lib.Predictor.load(path, face_model_path)
        with pytest.raises(predictor_lib.PredictError, match="no audio track.*N0"):
            n0.predict_file(videos["silent"])
        assert n0.predict_file(videos["mp4"]).branch == predictor_lib.CENTRAL


def test_audio_only_baseline_takes_the_waveform_alone(tmp_path):
    config, model, paths = _export("AM", tmp_path)
    loaded = tf.saved_model.load(paths["savedmodel"])
    assert set(loaded.signatures) == {keys.SERVING_DEFAULT, keys.FEATURES}
    raw = raw_clips(config, [4], [30000], seed=8)
    outputs = call(loaded, keys.SERVING_DEFAULT, {k: raw[k] for k in keys.RAW_INPUTS[features.A]})
    inputs = pipeline_features(raw, 0, config)
    audio_inputs = {k: inputs[k] for k in keys.FEATURE_INPUTS[features.A]}
    expected = inference_model(model)(audio_inputs, training=False)[features.A].numpy()
    np.testing.assert_allclose(outputs[keys.PROBABILITIES], expected, atol=1e-4)
    runner = interpreter_lib.Interpreter(model_path=paths["tflite_fp32"]).get_signature_runner(keys.FEATURES)
    assert set(runner.get_input_details()) == {features.AUDIO, features.AUDIO_MASK}
    window = window_inputs(config, [features.A])
    np.testing.assert_allclose(runner(**window)[keys.PROBABILITIES].sum(), 1.0, atol=1e-5)
