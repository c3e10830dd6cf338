"""Raw clips -> model features inside the exported graph, with the pipeline's own functions.

Preprocessing is defined once (as in Model Garden's `video_input.py`): each clip of a padded raw batch goes through
`video_frames.to_unit_float` and `clip_features.clip_features` (standardize, 1-s / 0.2-s
segments, log STFT) exactly as the evaluation pipeline runs them on a decoded record, and the
results are zero-padded to the batch's longest clip with masks (`clip_to_features`, which the
raw-input TFLite files run on their one window too). A stream a signature does not take is
passed empty, as the pipeline does for a single-modality run (`clip_validation`), and its
features are dropped.

Malformed input is refused with a message that names the signature and the problem: a wrong
rank or frame size, an empty batch, counts that do not match the batch or exceed the padded
length, a clip without frames or samples (those go to the side-head signatures), non-finite
audio. A wrong dtype is refused by the signature itself, before the graph runs.

Why the signatures declare inputs of unknown rank (`relaxed`) and check the rank here: a
graph traced for a known rank takes that rank for granted (shape ops fold to constants), and
neither TF Serving nor a loaded signature checks a fed tensor's shape against the declared
one, so a rank-4 `frames` would run on and fail somewhere deep inside with an unrelated
message. `check_shapes` asserts the declared shape at run time, then restores it statically
for the model. The declared shapes are in metadata.json.
"""

from __future__ import annotations

from typing import Sequence

import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import features
from mrpn_tf.data.pipeline import clip_features
from mrpn_tf.data.pipeline import spectrogram_segments
from mrpn_tf.data.pipeline import video_frames
from mrpn_tf.inference import signature_keys


def relaxed(specs: dict[str, tf.TensorSpec]) -> dict[str, tf.TensorSpec]:
    """The same specs with unknown rank (same dtypes and names), for a signature's inputs."""
    return {key: tf.TensorSpec(None, spec.dtype, name=spec.name) for key, spec in specs.items()}


def check_shapes(
    inputs: dict[str, tf.Tensor], specs: dict[str, tf.TensorSpec], signature: str
) -> dict[str, tf.Tensor]:
    """Asserts each input's rank and static dims at run time; returns them with static shapes.

    Args:
      inputs: tensors fed to a signature declared with `relaxed(specs)`.
      specs: the declared specs (`input_specs`).
      signature: the signature's name, for the messages.

    Returns:
      The inputs, evaluated only after the checks, with the declared static shapes.

    Raises:
      tf.errors.InvalidArgumentError: wrong rank or dimension, naming the input.
    """
    checked = {}
    for key, spec in specs.items():
        value = inputs[key]
        expected = [-1 if d is None else d for d in spec.shape.as_list()]
        fixed = [i for i, d in enumerate(expected) if d >= 0]
        # The shape padded (or cut) to the expected rank, so that reading its dims never
        # indexes out of bounds whatever rank was fed (that would fail first and say less).
        dims = tf.concat([tf.shape(value), tf.fill([len(expected)], -1)], 0)[: len(expected)]
        matches = tf.logical_and(
            tf.equal(tf.rank(value), len(expected)),
            tf.reduce_all(tf.equal(
                tf.gather(dims, tf.constant(fixed, tf.int32)),
                tf.constant([expected[i] for i in fixed], tf.int32),
            )),
        )
        message = f"{signature}: {key} must have shape {expected} (-1: any); got shape"
        with tf.control_dependencies([tf.debugging.Assert(matches, [message, tf.shape(value)])]):
            checked[key] = tf.identity(value)
        # A static annotation, not tf.ensure_shape: Grappler runs an EnsureShape ahead of the
        # assertion it depends on, so a wrong rank would be reported by EnsureShape instead.
        checked[key].set_shape(spec.shape)
    return checked


def _stream_checks(
    data: tf.Tensor, counts: tf.Tensor, names: tuple[str, str], signature: str
) -> list[tf.Operation]:
    """Assertions on one stream: a count per clip, each in [1, padded length]."""
    data_key, count_key = names
    batch, length = tf.shape(data)[0], tf.shape(data)[1]
    where = f"{signature}: {count_key}"
    return [
        tf.debugging.assert_positive(
            batch, message=f"{signature}: empty batch ({data_key} holds 0 clips)"
        ),
        tf.debugging.assert_equal(
            tf.shape(counts)[0], batch,
            message=f"{where} must hold one count per clip of {data_key}",
        ),
        tf.debugging.assert_greater_equal(
            counts, 1,
            message=f"{where} must be >= 1: an empty stream cannot be scored by this signature "
            "(use video_only / audio_only for a clip missing a modality)",
        ),
        tf.debugging.assert_less_equal(
            counts, length, message=f"{where} exceeds the padded length of {data_key}"
        ),
    ]


def check_raw(
    raw: dict[str, tf.Tensor], specs: dict[str, tf.TensorSpec], signature: str
) -> dict[str, tf.Tensor]:
    """Validates a raw batch (module docstring); returns it gated on the checks.

    Args:
      raw: raw inputs (`input_specs.raw_specs` keys) of one or both streams.
      specs: their declared specs.
      signature: the signature's name, for the messages.

    Returns:
      The same tensors with static shapes, which evaluate only when every check passed.

    Raises:
      tf.errors.InvalidArgumentError: when a check fails, with the signature in the message.
    """
    raw = check_shapes(raw, specs, signature)
    checks = []
    for data_key, count_key in signature_keys.RAW_INPUTS.values():
        if data_key in raw:
            checks += _stream_checks(raw[data_key], raw[count_key], (data_key, count_key), signature)
    if signature_keys.WAVEFORM in raw:
        finite = tf.reduce_all(tf.math.is_finite(raw[signature_keys.WAVEFORM]))
        checks.append(tf.debugging.Assert(finite, [f"{signature}: waveform holds NaN or inf"]))
    with tf.control_dependencies(checks):
        return {key: tf.identity(value) for key, value in raw.items()}


def _pad_steps(x: tf.Tensor, steps: tf.Tensor) -> tf.Tensor:
    """Zero-pads axis 0 of `x` to `steps`."""
    paddings = tf.concat([[[0, steps - tf.shape(x)[0]]], tf.zeros([x.shape.rank - 1, 2], tf.int32)], 0)
    return tf.pad(x, paddings)


def _streams(raw: dict[str, tf.Tensor], config: config_lib.Config) -> tuple[tf.Tensor, ...]:
    """(frames, num_frames, waveform, num_samples), an absent stream as empty rows."""
    first = next(iter(raw.values()))
    batch = tf.shape(first)[0]
    size = config.video.crop_size
    frames = raw.get(signature_keys.FRAMES, tf.zeros([batch, 0, size, size, 3], tf.uint8))
    num_frames = raw.get(signature_keys.NUM_FRAMES, tf.zeros([batch], tf.int32))
    waveform = raw.get(signature_keys.WAVEFORM, tf.zeros([batch, 0], tf.float32))
    num_samples = raw.get(signature_keys.NUM_SAMPLES, tf.zeros([batch], tf.int32))
    return frames, num_frames, waveform, num_samples


def clip_to_features(
    frames: tf.Tensor,
    num_frames: tf.Tensor,
    waveform: tf.Tensor,
    num_samples: tf.Tensor,
    steps: dict[str, tf.Tensor | int],
    config: config_lib.Config,
) -> dict[str, tf.Tensor]:
    """One clip of a padded raw batch -> its model features, zero-padded to `steps`.

    The clip's real frames and samples go through `video_frames.to_unit_float` and
    `clip_features.clip_features` (the evaluation pipeline's preprocessing); the results are
    zero-padded to the given steps, masks 0 on the padding. `raw_to_features` maps this over a
    batch; the raw-input TFLite window graph (raw_window_model.py) calls it on its one window.

    Args:
      frames: uint8 [T, H, W, 3], of which the first `num_frames` are real.
      num_frames: int32 scalar.
      waveform: float32 [N], of which the first `num_samples` are real.
      num_samples: int32 scalar.
      steps: {"v": frames, "a": segments} to pad to, each >= what the clip yields.
      config: the run config.

    Returns:
      All four feature keys (`mrpn_tf.data.features`), [steps, ...] each.
    """
    example = clip_features.clip_features(
        video_frames.to_unit_float(frames[:num_frames]), waveform[:num_samples], config
    )
    head_of = {key: head for head, keys in signature_keys.FEATURE_INPUTS.items() for key in keys}
    return {key: _pad_steps(value, steps[head_of[key]]) for key, value in example.items()}


def raw_to_features(
    raw: dict[str, tf.Tensor], heads: Sequence[str], config: config_lib.Config
) -> dict[str, tf.Tensor]:
    """The model features of a raw batch: `clip_to_features` per clip, padded and masked.

    Args:
      raw: raw inputs of the streams of `heads` (checked with `check_raw` first).
      heads: branch heads whose features are wanted ("v", "a").
      config: the run config (video crop size, audio settings).

    Returns:
      Feature inputs of `heads` (`mrpn_tf.data.features` keys): video [B, max(T, 1), ...],
      audio [B, segment_count(N), ...], masks 1 on each clip's real frames / segments. A
      window of exactly `windowing.WindowSpec` length gives exactly its static shapes.
    """
    frames, num_frames, waveform, num_samples = _streams(raw, config)
    steps = {
        features.V: tf.maximum(tf.shape(frames)[1], 1),
        features.A: spectrogram_segments.segment_count(tf.shape(waveform)[1], config.audio),
    }
    size, audio = config.video.crop_size, config.audio
    signature = {
        features.VIDEO: tf.TensorSpec([None, size, size, 3], tf.float32),
        features.VIDEO_MASK: tf.TensorSpec([None], tf.float32),
        features.AUDIO: tf.TensorSpec([None, audio.freq_bins, audio.frames_per_segment], tf.float32),
        features.AUDIO_MASK: tf.TensorSpec([None], tf.float32),
    }
    batch = tf.map_fn(
        lambda clip: clip_to_features(*clip, steps, config),
        (frames, num_frames, waveform, num_samples),
        fn_output_signature=signature,
    )
    wanted = [key for head in heads for key in signature_keys.FEATURE_INPUTS[head]]
    return {key: batch[key] for key in wanted}
