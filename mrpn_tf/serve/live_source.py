"""A browser's camera and microphone as a stream source: what stream's `StreamSession` reads.

The client pushes pictures and chunks of sound over the WebSocket (live_protocol.py); they
wait in the client's inbox, and `PushSource.frames` hands them to the session as source.py's
`MediaFrame`s - a JPEG decoded into an RGB `av.VideoFrame`, PCM16 into an `av.AudioFrame` -
each with its capture time and its arrival at the server. From there the session does what
it does to a camera: fps grid, face detection and tracking, resampling to the model's rate,
the rolling window, the scorer.

Falling behind. Before a frame is handed on, its wait in the inbox is checked: past
`max_lag_s` the server is not keeping up (a slow model, too many clients for the cores), and
`frames` raises `Behind` instead of handing on a stale frame. The caller (live_client.py)
then drops everything waiting and starts a new session at the newest capture time: a gap in
the answers, said as such, rather than answers that come later and later.
"""

from __future__ import annotations

import dataclasses
import io
import queue
import time
from fractions import Fraction
from typing import Iterator, Optional

import av
import numpy as np
from PIL import Image

from mrpn_tf.serve import live_protocol
from mrpn_tf.stream import source as source_lib

# A picture of more pixels than this (4096 x 4096) is refused before it is decoded.
MAX_PICTURE_PIXELS = 4096 * 4096


class Behind(Exception):
    """The session is `lag_s` behind the client, at the frame captured at `time_s`."""

    def __init__(self, lag_s: float, time_s: float):
        super().__init__(f"{lag_s:.2f} s behind the stream at {time_s:.2f} s")
        self.lag_s = lag_s
        self.time_s = time_s


@dataclasses.dataclass
class Received:
    """A message as it waits in the inbox."""

    chunk: live_protocol.Chunk
    arrival: float  # time.monotonic() when the server received it


class ClientVideo:
    """The client's video where stream reads a PyAV stream: its nominal frame rate, which
    places frames on the fps grid (`decode.FrameConverter`)."""

    def __init__(self, fps: float):
        self.average_rate = Fraction(fps).limit_denominator(1001)
        self.base_rate = self.guessed_rate = None


class ClientAudio:
    """The client's audio: mono PCM16 at its sample rate."""

    def __init__(self, sample_rate: int):
        self.rate = self.sample_rate = sample_rate
        self.channels = 1


def decode_picture(payload: bytes) -> Optional[np.ndarray]:
    """uint8 [H, W, 3] RGB of a JPEG (or PNG, WebP) picture, or None when it is not one or
    larger than `MAX_PICTURE_PIXELS`."""
    try:
        with Image.open(io.BytesIO(payload)) as image:
            if image.width * image.height > MAX_PICTURE_PIXELS:
                return None
            return np.asarray(image.convert("RGB"))
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


class PushSource:
    """The client's frames from `resume_s` on, for one StreamSession (module docstring).

    Args:
      name: the stream's name, in messages.
      start: the streams the client sends.
      inbox: the client's queue of `Received` messages; None in it ends the stream.
      max_lag_s: a frame that waited longer raises `Behind`.
      resume_s: frames captured before this are skipped (the span a previous session dropped).
    """

    def __init__(self, name: str, start: live_protocol.Start, inbox: queue.Queue,
                 max_lag_s: float, resume_s: float = 0.0):
        self.name = name
        self.video = ClientVideo(start.video_fps) if start.video_fps else None
        self.audio = ClientAudio(start.sample_rate) if start.sample_rate else None
        self.live = True
        self.inbox = inbox
        self.max_lag_s = max_lag_s
        self.resume_s = resume_s
        self.bad_pictures = 0
        self._waited_s = 0.0
        self._samples = 0

    @property
    def idle_s(self) -> float:
        """Seconds spent waiting for the client's frames."""
        return self._waited_s

    def frames(self) -> Iterator[source_lib.MediaFrame]:
        """The client's frames in arrival order, until it stops.

        Raises:
          Behind: a frame waited longer than `max_lag_s`.
        """
        while True:
            before = time.monotonic()
            item = self.inbox.get()
            self._waited_s += time.monotonic() - before
            if item is None:
                return
            chunk = item.chunk
            if chunk.time < self.resume_s or (chunk.kind == live_protocol.VIDEO and self.video is None) \
                    or (chunk.kind == live_protocol.AUDIO and self.audio is None):
                continue
            lag = time.monotonic() - item.arrival
            if lag > self.max_lag_s:
                raise Behind(lag, chunk.time)
            frame = self._frame(chunk)
            if frame is not None:
                kind = source_lib.VIDEO if chunk.kind == live_protocol.VIDEO else source_lib.AUDIO
                yield source_lib.MediaFrame(kind, frame, chunk.time - self.resume_s, item.arrival)

    def _frame(self, chunk: live_protocol.Chunk):
        """The PyAV frame of a message (None: a picture that does not decode)."""
        if chunk.kind == live_protocol.VIDEO:
            rgb = decode_picture(chunk.payload)
            if rgb is None:
                self.bad_pictures += 1
                return None
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.time_base = Fraction(1, 90000)
            frame.pts = int(round((chunk.time - self.resume_s) * 90000))
            return frame
        pcm = np.frombuffer(chunk.payload, "<i2").reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        frame.sample_rate = self.audio.sample_rate
        frame.time_base = Fraction(1, self.audio.sample_rate)
        frame.pts = self._samples
        self._samples += pcm.shape[1]
        return frame

    def close(self) -> None:
        """Nothing to close: the inbox outlives the session (live_client.py)."""
