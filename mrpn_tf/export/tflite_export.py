"""TFLite files of the window model: fp32, fp16, int8 dynamic range and full-integer int8.

Every file holds one signature per window function: a window model on its batch-1 static
feature inputs (`features` = central branch; `video_only` / `audio_only` = side heads for
N1 / N2; the `mrpn_tf.data.features` keys), or the same models behind the preprocessing on
raw windows (raw_window_model.py); each has one output, `probabilities`. Inputs and outputs
keep their dtypes in every variant (float32; a raw file's frames uint8 and counts int32), so
that one predictor feeds every file of a kind the same inputs; the full-integer file
quantizes inside and dequantizes at its output with builtin ops.

Builtin ops only. The converter gets `TFLITE_BUILTINS` (`TFLITE_BUILTINS_INT8` for the
full-integer file) and never `SELECT_TF_OPS`: an op without a builtin kernel is a conversion
error, not a silent Flex dependency. The loops are gone before conversion (window_model.py).

Freezing. The window functions are frozen (`convert_variables_to_constants_v2`) and saved as
a variable-free SavedModel before conversion. Converted with their Keras 3 variables, the
TF 2.21 converter keeps them as resource variables (VAR_HANDLE / READ_VARIABLE ops) that the
interpreter reads uninitialized - the outputs come out NaN - and cannot fold the BatchNorms
into the convolutions. Frozen, the weights are constants, BatchNorm folds, and the file has
proper named signatures.
"""

from __future__ import annotations

import re
import tempfile
import warnings
from typing import Callable, Iterable, Optional, Sequence

import keras
import tensorflow as tf
from ai_edge_litert import interpreter as interpreter_lib
from tensorflow.lite.tools import flatbuffer_utils
from tensorflow.python.framework import convert_to_constants

FP32 = "fp32"
FP16 = "fp16"
INT8_DYNAMIC = "int8_dynamic"
INT8_FULL = "int8_full"
QUANTIZATIONS = (FP32, FP16, INT8_DYNAMIC, INT8_FULL)

_BUILTIN = flatbuffer_utils.schema_fb.BuiltinOperator
# A representative dataset for a multi-signature model yields (signature name, inputs).
RepresentativeDataset = Callable[[], Iterable[tuple[str, dict]]]
# What one signature computes: its batch-1 inputs -> probabilities [1, C].
WindowFunction = Callable[[dict[str, tf.Tensor]], tf.Tensor]


def model_function(model: keras.Model) -> WindowFunction:
    """A window model (one head, `window_model.build_window_models`) as a WindowFunction."""
    (head,) = model.output.keys()

    def probabilities(inputs: dict[str, tf.Tensor]) -> tf.Tensor:
        return model(inputs, training=False)[head]

    return probabilities


def _frozen_signature(function: WindowFunction, specs: dict[str, tf.TensorSpec]):
    """A variable-free tf.function: the inputs of `specs` -> {"probabilities": [1, C]}."""
    traced = tf.function(function)
    frozen = convert_to_constants.convert_variables_to_constants_v2(
        traced.get_concrete_function(specs)
    )

    @tf.function(input_signature=[specs])
    def window(inputs):
        # The frozen function takes its inputs flat, in tf.nest order of the traced dict.
        return {"probabilities": frozen(*tf.nest.flatten(inputs))[0]}

    return window


def save_frozen(
    functions: dict[str, WindowFunction], specs: dict[str, dict[str, tf.TensorSpec]], path: str
) -> str:
    """Saves the frozen window functions as one variable-free SavedModel.

    Args:
      functions: signature name -> window function (`model_function` of a window model, or
        `raw_window_model.raw_window_functions`).
      specs: signature name -> its static input specs (batch 1).
      path: output folder.

    Returns:
      `path`.
    """
    module = tf.Module()
    functions = {name: _frozen_signature(fn, specs[name]) for name, fn in functions.items()}
    module.functions = functions
    tf.saved_model.save(
        module, path, signatures={name: fn.get_concrete_function() for name, fn in functions.items()}
    )
    return path


def converter_for(
    frozen_dir: str, variant: str, representative: Optional[RepresentativeDataset] = None
) -> tf.lite.TFLiteConverter:
    """A converter of the frozen SavedModel set up for one variant.

    Args:
      frozen_dir: from `save_frozen`.
      variant: one of QUANTIZATIONS.
      representative: calibration data, required for INT8_FULL.

    Returns:
      The configured converter (builtin ops only).

    Raises:
      ValueError: unknown variant, or INT8_FULL without calibration data.
    """
    if variant not in QUANTIZATIONS:
        raise ValueError(f"TFLite variant {variant!r}; expected one of {', '.join(QUANTIZATIONS)}")
    converter = tf.lite.TFLiteConverter.from_saved_model(frozen_dir)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if variant != FP32:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if variant == FP16:
        converter.target_spec.supported_types = [tf.float16]
    if variant == INT8_FULL:
        if representative is None:
            raise ValueError("the int8_full variant needs a representative dataset")
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    return converter


def convert(
    functions: dict[str, WindowFunction],
    specs: dict[str, dict[str, tf.TensorSpec]],
    variants: Iterable[str],
    representative: Optional[RepresentativeDataset] = None,
    float_layers: Sequence[str] = (),
) -> dict[str, bytes]:
    """Converts the window functions to each TFLite variant.

    Args:
      functions: signature name -> window function (see `save_frozen`).
      specs: signature name -> static input specs.
      variants: names from QUANTIZATIONS.
      representative: calibration data (needed when INT8_FULL is asked for).
      float_layers: layer names (or name scopes) whose ops stay float in INT8_FULL
        (`export.int8_float_layers`, and the raw files' preprocessing).

    Returns:
      Variant -> flatbuffer bytes.
    """
    variants = list(variants)
    if not variants:
        return {}
    with tempfile.TemporaryDirectory(prefix="mrpn_frozen_") as frozen_dir:
        save_frozen(functions, specs, frozen_dir)
        converted = {}
        for variant in variants:
            converter = converter_for(frozen_dir, variant, representative)
            nodes = []
            if variant == INT8_FULL and float_layers:
                float_model = converted.get(FP32) or _quiet_convert(converter_for(frozen_dir, FP32))
                nodes = float_nodes(float_model, float_layers)
            if nodes:
                converted[variant] = _int8_except(converter, representative, nodes)
            else:
                converted[variant] = _quiet_convert(converter)
        return converted


def float_nodes(content: bytes, layers: Sequence[str]) -> list[str]:
    """Output tensor names of the ops, in every signature, that belong to the given layers.

    Args:
      content: a float flatbuffer of the window model.
      layers: prefixes of Keras layer names ("a_resnet18_stem" covers a_resnet18_stem_conv,
        _bn, _relu, _pool); an op belongs to a layer when its tensor name holds the layer's
        scope "/<layer name>_<n>/", as Keras names ops (a tf.name_scope such as
        "preprocessing/" matches the same way).

    Returns:
      The tensor names, sorted.
    """
    model = flatbuffer_utils.read_model_from_bytearray(bytearray(content))
    scopes = re.compile("|".join(rf"(^|/){re.escape(layer)}[^/;]*/" for layer in layers))
    names = set()
    for subgraph in model.subgraphs:
        for op in subgraph.operators:
            for index in op.outputs:
                name = subgraph.tensors[index].name
                name = name.decode() if isinstance(name, bytes) else name
                if scopes.search(name):
                    names.add(name)
    return sorted(names)


def _int8_except(
    converter: tf.lite.TFLiteConverter, representative: RepresentativeDataset, nodes: Sequence[str]
) -> bytes:
    """Full-integer conversion with the ops producing `nodes` left in float.

    TFLite's selective quantization (QuantizationDebugger's denylist): the converter
    calibrates, then quantizes every op but the denylisted ones, with QUANTIZE / DEQUANTIZE
    around them; float builtin kernels run those, so the file stays builtin-only.
    """
    converter.target_spec.supported_ops = [
        tf.lite.OpsSet.TFLITE_BUILTINS_INT8, tf.lite.OpsSet.TFLITE_BUILTINS,
    ]
    options = tf.lite.experimental.QuantizationDebugOptions(denylisted_nodes=list(nodes))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"\s*Warning: tf.lite.Interpreter is deprecated")
        debugger = tf.lite.experimental.QuantizationDebugger(
            converter=converter, debug_dataset=representative, debug_options=options
        )
        return debugger.get_nondebug_quantized_model()


def _quiet_convert(converter: tf.lite.TFLiteConverter) -> bytes:
    """`converter.convert()` without the deprecation warning of TF's own calibrator.

    The converter's int8 calibration runs on `tf.lite.Interpreter` inside TF and warns that it
    is deprecated; nothing of ours uses it (predict and the checks use ai_edge_litert).
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"\s*Warning: tf.lite.Interpreter is deprecated")
        return converter.convert()


def _op_name(model, opcode_index: int) -> str:
    """A builtin op's name, or a custom op's custom code (Flex ops are "Flex<TF op>")."""
    code = model.operatorCodes[opcode_index]
    if max(code.builtinCode, code.deprecatedBuiltinCode) == _BUILTIN.CUSTOM:
        custom = code.customCode
        return custom.decode() if isinstance(custom, bytes) else str(custom)
    return flatbuffer_utils.opcode_to_name(model, opcode_index)


def op_names(content: bytes) -> list[str]:
    """The sorted names of the ops a flatbuffer uses, across all its signatures' subgraphs."""
    model = flatbuffer_utils.read_model_from_bytearray(bytearray(content))
    return sorted(
        {_op_name(model, op.opcodeIndex) for subgraph in model.subgraphs for op in subgraph.operators}
    )


def check_builtin_only(content: bytes) -> list[str]:
    """Checks that a flatbuffer runs on the builtin-op interpreter alone (no Flex delegate).

    Args:
      content: a .tflite file's bytes.

    Returns:
      The sorted names of the ops it uses, all builtin.

    Raises:
      ValueError: an op is not builtin, or the builtin-only interpreter cannot allocate it.
    """
    names = op_names(content)
    foreign = [name for name in names if name == "CUSTOM" or not hasattr(_BUILTIN, name)]
    if foreign:
        raise ValueError(f"the TFLite model uses ops that are not builtin: {foreign}")
    try:
        interpreter = interpreter_lib.Interpreter(
            model_content=content,
            experimental_op_resolver_type=interpreter_lib.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
        )
        interpreter.allocate_tensors()
    except (RuntimeError, ValueError) as e:
        raise ValueError(f"the builtin-only TFLite interpreter cannot load the model: {e}") from e
    return names
