"""Fused vs Keras BatchNormalization: ms per training step of the tiny AM, in one process.

    python benchmarks/batch_norm.py [--run-file pipelines/ravdess_am_cpu.yaml] [--rounds 10] \
        [section.key=value ...]

Builds the run file's network twice, once with the ResNet-18's BatchNorms as
`fused_batch_norm.BatchNormalization` (the code's) and once as `keras.layers.BatchNormalization`
(the same weights copied in), and times `train_on_batch` on the same in-memory batch: `batch`
clips of 2-3 real spectrogram segments each (~20 per step, as on trimmed RAVDESS speech).
The two alternate in short rounds, the order flipping every round, so that a change in the
machine's load hits both alike; the medians over all timed steps are compared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from unittest import mock

import keras
import numpy as np
import tensorflow as tf

from mrpn_tf import runtime
from mrpn_tf.config import loading
from mrpn_tf.data import features
from mrpn_tf.model import fused_batch_norm
from mrpn_tf.training import accelerator_switches
from mrpn_tf.training import task

NUM_CLASSES = 8


def step_inputs(model: keras.Model, config, seed: int = 0) -> tuple[dict, dict]:
    """(inputs, targets) of one batch: every model input, clips of 2-3 real segments of 3."""
    rng = np.random.default_rng(seed)
    batch, a = config.train.batch_size, config.audio
    lengths = rng.integers(2, 4, batch)
    steps = int(lengths.max())
    mask = (np.arange(steps)[None, :] < lengths[:, None]).astype(np.float32)
    size = config.video.crop_size
    frames = 4
    values = {
        features.AUDIO: (-3.7 + 2.2 * rng.standard_normal(
            (batch, steps, a.freq_bins, a.frames_per_segment))).astype(np.float32),
        features.AUDIO_MASK: mask,
        features.VIDEO: rng.random((batch, frames, size, size, 3), np.float32),
        features.VIDEO_MASK: np.ones((batch, frames), np.float32),
    }
    inputs = {key: values[key] for key in model.input}
    labels = rng.integers(0, NUM_CLASSES, batch).astype(np.int32)
    return inputs, {head: labels for head in model.output}


def build(config, fused: bool) -> keras.Model:
    """The compiled network with fused (the code's) or Keras's BatchNorms in its ResNets."""
    keras.utils.set_random_seed(0)
    if fused:
        return task.build_compiled_model(config, NUM_CLASSES)
    with mock.patch.object(fused_batch_norm, "BatchNormalization", keras.layers.BatchNormalization):
        return task.build_compiled_model(config, NUM_CLASSES)


def batch_norm_kinds(model: keras.Model) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for layer in model._flatten_layers(include_self=False):
        if isinstance(layer, keras.layers.BatchNormalization):
            name = f"{type(layer).__module__}.{type(layer).__name__}"
            kinds[name] = kinds.get(name, 0) + 1
    return kinds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-file", default="pipelines/ravdess_am_cpu.yaml")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--steps", type=int, default=5, help="timed steps per variant per round")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("overrides", nargs="*", help="section.key=value, applied to the run file")
    args = parser.parse_args()
    config = loading.load_config(args.run_file, args.overrides)
    accelerator_switches.apply_switches(config.train)
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, {os.cpu_count()} CPU cores, "
          f"load average {os.getloadavg()[0]:.1f} before")
    print(f"CPU: {runtime.describe_cpu()}")
    print(f"{args.run_file} {' '.join(args.overrides)}: network {config.model.network}, "
          f"batch {config.train.batch_size}, segments {config.audio.freq_bins} x "
          f"{config.audio.frames_per_segment}")
    models = {"keras": build(config, fused=False), "fused": build(config, fused=True)}
    models["keras"].set_weights(models["fused"].get_weights())
    inputs, targets = step_inputs(models["fused"], config)
    print(f"segments per step: {int(inputs[features.AUDIO_MASK].sum())} real of "
          f"{inputs[features.AUDIO_MASK].size}")
    for name, model in models.items():
        print(f"  {name}: BatchNorm layers {batch_norm_kinds(model)}")
        for _ in range(args.warmup):
            model.train_on_batch(inputs, targets)
    times = {name: [] for name in models}
    order = list(models)
    for _ in range(args.rounds):
        for name in order:
            for _ in range(args.steps):
                start = time.perf_counter()
                models[name].train_on_batch(inputs, targets)
                times[name].append(time.perf_counter() - start)
        order.reverse()
    medians = {name: statistics.median(t) * 1000 for name, t in times.items()}
    for name, t in times.items():
        quartiles = np.percentile(np.array(t) * 1000, [25, 75])
        print(f"{name:>5}: {medians[name]:6.1f} ms/step median of {len(t)} "
              f"(quartiles {quartiles[0]:.1f}-{quartiles[1]:.1f})")
    print(f"fused / keras: {medians['fused'] / medians['keras']:.2f}; "
          f"load average {os.getloadavg()[0]:.1f} after")


if __name__ == "__main__":
    main()
