"""The paper's testing mode: the central branch for inference, and the side heads for one modality.

Paper 3.1, observations 2 and 4: "In testing mode only the central branches of networks N1, N2
are active while the side branches are inactive", and "all Dropout units are not active".
`inference_model` keeps F_m, A_m, FeatureNorm, (RP,) and the FusionComponent's Concatenate ->
FeatureNorm -> Scoring, without any side head or dropout. `side_head_models` gives, for N1 /
N2, one model per modality (F_m, A_m, FeatureNorm, DenseUnit), so that a clip missing the other
modality can still be scored. (A Transformer aggregator keeps its internal attention / MLP
dropout, which, like every Keras dropout, is the identity in inference mode.)

The models are new graphs over the trained model's own layers: they share its weights (no
copy), and work the same on a model just built, trained or loaded from a `.keras` file, since
they find the layers by the names in `layer_names.py`.
"""

from __future__ import annotations

import keras

from mrpn_tf.model import fusion_component
from mrpn_tf.model import layer_names
from mrpn_tf.model import scoring


def branch_heads(model: keras.Model) -> list[str]:
    """Head keys of the branches of a model built by `networks.build_network`, in order.

    Args:
      model: an N0 / N1 / N2 / single-modality model.

    Returns:
      e.g. ["v", "a"], in the order of the model's inputs.
    """
    order = [id(t) for t in model.input.values()]
    heads = {}
    for layer in model.layers:
        head = layer_names.head_of_extractor(layer.name)
        if head is not None:
            frames, _ = layer.input
            heads[head] = order.index(id(frames))
    return sorted(heads, key=heads.get)


def _branch_inputs(model: keras.Model, head: str) -> dict:
    """The model inputs (frames and mask) that feed the branch `head`."""
    frames, mask = model.get_layer(layer_names.extractor(head)).input
    return {key: t for key, t in model.input.items() if t is frames or t is mask}


def fusion_layer(model: keras.Model) -> fusion_component.FusionComponent | None:
    """The FusionComponent of an N0 / N1 / N2 model; None for a single-modality model."""
    layer = next((l for l in model.layers if l.name == layer_names.FUSION), None)
    return layer if isinstance(layer, fusion_component.FusionComponent) else None


def inference_model(model: keras.Model) -> keras.Model:
    """The central branch of a trained model, with no side heads and no dropout.

    Args:
      model: built by `networks.build_network` / `build_model` (trained or loaded).

    Returns:
      A model sharing `model`'s weights, with the inputs of all its branches and one output:
      {fused_key: probabilities} for N0 / N1 / N2, {head: probabilities} for a single-modality
      model. In inference mode it equals `model`'s output of the same key.
    """
    heads = branch_heads(model)
    fusion = fusion_layer(model)
    if fusion is None:
        (head,) = heads
        f_hat = model.get_layer(layer_names.feature_norm(head)).output
        s = model.get_layer(layer_names.scoring(head))(f_hat)
        return keras.Model(model.input, {head: scoring.probabilities(head)(s)},
                           name=f"{model.name}_inference")
    (fused_key,) = [key for key in model.output if key not in heads]
    g = fusion.feature_norm(fusion.concatenate(list(fusion.input)))  # eq. 3, no dropout
    s = fusion.scoring(g)
    return keras.Model(model.input, {fused_key: scoring.probabilities(fused_key)(s)},
                       name=f"{model.name}_inference")


def side_head_models(model: keras.Model) -> dict[str, keras.Model]:
    """One single-modality model per side head of N1 / N2 (none for N0 or single models).

    Args:
      model: built by `networks.build_network` / `build_model` (trained or loaded).

    Returns:
      head key -> model sharing `model`'s weights, whose inputs are that branch's frames and
      mask and whose output is {head: probabilities}, equal to `model`'s output `head` in
      inference mode.
    """
    names = {layer.name for layer in model.layers}
    models = {}
    for head in branch_heads(model):
        if layer_names.side_head(head) not in names:
            continue
        f_hat = model.get_layer(layer_names.feature_norm(head)).output
        s = model.get_layer(layer_names.side_head(head))(f_hat)  # eqs. 8-9, no dropout
        models[head] = keras.Model(_branch_inputs(model, head),
                                   {head: scoring.probabilities(head)(s)},
                                   name=f"{model.name}_{head}")
    return models
