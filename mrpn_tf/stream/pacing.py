"""Real-time pacing: a recorded stream released at the pace it was recorded (`--realtime`).

A file decodes as fast as the CPU allows; to stand in for a camera in tests and demos, each
frame is held back until `start + t`, where t is its time in the stream and `start` the wall
time of the first frame. A frame that is already late is not held, and its arrival is still
the time it was due: the latency of a hop then counts the backlog, as it would live.

Frames are released in time order across streams (`time_ordered`), as a camera and a
microphone deliver them. A file's packets are interleaved only roughly - a muxer may write
a second of video ahead of the audio - and pacing them in file order would hold the audio
back behind video that is not due yet, then count that wait as latency.
"""

from __future__ import annotations

import collections
import time
from typing import Callable, Iterable, Iterator, Optional

# Seconds of one stream that `time_ordered` holds while waiting for another: beyond it a
# stream that ended early (audio shorter than the video) no longer holds the other back.
MAX_SKEW_S = 5.0


def time_ordered(frames: Iterable, kinds: Iterable[str]) -> Iterator:
    """Merges per-stream frames, each stream in time order, into one time order.

    Args:
      frames: items with `kind` and `time` (`source.MediaFrame`), each stream's in time order.
      kinds: the streams present.

    Yields:
      The same items; one is released once every stream has reached its time, or once it is
      MAX_SKEW_S older than the newest frame held.
    """
    pending = {kind: collections.deque() for kind in kinds}
    newest = float("-inf")
    for item in frames:
        pending[item.kind].append(item)
        newest = max(newest, item.time)
        while any(pending.values()):
            first = min((q for q in pending.values() if q), key=lambda q: q[0].time)
            if not all(pending.values()) and newest - first[0].time < MAX_SKEW_S:
                break  # another stream may still bring an earlier frame
            yield first.popleft()
    while any(pending.values()):
        yield min((q for q in pending.values() if q), key=lambda q: q[0].time).popleft()


class RealtimePacer:
    """Holds each frame back until its time is due (module docstring).

    Args:
      clock: seconds, monotonic (`time.monotonic`).
      sleep: waits that many seconds (`time.sleep`).
      start: the clock time of media time 0 (None: that of the first frame waited for).
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        start: Optional[float] = None,
    ):
        self.clock = clock
        self.sleep = sleep
        self.start = start
        self.idle_s = 0.0  # time spent waiting for frames to be due

    def wait(self, media_time: float) -> float:
        """Waits until the frame at `media_time` (s since the stream's start) is due.

        Returns:
          The clock time it was due: its arrival in a live stream.
        """
        now = self.clock()
        if self.start is None:
            self.start = now - media_time
        due = self.start + media_time
        if due > now:
            self.sleep(due - now)
            self.idle_s += self.clock() - now
        return due
