"""`--annotate OUT.mp4`: the input video with the current emotion drawn over it, audio kept.

Every input frame is written, at its own time, at the input's size (rounded down to even
sides for 4:2:0), with the overlay (overlay.py) of the latest answer whose window ended at or
before that frame: what a viewer of the live stream would have seen, without the processing
delay. A frame is therefore held until the answer it shows is known - until the next window's
end has passed - which takes at most a window and a hop of frames. Video is H.264 (libx264)
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


class Annotator:
    """Writes the annotated copy of a stream (module docstring).

    Args:
      path: the output file (.mp4).
      labels: the model's classes, in its order.
      video: the input's video stream (its size and frame rate).
      audio: the input's audio stream, or None.
      first_answer_s: when the first answer is due (shown before it).
    """

    def __init__(self, path: str, labels: list[str], video, audio, first_answer_s: float):
        self.labels = labels
        self.first_answer_s = first_answer_s
        self._files = contextlib.ExitStack()
        self._tmp = self._files.enter_context(files.atomic_path(path, suffix=".tmp" + os.path.splitext(path)[1]))
        self.container = av.open(self._tmp, "w")
        self.width = _even(video.codec_context.width)
        self.height = _even(video.codec_context.height)
        self.video = self.container.add_stream(video_codec(), rate=video.average_rate or _DEFAULT_RATE)
        self.video.width, self.video.height = self.width, self.height
        self.video.pix_fmt = "yuv420p"
        self.video.codec_context.time_base = _VIDEO_TIME_BASE
        if self.video.name == "libx264":
            self.video.options = {"preset": "veryfast", "bf": "0"}  # no reordering: low delay
        self.audio = self.resampler = None
        if audio is not None:
            layout = audio.layout.name if audio.channels <= 2 else "stereo"
            self.audio = self.container.add_stream("aac", rate=audio.rate, layout=layout)
            self.resampler = av.AudioResampler(format="fltp", layout=layout, rate=audio.rate)
            self._samples = 0
        self._pending: collections.deque = collections.deque()  # (time, av.VideoFrame)
        self._answers: list[HopResult] = []
        self._last_pts = -1
        self.frames_written = 0

    def add(self, item: source_lib.MediaFrame) -> None:
        """Takes one input frame: video is held for its answer, audio is encoded at once."""
        if item.kind == source_lib.VIDEO:
            self._pending.append((item.time, item.frame))
        elif self.audio is not None:
            self._encode_audio(item.frame)

    def add_answer(self, result: HopResult) -> None:
        """Takes the answer of the next hop (in stream order)."""
        self._answers.append(result)

    def release(self, before_s: float) -> None:
        """Writes the held frames earlier than `before_s`: their answers are all known."""
        while self._pending and self._pending[0][0] < before_s:
            self._write(*self._pending.popleft())

    def _answer_at(self, time_s: float) -> Optional[HopResult]:
        while len(self._answers) > 1 and self._answers[1].t <= time_s:
            self._answers.pop(0)  # answers come in order: earlier ones are never shown again
        if self._answers and self._answers[0].t <= time_s:
            return self._answers[0]
        return None

    def _write(self, time_s: float, frame: av.VideoFrame) -> None:
        rgb = np.ascontiguousarray(frame.to_ndarray(format="rgb24", width=self.width, height=self.height))
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
        self.release(float("inf"))
        self._mux(self.video.encode(None))
        if self.audio is not None:
            self._encode_audio(None)
            self._mux(self.audio.encode(None))
        self.container.close()
        self._files.close()  # the finished file replaces `path`

    def abort(self) -> None:
        """Closes and removes the partial file (after an error); `path` is left as it was."""
        self.container.close()
        os.remove(self._tmp)
        self._files.close()
