"""Leading and trailing silence cut off a waveform before it is segmented (issue 15).

RAVDESS speech clips hold 3.3-5 s of audio of which the sentence fills ~1.7 s: about 1 s of
room noise comes before it and ~0.7 s after it (`benchmarks/ravdess_inputs.py`, item 2). Cut
into 1-s segments, a third of the segments hold no speech at all, and the LSTM reads its state
after the trailing ones. `trim_silence` keeps the span from the first to the last 10-ms frame
whose energy lies within `audio.trim_db` decibels of the clip's loudest frame, the rule the
diagnosis used to find the speech. The threshold is relative, so it does not depend on the
recording level (nor on the rate the file had before `prepare` resampled it).

Pure tf on one waveform, like the rest of the audio preprocessing: the tf.data pipeline, the
serving signatures and the TFLite export run the same function. `audio.trim_db = 0` (the
default, the paper's preprocessing) turns it off.
"""

from __future__ import annotations

import tensorflow as tf

from mrpn_tf.config import config as config_lib

# Energy floor (mean square of a waveform in [-1, 1]): ~-100 dBFS, under the quietest room
# noise of a PCM16 recording, so digital silence does not decide where the speech lies.
ENERGY_FLOOR = 1e-10


def frame_samples(audio: config_lib.AudioConfig) -> int:
    """Samples per energy frame: 10 ms (160 at 16 kHz)."""
    return max(1, int(round(audio.sample_rate * 0.01)))


def speech_span(waveform: tf.Tensor, audio: config_lib.AudioConfig) -> tuple[tf.Tensor, tf.Tensor]:
    """(start, end) sample of the frames within `audio.trim_db` dB of the loudest frame.

    Args:
      waveform: float32 [N].
      audio: the audio config (`trim_db` > 0, `sample_rate`).

    Returns:
      int32 scalars with 0 <= start < end <= N; (0, N) for a wave shorter than one frame.
    """
    waveform = tf.convert_to_tensor(waveform, tf.float32)
    size = frame_samples(audio)
    num_samples = tf.shape(waveform)[0]
    frames = tf.signal.frame(waveform, size, size, pad_end=True)  # [F, size], F >= 0
    energy_db = 10.0 * tf.math.log(
        tf.reduce_mean(tf.square(frames), axis=1) + ENERGY_FLOOR
    ) / tf.math.log(10.0)
    loud = energy_db >= tf.reduce_max(energy_db) - audio.trim_db
    indices = tf.cast(tf.where(loud)[:, 0], tf.int32)
    has_frames = tf.size(indices) > 0
    first = tf.cond(has_frames, lambda: indices[0], lambda: 0)
    last = tf.cond(has_frames, lambda: indices[-1] + 1, lambda: (num_samples + size - 1) // size)
    start = tf.minimum(first * size, num_samples)
    end = tf.minimum(last * size, num_samples)
    return start, tf.maximum(end, start)


def trim_silence(waveform: tf.Tensor, audio: config_lib.AudioConfig) -> tf.Tensor:
    """The waveform from its first to its last loud frame (`speech_span`); unchanged if off.

    Args:
      waveform: float32 [N].
      audio: the audio config; `trim_db` <= 0 returns the waveform as it is.

    Returns:
      float32 [M], M <= N (M = N when trimming is off or the wave is loud throughout).
    """
    waveform = tf.convert_to_tensor(waveform, tf.float32)
    if audio.trim_db <= 0:
        return waveform
    start, end = speech_span(waveform, audio)
    return waveform[start:end]
