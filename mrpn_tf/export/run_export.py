"""`export_run`: a training run folder -> SavedModel (TF Serving layout) + TFLite files.

    <out_dir>/<name>/<version>/                 SavedModel: serving_default, features,
        saved_model.pb, variables/                 video_only / audio_only (N1 / N2)
        assets/labels.txt, assets/metadata.json
    <out_dir>/<name>_tflite/<version>/          static-window TFLite files, builtin ops only
        <name>_fp32.tflite, <name>_fp16.tflite, <name>_int8_dynamic.tflite,
        <name>_int8_full.tflite, labels.txt, metadata.json

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
from mrpn_tf.export import metadata as metadata_lib
from mrpn_tf.export import representative_data
from mrpn_tf.export import serving_module
from mrpn_tf.export import signature_keys
from mrpn_tf.export import tflite_export
from mrpn_tf.export import window_model
from mrpn_tf.export import windowing
from mrpn_tf.model import testing_mode
from mrpn_tf.training import run_dir as run_dir_lib

SAVEDMODEL = "savedmodel"
TFLITE_SUFFIX = "_tflite"


def next_version(model_dir: str) -> int:
    """1 + the highest integer-named version folder in `model_dir` (1 when there is none)."""
    if not os.path.isdir(model_dir):
        return 1
    versions = [int(n) for n in os.listdir(model_dir) if re.fullmatch(r"\d+", n)]
    return max(versions, default=0) + 1


def tflite_path(folder: str, name: str, variant: str) -> str:
    """Path of one TFLite variant inside an export's TFLite folder."""
    return os.path.join(folder, f"{name}_{variant}.tflite")


def signature_heads(model: keras.Model) -> dict[str, list[str]]:
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
) -> dict:
    """The "savedmodel" and "tflite" sections of metadata.json: input / output specs, files."""
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
    }


def _representative(
    config: config_lib.Config, spec: windowing.WindowSpec, by_signature: dict[str, list[str]]
) -> tflite_export.RepresentativeDataset:
    """Calibration data for int8_full, or a clear error when the run's data is not readable."""
    try:
        windows = representative_data.calibration_windows(
            config, spec, config.export.calibration_windows
        )
    except (OSError, ValueError) as e:
        raise ValueError(
            f"int8_full needs calibration windows from the run's data (data.dataset="
            f"{config.data.dataset}, data.prepared_dir={config.data.prepared_dir!r}): {e}; make "
            "the data readable or drop int8_full from export.tflite_variants"
        ) from e
    if not windows:
        raise ValueError("int8_full: the run's training split yielded no calibration window")
    inputs = representative_data.signature_input_keys(by_signature[signature_keys.FEATURES])
    return representative_data.representative_dataset(
        windows, {name: inputs[name] for name in by_signature}
    )


def write_tflite(
    model: keras.Model, config: config_lib.Config, labels: Sequence[str],
    spec: windowing.WindowSpec, folder: str, name: str,
) -> dict[str, str]:
    """Converts the window models to every configured variant and writes the files.

    Returns:
      Variant -> file path. Each file was checked to load on the builtin-op interpreter.
    """
    by_signature = signature_heads(model)
    steps = window_model.window_steps(spec)
    models = window_model.build_window_models(model, config, len(labels), spec)
    specs = {n: input_specs.feature_specs(heads, config, 1, steps) for n, heads in by_signature.items()}
    variants = list(config.export.tflite_variants)
    representative = (
        _representative(config, spec, by_signature) if tflite_export.INT8_FULL in variants else None
    )
    paths = {}
    converted = tflite_export.convert(
        models, specs, variants, representative, config.export.int8_float_layers
    )
    for variant, content in converted.items():
        tflite_export.check_builtin_only(content)
        paths[variant] = tflite_path(folder, name, variant)
        with open(paths[variant], "wb") as f:
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
      {"savedmodel": folder, "tflite_<variant>": file for each variant, "labels": labels.txt,
      "metadata": metadata.json} (labels and metadata inside the SavedModel's assets/).

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
    by_signature = signature_heads(model)
    files = {v: os.path.basename(tflite_path("", name, v)) for v in config.export.tflite_variants}
    meta = metadata_lib.build(
        config, labels, dataset, by_signature[signature_keys.FEATURES], spec,
        signatures_json(by_signature, config, spec, len(labels), files), name, version,
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
    paths.update({f"tflite_{v}": os.path.join(tflite_dir, os.path.basename(p)) for v, p in tflite_files.items()})
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
