"""The rolling window: the last `window_s` seconds of frames and samples, one window per hop.

Window k covers [k x hop, k x hop + window_s) of the stream: `WindowSpec.frames` frames of the
fps grid and `WindowSpec.samples` samples from the same start indices as `windowing.raw_windows`
cuts a clip, so a window here holds what predict's window at that start would hold. It is
complete, and handed out, once every stream it takes has reached its end: the first answer
comes when the first full window is in, at t = window_s, then one every hop.

At the stream's end (its file's end, or a stop), `last` hands out what the hops left unscored,
as predict places its last window: a final window moved back to end at the stream's end, when
the stream ran past the last window's end; or, for a stream shorter than one window, the one
window it has, zero-padded (`partial`), as predict scores a short clip. The stream's end is
where its shorter stream ends (`end_s`), as predict takes a clip's duration, so the final
window is full of both streams and holds what predict's last window holds.

The buffer keeps what the next window needs and the last window's length of stream (for that
final window), and drops the rest: about one window whatever the stream's length.
"""

from __future__ import annotations

import collections
import dataclasses
import math
from typing import Optional

import numpy as np

from mrpn_tf.data.media.live_face_track import TrackedFrame
from mrpn_tf.inference import windowing

# Absorbs float error when a window start in seconds becomes an index (as windowing.py does).
_INDEX_EPS = 1e-6


@dataclasses.dataclass
class Window:
    """One window's raw content; a stream the window does not take is None."""

    index: int  # k: the window's number in the stream
    start_s: float
    end_s: float  # when it is scored: start_s + window_s (earlier for a partial window)
    frames: Optional[np.ndarray]  # uint8 [T, H, W, 3] frames on the fps grid, scaled
    tracked: Optional[list[TrackedFrame]]  # per frame, its face box
    pcm16: Optional[np.ndarray]  # int16 [N] at the model's sample rate


class _Frames:
    """Frames at absolute indices 0, 1, 2, ... (their number in the stream); those before an
    index are dropped once no window needs them."""

    def __init__(self):
        self.items: collections.deque = collections.deque()
        self.base = 0  # absolute index of items[0]

    @property
    def end(self) -> int:
        return self.base + len(self.items)

    def add(self, item) -> None:
        self.items.append(item)

    def take(self, start: int, stop: int) -> list:
        return [self.items[i - self.base] for i in range(max(start, self.base), min(stop, self.end))]

    def drop_before(self, index: int) -> None:
        while self.items and self.base < index:
            self.items.popleft()
            self.base += 1


class _Samples:
    """The same for samples, which arrive in chunks."""

    def __init__(self):
        self.chunks: list[np.ndarray] = []
        self.base = 0  # absolute index of the first sample kept
        self.end = 0

    def _kept(self) -> np.ndarray:
        kept = np.concatenate(self.chunks) if self.chunks else np.zeros([0], np.int16)
        self.chunks = [kept]
        return kept

    def add(self, pcm16: np.ndarray) -> None:
        self.end += len(pcm16)
        self.chunks.append(pcm16)

    def take(self, start: int, stop: int) -> np.ndarray:
        return self._kept()[max(start - self.base, 0) : max(stop - self.base, 0)]

    def drop_before(self, index: int) -> None:
        if index <= self.base:
            return  # nothing to drop: no copy
        kept = self._kept()
        cut = min(index - self.base, len(kept))
        self.chunks = [kept[cut:]]
        self.base += cut


class WindowBuffer:
    """Collects a stream's frames and samples and hands out its windows (module docstring).

    Args:
      spec: the model's window (`windowing.window_spec`), whose `hop_seconds` is the hop.
      video: the windows take frames.
      audio: the windows take samples.
    """

    def __init__(self, spec: windowing.WindowSpec, video: bool, audio: bool):
        if not video and not audio:
            raise ValueError("a window needs frames or samples")
        self.spec = spec
        self.video, self.audio = video, audio
        self.frames = _Frames()
        self.samples = _Samples()
        self.next_index = 0  # the next window to hand out

    def start_s(self, index: int) -> float:
        """Start time of window `index`."""
        return index * self.spec.hop_seconds

    @property
    def next_end_s(self) -> float:
        """When the next window is complete (s of stream)."""
        return self.start_s(self.next_index) + self.spec.seconds

    @property
    def media_s(self) -> float:
        """Seconds of stream received (the longer of the streams taken)."""
        return max(self.frames.end / self.spec.fps, self.samples.end / self.spec.sample_rate)

    @property
    def end_s(self) -> float:
        """The stream's end so far: where the shorter of the streams taken ends (s of stream)."""
        ends = []
        if self.video:
            ends.append(self.frames.end / self.spec.fps)
        if self.audio:
            ends.append(self.samples.end / self.spec.sample_rate)
        return min(ends)

    def _bounds(self, index: int, rate: float, size: int) -> tuple[int, int]:
        return self._bounds_at(self.start_s(index), rate, size)

    @staticmethod
    def _bounds_at(start_s: float, rate: float, size: int) -> tuple[int, int]:
        start = int(math.floor(start_s * rate + _INDEX_EPS))
        return start, start + size

    def add_frame(self, rgb: np.ndarray, tracked: TrackedFrame) -> None:
        """Appends the next frame of the fps grid and its face box."""
        self.frames.add((rgb, tracked))
        self._drop_unneeded()

    def add_samples(self, pcm16: np.ndarray) -> None:
        """Appends samples at the model's rate."""
        self.samples.add(pcm16)
        self._drop_unneeded()

    def _drop_unneeded(self) -> None:
        """Drops what neither the next window nor a last window ending now would take."""
        keep_from_s = min(self.start_s(self.next_index), self.end_s - self.spec.seconds)
        self.frames.drop_before(self._bounds_at(keep_from_s, self.spec.fps, self.spec.frames)[0])
        self.samples.drop_before(self._bounds_at(keep_from_s, self.spec.sample_rate, self.spec.samples)[0])

    def ready(self) -> bool:
        """Whether the next window is complete."""
        frames_in = self._bounds(self.next_index, self.spec.fps, self.spec.frames)[1] <= self.frames.end
        samples_in = self._bounds(self.next_index, self.spec.sample_rate, self.spec.samples)[1] <= self.samples.end
        return (frames_in or not self.video) and (samples_in or not self.audio)

    def _window(self, index: int, start_s: float, end_s: float) -> Window:
        frames = tracked = pcm16 = None
        if self.video:
            taken = self.frames.take(*self._bounds_at(start_s, self.spec.fps, self.spec.frames))
            frames = np.stack([rgb for rgb, _ in taken]) if taken else None
            tracked = [t for _, t in taken] if taken else None
        if self.audio:
            pcm16 = self.samples.take(*self._bounds_at(start_s, self.spec.sample_rate, self.spec.samples))
            pcm16 = pcm16 if len(pcm16) else None
        return Window(index, start_s, end_s, frames, tracked, pcm16)

    def pop(self) -> Window:
        """The next complete window (`ready()` first); drops what no later window needs."""
        window = self._window(self.next_index, self.start_s(self.next_index), self.next_end_s)
        self.next_index += 1
        self._drop_unneeded()
        return window

    def partial(self) -> Optional[Window]:
        """At the stream's end, before any full window: what there is, or None when empty."""
        window = self._window(self.next_index, self.start_s(self.next_index), self.media_s)
        if window.frames is None and window.pcm16 is None:
            return None
        self.next_index += 1
        return window

    def last(self) -> Optional[Window]:
        """At the stream's end: the window over what the hops left unscored (module docstring).

        Returns:
          Before any window, the `partial` one (None for an empty stream); after some, a full
          window ending at `end_s` when the stream ran past the last window handed out, else
          None.
        """
        if self.next_index == 0:
            return self.partial()
        end_s = self.end_s
        if end_s <= self.start_s(self.next_index - 1) + self.spec.seconds + _INDEX_EPS:
            return None
        window = self._window(self.next_index, end_s - self.spec.seconds, end_s)
        self.next_index += 1
        return window
