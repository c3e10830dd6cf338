"""The static-shape window model that TFLite runs: the trained model rebuilt for one window.

Keras 3 runs an LSTM over a dynamic length as a while loop over TensorLists, and the TFLite
converter turns those into Flex ops (TensorListReserve, While over TensorLists, ...) that the
builtin interpreter does not have. Here the network is built again by the same builder
(`mrpn_tf.model.build_model`) with every length static - batch 1, `WindowSpec.frames` frames,
`WindowSpec.segments` segments - and `unroll=True`, so each LSTM becomes a fixed chain of
matmuls and elementwise ops, and with `gather_valid=False`, so the CNN runs on a static
[frames, ...] batch instead of a data-dependent gather (padding steps are zeroed by the mask,
which gives the same inference outputs). The Transformer aggregator has no loop and converts
as it is. The trained weights are copied layer by layer, by name.

The window model keeps the testing mode of paper 3.1: `testing_mode.inference_model` (central
branch, no dropout) and, for N1 / N2, `testing_mode.side_head_models`.
"""

from __future__ import annotations

import keras

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import features
from mrpn_tf.inference import signature_keys
from mrpn_tf.inference import windowing
from mrpn_tf.model import networks
from mrpn_tf.model import testing_mode


def copy_weights(source: keras.Model, target: keras.Model) -> int:
    """Copies the weights of every layer of `target` from the layer of the same name in `source`.

    Args:
      source: the trained model.
      target: a model built by the same builder from the same config (other static shapes).

    Returns:
      The number of weight tensors copied.

    Raises:
      ValueError: a layer of `target` with weights has no counterpart in `source`, or the
        two models do not hold the same number of weight tensors.
    """
    copied = 0
    for layer in target.layers:
        if not layer.weights:
            continue
        try:
            counterpart = source.get_layer(layer.name)
        except ValueError as e:
            raise ValueError(f"window model layer {layer.name!r} is not in the trained model") from e
        layer.set_weights(counterpart.get_weights())
        copied += len(layer.weights)
    if copied != len(source.weights):
        raise ValueError(
            f"copied {copied} weight tensors into the window model but the trained model has "
            f"{len(source.weights)}: the two were not built from the same config"
        )
    return copied


def build_window_models(
    model: keras.Model, config: config_lib.Config, num_classes: int, spec: windowing.WindowSpec
) -> dict[str, keras.Model]:
    """The pruned models of one static window, sharing one copy of the trained weights.

    Args:
      model: the trained full model.
      config: the run's config (the same that built `model`).
      num_classes: number of classes of `model`.
      spec: the window (static frame and segment counts).

    Returns:
      Signature name -> model: `FEATURES` -> central branch (all heads' inputs), and for N1 /
      N2 `VIDEO_ONLY` / `AUDIO_ONLY` -> that side head (its branch's inputs). Every model
      takes batch-1 feature inputs and returns {head: probabilities [1, num_classes]}.
    """
    static = networks.build_model(
        config,
        num_classes,
        video_steps=spec.frames,
        audio_steps=spec.segments,
        unroll=True,
        gather_valid=False,
    )
    copy_weights(model, static)
    models = {signature_keys.FEATURES: testing_mode.inference_model(static)}
    for head, side_model in testing_mode.side_head_models(static).items():
        models[signature_keys.SIDE_HEAD_SIGNATURES[head]] = side_model
    return models


def window_steps(spec: windowing.WindowSpec) -> dict[str, int]:
    """Static time steps of each branch head in a window: {"v": frames, "a": segments}."""
    return {features.V: spec.frames, features.A: spec.segments}
