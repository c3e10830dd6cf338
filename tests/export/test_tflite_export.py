"""The TFLite window files: builtin ops only, fp32 equal to the SavedModel, quantized close."""

from __future__ import annotations

import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from ai_edge_litert import interpreter as interpreter_lib

from mrpn_tf.data import features
from mrpn_tf.inference import serving_preprocessing
from mrpn_tf.inference import signature_keys as keys
from mrpn_tf.export import tflite_export
from mrpn_tf.inference import windowing
from tests.export.test_serving_module import call
from tests.export.test_serving_module import raw_clips

VARIANTS = tflite_export.QUANTIZATIONS
# Loose bounds for a tiny model fitted two steps: they catch a broken conversion, not a
# quantization-quality claim (benchmarks/inference.py measures agreement on the demo set).
QUANTIZED_ATOL = {"fp16": 1e-2, "int8_dynamic": 0.1, "int8_full": 0.15}


def builtin_interpreter(path: str) -> interpreter_lib.Interpreter:
    """The builtin-op resolver alone: no Flex delegate, no default delegates."""
    return interpreter_lib.Interpreter(
        model_path=path,
        experimental_op_resolver_type=interpreter_lib.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )


@pytest.fixture(scope="module")
def window_batch(tiny_run):
    """Two full windows of raw input, and the features the TFLite backend feeds for them."""
    spec = windowing.window_spec(tiny_run.config)
    raw = raw_clips(tiny_run.config, [spec.frames, spec.frames - 5], [spec.samples, spec.samples - 9000], seed=3)
    heads = [features.V, features.A]
    inputs = serving_preprocessing.raw_to_features({k: tf.constant(v) for k, v in raw.items()}, heads, tiny_run.config)
    return raw, {k: v.numpy() for k, v in inputs.items()}


def run_windows(interpreter, signature, inputs) -> np.ndarray:
    runner = interpreter.get_signature_runner(signature)
    count = len(next(iter(inputs.values())))
    return np.concatenate([
        runner(**{k: v[i : i + 1] for k, v in inputs.items()})[keys.PROBABILITIES] for i in range(count)
    ])


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_file_runs_on_builtin_ops_alone(exported, window_batch, variant):
    path = exported[f"tflite_{variant}"]
    ops = tflite_export.check_builtin_only(open(path, "rb").read())
    assert not [op for op in ops if op.startswith("Flex") or op == "CUSTOM"]
    interpreter = builtin_interpreter(path)
    assert set(interpreter.get_signature_list()) == {keys.FEATURES, keys.VIDEO_ONLY, keys.AUDIO_ONLY}
    probabilities = run_windows(interpreter, keys.FEATURES, window_batch[1])
    # int8_full's softmax output is int8 with a 1/256 step before it is dequantized.
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-2)


def test_fp32_equals_savedmodel_on_the_same_raw_window(exported, loaded, window_batch):
    raw, inputs = window_batch
    expected = call(loaded, keys.SERVING_DEFAULT, raw)[keys.PROBABILITIES]
    got = run_windows(builtin_interpreter(exported["tflite_fp32"]), keys.FEATURES, inputs)
    np.testing.assert_allclose(got, expected, atol=1e-3)


@pytest.mark.parametrize("head, signature", [(features.V, keys.VIDEO_ONLY), (features.A, keys.AUDIO_ONLY)])
def test_fp32_side_heads_equal_savedmodel(exported, loaded, window_batch, head, signature):
    raw, inputs = window_batch
    expected = call(loaded, signature, {k: raw[k] for k in keys.RAW_INPUTS[head]})[keys.PROBABILITIES]
    head_inputs = {k: inputs[k] for k in keys.FEATURE_INPUTS[head]}
    got = run_windows(builtin_interpreter(exported["tflite_fp32"]), signature, head_inputs)
    np.testing.assert_allclose(got, expected, atol=1e-3)


@pytest.mark.parametrize("variant", ["fp16", "int8_dynamic", "int8_full"])
def test_quantized_files_stay_close_to_fp32(exported, window_batch, variant):
    inputs = window_batch[1]
    reference = run_windows(builtin_interpreter(exported["tflite_fp32"]), keys.FEATURES, inputs)
    got = run_windows(builtin_interpreter(exported[f"tflite_{variant}"]), keys.FEATURES, inputs)
    np.testing.assert_allclose(got, reference, atol=QUANTIZED_ATOL[variant])


def test_file_sizes_shrink_with_quantization(exported):
    size = {v: os.path.getsize(exported[f"tflite_{v}"]) for v in VARIANTS}
    # The tiny model's weights are small next to the graph itself (the unrolled LSTM steps of
    # three signatures), so its ratios are far from the default model's 2x and ~4x
    # (benchmarks/inference.py); here they only have to shrink in the right order.
    assert size["int8_dynamic"] < size["fp16"] < 0.7 * size["fp32"]
    assert size["int8_full"] < size["fp16"]


def test_int8_full_is_integer_inside(exported):
    ops = tflite_export.op_names(open(exported["tflite_int8_full"], "rb").read())
    assert "QUANTIZE" in ops and "DEQUANTIZE" in ops  # float32 interface, int8 inside
    details = builtin_interpreter(exported["tflite_int8_full"]).get_tensor_details()
    assert any(d["dtype"] == np.int8 for d in details)


def test_int8_full_keeps_only_the_audio_stem_float(exported, tiny_run):
    layers = tiny_run.config.export.int8_float_layers
    nodes = tflite_export.float_nodes(open(exported["tflite_fp32"], "rb").read(), layers)
    assert nodes and all("a_resnet18_stem" in n or "a_resnet18_add_channel" in n for n in nodes)
    details = builtin_interpreter(exported["tflite_int8_full"]).get_tensor_details()
    dtypes = {d["name"]: d["dtype"] for d in details}
    assert all(dtypes[n] == np.float32 for n in nodes if n in dtypes)
    stage = [dtype for name, dtype in dtypes.items() if "/a_resnet18_stage1_block1_1_conv" in name]
    assert np.int8 in stage and np.float32 not in stage  # int8 tensors (and int32 biases)


def test_check_builtin_only_rejects_flex_ops(tmp_path):
    # A dynamic-length LSTM converted with Flex allowed (and TensorList lowering off, the
    # converter's way to keep TensorList ops): the check must name the Flex ops.
    model = keras.Sequential([keras.Input((None, 4)), keras.layers.LSTM(3)])
    function = tf.function(lambda x: model(x)).get_concrete_function(tf.TensorSpec([1, None, 4], tf.float32))
    converter = tf.lite.TFLiteConverter.from_concrete_functions([function], model)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]
    converter._experimental_lower_tensor_list_ops = False
    with pytest.raises(ValueError, match="not builtin"):
        tflite_export.check_builtin_only(converter.convert())
