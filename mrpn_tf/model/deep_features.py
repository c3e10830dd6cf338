"""Deep features of a trained model, for the t-SNE plots of the evaluation.

f_m = A_m(F_m(x_m)) per branch (eq. 1) and, for the fusion networks, the fused feature
g_va = FeatureNorm(Concatenate(g_v, g_a)) the FusionComponent scores (eq. 3).
"""

from __future__ import annotations

import keras

from mrpn_tf.model import layer_names
from mrpn_tf.model import testing_mode

FUSED = "fused"


def modal_key(head: str) -> str:
    """Output key of a branch's f_m in the feature model ("f_v", "f_a", ...)."""
    return f"f_{head}"


def feature_model(model: keras.Model) -> keras.Model:
    """A model returning the deep features of `model` (shared weights).

    Args:
      model: built by `networks.build_network` / `build_model` (trained or loaded).

    Returns:
      A model with `model`'s inputs and outputs {modal_key(head): f_m [B, D_m] per branch,
      FUSED: g_va [B, sum of the fusion inputs' sizes] (fusion networks only)}. Run it in
      inference mode (predict) to get the deterministic features.
    """
    outputs = {
        modal_key(head): model.get_layer(layer_names.aggregator(head)).output
        for head in testing_mode.branch_heads(model)
    }
    fusion = testing_mode.fusion_layer(model)
    if fusion is not None:
        outputs[FUSED] = fusion.feature_norm(fusion.concatenate(list(fusion.input)))
    return keras.Model(model.input, outputs, name=f"{model.name}_features")
