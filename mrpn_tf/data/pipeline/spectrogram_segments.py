"""Audio stream: standardized waveform -> 1-s segments -> log-magnitude spectrograms (paper 3.3).

Paper 3.3 item 3: the 16-kHz wave is "standardized by [its] mean and standard deviation",
"divided into one-second segments and converted to spectrograms by a Hann windowing function
of size 512 and hop size of 64", giving 256 x 250. Item 4: segments overlap, with a hop of
"0.2 seconds, 1/5 duration of the input segments", in training and testing alike.

Segment-count convention (tail padding). For N samples, segment length L (16000) and
segment hop H (3200):

    S = 1 + ceil(max(N - L, 0) / H)

Segment s covers samples [s*H, s*H + L). The waveform is zero-padded at the end to
L + (S - 1)*H samples, so every sample lies in at least one segment and the last segment
holds less than H samples (0.2 s) of padding; a clip shorter than L is padded to one segment.
Zero is the standardized wave's mean, i.e. silence. Durations 0.5 / 1.0 / 1.2 / 3.0 s give
1 / 1 / 2 / 11 segments.

Frame-count arithmetic per segment: `tf.signal.stft(frame_length=512, frame_step=64,
pad_end=True)` on L = 16000 samples yields ceil(16000 / 64) = 250 frames (frame t covers
[64t, 64t + 512); frames 0..242 lie inside the segment, frames 243..249 run into the zero
padding `pad_end` adds). Without `pad_end` it would be 1 + (16000 - 512) // 64 = 243.

Frequency bins: a 512-point real FFT gives 512 // 2 + 1 = 257 bins, 0 .. 8000 Hz in steps of
31.25 Hz. The last one, the Nyquist bin at exactly 8 kHz, is dropped to get the paper's 256:
the resampler's anti-aliasing low-pass leaves (almost) no energy there, so it carries no
information, and 256 rows halve cleanly through ResNet-18's stride-2 stages.

All functions are pure tf on tensors: the tf.data pipeline, the serving signatures and the
TFLite export call the same code.
"""

from __future__ import annotations

import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.data.pipeline import silence_trim

# Floor on the standard deviation: digital silence (std 0) has x - mean == 0 exactly, so any
# positive floor maps it to zeros instead of 0/0 = NaN; it is far below one PCM16 step (3e-5),
# so it never changes a wave that has any signal.
STD_FLOOR = 1e-8


def segment_samples(audio: config_lib.AudioConfig) -> int:
    """Samples per spectrogram segment (16000 for 1 s at 16 kHz)."""
    return int(round(audio.segment_s * audio.sample_rate))


def hop_samples(audio: config_lib.AudioConfig) -> int:
    """Samples between segment starts (3200 for 0.2 s at 16 kHz)."""
    return int(round(audio.hop_s * audio.sample_rate))


def segment_count(num_samples: tf.Tensor | int, audio: config_lib.AudioConfig) -> tf.Tensor:
    """Number of segments for a waveform of `num_samples`: 1 + ceil(max(N - L, 0) / H).

    Args:
      num_samples: waveform length N (scalar int).
      audio: the audio config (segment and hop lengths).

    Returns:
      int32 scalar S >= 1.
    """
    length, hop = segment_samples(audio), hop_samples(audio)
    extra = tf.maximum(tf.cast(num_samples, tf.int32) - length, 0)
    return 1 + (extra + hop - 1) // hop


def standardize(waveform: tf.Tensor) -> tf.Tensor:
    """Zero mean, unit standard deviation (paper 3.3 item 3); silence stays all zeros.

    Args:
      waveform: float32 [N].

    Returns:
      float32 [N].
    """
    mean, variance = tf.nn.moments(waveform, axes=[0])
    return (waveform - mean) / tf.maximum(tf.sqrt(variance), STD_FLOOR)


def pad_to_segments(waveform: tf.Tensor, audio: config_lib.AudioConfig) -> tf.Tensor:
    """Zero-pads the tail to L + (S - 1) * H samples, the span of `segment_count` segments.

    Args:
      waveform: float32 [N].
      audio: the audio config.

    Returns:
      float32 [L + (S - 1) * H].
    """
    length, hop = segment_samples(audio), hop_samples(audio)
    num_samples = tf.shape(waveform)[0]
    padded_length = length + (segment_count(num_samples, audio) - 1) * hop
    return tf.pad(waveform, [[0, padded_length - num_samples]])


def split_segments(waveform: tf.Tensor, audio: config_lib.AudioConfig) -> tf.Tensor:
    """Cuts overlapping 1-s segments with a 0.2-s hop, zero-padding the tail (module docstring).

    Args:
      waveform: float32 [N].
      audio: the audio config.

    Returns:
      float32 [S, L] with S = `segment_count(N)`.
    """
    return tf.signal.frame(
        pad_to_segments(waveform, audio),
        frame_length=segment_samples(audio),
        frame_step=hop_samples(audio),
        pad_end=False,
    )


def _log_magnitude(signal: tf.Tensor, audio: config_lib.AudioConfig, pad_end: bool) -> tf.Tensor:
    """log(|STFT| + offset) with a Hann window, Nyquist bin dropped: [..., frames, freq_bins]."""
    stft = tf.signal.stft(
        signal,
        frame_length=audio.frame_length,
        frame_step=audio.frame_step,
        fft_length=audio.frame_length,
        window_fn=tf.signal.hann_window,
        pad_end=pad_end,
    )
    # |stft| as sqrt(re^2 + im^2): tf.abs on complex64 goes through hypot, about twice as slow.
    magnitude = tf.sqrt(tf.square(tf.math.real(stft)) + tf.square(tf.math.imag(stft)))
    if audio.frequency_scale == "mel":
        bands = tf.tensordot(magnitude, mel_matrix(audio), axes=1)
    else:
        bands = magnitude[..., : audio.freq_bins]
    return tf.math.log(bands + audio.log_offset)


def mel_matrix(audio: config_lib.AudioConfig) -> tf.Tensor:
    """[frame_length // 2 + 1, freq_bins] weights that sum STFT magnitudes into mel bands.

    HTK mel scale, triangular bands from 0 Hz to the Nyquist frequency; the DC bin gets no
    weight. A constant, so the TFLite export folds it into one matrix product.
    """
    return tf.signal.linear_to_mel_weight_matrix(
        num_mel_bins=audio.freq_bins,
        num_spectrogram_bins=audio.frame_length // 2 + 1,
        sample_rate=audio.sample_rate,
        lower_edge_hertz=0.0,
        upper_edge_hertz=audio.sample_rate / 2,
    )


def log_spectrograms(waveform: tf.Tensor, audio: config_lib.AudioConfig) -> tf.Tensor:
    """Log-magnitude spectrogram of every segment of a waveform, laid out frequency x time.

    The result is the per-segment definition: `tf.signal.stft(segment, 512, 64,
    pad_end=True)` of each segment of `split_segments`. It is computed without the 5-fold
    redundancy of overlapping segments: segments start every H / 64 = 50 STFT hops, so a
    segment's frames 0..242 (those wholly inside it) are frames 50s .. 50s + 242 of one STFT
    of the whole padded wave, and only its last 7 frames, which run into the segment's own
    zero padding, are computed per segment. The audio stage costs about a third as much.

    Args:
      waveform: float32 [N] (standardized or not).
      audio: the audio config; the segment hop must be a multiple of `frame_step`.

    Returns:
      float32 [S, freq_bins, frames_per_segment] (256 x 250 at the paper's settings).
    """
    length, hop, step = segment_samples(audio), hop_samples(audio), audio.frame_step
    if hop % step:
        raise ValueError(f"segment hop {hop} samples is not a multiple of the STFT hop {step}")
    inner = 1 + (length - audio.frame_length) // step  # frames wholly inside a segment: 243
    padded = pad_to_segments(waveform, audio)
    whole = _log_magnitude(padded, audio, pad_end=False)  # [1 + (P - 512) // 64, bins]
    num_segments = segment_count(tf.shape(waveform)[0], audio)
    rows = tf.range(num_segments)[:, None] * (hop // step) + tf.range(inner)[None, :]
    segments = tf.signal.frame(padded, length, hop, pad_end=False)  # [S, L]
    tails = _log_magnitude(segments[:, inner * step :], audio, pad_end=True)  # [S, 7, bins]
    frames = tf.concat([tf.gather(whole, rows), tails], axis=1)  # [S, 250, bins]
    return tf.transpose(frames, [0, 2, 1])


def waveform_to_segments(waveform: tf.Tensor, audio: config_lib.AudioConfig) -> tf.Tensor:
    """The whole audio preprocessing of one (sliced) waveform: trim, standardize, segment, STFT.

    Args:
      waveform: float32 [N] at `audio.sample_rate`, N >= 0.
      audio: the audio config.

    Returns:
      float32 [S, freq_bins, frames_per_segment].
    """
    waveform = silence_trim.trim_silence(waveform, audio)  # no-op unless audio.trim_db > 0
    if audio.standardize:
        waveform = standardize(waveform)
    return log_spectrograms(waveform, audio)
