"""MRPN networks (paper 3.1): builder, testing mode (central branch only), feature model and losses.

    model = build_model(config, num_classes)          # N0 / N1 / N2 / AM / VM from config
    loss, loss_weights = compile_losses(config.model)
    model.compile(optimizer, loss=loss, loss_weights=loss_weights)
    serving = inference_model(model)                  # central branch only, shared weights
"""

from mrpn_tf.model.branch import Branch, audio_branch, video_branch
from mrpn_tf.model.deep_features import feature_model
from mrpn_tf.model.losses import (
    accuracy_metric,
    compile_losses,
    head_loss_weights,
    losses_for_outputs,
)
from mrpn_tf.model.networks import build_model, build_network, output_keys
from mrpn_tf.model.testing_mode import branch_heads, inference_model, side_head_models

__all__ = [
    "Branch",
    "accuracy_metric",
    "audio_branch",
    "branch_heads",
    "build_model",
    "build_network",
    "compile_losses",
    "feature_model",
    "head_loss_weights",
    "inference_model",
    "losses_for_outputs",
    "output_keys",
    "side_head_models",
    "video_branch",
]
