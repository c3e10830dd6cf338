"""Parameters and FLOPs per clip of the MRPN model, for the default and tiny configs.

A clip of `--clip_s` seconds (default 3) has T = round(clip_s x fps) video frames and
S = 1 + ceil((clip_s - segment_s) / hop_s) spectrogram segments: for 3 s, T = 45 at the
default 15 fps and 24 at the tiny 8 fps, and S = 11 for both.

FLOPs are counted two ways, for the test-time model (`testing_mode.inference_model`: central branch
only) on one clip with every frame real:
  - analytic: 2 x multiply-accumulates of every Conv2D, Dense and LSTM, from the layers' shapes
    (BatchNorm, activations, pooling and the residual adds are left out: they are < 1%);
  - profiler: TensorFlow's graph profiler (`float_operation`) over the static-shape, unrolled
    model, which counts each op it has a FLOP rule for (it includes BatchNorm and adds).

    python benchmarks/model_size.py [--network N2] [--clip_s 3] [--num_classes 8]
"""

from __future__ import annotations

import argparse
import math
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from mrpn_tf.config import config as config_lib  # noqa: E402
from mrpn_tf.model import aggregator as aggregator_lib  # noqa: E402
from mrpn_tf.model import layer_names  # noqa: E402
from mrpn_tf.model import networks  # noqa: E402
from mrpn_tf.model import testing_mode  # noqa: E402


def clip_steps(config: config_lib.Config, clip_s: float) -> tuple[int, int]:
    """(T video frames, S audio segments) of a clip of `clip_s` seconds."""
    frames = int(round(clip_s * config.video.fps))
    a = config.audio
    segments = 1 + math.ceil(max(0.0, clip_s - a.segment_s) / a.hop_s - 1e-9)
    return frames, segments


def dense_like_macs(layer: keras.layers.Layer) -> int:
    """MACs of one call of a Conv2D (per output position x kernel) or Dense (per row)."""
    if isinstance(layer, keras.layers.Conv2D):
        _, height, width, out_channels = layer.output.shape
        kernel = int(np.prod(layer.kernel.shape[:-1]))  # kh x kw x in_channels
        return int(height * width * out_channels * kernel)
    if isinstance(layer, keras.layers.Dense):
        return int(np.prod(layer.kernel.shape))
    return 0


def nested_macs(layer: keras.layers.Layer) -> int:
    """MACs of one call of `layer` on one row / one image, summing Conv2D and Dense inside."""
    return sum(
        dense_like_macs(sub) for sub in layer._flatten_layers(include_self=True, recursive=True)
    )


def aggregator_macs(layer: aggregator_lib.SequenceAggregator, steps: int, feature: int) -> int:
    """MACs of A_m over `steps` steps of `feature`-sized inputs."""
    units = layer.units
    if layer.kind == aggregator_lib.LSTM:
        return steps * 4 * (feature + units) * units
    if layer.kind == aggregator_lib.BILSTM:
        return 2 * steps * 4 * (feature + units) * units
    # Transformer: per-step projection and MLP, plus attention's two T x T x units products.
    per_step = nested_macs(layer)
    return steps * per_step + layer.num_layers * 2 * steps * steps * units


def analytic_flops(model: keras.Model, steps: dict[str, int]) -> dict[str, int]:
    """2 x MACs per clip, per component of the inference model."""
    flops = {}
    for head in testing_mode.branch_heads(model):
        extractor = model.get_layer(layer_names.extractor(head))
        cnn = extractor.layer
        n = steps[head]
        flops[f"F_{head} (x{n})"] = 2 * n * nested_macs(cnn)
        aggregator = model.get_layer(layer_names.aggregator(head))
        flops[f"A_{head}"] = 2 * aggregator_macs(aggregator, n, cnn.output.shape[-1])
        rp_name = layer_names.residual_perceptron(head)
        if rp_name in {layer.name for layer in model.layers}:
            flops[f"RP_{head}"] = 2 * nested_macs(model.get_layer(rp_name))
    heads = [layer for layer in model.layers
             if layer.name in (layer_names.FUSION,) or layer.name.endswith("_scoring")]
    flops["fusion / scoring"] = 2 * sum(nested_macs(layer) for layer in heads)
    return flops


def profiler_flops(model: keras.Model) -> int:
    """Float ops of one forward pass, by TensorFlow's graph profiler (static shapes)."""
    specs = {
        key: tf.TensorSpec((1,) + tuple(t.shape[1:]), tf.float32) for key, t in model.input.items()
    }
    forward = tf.function(lambda inputs: model(inputs, training=False))
    graph = forward.get_concrete_function(specs).graph
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    tf.get_logger().setLevel("ERROR")  # the v1 profiler warns about its own deprecation
    profile = tf.compat.v1.profiler.profile(graph, cmd="op", options=options)
    return int(profile.total_float_ops)


def report(variant: str, network: str, clip_s: float, num_classes: int) -> None:
    """Prints parameters and FLOPs per clip of one config variant."""
    config = config_lib.variant(variant)
    config.model.network = network
    frames, segments = clip_steps(config, clip_s)
    trained = networks.build_model(config, num_classes)
    trainable = sum(int(np.prod(w.shape)) for w in trained.trainable_weights)
    # The static, unrolled, gather-free model an exporter builds; every frame of the clip real.
    static = networks.build_model(config, num_classes, video_steps=frames, audio_steps=segments,
                                  unroll=True, gather_valid=False)
    inference = testing_mode.inference_model(static)
    steps = {"v": frames, "a": segments}
    components = analytic_flops(inference, steps)
    print(f"\n== {variant} config, {network}, {num_classes} classes, {clip_s:g}-s clip: "
          f"T = {frames} frames ({config.video.fps:g} fps, {config.video.crop_size} px), "
          f"S = {segments} segments ==")
    print(f"parameters (training model):  {trained.count_params():>14,}  "
          f"({trainable:,} trainable)")
    print(f"parameters (inference model): {inference.count_params():>14,}")
    for head in testing_mode.branch_heads(inference):
        cnn = inference.get_layer(layer_names.extractor(head)).layer
        print(f"  F_{head} per frame / segment: {2 * nested_macs(cnn) / 1e6:10.3f} MFLOPs, "
              f"{cnn.count_params():,} parameters")
    for name, value in components.items():
        print(f"  {name:<22} {value / 1e6:12.3f} MFLOPs")
    print(f"FLOPs per clip (analytic):    {sum(components.values()) / 1e9:10.3f} GFLOPs")
    print(f"FLOPs per clip (TF profiler): {profiler_flops(inference) / 1e9:10.3f} GFLOPs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", default="N2", choices=["N0", "N1", "N2", "AM", "VM"])
    parser.add_argument("--clip_s", type=float, default=3.0)
    parser.add_argument("--num_classes", type=int, default=8)
    parser.add_argument("--variants", nargs="+", default=["default", "tiny"])
    args = parser.parse_args()
    for variant in args.variants:
        report(variant, args.network, args.clip_s, args.num_classes)


if __name__ == "__main__":
    main()
