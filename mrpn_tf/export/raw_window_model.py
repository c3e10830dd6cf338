"""The raw-input TFLite window graph: face crops and a waveform in, with the preprocessing inside.

The feature files (window_model.py) take spectrogram segments and float frames, so an app
calling them would have to re-implement the decode-free half of our preprocessing (waveform
standardization, silence trimming, segments, STFT, log, frame scaling) from metadata.json
(issue 16). The raw files hold it: each signature runs
`serving_preprocessing.clip_to_features` - the function `serving_default` maps over its batch,
so `clip_features`, `waveform_to_segments` and `trim_silence` of the training pipeline - on
one window, then the static window model. One definition of the preprocessing serves
training, the SavedModel and both kinds of TFLite file.

Signatures: those of the SavedModel's raw inputs, at batch 1 and one window's static length:

  serving_default   frames uint8 [1, T, crop, crop, 3], num_frames int32 [1],
                    waveform float32 [1, N] (16 kHz, in [-1, 1)), num_samples int32 [1]
                    -> central branch (AM: the waveform pair only; VM: the frames pair only)
  video_only        frames, num_frames -> video side head (N1 / N2)
  audio_only        waveform, num_samples -> audio side head (N1 / N2)

each returning `probabilities` float32 [1, C]; T = `WindowSpec.frames`, N = `.samples`.

Why the counts: a clip shorter than one window (every RAVDESS clip under 6-s windows) is
zero-padded to the window, and the SavedModel standardizes, trims and segments only its real
samples and masks the padded frames and segments; without the counts the padding would be
standardized and scored as content. A count is clamped to [0, T] / [0, N]; what lies past it
is never read. A count of 0 (no face in the window) gives the placeholder step with mask 0,
as `clip_features` does; a clip without any face is scored by `audio_only`, as predict does.

Static and dynamic shapes. Only the model part has to be static (unrolled LSTMs). The
preprocessing slices the real frames and samples, trims the silence (audio.trim_db > 0: a
data-dependent number of segments) and zero-pads the result to the window's static frame and
segment counts with masks, as `serving_default` pads a batch: dynamic shapes inside the file,
on builtin ops (STRIDED_SLICE, WHERE, IF, PAD with computed paddings). tf.signal.stft converts
to the builtin RFFT2D (with REAL / IMAG), so no DFT matrix or Flex op is needed.

int8. The preprocessing runs under the name scope `PREPROCESSING_SCOPE`, which the
full-integer variant keeps float with the audio stem (`export.int8_float_layers`): int8 audio
samples or STFT bins would lose what the feature files receive in float. Quantization starts
where it starts in the feature files.
"""

from __future__ import annotations

from typing import Sequence

import keras
import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import features
from mrpn_tf.export import input_specs
from mrpn_tf.inference import serving_preprocessing
from mrpn_tf.inference import signature_keys
from mrpn_tf.export import tflite_export
from mrpn_tf.export import window_model
from mrpn_tf.inference import windowing

PREPROCESSING_SCOPE = "preprocessing"
# Feature-file signature -> raw-file signature (the SavedModel's name for the same branch).
RAW_SIGNATURES = {
    signature_keys.FEATURES: signature_keys.SERVING_DEFAULT,
    signature_keys.VIDEO_ONLY: signature_keys.VIDEO_ONLY,
    signature_keys.AUDIO_ONLY: signature_keys.AUDIO_ONLY,
}


def window_lengths(spec: windowing.WindowSpec) -> dict[str, int]:
    """Static raw lengths of a window per branch head: {"v": frames, "a": samples}."""
    return {features.V: spec.frames, features.A: spec.samples}


def raw_window_specs(
    heads: Sequence[str], config: config_lib.Config, spec: windowing.WindowSpec
) -> dict[str, tf.TensorSpec]:
    """The batch-1 static raw inputs of a signature taking the streams of `heads`."""
    return input_specs.raw_specs(heads, config, batch=1, steps=window_lengths(spec))


def window_features(
    raw: dict[str, tf.Tensor],
    heads: Sequence[str],
    config: config_lib.Config,
    spec: windowing.WindowSpec,
) -> dict[str, tf.Tensor]:
    """A raw window's model features, with the static shapes of the window model's inputs.

    Args:
      raw: batch-1 inputs of `raw_window_specs(heads, ...)`.
      heads: the branch heads whose streams the signature takes.
      config: the run config.
      spec: the window.

    Returns:
      The feature inputs of `heads`, shaped as `input_specs.feature_specs(heads, config, 1,
      window_model.window_steps(spec))`.
    """
    lengths, steps = window_lengths(spec), window_model.window_steps(spec)
    size = config.video.crop_size
    with tf.name_scope(PREPROCESSING_SCOPE):
        # An absent stream is passed empty, as `serving_preprocessing` does (its features are
        # dropped below, and the converter prunes what computed them).
        frames = raw.get(signature_keys.FRAMES, tf.zeros([1, 0, size, size, 3], tf.uint8))[0]
        waveform = raw.get(signature_keys.WAVEFORM, tf.zeros([1, 0], tf.float32))[0]
        num_frames = _clamped_count(raw, signature_keys.NUM_FRAMES, lengths[features.V])
        num_samples = _clamped_count(raw, signature_keys.NUM_SAMPLES, lengths[features.A])
        example = serving_preprocessing.clip_to_features(
            frames, num_frames, waveform, num_samples, steps, config
        )
        specs = input_specs.feature_specs(heads, config, 1, steps)
        # A RESHAPE to a constant shape, not set_shape (which only annotates the TF graph): in
        # the file the padded tensors get their shapes at run time, and the model's tensors
        # must have static ones.
        return {key: tf.reshape(example[key], s.shape) for key, s in specs.items()}


def _clamped_count(raw: dict[str, tf.Tensor], key: str, length: int) -> tf.Tensor:
    """The signature's count of real steps clamped to [0, length] (0 for an absent stream)."""
    if key not in raw:
        return tf.constant(0, tf.int32)
    return tf.clip_by_value(raw[key][0], 0, length)


def raw_window_functions(
    models: dict[str, keras.Model],
    by_signature: dict[str, Sequence[str]],
    config: config_lib.Config,
    spec: windowing.WindowSpec,
) -> tuple[dict[str, tflite_export.WindowFunction], dict[str, dict[str, tf.TensorSpec]]]:
    """The raw files' signatures: preprocessing, then the window models.

    Args:
      models: feature signature name -> window model (`window_model.build_window_models`).
      by_signature: feature signature name -> the branch heads it takes.
      config: the run config.
      spec: the window.

    Returns:
      (raw signature name -> window function, raw signature name -> its input specs).
    """
    functions, specs = {}, {}
    for name, model in models.items():
        heads = list(by_signature[name])
        scores = tflite_export.model_function(model)
        raw_name = RAW_SIGNATURES[name]
        functions[raw_name] = _raw_function(scores, heads, config, spec)
        specs[raw_name] = raw_window_specs(heads, config, spec)
    return functions, specs


def _raw_function(
    scores: tflite_export.WindowFunction,
    heads: list[str],
    config: config_lib.Config,
    spec: windowing.WindowSpec,
) -> tflite_export.WindowFunction:
    def probabilities(raw: dict[str, tf.Tensor]) -> tf.Tensor:
        return scores(window_features(raw, heads, config, spec))

    return probabilities
