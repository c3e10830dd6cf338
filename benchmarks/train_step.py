"""Training speed: clips/s and GFLOP/s of a training step, next to a matmul; fit real vs in memory.

    python benchmarks/train_step.py [--steps 5] [--default-batch 2] [--skip-fit]

1. Reference: a 2048 x 2048 fp32 matmul's GFLOP/s on this machine, measured in the same run.
2. Train step (`train_on_batch`) of the default and tiny configs on in-memory clips of
   `--clip-s` seconds (no padding): clips/s and achieved GFLOP/s. The FLOPs are TensorFlow's
   profiler count of the forward pass (the model built with static shapes) times 3, the usual
   estimate of forward + backward. Target (issue): >= 60 % of the matmul's GFLOP/s on CPU.
3. `fit` of the tiny config on the prepared demo data (made in the cache if needed) through
   the real input pipeline vs the same batches held in memory. Target: within 5 %.
4. On a GPU, step 2 again with mixed precision and XLA auto-clustering.
"""

from __future__ import annotations

import argparse
import functools
import os
import time

import keras
import numpy as np
import tensorflow as tf

from mrpn_tf import runtime
from mrpn_tf.config import config as config_lib
from mrpn_tf.data import features
from mrpn_tf.data.datasets import label_sets
from mrpn_tf.data.pipeline import dataset_builder, spectrogram_segments
from mrpn_tf.model import build_model
from mrpn_tf.demo import demo_run
from mrpn_tf.training import input_data, task

MATMUL_N = 2048


def matmul_gflops(repeats: int = 20) -> float:
    """GFLOP/s of an N x N fp32 matmul (2 N^3 flops), best of `repeats` after a warm-up."""
    a = tf.random.normal([MATMUL_N, MATMUL_N])
    b = tf.random.normal([MATMUL_N, MATMUL_N])
    matmul = tf.function(lambda x, y: tf.matmul(x, y))
    matmul(a, b).numpy()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        matmul(a, b).numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * MATMUL_N**3 / best / 1e9


def clip_batch(config: config_lib.Config, batch: int, clip_s: float) -> tuple[dict, dict, dict]:
    """In-memory (inputs, targets, weights) of `batch` clips of `clip_s` seconds, no padding."""
    rng = np.random.default_rng(0)
    frames = int(round(clip_s * config.video.fps))
    segments = int(spectrogram_segments.segment_count(int(clip_s * config.audio.sample_rate), config.audio))
    size, a = config.video.crop_size, config.audio
    inputs = {
        features.VIDEO: rng.random((batch, frames, size, size, 3), np.float32),
        features.VIDEO_MASK: np.ones((batch, frames), np.float32),
        features.AUDIO: rng.standard_normal((batch, segments, a.freq_bins, a.frames_per_segment)).astype(np.float32),
        features.AUDIO_MASK: np.ones((batch, segments), np.float32),
    }
    labels = rng.integers(0, 8, batch).astype(np.int32)
    return inputs, {h: labels for h in features.HEAD_KEYS}, {h: np.ones(batch, np.float32) for h in features.HEAD_KEYS}


def forward_flops(config: config_lib.Config, inputs: dict) -> float:
    """Profiler FLOP count of one forward pass on `inputs` (static shapes, every frame real)."""
    frames, segments = inputs[features.VIDEO].shape[1], inputs[features.AUDIO].shape[1]
    model = build_model(config, 8, video_steps=frames, audio_steps=segments, gather_valid=False)
    specs = {k: tf.TensorSpec(v.shape, tf.float32) for k, v in inputs.items()}
    graph = tf.function(lambda x: model(x, training=False)).get_concrete_function(specs).graph
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    return float(tf.compat.v1.profiler.profile(graph, options=options).total_float_ops)


def step_speed(config: config_lib.Config, batch: int, clip_s: float, steps: int) -> dict:
    """clips/s and GFLOP/s of `train_on_batch` (median of `steps` after 2 warm-up steps)."""
    task.apply_switches(config.train)
    inputs, targets, weights = clip_batch(config, batch, clip_s)
    flops = 3 * forward_flops(config, inputs)
    model = task.build_compiled_model(config, 8)
    for _ in range(2):
        model.train_on_batch(inputs, targets, sample_weight=weights)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        model.train_on_batch(inputs, targets, sample_weight=weights)
        times.append(time.perf_counter() - start)
    seconds = float(np.median(times))
    return {"batch": batch, "step_s": seconds, "clips_per_s": batch / seconds,
            "gflop_per_step": flops / 1e9, "gflops": flops / seconds / 1e9}


def in_memory(dataset: tf.data.Dataset) -> tuple[tf.data.Dataset, int]:
    """The batches of one pass of `dataset` held in memory, as a dataset; and their count."""
    batches = [tf.data.Dataset.from_tensors(batch) for batch in dataset]
    return functools.reduce(lambda a, b: a.concatenate(b), batches), len(batches)


def epoch_seconds(model: keras.Model, dataset: tf.data.Dataset, steps: int) -> float:
    """Seconds of one `fit` epoch of `steps` steps over a repeated dataset.

    Both inputs run the same number of steps (`steps_per_epoch`: Keras adds an empty step at
    the end of a dataset of unknown size).
    """
    start = time.perf_counter()
    model.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0)
    return time.perf_counter() - start


def fit_real_vs_memory(epochs: int) -> dict:
    """`fit` seconds per epoch of the tiny config: real pipeline vs the same batches in memory.

    Epochs of the two alternate, after one warm-up epoch each (tracing, cache filling), and
    the medians are compared, so that a change in the machine's load hits both alike.
    """
    config = config_lib.tiny()
    demo_run.ensure_demo_data(config)
    keys = (list(features.INPUT_KEYS), list(features.HEAD_KEYS))
    real = input_data.model_dataset(config, dataset_builder.TRAIN, *keys)
    memory, steps = in_memory(real)
    inputs = {"real": real.repeat(), "memory": memory.repeat().prefetch(2)}
    model = task.build_compiled_model(config, len(label_sets.run_labels(config.data)))
    times = {name: [] for name in inputs}
    for epoch in range(epochs + 1):
        for name, dataset in inputs.items():
            seconds = epoch_seconds(model, dataset, steps)
            if epoch:
                times[name].append(seconds)
    real_s, memory_s = float(np.median(times["real"])), float(np.median(times["memory"]))
    return {"real_s_per_epoch": real_s, "memory_s_per_epoch": memory_s,
            "overhead": real_s / memory_s - 1.0}


def _print_step(name: str, result: dict, reference: float) -> None:
    print(f"{name:<28} batch {result['batch']:>2}  {result['step_s'] * 1000:8.0f} ms/step  "
          f"{result['clips_per_s']:7.2f} clips/s  {result['gflop_per_step']:8.1f} GFLOP/step  "
          f"{result['gflops']:6.1f} GFLOP/s = {result['gflops'] / reference:5.1%} of matmul")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--default-batch", type=int, default=2, help="clips per step, default config")
    parser.add_argument("--clip-s", type=float, default=2.5, help="clip length of the step benchmark")
    parser.add_argument("--fit-epochs", type=int, default=5, help="timed epochs of each input")
    parser.add_argument("--skip-fit", action="store_true")
    parser.add_argument("--skip-steps", action="store_true", help="only the fit comparison")
    args = parser.parse_args()
    print(f"TensorFlow {tf.__version__}, {os.cpu_count()} CPU cores, "
          f"GPUs: {[d.name for d in tf.config.list_physical_devices('GPU')] or 'none'}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"CPU: {runtime.describe_cpu()}")
    reference = matmul_gflops()
    print(f"{MATMUL_N}x{MATMUL_N} fp32 matmul: {reference:.1f} GFLOP/s")
    keras.utils.set_random_seed(0)
    variants = [("default", config_lib.Config(), args.default_batch),
                ("tiny", config_lib.tiny(), config_lib.tiny().train.batch_size)]
    if tf.config.list_physical_devices("GPU"):
        fast = config_lib.Config()
        fast.train.mixed_precision = fast.train.xla = True
        variants.append(("default, mixed precision+XLA", fast, config_lib.Config().train.batch_size))
    for name, config, batch in [] if args.skip_steps else variants:
        _print_step(name, step_speed(config, batch, args.clip_s, args.steps), reference)
    if not args.skip_fit:
        task.apply_switches(config_lib.tiny().train)
        fit = fit_real_vs_memory(args.fit_epochs)
        print(f"fit, tiny config on the demo set: real pipeline {fit['real_s_per_epoch']:.2f} s/epoch, "
              f"in memory {fit['memory_s_per_epoch']:.2f} s/epoch, overhead {fit['overhead']:+.1%}")


if __name__ == "__main__":
    main()
