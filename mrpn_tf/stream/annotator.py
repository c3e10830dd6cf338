"""`--annotate OUT.mp4`: the input video with the current emotion drawn over it, audio kept.

Every input frame is written, at its own time, upright - turned by its display rotation as
`decode.upright` turns the frames the model sees, so a phone's portrait clip stored sideways
is written as it plays - at the upright input's size (rounded down to even sides for 4:2:0),
with the overlay (overlay.py) of the latest answer whose window ended at or before that frame:
what a viewer of the live stream would have seen, without the processing delay. The size and
the turn are the first video frame's (a stream's stored size is its sideways one), so the
file is set up at that frame, and audio that comes before it waits for it. A frame is held
until the answer it shows is known - until the next window's end has passed - which takes at
most a window and a hop of frames. The audio is re-encoded, so the file holds the same frames,
duration and sound as the input.

The container is the file's extension (`FORMATS`): .mp4, .mov and .mkv hold H.264 (libx264)
when this PyAV build has it, MPEG-4 part 2 otherwise, and AAC at the input's rate; .webm holds
VP8 (libvpx) and Opus at 48 kHz (its rate). `check_target` checks a path before any work: a
folder that is missing or cannot be written, or an extension no encoder of this build can
fill, is an `AnnotateError` naming the file.

Written to a temporary name and renamed at the end, so a reader never sees half a file. A
write that fails (a full disk) removes the partial file and raises `AnnotateError`.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import os
import tempfile
from fractions import Fraction
from typing import Iterator, Optional

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


@dataclasses.dataclass(frozen=True)
class OutputFormat:
    """A container the annotated video can be written in, and the encoders that fill it."""

    muxer: str  # FFmpeg's name of the container
    video_codecs: tuple[str, ...]  # in order of preference: the first this PyAV build has
    audio_codecs: tuple[str, ...]
    audio_rate: Optional[int] = None  # the audio's rate; None: the input's


_H264_OR_MPEG4 = ("libx264", "mpeg4")
# By extension. WebM holds VP8 / VP9 / AV1 and Opus / Vorbis only; VP8 encodes fastest, and
# Opus takes 48 kHz (not 44.1).
FORMATS = {
    ".mkv": OutputFormat("matroska", _H264_OR_MPEG4, ("aac",)),
    ".mov": OutputFormat("mov", _H264_OR_MPEG4, ("aac",)),
    ".mp4": OutputFormat("mp4", _H264_OR_MPEG4, ("aac",)),
    ".webm": OutputFormat("webm", ("libvpx",), ("libopus",), audio_rate=48000),
}
# Encoder options: no frame reordering or look-ahead (low delay), fast.
_VIDEO_OPTIONS = {
    "libx264": {"preset": "veryfast", "bf": "0"},
    "libvpx": {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0", "crf": "10", "b": "2M"},
}


class AnnotateError(RuntimeError):
    """The annotated video cannot be written; the message names the file and says why."""


def _has_encoder(name: str) -> bool:
    try:
        av.Codec(name, "w")
    except (av.FFmpegError, ValueError):  # PyAV: UnknownCodecError, a ValueError
        return False
    return True


def _encoder(names: tuple[str, ...]) -> Optional[str]:
    """The first of `names` this PyAV build can encode with, or None."""
    return next((name for name in names if _has_encoder(name)), None)


def writable_extensions() -> list[str]:
    """The extensions of `FORMATS` this PyAV build has the encoders for, sorted."""
    return sorted(ext for ext, fmt in FORMATS.items()
                  if _encoder(fmt.video_codecs) and _encoder(fmt.audio_codecs))


def video_codec() -> str:
    """libx264 when this PyAV build has it, else mpeg4 (the .mp4 encoder)."""
    return _encoder(FORMATS[".mp4"].video_codecs) or "mpeg4"


def check_target(path: str, source: Optional[str] = None) -> OutputFormat:
    """Checks, before any work, that the annotated video can be written to `path`.

    Args:
      path: the output file.
      source: the input file, which the output must not replace (None: a device or URL).

    Returns:
      The container of `path`'s extension.

    Raises:
      AnnotateError: naming `path`: it is a folder or the source itself, its extension names
        no container this PyAV build can fill, or its folder is missing or takes no new file
        (tried: a file is created there and removed).
    """
    if os.path.isdir(path):
        raise AnnotateError(f"{path}: is a folder; --annotate takes a video file, e.g. "
                            f"{os.path.join(path, 'annotated.mp4')}")
    if source is not None and os.path.exists(source) and os.path.realpath(source) == os.path.realpath(path):
        raise AnnotateError(f"{path}: is the source itself; write the annotated video to another file")
    extension = os.path.splitext(path)[1].lower()
    writable = ", ".join(writable_extensions())
    if extension not in FORMATS:
        what = f"a {extension} file" if extension else "a file without an extension"
        raise AnnotateError(f"{path}: cannot write {what}; --annotate writes {writable}")
    fmt = FORMATS[extension]
    missing = [" or ".join(codecs) for codecs in (fmt.video_codecs, fmt.audio_codecs) if not _encoder(codecs)]
    if missing:
        raise AnnotateError(f"{path}: this PyAV build has no {' nor '.join(missing)} encoder for {extension}; "
                            f"--annotate writes {writable}")
    _check_folder(path)
    return fmt


def _check_folder(path: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.exists(folder):
        raise AnnotateError(f"{path}: folder {folder} does not exist")
    if not os.path.isdir(folder):
        raise AnnotateError(f"{path}: {folder} is not a folder")
    try:  # permissions, a read-only file system, quotas: only a write tells them all
        handle, probe = tempfile.mkstemp(prefix=".annotate-", dir=folder)
    except OSError as e:
        raise AnnotateError(f"{path}: cannot create a file in {folder} ({e.strerror or e})") from e
    os.close(handle)
    os.remove(probe)


def _even(n: int) -> int:
    return max(2, n - n % 2)


def _sideways(rotation: float) -> bool:
    """Whether a display rotation is an odd number of quarter turns (`decode.upright`)."""
    return int(round(rotation / 90.0)) % 2 == 1


class Annotator:
    """Writes the annotated copy of a stream (module docstring).

    Args:
      path: the output file (an extension of `FORMATS`).
      labels: the model's classes, in its order.
      video: the input's video stream (its frame rate; its size when no frame comes).
      audio: the input's audio stream, or None.
      first_answer_s: when the first answer is due (shown before it).

    Raises:
      AnnotateError: `path` cannot be written (`check_target`).
    """

    def __init__(self, path: str, labels: list[str], video, audio, first_answer_s: float):
        self.path = path
        self.format = check_target(path)
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
        self._done = False  # closed or aborted
        self.frames_written = 0

    def add(self, item: source_lib.MediaFrame) -> None:
        """Takes one input frame: video is held for its answer, audio is encoded at once.

        Raises:
          AnnotateError: the file cannot be written (it is removed).
        """
        with self._writing():
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
        """Writes the held frames earlier than `before_s`: their answers are all known.

        Raises:
          AnnotateError: the file cannot be written (it is removed).
        """
        with self._writing():
            while self._pending and self._pending[0][0] < before_s:
                self._write(*self._pending.popleft())

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """A failed write (a full disk, a lost folder) removes the partial file, and says so."""
        try:
            yield
        except OSError as e:  # PyAV's I/O errors are OSErrors too (av.error.OSError, ...)
            self.abort()
            raise AnnotateError(
                f"{self.path}: cannot write the annotated video ({e.strerror or e}); the partial file is removed"
            ) from e

    def _open(self, first: Optional[av.VideoFrame]) -> None:
        """Creates the file and its streams, at the first frame's upright size."""
        if first is not None:
            width, height = first.width, first.height
            if _sideways(first.rotation):
                width, height = height, width
        else:  # no video frame came: the stream's own size
            width, height = self._input_video.codec_context.width, self._input_video.codec_context.height
        self.width, self.height = _even(width), _even(height)
        self.container = av.open(self._tmp, "w", format=self.format.muxer)
        codec = _encoder(self.format.video_codecs)
        self.video = self.container.add_stream(codec, rate=self._input_video.average_rate or _DEFAULT_RATE)
        self.video.width, self.video.height = self.width, self.height
        self.video.pix_fmt = "yuv420p"
        self.video.codec_context.time_base = _VIDEO_TIME_BASE
        self.video.options = dict(_VIDEO_OPTIONS.get(codec, {}))
        if self._input_audio is not None:
            audio = self._input_audio
            layout = audio.layout.name if audio.channels <= 2 else "stereo"
            rate = self.format.audio_rate or audio.rate
            self.audio = self.container.add_stream(_encoder(self.format.audio_codecs), rate=rate, layout=layout)
            self.resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
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
        """Writes what is held, flushes the encoders and moves the file into place.

        Raises:
          AnnotateError: the file cannot be written (it is removed; `path` is left as it was).
        """
        if self._done:
            return
        with self._writing():
            if self.container is None:
                self._open(None)
            self.release(float("inf"))
            self._mux(self.video.encode(None))
            if self.audio is not None:
                self._encode_audio(None)
                self._mux(self.audio.encode(None))
            self.container.close()
            self._files.close()  # the finished file replaces `path`
            self._done = True

    def abort(self) -> None:
        """Closes and removes the partial file (after an error); `path` is left as it was.
        Again, or after `close`: nothing."""
        if self._done:
            return
        self._done = True
        if self.container is not None:
            with contextlib.suppress(av.FFmpegError, OSError):  # the disk that failed may fail again
                self.container.close()
        with contextlib.suppress(FileNotFoundError):
            os.remove(self._tmp)
        self._files.close()
