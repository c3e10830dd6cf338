"""Fixed-length windows over a clip: what the static-shape TFLite model takes, and how their
scores make the clip's.

A window is `export.window_s` seconds of both streams: `frames` = round(window_s x video.fps)
face crops and `samples` = round(window_s x audio.sample_rate) samples, which the audio
preprocessing cuts into `segments` = 1 + ceil((samples - L) / H) spectrogram segments of
L = 1 s with hop H = 0.2 s (paper 3.3; 6 segments for 2 s). The TFLite model's shapes are
exactly these, so its LSTMs can be unrolled (see window_model.py).

Placement. Windows start every `export.window_hop_s` seconds; the last one is moved back to
end at the clip's end, so for a clip of D >= window_s seconds every window is full of real
frames and samples, and only a clip shorter than one window is zero-padded (with masks: the
model ignores the padding). The clip's duration is that of its shorter stream, so that every
window holds both streams. Window count: 1 + ceil(max(D - window_s, 0) / hop).

Clip result = the mean of the window probabilities (soft voting). Every window is a complete
view of the length the model was trained on (training slices last >= 1 s, paper 3.3 item 2),
so no window deserves more weight than another; the mean of probabilities, unlike a majority
vote, keeps how sure each window was, and unlike a product it is not decided by one window
that is confidently wrong. The same rule serves the SavedModel and the TFLite backends, so a
.tflite file and its SavedModel give the same clip answer up to quantization.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Optional

import numpy as np

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import features
from mrpn_tf.data.pipeline import spectrogram_segments
from mrpn_tf.inference import signature_keys

# Absorbs float error when a window start in seconds is turned into a frame / sample index.
_INDEX_EPS = 1e-6


@dataclasses.dataclass(frozen=True)
class WindowSpec:
    """One window's length and the hop between windows, in seconds and in steps."""

    seconds: float
    hop_seconds: float
    fps: float
    sample_rate: int
    frames: int  # video frames per window
    samples: int  # waveform samples per window
    segments: int  # spectrogram segments per window


def window_spec(config: config_lib.Config) -> WindowSpec:
    """The window of a run's config (`export.window_s`, `export.window_hop_s`).

    Args:
      config: video.fps, audio settings and the export section.

    Returns:
      The WindowSpec.

    Raises:
      ValueError: a non-positive window, or a hop that is not in (0, window_s] (a longer hop
        would leave parts of a clip unscored).
    """
    seconds, hop = config.export.window_s, config.export.window_hop_s
    if seconds <= 0:
        raise ValueError(f"export.window_s={seconds}; expected a positive number of seconds")
    if not 0 < hop <= seconds:
        raise ValueError(f"export.window_hop_s={hop}; expected 0 < hop <= export.window_s={seconds}")
    samples = int(round(seconds * config.audio.sample_rate))
    return WindowSpec(
        seconds=seconds,
        hop_seconds=hop,
        fps=config.video.fps,
        sample_rate=config.audio.sample_rate,
        frames=int(round(seconds * config.video.fps)),
        samples=samples,
        segments=int(spectrogram_segments.segment_count(samples, config.audio)),
    )


def window_starts(duration_s: float, spec: WindowSpec) -> list[float]:
    """Start times (s) of the windows over a clip of `duration_s` (module docstring).

    Args:
      duration_s: the clip's duration, >= 0.
      spec: the window.

    Returns:
      Ascending start times; [0.0] for a clip no longer than one window.
    """
    extra = max(duration_s - spec.seconds, 0.0)
    count = 1 + math.ceil(extra / spec.hop_seconds - _INDEX_EPS)
    starts = [k * spec.hop_seconds for k in range(count - 1)]
    return starts + [extra]


def cut(sequence: np.ndarray, start: int, size: int) -> tuple[np.ndarray, int]:
    """`size` steps of `sequence` from `start`, zero-padded at the end.

    Args:
      sequence: [L, ...] frames, samples or feature steps.
      start: first step, >= 0.
      size: window length in steps.

    Returns:
      (window [size, ...] of the sequence's dtype, number of real steps in it).
    """
    real = sequence[start : start + size]
    window = np.zeros((size,) + sequence.shape[1:], sequence.dtype)
    window[: len(real)] = real
    return window, len(real)


def clip_duration(frames: Optional[np.ndarray], waveform: Optional[np.ndarray], spec: WindowSpec) -> float:
    """Seconds covered by every stream present (the shorter one when there are two)."""
    durations = []
    if frames is not None:
        durations.append(len(frames) / spec.fps)
    if waveform is not None:
        durations.append(len(waveform) / spec.sample_rate)
    if not durations:
        raise ValueError("a clip needs frames or a waveform")
    return min(durations)


def raw_windows(
    frames: Optional[np.ndarray], waveform: Optional[np.ndarray], spec: WindowSpec
) -> tuple[dict[str, np.ndarray], list[tuple[float, float]]]:
    """Cuts a clip's raw streams into windows, as a batch of raw signature inputs.

    Args:
      frames: uint8 [T, H, W, 3] face crops at `spec.fps`, or None (no video).
      waveform: float32 [N] at `spec.sample_rate`, or None (no audio).
      spec: the window.

    Returns:
      (batch, times): batch holds, for each stream present, `FRAMES` uint8 [K, frames, H, W, 3]
      and `NUM_FRAMES` int32 [K], or `WAVEFORM` float32 [K, samples] and `NUM_SAMPLES` int32 [K];
      times are the K windows' (start_s, end_s) of real content within the clip.
    """
    duration = clip_duration(frames, waveform, spec)
    starts = window_starts(duration, spec)
    batch: dict[str, np.ndarray] = {}
    streams = (
        (frames, spec.fps, spec.frames, signature_keys.FRAMES, signature_keys.NUM_FRAMES),
        (waveform, spec.sample_rate, spec.samples, signature_keys.WAVEFORM, signature_keys.NUM_SAMPLES),
    )
    for sequence, rate, size, key, length_key in streams:
        if sequence is None:
            continue
        cuts = [cut(sequence, int(math.floor(s * rate + _INDEX_EPS)), size) for s in starts]
        batch[key] = np.stack([window for window, _ in cuts])
        batch[length_key] = np.array([length for _, length in cuts], np.int32)
    return batch, [(s, min(s + spec.seconds, duration)) for s in starts]


def clip_probabilities(window_probabilities: np.ndarray) -> np.ndarray:
    """The clip's class probabilities: the mean over its windows (module docstring).

    Args:
      window_probabilities: float [K, C], K >= 1.

    Returns:
      float [C].
    """
    return np.asarray(window_probabilities, np.float64).mean(axis=0)


# A stream that runs on past the other by at least this long has its end scored by its side
# head; a shorter difference is container slack (codec priming, the last frame's duration).
TAIL_MIN_S = 0.5
# Audio shorter than this is not scored: its one spectrogram segment would be mostly padding.
MIN_AUDIO_S = 0.25


@dataclasses.dataclass(frozen=True)
class Window:
    """One planned window: where it starts, where its real content ends, and its streams."""

    start_s: float
    end_s: float
    streams: tuple[str, ...]  # the heads whose streams it takes: ("v", "a"), ("v",) or ("a",)


def plan_windows(video_s: Optional[float], audio_s: Optional[float], spec: WindowSpec) -> list[Window]:
    """The windows that score a clip whose streams last `video_s` and `audio_s` seconds.

    Over the span both streams cover, the windows `raw_windows` places (module docstring),
    each taking both streams. Where one stream runs on past the other by `TAIL_MIN_S` or
    more (a phone clip whose sound outlasts its picture, one frame over three seconds of
    speech), the windows over the longer stream's duration that reach past the last of those
    take the longer stream alone: its side head scores them, and no second of either stream
    goes unscored. A clip with one stream is windowed over it.

    Args:
      video_s: seconds of video, or None (no video, or not used).
      audio_s: seconds of audio, or None.
      spec: the window.

    Returns:
      The windows in time order; `streams` lists features.V / features.A (by head name).
    """
    lengths = {head: s for head, s in ((features.V, video_s), (features.A, audio_s)) if s is not None}
    if not lengths:
        raise ValueError("a clip needs frames or a waveform")
    common = min(lengths.values())
    both = tuple(lengths)
    windows = [Window(s, min(s + spec.seconds, common), both) for s in window_starts(common, spec)]
    longer = max(lengths, key=lengths.get)
    end = lengths[longer]
    covered = windows[-1].start_s + spec.seconds
    if len(lengths) == 2 and end - common >= TAIL_MIN_S and end > covered + _INDEX_EPS:
        windows += [Window(s, min(s + spec.seconds, end), (longer,))
                     for s in window_starts(end, spec) if s + spec.seconds > covered + _INDEX_EPS]
    return windows


class StreamCursor:
    """Windows cut in time order from a stream that arrives in pieces (frames one by one,
    audio chunk by chunk): it holds only what the current and later windows need.

    Args:
      pieces: arrays [k, ...] of consecutive steps (frames or samples).
      rate: steps per second.
      size: steps per window.
    """

    def __init__(self, pieces, rate: float, size: int):
        self.pieces = iter(pieces)
        self.rate = rate
        self.size = size
        self.held: Optional[np.ndarray] = None  # steps from `base` on
        self.base = 0
        self.done = False

    def window(self, start_s: float) -> tuple[np.ndarray, int]:
        """(window [size, ...] zero-padded, real steps) starting at `start_s`; starts ascend."""
        start = int(math.floor(start_s * self.rate + _INDEX_EPS))
        if start < self.base:
            raise ValueError(f"windows must come in time order ({start} < {self.base})")
        parts = [] if self.held is None else [self.held]
        have = self.base + (0 if self.held is None else len(self.held))
        while have < start + self.size and not self.done:
            piece = next(self.pieces, None)
            if piece is None:
                self.done = True
                break
            parts.append(piece)
            have += len(piece)
        if parts:
            self.held = np.concatenate(parts) if len(parts) > 1 else parts[0]
        if self.held is None:
            raise ValueError("the stream has no steps")
        self.held, self.base = self.held[start - self.base :], start  # drop what is behind
        return cut(self.held, 0, self.size)


def cut_windows(
    windows: list[Window], frames: Optional[StreamCursor], waveform: Optional[StreamCursor]
) -> dict[str, np.ndarray]:
    """Raw signature inputs of `windows` (which take the same streams), cut from the cursors."""
    batch: dict[str, list] = {}
    streams = (
        (features.V, frames, signature_keys.FRAMES, signature_keys.NUM_FRAMES),
        (features.A, waveform, signature_keys.WAVEFORM, signature_keys.NUM_SAMPLES),
    )
    for window in windows:
        for head, cursor, key, length_key in streams:
            if head in window.streams:
                steps, real = cursor.window(window.start_s)
                batch.setdefault(key, []).append(steps)
                batch.setdefault(length_key, []).append(real)
    return {key: np.stack(values) if key in (signature_keys.FRAMES, signature_keys.WAVEFORM)
            else np.array(values, np.int32) for key, values in batch.items()}
