"""Assembles N0, N1, N2 (= MRPN) and the single-modality baselines (paper 3.1, Fig. 7).

Per branch m (eq. 1, then eqs. 7-9):   f_m = A_m(F_m(x_m)),   f-hat_m = FeatureNorm(f_m)
  N0 (eq. 7):  s_va = FusionComponent(f-hat_v, f-hat_a)                       outputs: va
  N1 (eq. 8):  s_m = DenseUnit(f-hat_m);  s_va = FusionComponent(f-hat_v, f-hat_a)  v, a, va
  N2 (eq. 9):  s_m = DenseUnit(f-hat_m);  f'_m = ResPerceptron(f-hat_m);
               s_va = FusionComponent(f'_v, f'_a)                              v, a, va
  single (AM, VM of Table 1):  s_m = Scoring(f-hat_m) (eq. 3)                  outputs: m
Every output is SoftMax(s) (class probabilities), keyed by head.

Choices where the paper's parts disagree:
  - Side heads are one DenseUnit (eqs. 8-9), not a full Scoring (eq. 3 writes
    s_m = Scoring(f-hat_m)). Eqs. 8-9 define the networks being compared, and a linear side
    head forces f-hat_m itself to separate the classes, which is what paper 4.5 asks of the
    branches ("all mapping functionalities for the single modalities are performed before"
    the RP). Eq. 3's Scoring is used by the single-modality baselines, where it is the only head.
  - In N2 the side heads read f-hat_m, not f'_m (eq. 9 as written): L_m then never passes
    through the RP, whose weights learn from L_va alone - the RP is the fusion's correlator.
  - Dropout: before every scoring unit (Fig. 7), i.e. before the side heads, inside the
    FusionComponent after its FeatureNorm, and before a baseline's Scoring. One rate,
    `ModelConfig.dropout`.
  - Paper 4.2 calls MRPN "N3" once; eqs. 9 and Tables 2-3 call it N2, as we do.

The builder takes any number of named branches (paper 3.2, Fig. 8): N0/N1/N2 fuse all of them
and, for N1/N2, add a side head per branch; the fused output key joins the head keys ("va").
"""

from __future__ import annotations

from typing import Mapping

import keras

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import features
from mrpn_tf.model import aggregator as aggregator_lib
from mrpn_tf.model import branch as branch_lib
from mrpn_tf.model import feature_norm
from mrpn_tf.model import fusion_component
from mrpn_tf.model import layer_names
from mrpn_tf.model import masked_time_distributed
from mrpn_tf.model import residual_perceptron
from mrpn_tf.model import resnet18
from mrpn_tf.model import scoring

N0 = "N0"
N1 = "N1"
N2 = "N2"
SINGLE = "single"
FUSION_NETWORKS = (N0, N1, N2)
# Table 1's single-modality baselines, as named by ModelConfig.network.
AM = "AM"
VM = "VM"


def output_keys(network: str) -> tuple[str, ...]:
    """Output (and target) keys of a paper network named by ModelConfig.network.

    Args:
      network: "N0", "N1", "N2", "AM" or "VM".

    Returns:
      N0: (va,); N1, N2: (v, a, va); AM: (a,); VM: (v,).
    """
    keys = {
        N0: (features.VA,),
        N1: features.HEAD_KEYS,
        N2: features.HEAD_KEYS,
        AM: (features.A,),
        VM: (features.V,),
    }
    if network not in keys:
        raise ValueError(f"network {network!r}; expected one of {', '.join(keys)}")
    return keys[network]


def _branch_features(
    head: str,
    branch: branch_lib.Branch,
    model_config: config_lib.ModelConfig,
    unroll: bool,
    gather_valid: bool,
):
    """Inputs of one branch and its f-hat_m = FeatureNorm(A_m(F_m(x_m))) (eq. 1, eqs. 7-9)."""
    frames = keras.Input((branch.steps,) + tuple(branch.frame_shape), name=branch.input_key)
    mask = keras.Input((branch.steps,), name=branch.mask_key)
    cnn = resnet18.resnet18(
        branch.frame_shape, branch.width_multiplier or model_config.width_multiplier,
        name=layer_names.resnet(head),
    )
    if branch.extractor_weights:
        resnet18.load_extractor_weights(cnn, branch.extractor_weights)
    per_step = masked_time_distributed.MaskedTimeDistributed(
        cnn, gather_valid=gather_valid, name=layer_names.extractor(head)
    )([frames, mask])
    f = aggregator_lib.SequenceAggregator(
        branch.aggregator or model_config.aggregator,
        model_config.aggregator_units,
        num_heads=model_config.transformer_heads,
        num_layers=model_config.transformer_layers,
        dropout=model_config.dropout,  # used by the Transformer only (ViT drops inside blocks)
        unroll=unroll,
        name=layer_names.aggregator(head),
    )([per_step, mask])
    f_hat = feature_norm.FeatureNorm(name=layer_names.feature_norm(head))(f)
    return {branch.input_key: frames, branch.mask_key: mask}, f_hat


def _side_head(head: str, f_hat, num_classes: int, dropout: float):
    """p_m = SoftMax(DenseUnit(Dropout(f-hat_m))) (eqs. 8-9)."""
    x = keras.layers.Dropout(dropout, name=layer_names.dropout(head))(f_hat)
    s = keras.layers.Dense(num_classes, name=layer_names.side_head(head))(x)
    return scoring.probabilities(head)(s)


def _single_head(head: str, f_hat, num_classes: int, model_config: config_lib.ModelConfig):
    """p_m = SoftMax(Scoring(Dropout(f-hat_m))) (eq. 3), the AM / VM baselines."""
    x = keras.layers.Dropout(model_config.dropout, name=layer_names.dropout(head))(f_hat)
    s = scoring.Scoring(model_config.scoring_units, num_classes, name=layer_names.scoring(head))(x)
    return scoring.probabilities(head)(s)


def _check_branches(branches: Mapping[str, branch_lib.Branch], network: str) -> None:
    if network in FUSION_NETWORKS and len(branches) < 2:
        raise ValueError(f"network {network} fuses modalities: got {len(branches)} branch(es)")
    if network == SINGLE and len(branches) != 1:
        raise ValueError(f"a single-modality network takes 1 branch, got {len(branches)}")
    if network not in FUSION_NETWORKS + (SINGLE,):
        raise ValueError(f"network {network!r}; expected one of N0, N1, N2, {SINGLE}")
    input_keys = [k for b in branches.values() for k in (b.input_key, b.mask_key)]
    if len(set(input_keys)) != len(input_keys) or set(input_keys) & set(branches):
        raise ValueError(f"head keys {list(branches)} and input keys {input_keys} must be unique")


def build_network(
    branches: Mapping[str, branch_lib.Branch],
    network: str,
    num_classes: int,
    model_config: config_lib.ModelConfig,
    *,
    fused_key: str | None = None,
    unroll: bool = False,
    gather_valid: bool = True,
    name: str | None = None,
) -> keras.Model:
    """Builds N0 / N1 / N2 over any number of branches, or a single-modality network.

    Args:
      branches: head key -> Branch, in output order (e.g. {"v": video, "a": audio}).
      network: "N0", "N1", "N2" (two or more branches) or "single" (one branch).
      num_classes: number of emotion classes (RAVDESS 8, CREMA-D 6).
      model_config: widths, aggregator kind, dropout.
      fused_key: output key of the fusion head; default joins the head keys ("va").
      unroll: unroll LSTM aggregators (needs static Branch.steps; for TFLite export).
      gather_valid: run the CNN on real frames only (see masked_time_distributed.py).
      name: model name (default "mrpn_<network>").

    Returns:
      A functional model. Inputs: dict input_key -> float32 [B, T, *frame_shape] and
      mask_key -> float32 [B, T]. Outputs: dict of float32 [B, num_classes] softmax
      probabilities: N0 {fused}; N1, N2 {head..., fused}; single {head}.
    """
    _check_branches(branches, network)
    inputs, f_hats = {}, {}
    for head, branch in branches.items():
        branch_inputs, f_hats[head] = _branch_features(
            head, branch, model_config, unroll, gather_valid
        )
        inputs.update(branch_inputs)
    outputs = {}
    if network == SINGLE:
        (head, f_hat), = f_hats.items()
        outputs[head] = _single_head(head, f_hat, num_classes, model_config)
    else:
        fusion_inputs = list(f_hats.values())
        if network in (N1, N2):
            for head, f_hat in f_hats.items():
                outputs[head] = _side_head(head, f_hat, num_classes, model_config.dropout)
        if network == N2:
            fusion_inputs = [
                residual_perceptron.ResidualPerceptron(
                    f_hat.shape[-1], name=layer_names.residual_perceptron(head)
                )(f_hat)
                for head, f_hat in f_hats.items()
            ]
        fused_key = fused_key or "".join(branches)
        s_fused = fusion_component.FusionComponent(
            model_config.scoring_units, num_classes, model_config.dropout, name=layer_names.FUSION
        )(fusion_inputs)
        outputs[fused_key] = scoring.probabilities(fused_key)(s_fused)
    return keras.Model(inputs, outputs, name=name or f"mrpn_{network.lower()}")


def build_model(
    config: config_lib.Config,
    num_classes: int,
    *,
    video_steps: int | None = None,
    audio_steps: int | None = None,
    unroll: bool = False,
    gather_valid: bool = True,
) -> keras.Model:
    """Builds the network named by `config.model.network` on the paper's video and audio.

    Args:
      config: run config (model section, video.crop_size, audio spectrogram shape).
      num_classes: number of emotion classes (RAVDESS 8, CREMA-D 6).
      video_steps: static T (frames), or None for dynamic.
      audio_steps: static S (segments), or None for dynamic.
      unroll: unroll LSTM aggregators (needs static steps; for TFLite export).
      gather_valid: run the CNNs on real frames / segments only (True for training).

    Returns:
      A functional model. Inputs (those of its branches): `video` float32
      [B, T, crop, crop, 3] in [0, 1], `video_mask` float32 [B, T], `audio` float32
      [B, S, freq_bins, frames_per_segment], `audio_mask` float32 [B, S]. Outputs: dict of
      float32 [B, num_classes] probabilities keyed `output_keys(config.model.network)`.
    """
    network = config.model.network
    video = branch_lib.video_branch(config, video_steps)
    audio = branch_lib.audio_branch(config, audio_steps)
    if network == AM:
        return build_network({features.A: audio}, SINGLE, num_classes, config.model,
                             unroll=unroll, gather_valid=gather_valid, name="mrpn_am")
    if network == VM:
        return build_network({features.V: video}, SINGLE, num_classes, config.model,
                             unroll=unroll, gather_valid=gather_valid, name="mrpn_vm")
    return build_network(
        {features.V: video, features.A: audio}, network, num_classes, config.model,
        fused_key=features.VA, unroll=unroll, gather_valid=gather_valid,
    )
