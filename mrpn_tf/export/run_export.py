"""`export_run`: a training run folder -> SavedModel (TF Serving layout) + TFLite files.

    <out_dir>/<name>/<version>/                 SavedModel: serving_default, features,
        saved_model.pb, variables/                 video_only / audio_only (N1 / N2)
        assets/labels.txt, assets/metadata.json
    <out_dir>/<name>_tflite/<version>/          static-window TFLite files, builtin ops only
        <name>_fp32.tflite, <name>_fp16.tflite, <name>_int8_dynamic.tflite,
        <name>_int8_full.tflite                    on model features (window_model.py)
        <name>_raw_fp32.tflite, ... _raw_int8_full  on raw windows, preprocessing inside
                                                   (raw_window_model.py)
        labels.txt, metadata.json

Only the central branch scores a clip (paper 3.1: "in testing mode only the central branches
... are active"); the side heads are exported for clips missing a modality. TF Serving
serves `<out_dir>/<name>/` and ignores the TFLite folder beside it. Everything is written
into a staging folder first and moved into place at the end, so a failed export leaves no
half version behind for TF Serving to load.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from typing import Optional, Sequence

import keras

from mrpn_tf.config import config as config_lib
from mrpn_tf.export import input_specs
from mrpn_tf.inference import metadata as metadata_lib
from mrpn_tf.export import raw_window_model
from mrpn_tf.export import representative_data
from mrpn_tf.export import serving_module
from mrpn_tf.inference import signature_keys
from mrpn_tf.export import tflite_export
from mrpn_tf.export import window_model
from mrpn_tf.inference import windowing
from mrpn_tf.model import testing_mode
from mrpn_tf.training import run_dir as run_dir_lib

SAVEDMODEL = "savedmodel"
TFLITE_SUFFIX = "_tflite"
RAW_INPUT_INFIX = "raw"  # file name and export key infix of the raw-input files


def next_version(model_dir: str) -> int:
    """1 + the highest integer-named version folder in `model_dir` (1 when there is none)."""
    if not os.path.isdir(model_dir):
        return 1
    versions = [int(n) for n in os.listdir(model_dir) if re.fullmatch(r"\d+", n)]
    return max(versions, default=0) + 1


def tflite_path(folder: str, name: str, variant: str, raw: bool = False) -> str:
    """Path of one TFLite variant (of the feature files, or of the raw-input ones) in a folder."""
    return os.path.join(folder, f"{name}_{RAW_INPUT_INFIX}_{variant}.tflite" if raw else f"{name}_{variant}.tflite")


def tflite_key(variant: str, raw: bool = False) -> str:
    """The export's key of one TFLite file: "tflite_<variant>" or "tflite_raw_<variant>"."""
    return f"tflite_{RAW_INPUT_INFIX}_{variant}" if raw else f"tflite_{variant}"


def heads_by_signature(model: keras.Model) -> dict[str, list[str]]:
    """Signature name -> the branch heads whose inputs it takes, for this model.

    `serving_default` / `features` take every branch; `video_only` / `audio_only` exist for
    the side heads of N1 / N2 only and take their own branch.
    """
    heads = testing_mode.branch_heads(model)
    names = {signature_keys.FEATURES: heads}
    for head in testing_mode.side_head_models(model):
        names[signature_keys.SIDE_HEAD_SIGNATURES[head]] = [head]
    return names


def _outputs_json(num_classes: int, batch: int) -> dict:
    return {
        signature_keys.PROBABILITIES: {"dtype": "float32", "shape": [batch, num_classes]},
        signature_keys.CLASSES: {"dtype": "string", "shape": [batch, num_classes]},
        signature_keys.LABEL: {"dtype": "string", "shape": [batch]},
    }


def signatures_json(
    by_signature: dict[str, list[str]],
    config: config_lib.Config,
    spec: windowing.WindowSpec,
    num_classes: int,
    tflite_files: dict[str, str],
    raw_tflite_files: dict[str, str],
) -> dict:
    """The "savedmodel", "tflite" and "tflite_raw" sections of metadata.json: specs, files."""
    savedmodel = {}
    for name, heads in by_signature.items():
        raw_name = signature_keys.SERVING_DEFAULT if name == signature_keys.FEATURES else name
        savedmodel[raw_name] = input_specs.raw_specs(heads, config)
    savedmodel[signature_keys.FEATURES] = input_specs.feature_specs(
        by_signature[signature_keys.FEATURES], config
    )
    steps = window_model.window_steps(spec)
    tflite_probabilities = {signature_keys.PROBABILITIES: {"dtype": "float32", "shape": [1, num_classes]}}
    return {
        "savedmodel": {"signatures": {
            name: {"inputs": metadata_lib.spec_json(specs), "outputs": _outputs_json(num_classes, -1)}
            for name, specs in savedmodel.items()
        }},
        "tflite": {
            "files": tflite_files,
            "signatures": {
                name: {
                    "inputs": metadata_lib.spec_json(input_specs.feature_specs(heads, config, 1, steps)),
                    "outputs": tflite_probabilities,
                }
                for name, heads in by_signature.items()
            },
        },
        "tflite_raw": {
            "files": raw_tflite_files,
            "signatures": {
                raw_window_model.RAW_SIGNATURES[name]: {
                    "inputs": metadata_lib.spec_json(raw_window_model.raw_window_specs(heads, config, spec)),
                    "outputs": tflite_probabilities,
                }
                for name, heads in by_signature.items()
            },
        },
    }


def _calibration_raw_windows(
    config: config_lib.Config, spec: windowing.WindowSpec
) -> list[dict]:
    """Raw calibration windows for int8_full, or a clear error when the run's data is not readable."""
    try:
        windows = representative_data.calibration_raw_windows(
            config, spec, config.export.calibration_windows
        )
    except (OSError, ValueError) as e:
        raise ValueError(
            f"int8_full needs calibration windows from the run's data (data.dataset="
            f"{config.data.dataset}, data.prepared_dir={config.data.prepared_dir!r}): {e}; make "
            "the data readable or drop int8_full from export.tflite_variants and "
            "export.raw_tflite_variants"
        ) from e
    if not windows:
        raise ValueError("int8_full: the run's training split yielded no calibration window")
    return windows


def feature_files(
    models: dict[str, keras.Model],
    by_signature: dict[str, list[str]],
    config: config_lib.Config,
    spec: windowing.WindowSpec,
    raw_windows: Sequence[dict],
) -> dict[str, bytes]:
    """The feature files (`export.tflite_variants`): the window models on batch-1 features.

    Args:
      models: signature name -> window model (`window_model.build_window_models`).
      by_signature: signature name -> its branch heads (`heads_by_signature`).
      config: the run config.
      spec: the window.
      raw_windows: calibration windows (`representative_data.calibration_raw_windows`),
        used by int8_full only.

    Returns:
      Variant -> flatbuffer bytes.
    """
    steps = window_model.window_steps(spec)
    functions = {n: tflite_export.model_function(m) for n, m in models.items()}
    specs = {n: input_specs.feature_specs(hs, config, 1, steps) for n, hs in by_signature.items()}
    representative = None
    if tflite_export.INT8_FULL in config.export.tflite_variants:
        inputs = representative_data.signature_input_keys(by_signature[signature_keys.FEATURES])
        representative = representative_data.representative_dataset(
            representative_data.window_features(config, raw_windows),
            {n: inputs[n] for n in by_signature},
        )
    return tflite_export.convert(
        functions, specs, config.export.tflite_variants, representative,
        config.export.int8_float_layers,
    )


def raw_files(
    models: dict[str, keras.Model],
    by_signature: dict[str, list[str]],
    config: config_lib.Config,
    spec: windowing.WindowSpec,
    raw_windows: Sequence[dict],
) -> dict[str, bytes]:
    """The raw-input files (`export.raw_tflite_variants`): preprocessing, then the window models.

    Args and returns: as `feature_files`; int8_full keeps the preprocessing float
    (raw_window_model.py).
    """
    functions, specs = raw_window_model.raw_window_functions(models, by_signature, config, spec)
    inputs = representative_data.raw_signature_input_keys(by_signature[signature_keys.FEATURES])
    representative = representative_data.representative_dataset(
        raw_windows, {n: inputs[n] for n in functions}
    )
    float_layers = (raw_window_model.PREPROCESSING_SCOPE, *config.export.int8_float_layers)
    return tflite_export.convert(
        functions, specs, config.export.raw_tflite_variants, representative, float_layers
    )


def write_tflite(
    model: keras.Model, config: config_lib.Config, labels: Sequence[str],
    spec: windowing.WindowSpec, folder: str, name: str,
) -> dict[str, str]:
    """Converts the window models to every configured variant, on features and on raw windows.

    Returns:
      Export key (`tflite_key`) -> file path. Each file was checked to load on the
      builtin-op interpreter.
    """
    by_signature = heads_by_signature(model)
    models = window_model.build_window_models(model, config, len(labels), spec)
    variants = [*config.export.tflite_variants, *config.export.raw_tflite_variants]
    raw_windows = (
        _calibration_raw_windows(config, spec) if tflite_export.INT8_FULL in variants else []
    )
    paths = {}
    for raw, convert in ((False, feature_files), (True, raw_files)):
        for variant, content in convert(models, by_signature, config, spec, raw_windows).items():
            tflite_export.check_builtin_only(content)
            paths[tflite_key(variant, raw)] = tflite_path(folder, name, variant, raw)
            with open(paths[tflite_key(variant, raw)], "wb") as f:
                f.write(content)
    return paths


def export_model(
    model: keras.Model,
    config: config_lib.Config,
    labels: Sequence[str],
    dataset: str,
    name: str,
    version: int,
    out_dir: str,
) -> dict[str, str]:
    """Exports a trained model (module docstring); `export_run` without the run folder.

    Args:
      model: the trained full model (all heads).
      config: the config that built it.
      labels: class names in output order.
      dataset: the dataset the labels belong to.
      name: model name (TF Serving's model name).
      version: version number, >= 1; its folder must not exist yet.
      out_dir: the export root (`savedmodels/`).

    Returns:
      {"savedmodel": folder, "tflite_<variant>" / "tflite_raw_<variant>": file for each variant
      of the feature / raw-input files, "labels": labels.txt, "metadata": metadata.json}
      (labels and metadata inside the SavedModel's assets/).

    Raises:
      FileExistsError: the version folder exists (versions are immutable once served).
      ValueError: a bad window setting, or int8_full without readable calibration data.
    """
    spec = windowing.window_spec(config)
    model_dir = os.path.join(out_dir, name, str(version))
    tflite_dir = os.path.join(out_dir, name + TFLITE_SUFFIX, str(version))
    for folder in (model_dir, tflite_dir):
        if os.path.exists(folder):
            raise FileExistsError(
                f"{folder} exists: versions are never overwritten; export as version "
                f"{next_version(os.path.join(out_dir, name))} (--version) or remove it"
            )
    by_signature = heads_by_signature(model)
    files = {v: os.path.basename(tflite_path("", name, v)) for v in config.export.tflite_variants}
    raw_files = {
        v: os.path.basename(tflite_path("", name, v, raw=True))
        for v in config.export.raw_tflite_variants
    }
    meta = metadata_lib.build(
        config, labels, dataset, by_signature[signature_keys.FEATURES], spec,
        signatures_json(by_signature, config, spec, len(labels), files, raw_files), name, version,
    )
    os.makedirs(out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{name}-{version}-", dir=out_dir) as staging:
        staged_tflite = os.path.join(staging, "tflite")
        sidecar = metadata_lib.write(staged_tflite, labels, meta)
        module = serving_module.ServingModule(model, config, labels, list(sidecar.values()))
        serving_module.save(module, os.path.join(staging, SAVEDMODEL))
        tflite_files = write_tflite(model, config, labels, spec, staged_tflite, name)
        for folder in (model_dir, tflite_dir):
            os.makedirs(os.path.dirname(folder), exist_ok=True)
        shutil.move(os.path.join(staging, SAVEDMODEL), model_dir)
        shutil.move(staged_tflite, tflite_dir)
    assets = os.path.join(model_dir, "assets")
    paths = {"savedmodel": model_dir}
    paths.update({key: os.path.join(tflite_dir, os.path.basename(p)) for key, p in tflite_files.items()})
    paths["labels"] = os.path.join(assets, metadata_lib.LABELS_NAME)
    paths["metadata"] = os.path.join(assets, metadata_lib.METADATA_NAME)
    return paths


def export_run(
    run_dir: str,
    name: Optional[str] = None,
    version: Optional[int] = None,
    out_dir: Optional[str] = None,
) -> dict[str, str]:
    """Exports a training run: its model.keras, pruned to the central branch, for serving.

    Args:
      run_dir: a finished run folder (config.yaml, labels.json, model.keras).
      name: model name; default `export.name` of the run's config.
      version: version number; default `export.version`, where 0 means the next free one.
      out_dir: export root; default `export.out_dir` of the run's config.

    Returns:
      Export name -> path, as from `export_model`.

    Raises:
      FileNotFoundError: the run folder lacks one of its files (the message names it).
      FileExistsError: the version exists already.
    """
    run = run_dir_lib.RunDir(run_dir)
    config = run_dir_lib.load_config(run)
    dataset, labels = run_dir_lib.read_run_labels(run)
    if not os.path.isfile(run.model_path):
        raise FileNotFoundError(f"{run.model_path} not found: {run_dir} has no trained model")
    model = keras.saving.load_model(run.model_path)
    name = name or config.export.name
    out_dir = out_dir or config.export.out_dir
    version = version or config.export.version or next_version(os.path.join(out_dir, name))
    return export_model(model, config, labels, dataset, name, version, out_dir)
