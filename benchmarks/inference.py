"""Inference speed and size: Keras, SavedModel and each TFLite file, on one thread.

    python benchmarks/inference.py [--variants tiny default] [--run RUN_DIR] [--clip-s 3.5]

For each config variant the model is exported (`run_export.export_model`, int8 calibrated on
the demo set prepared at that variant's settings) and one clip of `--clip-s` seconds is scored
the way `predict` scores it: cut into the export's windows, preprocessed, scored, averaged.
  - Keras: `raw_to_features` + the central branch (`testing_mode.inference_model`), both traced.
  - SavedModel: `serving_default` of the loaded SavedModel (preprocessing inside).
  - TFLite fp32 / fp16 / int8_dynamic / int8_full: `predictor.TFLiteBackend`, XNNPACK, 1 thread.
  - TFLite raw_fp32 ... raw_int8_full: the raw-input files (face crops and waveform in, the
    preprocessing inside, export/raw_window_model.py), the same way.
Latency per clip is the median of `--repeats` runs, wall clock and CPU time of this process
(CPU time is what one core spends; the wall clock also counts waiting for a busy machine).
x real time = clip seconds / latency. Per window: the interpreter alone on one window - the
model for a feature file (its preprocessing runs in TF before it), preprocessing and model for
a raw file, i.e. all an app spends per window. File sizes are those of the export.

Agreement: with `--run` (a trained run of the tiny config, e.g. `python -m mrpn_tf.train`),
the fp16 / int8 files' top-1 is compared with fp32's on the demo validation clips (the fold's
held-out actors), per window and per clip (mean of windows, as predict does); the raw files'
with the raw fp32 file's, and the raw fp32 file's with the fp32 feature file's.

Targets (export issue): int8 >= 3x real time for the default model and >= 20x for the tiny
one; int8 file <= fp32 / 3.5; int8 top-1 agreement with fp32 >= 99 %.
"""

from __future__ import annotations

import os

# One thread for TF as well as for TFLite: set before TensorFlow starts its thread pools.
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from typing import Callable  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from mrpn_tf import runtime  # noqa: E402
from mrpn_tf.config import config as config_lib  # noqa: E402
from mrpn_tf.data import datasets  # noqa: E402
from mrpn_tf.data import features  # noqa: E402
from mrpn_tf.data.pipeline import dataset_builder  # noqa: E402
from mrpn_tf.inference import predictor  # noqa: E402
from mrpn_tf.inference import window_scoring  # noqa: E402
from mrpn_tf.export import run_export  # noqa: E402
from mrpn_tf.training import run_dir as run_dir_lib  # noqa: E402
from mrpn_tf.inference import serving_preprocessing  # noqa: E402
from mrpn_tf.inference import signature_keys  # noqa: E402
from mrpn_tf.export import tflite_export  # noqa: E402
from mrpn_tf.inference import windowing  # noqa: E402
from mrpn_tf.model import build_model  # noqa: E402
from mrpn_tf.model import inference_model  # noqa: E402
from mrpn_tf.demo import demo_run  # noqa: E402

VARIANTS = tflite_export.QUANTIZATIONS
# Every TFLite file of an export: (name in the tables, export key), feature files first.
FILES = [(v, run_export.tflite_key(v)) for v in VARIANTS] + [
    (f"{run_export.RAW_INPUT_INFIX}_{v}", run_export.tflite_key(v, raw=True)) for v in VARIANTS
]


def timed(fn: Callable[[], object], repeats: int) -> dict[str, float]:
    """Median wall and CPU seconds of `fn()` over `repeats` runs, after one warm-up run."""
    fn()
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return {"wall_s": statistics.median(walls), "cpu_s": statistics.median(cpus)}


def synthetic_clip(config: config_lib.Config, seconds: float) -> tuple[np.ndarray, np.ndarray]:
    """Face crops and a voiced waveform of `seconds` (latency does not depend on content)."""
    rng = np.random.default_rng(0)
    size = config.video.crop_size
    frames = rng.integers(0, 256, (int(round(seconds * config.video.fps)), size, size, 3), dtype=np.uint8)
    t = np.arange(int(seconds * config.audio.sample_rate)) / config.audio.sample_rate
    waveform = (0.3 * np.sin(2 * np.pi * 220 * t) + 0.01 * rng.standard_normal(len(t))).astype(np.float32)
    return frames, waveform


def model_and_config(variant: str, run_dir: str | None) -> tuple[keras.Model, config_lib.Config, list[str]]:
    """A trained run's model, or an untrained one of the variant on the demo set's classes."""
    if run_dir:
        run = run_dir_lib.RunDir(run_dir)
        config = run_dir_lib.load_config(run)
        _, labels = run_dir_lib.read_run_labels(run)
        return keras.saving.load_model(run.model_path), config, labels
    config = config_lib.variant(variant)
    config.data.dataset = datasets.DEMO
    labels = list(datasets.label_names(datasets.DEMO))
    return build_model(config, len(labels)), config, labels


def latencies(model, config, paths, clip_s: float, repeats: int) -> dict[str, dict[str, float]]:
    """Per-clip latency of every path on one synthetic clip of `clip_s` seconds."""
    spec = windowing.window_spec(config)
    windows, _ = windowing.raw_windows(*synthetic_clip(config, clip_s), spec)
    tensors = {k: tf.constant(v) for k, v in windows.items()}
    central = inference_model(model)
    heads = [features.V, features.A]
    keras_fn = tf.function(
        lambda raw: central(serving_preprocessing.raw_to_features(raw, heads, config), training=False)
    )
    serving = tf.saved_model.load(paths["savedmodel"]).signatures[signature_keys.SERVING_DEFAULT]
    results = {
        "keras": timed(lambda: keras_fn(tensors), repeats),
        "savedmodel": timed(lambda: serving(**tensors), repeats),
    }
    one_window = {k: v[:1].numpy() for k, v in serving_preprocessing.raw_to_features(
        {k: v[:1] for k, v in tensors.items()}, heads, config).items()}
    one_raw_window = {k: v[:1] for k, v in windows.items()}
    for name, key in FILES:
        backend = predictor.TFLiteBackend(paths[key], num_threads=1)
        results[f"tflite_{name}"] = timed(
            lambda: backend.window_probabilities(signature_keys.SERVING_DEFAULT, windows), repeats
        )
        # The interpreter alone on one window: the model's share of the clip's latency (a
        # feature file), or all of it (a raw file, preprocessing inside).
        if backend.raw:
            runner, window = backend.runners[signature_keys.SERVING_DEFAULT], one_raw_window
        else:
            runner, window = backend.runners[signature_keys.FEATURES], one_window
        per_window = timed(lambda: runner(**window), repeats)
        results[f"tflite_{name}"].update({f"window_model_{k}": v for k, v in per_window.items()})
    for entry in results.values():
        entry["x_real_time_wall"] = clip_s / entry["wall_s"]
        entry["x_real_time_cpu"] = clip_s / entry["cpu_s"]
    results["windows_per_clip"] = len(windows[signature_keys.NUM_FRAMES])
    return results


def sizes(paths: dict[str, str]) -> dict[str, int]:
    """Bytes of the SavedModel folder and of each TFLite file."""
    saved = sum(
        os.path.getsize(os.path.join(folder, name))
        for folder, _, names in os.walk(paths["savedmodel"]) for name in names
    )
    return {"savedmodel": saved, **{name: os.path.getsize(paths[key]) for name, key in FILES}}


def window_scores(backend: predictor.TFLiteBackend, feature_windows: list, raw_windows: list) -> np.ndarray:
    """One clip's window probabilities [K, C] from one file, one window at a time."""
    if backend.raw:
        runner, inputs = backend.runners[signature_keys.SERVING_DEFAULT], raw_windows
    else:
        runner = backend.runners[signature_keys.FEATURES]
        inputs = [{k: v[None] for k, v in w.items()} for w in feature_windows]
    return np.concatenate([runner(**w)[signature_keys.PROBABILITIES] for w in inputs])


def agreement(config: config_lib.Config, paths: dict[str, str]) -> dict[str, dict[str, float]]:
    """Top-1 agreement of each file with its fp32 file on the validation clips, per window and clip.

    The feature files are compared with the fp32 feature file, the raw files with the raw fp32
    file (and "raw_fp32" with the fp32 feature file: preprocessing in the file vs in TF).
    """
    spec = windowing.window_spec(config)
    heads = [features.V, features.A]
    clips, labels = [], []
    for clip in window_scoring.split_clips(config, dataset_builder.VAL):  # predict's windows
        labels.append(clip.label)
        raw = window_scoring.clip_raw_windows(clip, heads, spec)
        batch, _ = next(window_scoring.window_batches(iter([clip]), heads, config, 1))
        count = len(batch[features.VIDEO])
        clips.append((
            [{k: v[i] for k, v in batch.items()} for i in range(count)],
            [{k: v[i : i + 1] for k, v in raw.items()} for i in range(count)],
        ))
    scores = {}
    for name, key in FILES:
        backend = predictor.TFLiteBackend(paths[key], num_threads=1)
        scores[name] = [window_scores(backend, *windows) for windows in clips]
    result = {"clips": len(clips), "windows": int(sum(len(w) for w, _ in clips))}
    for name, _ in FILES:
        reference = "fp32" if name in (f"{run_export.RAW_INPUT_INFIX}_fp32", *VARIANTS) else f"{run_export.RAW_INPUT_INFIX}_fp32"
        top_windows = np.concatenate([s.argmax(1) for s in scores[name]])
        top_clips = np.array([s.mean(0).argmax() for s in scores[name]])
        reference_windows = np.concatenate([s.argmax(1) for s in scores[reference]])
        reference_clips = np.array([s.mean(0).argmax() for s in scores[reference]])
        result[name] = {
            "reference": reference,
            "window_agreement": float(np.mean(top_windows == reference_windows)),
            "clip_agreement": float(np.mean(top_clips == reference_clips)),
            "clip_accuracy": float(np.mean(top_clips == np.array(labels))),
        }
    return result


def benchmark(variant: str, run_dir: str | None, clip_s: float, repeats: int, out_dir: str) -> dict:
    """Exports one variant's model and measures it (module docstring)."""
    model, config, labels = model_and_config(variant, run_dir)
    if not config.data.prepared_dir:
        demo_run.ensure_demo_data(config)  # calibration windows from the real pipeline
    started = time.perf_counter()
    paths = run_export.export_model(model, config, labels, config.data.dataset, f"bench_{variant}", 1, out_dir)
    report = {
        "variant": variant,
        "trained_run": run_dir,
        "clip_s": clip_s,
        "window": dataclasses.asdict(windowing.window_spec(config)),
        "export_s": time.perf_counter() - started,
        "sizes_bytes": sizes(paths),
        "latency": latencies(model, config, paths, clip_s, repeats),
    }
    if run_dir:
        report["agreement"] = agreement(config, paths)
    return report


def print_report(report: dict) -> None:
    """A table of one variant's figures."""
    size = report["sizes_bytes"]
    print(f"\n== {report['variant']} model ({'trained: ' + report['trained_run'] if report['trained_run'] else 'untrained'}); "
          f"clip {report['clip_s']} s = {report['latency']['windows_per_clip']} window(s) of {report['window']['seconds']} s")
    print(f"{'path':24s} {'wall ms':>9s} {'cpu ms':>9s} {'x RT wall':>10s} {'x RT cpu':>9s} {'size MB':>9s}")
    for path, entry in report["latency"].items():
        if not isinstance(entry, dict):
            continue
        mb = size.get(path.replace("tflite_", ""), size["savedmodel"] if path == "savedmodel" else None)
        mb_text = f"{mb / 1e6:9.2f}" if mb else f"{'':9s}"
        window = entry.get("window_model_cpu_s")
        what = "preprocessing + model" if path.startswith(f"tflite_{run_export.RAW_INPUT_INFIX}_") else "model alone"
        window_text = (
            f"  ({what}: {1e3 * window:.1f} cpu ms, {1e3 * entry['window_model_wall_s']:.1f} wall ms / window)"
            if window else ""
        )
        print(f"{path:24s} {1e3 * entry['wall_s']:9.1f} {1e3 * entry['cpu_s']:9.1f} "
              f"{entry['x_real_time_wall']:10.1f} {entry['x_real_time_cpu']:9.1f} {mb_text}{window_text}")
    for prefix in ("", f"{run_export.RAW_INPUT_INFIX}_"):
        print(f"{prefix or 'feature '}int8 file / fp32: dynamic "
              f"{size[prefix + 'fp32'] / size[prefix + 'int8_dynamic']:.2f}x smaller, "
              f"full {size[prefix + 'fp32'] / size[prefix + 'int8_full']:.2f}x smaller")
    if "agreement" in report:
        a = report["agreement"]
        print(f"top-1 agreement on {a['clips']} validation clips ({a['windows']} windows):")
        for name, _ in FILES:
            v = a[name]
            print(f"  {name:17s} vs {v['reference']:9s} windows {100 * v['window_agreement']:5.1f} %  "
                  f"clips {100 * v['clip_agreement']:5.1f} %  (clip accuracy {100 * v['clip_accuracy']:.1f} %)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variants", nargs="+", default=["tiny", "default"], choices=sorted(config_lib.CONFIG_VARIANTS))
    parser.add_argument("--run", default=None, help="trained tiny run folder (for the agreement figures)")
    parser.add_argument("--clip-s", type=float, default=3.5, help="clip length (RAVDESS clips last ~3.5 s)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args()
    print(f"CPU: {runtime.describe_cpu()}")
    reports = []
    with tempfile.TemporaryDirectory(prefix="mrpn_bench_") as out_dir:
        for variant in args.variants:
            run_dir = args.run if variant == "tiny" else None
            reports.append(benchmark(variant, run_dir, args.clip_s, args.repeats, out_dir))
            print_report(reports[-1])
    if args.json:
        with open(args.json, "w") as f:
            json.dump(reports, f, indent=1)


if __name__ == "__main__":
    main()
