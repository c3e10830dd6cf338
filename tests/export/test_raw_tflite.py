"""The raw-input TFLite files: builtin ops only, the documented signatures, fp32 equal to the
SavedModel's raw signatures, quantized files close, silence trimming inside."""

from __future__ import annotations


import numpy as np
import pytest
import tensorflow as tf
from ai_edge_litert import interpreter as interpreter_lib

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import features
from mrpn_tf.data.pipeline import spectrogram_segments
from mrpn_tf.inference import metadata as metadata_lib
from mrpn_tf.inference import predictor as predictor_lib
from mrpn_tf.export import raw_window_model
from mrpn_tf.export import run_export
from mrpn_tf.export import serving_module
from mrpn_tf.inference import serving_preprocessing
from mrpn_tf.inference import signature_keys as keys
from mrpn_tf.export import tflite_export
from mrpn_tf.export import window_model
from mrpn_tf.inference import windowing
from mrpn_tf.model import build_model
from tests.export.test_serving_module import call
from tests.export.test_serving_module import raw_clips
from tests.export.test_tflite_export import QUANTIZED_ATOL
from tests.export.test_tflite_export import builtin_interpreter

VARIANTS = tflite_export.QUANTIZATIONS
# The raw files' signatures of an N2 model and the streams each takes.
SIGNATURE_HEADS = {
    keys.SERVING_DEFAULT: [features.V, features.A],
    keys.VIDEO_ONLY: [features.V],
    keys.AUDIO_ONLY: [features.A],
}
RAW_SIGNATURES = set(SIGNATURE_HEADS)


def raw_path(exported, variant: str) -> str:
    return exported[run_export.tflite_key(variant, raw=True)]


def run_raw_windows(interpreter, signature, raw) -> np.ndarray:
    """Scores a batch of raw windows one at a time (the files' batch is 1)."""
    runner = interpreter.get_signature_runner(signature)
    count = len(next(iter(raw.values())))
    return np.concatenate([
        runner(**{k: v[i : i + 1] for k, v in raw.items()})[keys.PROBABILITIES] for i in range(count)
    ])


@pytest.fixture(scope="module")
def raw_batch(tiny_run):
    """Two windows of exactly one window's length: a full one and one with padding at the end."""
    spec = windowing.window_spec(tiny_run.config)
    return raw_clips(tiny_run.config, [spec.frames, spec.frames - 5], [spec.samples, spec.samples - 9000], seed=3)


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_raw_file_runs_on_builtin_ops_alone(exported, raw_batch, variant):
    path = raw_path(exported, variant)
    ops = tflite_export.check_builtin_only(open(path, "rb").read())
    assert not [op for op in ops if op.startswith("Flex") or op == "CUSTOM"]
    assert "RFFT2D" in ops  # the STFT is inside, on the builtin FFT
    interpreter = builtin_interpreter(path)
    assert set(interpreter.get_signature_list()) == RAW_SIGNATURES
    probabilities = run_raw_windows(interpreter, keys.SERVING_DEFAULT, raw_batch)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-2)


def test_raw_signatures_are_those_documented_in_metadata(exported, tiny_run):
    meta = metadata_lib.read(exported["metadata"])
    assert meta["tflite_raw"]["files"] == {v: f"mrpn_raw_{v}.tflite" for v in VARIANTS}
    documented = meta["tflite_raw"]["signatures"]
    assert documented[keys.SERVING_DEFAULT]["inputs"] == {
        keys.FRAMES: {"dtype": "uint8", "shape": [1, 16, 48, 48, 3]},
        keys.NUM_FRAMES: {"dtype": "int32", "shape": [1]},
        keys.WAVEFORM: {"dtype": "float32", "shape": [1, 32000]},
        keys.NUM_SAMPLES: {"dtype": "int32", "shape": [1]},
    }
    interpreter = builtin_interpreter(raw_path(exported, "fp32"))
    for name, signature in documented.items():
        runner = interpreter.get_signature_runner(name)
        inputs = {
            key: {"dtype": np.dtype(d["dtype"]).name, "shape": d["shape_signature"].tolist()}
            for key, d in runner.get_input_details().items()
        }
        assert inputs == signature["inputs"]
        (output,) = runner.get_output_details().items()
        assert output[0] == keys.PROBABILITIES
        assert output[1]["shape"].tolist() == signature["outputs"][keys.PROBABILITIES]["shape"]
        assert output[1]["shape"].tolist() == [1, len(tiny_run.labels)]


@pytest.mark.parametrize("signature", sorted(RAW_SIGNATURES))
def test_raw_fp32_equals_savedmodel_on_the_same_window(exported, loaded, raw_batch, signature):
    raw = {k: raw_batch[k] for h in SIGNATURE_HEADS[signature] for k in keys.RAW_INPUTS[h]}
    expected = call(loaded, signature, raw)[keys.PROBABILITIES]
    got = run_raw_windows(builtin_interpreter(raw_path(exported, "fp32")), signature, raw)
    np.testing.assert_allclose(got, expected, atol=1e-3)


def test_content_past_the_counts_is_never_read(exported, raw_batch):
    """Padding is sliced off before the preprocessing, as serving_default does: junk there
    changes nothing (and counts past the window are clamped to it)."""
    interpreter = builtin_interpreter(raw_path(exported, "fp32"))
    reference = run_raw_windows(interpreter, keys.SERVING_DEFAULT, raw_batch)
    junk = {k: v.copy() for k, v in raw_batch.items()}
    rng = np.random.default_rng(0)
    junk[keys.FRAMES][1, raw_batch[keys.NUM_FRAMES][1]:] = 255
    junk[keys.WAVEFORM][1, raw_batch[keys.NUM_SAMPLES][1]:] = rng.uniform(-1, 1, 9000)
    junk[keys.NUM_FRAMES][0] += 100
    junk[keys.NUM_SAMPLES][0] += 100000
    np.testing.assert_allclose(run_raw_windows(interpreter, keys.SERVING_DEFAULT, junk), reference, atol=1e-6)


@pytest.mark.parametrize("variant", ["fp16", "int8_dynamic", "int8_full"])
def test_quantized_raw_files_stay_close_to_raw_fp32(exported, raw_batch, variant):
    reference = run_raw_windows(builtin_interpreter(raw_path(exported, "fp32")), keys.SERVING_DEFAULT, raw_batch)
    got = run_raw_windows(builtin_interpreter(raw_path(exported, variant)), keys.SERVING_DEFAULT, raw_batch)
    # The same bounds as the feature files' (test_tflite_export.py), and the same answer as
    # the feature file of the variant: quantization starts at the same place in both.
    np.testing.assert_allclose(got, reference, atol=QUANTIZED_ATOL[variant])
    feature_file = predictor_lib.TFLiteBackend(exported[run_export.tflite_key(variant)])
    by_features = feature_file.window_probabilities(keys.SERVING_DEFAULT, raw_batch)
    np.testing.assert_allclose(got, by_features, atol=QUANTIZED_ATOL[variant] / 2)


def test_int8_full_keeps_the_audio_preprocessing_and_stem_float(exported):
    interpreter = builtin_interpreter(raw_path(exported, "int8_full"))
    dtypes = {d["index"]: d["dtype"] for d in interpreter.get_tensor_details()}
    # Standardization, STFT and log (the 0/1 masks may be int8, as in the feature file).
    audio_ops = [op for op in interpreter._get_ops_details()
                 if op["op_name"] in ("SQUARED_DIFFERENCE", "RFFT2D", "SQRT", "LOG")]
    assert {op["op_name"] for op in audio_ops} == {"SQUARED_DIFFERENCE", "RFFT2D", "SQRT", "LOG"}
    assert {dtypes[i] for op in audio_ops for i in op["outputs"]} <= {np.float32, np.complex64}
    stem = {d["dtype"] for d in interpreter.get_tensor_details() if "/a_resnet18_stem_conv" in d["name"]}
    assert stem == {np.float32}
    assert any(dtype == np.int8 for dtype in dtypes.values())  # and the model int8 inside


def test_predictor_backend_takes_raw_windows(exported, raw_batch):
    raw_file = predictor_lib.TFLiteBackend(raw_path(exported, "fp32"), num_threads=1)
    feature_file = predictor_lib.TFLiteBackend(exported["tflite_fp32"], num_threads=1)
    assert raw_file.raw and raw_file.signatures() == feature_file.signatures() == RAW_SIGNATURES
    np.testing.assert_allclose(
        raw_file.window_probabilities(keys.SERVING_DEFAULT, raw_batch),
        feature_file.window_probabilities(keys.SERVING_DEFAULT, raw_batch),
        atol=1e-5,
    )


def test_a_window_without_a_face_is_masked_as_in_the_feature_files(exported, raw_batch):
    """num_frames = 0: no frame is real, the video steps are masked (`clip_features`'s
    placeholder); the feature file given `raw_to_features` of the same window agrees."""
    faceless = {k: v.copy() for k, v in raw_batch.items()}
    faceless[keys.NUM_FRAMES][:] = 0
    raw_file = predictor_lib.TFLiteBackend(raw_path(exported, "fp32"))
    feature_file = predictor_lib.TFLiteBackend(exported["tflite_fp32"])
    got = raw_file.window_probabilities(keys.SERVING_DEFAULT, faceless)
    np.testing.assert_allclose(got, feature_file.window_probabilities(keys.SERVING_DEFAULT, faceless), atol=1e-5)
    assert np.isfinite(got).all()


def speech_in_silence(spec: windowing.WindowSpec, num_samples: int) -> dict[str, np.ndarray]:
    """One window: room noise, 1.2 s of a loud tone from 0.3 s, room noise; real up to num_samples."""
    rng = np.random.default_rng(5)
    waveform = 1e-3 * rng.standard_normal(spec.samples)
    start, end = int(0.3 * spec.sample_rate), int(1.5 * spec.sample_rate)
    waveform[start:end] += 0.5 * np.sin(2 * np.pi * 330 * np.arange(end - start) / spec.sample_rate)
    waveform[num_samples:] = 0
    return {
        keys.WAVEFORM: waveform[None].astype(np.float32),
        keys.NUM_SAMPLES: np.array([num_samples], np.int32),
    }


@pytest.mark.parametrize("trim_db, mel_bands", [(0.0, 0), (30.0, 0), (30.0, 64)])
def test_audio_only_model_with_and_without_silence_trimming(trim_db, mel_bands):
    """AM, with `audio.trim_db` (and mel bands) as pipelines/ravdess_am_cpu.yaml may set them:
    the number of segments depends on the data, inside a file of static shapes."""
    config = config_lib.tiny()
    config.model.network = "AM"
    config.audio.trim_db = trim_db
    if mel_bands:
        config.audio.frequency_scale, config.audio.freq_bins = "mel", mel_bands
    spec = windowing.window_spec(config)
    model = build_model(config, 8)
    heads = [features.A]
    by_signature = {keys.FEATURES: heads}
    models = window_model.build_window_models(model, config, 8, spec)
    functions, specs = raw_window_model.raw_window_functions(models, by_signature, config, spec)
    assert set(specs[keys.SERVING_DEFAULT]) == {keys.WAVEFORM, keys.NUM_SAMPLES}
    content = tflite_export.convert(functions, specs, ["fp32"])["fp32"]
    tflite_export.check_builtin_only(content)
    runner = interpreter_lib.Interpreter(model_content=content).get_signature_runner(keys.SERVING_DEFAULT)
    # The SavedModel's serving_default is this tf.function (serving_module.save writes it).
    serving = serving_module.ServingModule(model, config, [f"c{i}" for i in range(8)]).serving_default
    for num_samples in (spec.samples, spec.samples - 9000):
        window = speech_in_silence(spec, num_samples)
        inputs = {k: tf.constant(v) for k, v in window.items()}
        mask = serving_preprocessing.raw_to_features(inputs, heads, config)[features.AUDIO_MASK]
        # Trimmed to the 1.2-s tone: 2 segments of the window's 6; untrimmed: those of the samples.
        untrimmed = int(spectrogram_segments.segment_count(num_samples, config.audio))
        assert int(mask.numpy().sum()) == (2 if trim_db else untrimmed)
        expected = serving(inputs)[keys.PROBABILITIES].numpy()
        np.testing.assert_allclose(runner(**window)[keys.PROBABILITIES], expected, atol=1e-3)
