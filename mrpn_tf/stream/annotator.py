"""`--annotate OUT.mp4`: the input video with the current emotion drawn over it, audio kept.

Every input frame is written, at its own time, upright - turned by its display rotation as
`decode.upright` turns the frames the model sees, so a phone's portrait clip stored sideways
is written as it plays - at the upright input's size (rounded down to even sides for 4:2:0),
with the overlay (overlay.py) of the latest answer whose window ended at or before that frame:
what a viewer of the live stream would have seen, without the processing delay. The size and
the turn are the first video frame's (a stream's stored size is its sideways one), so the
file is set up at that frame, and audio that comes before it waits for it. A frame is held
until the answer it shows is known - until the next window's end has passed - which takes at
most a window and a hop of frames. Video is H.264 (libx264)
when this PyAV build has it, MPEG-4 part 2 otherwise; the audio is re-encoded to AAC at its
own rate and layout, so the file holds the same frames, duration and sound as the input.
Written to a temporary name and renamed at the end, so a reader never sees half a file.
"""

from __future__ import annotations

import collections
import contextlib
import os
from fractions import Fraction
from typing import Optional

import av
import numpy as np

from mrpn_tf import files
from mrpn_tf.data.media import decode
from mrpn_tf.stream import overlay
from mrpn_tf.stream import source as source_lib
from mrpn_tf.stream.scorer import HopResult

# Video timestamps in 1/90000 s (MPEG's clock): exact for 25, 30 and 29.97 fps, and fine
# enough for a camera's variable frame times.
_VIDEO_TIME_BASE = Fraction(1, 90000)
_DEFAULT_RATE = Fraction(30)  # a device that does not say its frame rate


def video_codec() -> str:
    """libx264 when this PyAV build has it, else mpeg4."""
    return "libx264" if "libx264" in av.codecs_available else "mpeg4"


def _even(n: int) -> int:
    return max(2, n - n % 2)


def _sideways(rotation: float) -> bool:
    """Whether a display rotation is an odd number of quarter turns (`decode.upright`)."""
    return int(round(rotation / 90.0)) % 2 == 1


class Annotator:
    """Writes the annotated copy of a stream (module docstring).

    Args:
      path: the output file (.mp4).
      labels: the model's classes, in its order.
      video: the input's video stream (its frame rate; its size when no frame comes).
      audio: the input's audio stream, or None.
      first_answer_s: when the first answer is due (shown before it).
    """

    def __init__(self, path: str, labels: list[str], video, audio, first_answer_s: float):
        self.labels = labels
        self.first_answer_s = first_answer_s
        self._input_video, self._input_audio = video, audio
        self._files = contextlib.ExitStack()
        self._tmp = self._files.enter_context(files.atomic_path(path, suffix=".tmp" + os.path.splitext(path)[1]))
        # Set up at the first video frame (`_open`): its upright size.
        self.container = self.video = self.audio = self.resampler = None
        self.width = self.height = 0
        self._early_audio: list[av.AudioFrame] = []  # audio before the first video frame
        self._samples = 0
        self._pending: collections.deque = collections.deque()  # (time, av.VideoFrame)
        self._answers: list[HopResult] = []
        self._last_pts = -1
        self.frames_written = 0

    def add(self, item: source_lib.MediaFrame) -> None:
        """Takes one input frame: video is held for its answer, audio is encoded at once."""
        if item.kind == source_lib.VIDEO:
            if self.container is None:
                self._open(item.frame)
            self._pending.append((item.time, item.frame))
        elif self._input_audio is not None:
            if self.container is None:
                self._early_audio.append(item.frame)
            else:
                self._encode_audio(item.frame)

    def add_answer(self, result: HopResult) -> None:
        """Takes the answer of the next hop (in stream order)."""
        self._answers.append(result)

    def release(self, before_s: float) -> None:
        """Writes the held frames earlier than `before_s`: their answers are all known."""
        while self._pending and self._pending[0][0] < before_s:
            self._write(*self._pending.popleft())

    def _open(self, first: Optional[av.VideoFrame]) -> None:
        """Creates the file and its streams, at the first frame's upright size."""
        if first is not None:
            width, height = first.width, first.height
            if _sideways(first.rotation):
                width, height = height, width
        else:  # no video frame came: the stream's own size
            width, height = self._input_video.codec_context.width, self._input_video.codec_context.height
        self.width, self.height = _even(width), _even(height)
        self.container = av.open(self._tmp, "w")
        self.video = self.container.add_stream(video_codec(), rate=self._input_video.average_rate or _DEFAULT_RATE)
        self.video.width, self.video.height = self.width, self.height
        self.video.pix_fmt = "yuv420p"
        self.video.codec_context.time_base = _VIDEO_TIME_BASE
        if self.video.name == "libx264":
            self.video.options = {"preset": "veryfast", "bf": "0"}  # no reordering: low delay
        if self._input_audio is not None:
            audio = self._input_audio
            layout = audio.layout.name if audio.channels <= 2 else "stereo"
            self.audio = self.container.add_stream("aac", rate=audio.rate, layout=layout)
            self.resampler = av.AudioResampler(format="fltp", layout=layout, rate=audio.rate)
            for frame in self._early_audio:
                self._encode_audio(frame)
        self._early_audio = []

    def _answer_at(self, time_s: float) -> Optional[HopResult]:
        while len(self._answers) > 1 and self._answers[1].t <= time_s:
            self._answers.pop(0)  # answers come in order: earlier ones are never shown again
        if self._answers and self._answers[0].t <= time_s:
            return self._answers[0]
        return None

    def _write(self, time_s: float, frame: av.VideoFrame) -> None:
        # Scaled as stored, then turned upright: the output's size either way.
        width, height = (self.height, self.width) if _sideways(frame.rotation) else (self.width, self.height)
        stored = frame.to_ndarray(format="rgb24", width=width, height=height)
        rgb = np.ascontiguousarray(decode.upright(stored, frame.rotation))
        overlay.draw(rgb, self._answer_at(time_s), self.labels, self.first_answer_s)
        out = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        out.pts = max(int(round(time_s / _VIDEO_TIME_BASE)), self._last_pts + 1)
        out.time_base = _VIDEO_TIME_BASE
        self._last_pts = out.pts
        self._mux(self.video.encode(out))
        self.frames_written += 1

    def _encode_audio(self, frame: Optional[av.AudioFrame]) -> None:
        for resampled in self.resampler.resample(frame):
            resampled.pts = self._samples
            resampled.time_base = Fraction(1, self.audio.rate)
            self._samples += resampled.samples
            self._mux(self.audio.encode(resampled))

    def _mux(self, packets) -> None:
        for packet in packets:
            self.container.mux(packet)

    def close(self) -> None:
        """Writes what is held, flushes the encoders and moves the file into place."""
        if self.container is None:
            self._open(None)
        self.release(float("inf"))
        self._mux(self.video.encode(None))
        if self.audio is not None:
            self._encode_audio(None)
            self._mux(self.audio.encode(None))
        self.container.close()
        self._files.close()  # the finished file replaces `path`

    def abort(self) -> None:
        """Closes and removes the partial file (after an error); `path` is left as it was."""
        if self.container is not None:
            self.container.close()
        if os.path.exists(self._tmp):
            os.remove(self._tmp)
        self._files.close()
