"""Bad input: what happens to a record the pipeline cannot use as it is.

Defined behaviours (each tested):
  * zero video frames / zero audio samples in a stream the run needs (`data.modality` "av"
    needs both, "video" needs frames, "audio" needs samples): rejected, i.e. the pipeline
    stops with an InvalidArgumentError whose message names the record's source path.
    `prepare` skips such clips and lists them in index.json, so one in a shard means the
    shard is not what the index says, and training on it silently would hide that.
  * an empty stream the run does not need (the video of an audio-only RAVDESS 03-01 wav):
    kept; `clip_features` turns it into one all-masked padding step, so every dataset has
    the same keys and ranks.
  * non-finite audio samples (NaN / inf): rejected with the source path; standardization
    would otherwise spread one NaN over the whole clip.
  * a clip shorter than the 1-s minimum slice (e.g. 0.3 s): valid; the time slice is the
    whole clip and the audio is zero-padded to one segment (`spectrogram_segments`).
"""

from __future__ import annotations

import tensorflow as tf

from mrpn_tf.data import clip_record

# Which streams each `data.modality` needs.
NEEDS_VIDEO = {"av": True, "video": True, "audio": False}
NEEDS_AUDIO = {"av": True, "video": False, "audio": True}


def _reject_unless(condition: tf.Tensor, reason: str, source_path: tf.Tensor) -> tf.Operation:
    """An assertion whose failure message carries the reason and the record's source path."""
    return tf.debugging.Assert(condition, [f"rejected record ({reason}):", source_path])


def check_clip(clip: dict[str, tf.Tensor], modality: str) -> dict[str, tf.Tensor]:
    """Rejects a parsed clip the run cannot use (module docstring); passes others unchanged.

    Args:
      clip: parsed record (`clip_record.parse` output).
      modality: `data.modality` ("av", "video" or "audio").

    Returns:
      The same clip, its tensors gated on the checks (graph and eager alike).

    Raises:
      tf.errors.InvalidArgumentError: when a check fails (eagerly, or when the element is
        produced inside tf.data), with the source path in the message.
    """
    path = clip[clip_record.SOURCE_PATH]
    waveform = clip[clip_record.AUDIO_PCM16]
    checks = [_reject_unless(tf.reduce_all(tf.math.is_finite(waveform)), "NaN/inf audio", path)]
    if NEEDS_VIDEO[modality]:
        num_frames = tf.shape(clip[clip_record.FRAMES])[0]
        checks.append(_reject_unless(num_frames > 0, "zero video frames", path))
    if NEEDS_AUDIO[modality]:
        checks.append(_reject_unless(tf.size(waveform) > 0, "zero audio samples", path))
    with tf.control_dependencies(checks):
        return {key: tf.identity(value) for key, value in clip.items()}
