"""Decodes a clip once with PyAV: RGB frames on a fixed-fps grid, and 16-kHz mono PCM16 audio.

Both streams are demuxed in one pass. Frames are scaled down by the decoder (swscale) so that
the long side is at most `max_frame_side`; audio is converted by libswresample
(`av.AudioResampler`) to signed 16-bit mono at the target rate — no hand-written resampling.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Callable, Iterator, Optional

import av
import numpy as np

from mrpn_tf import files

# Seconds tolerance when matching source frame times to the target grid: absorbs the
# rounding of 29.97-fps timestamps without ever picking a frame twice for one slot.
_GRID_EPS = 1e-6
# A clip is truncated when it decodes to less than this fraction of its declared duration,
# minus the slack (codec priming and the last frame's duration are not decoded time).
TRUNCATION_FRACTION = 0.9
TRUNCATION_SLACK_S = 0.1


class MediaError(files.FileError):
    """A media file cannot be used; the message names the file and the problem."""


@dataclasses.dataclass
class DecodedClip:
    """What one decode pass produced."""

    path: str
    frames: np.ndarray  # uint8 [T, H, W, 3] RGB on the fps grid; T = 0 without video
    fps: float
    pcm16: np.ndarray  # int16 [N] mono at sample_rate; N = 0 without audio
    sample_rate: int
    has_video: bool
    has_audio: bool
    source_size: tuple[int, int]  # (width, height) before scaling; (0, 0) without video

    @property
    def video_seconds(self) -> float:
        return len(self.frames) / self.fps if self.fps else 0.0

    @property
    def audio_seconds(self) -> float:
        return len(self.pcm16) / self.sample_rate


def scaled_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """(width, height) scaled so that the long side is at most `max_side`, even-sized."""
    scale = min(1.0, max_side / max(width, height))
    return max(2, int(round(width * scale / 2)) * 2), max(2, int(round(height * scale / 2)) * 2)


class _FrameGrid:
    """Picks source frames for the target times k / fps (nearest frame, duplicates allowed).

    A source frame shown from t to t + d covers every grid time in [t - d/2, t + d/2); so
    30 -> 15 fps takes every other frame and 10 -> 15 fps repeats some, keeping time exact.
    """

    def __init__(self, fps: float, source_period: float):
        self.fps = fps
        self.half_period = source_period / 2
        self.next_k = 0
        self.start: Optional[float] = None

    def slots(self, time_s: float) -> int:
        """Number of grid slots that the frame at `time_s` fills."""
        if self.start is None:
            self.start = time_s
        t = time_s - self.start
        count = 0
        while self.next_k / self.fps < t + self.half_period - _GRID_EPS:
            self.next_k += 1
            count += 1
        return count


def _open(path: str) -> av.container.InputContainer:
    if os.path.isdir(path):
        raise MediaError(path, "is a folder, not a media file")
    if not os.path.isfile(path):
        raise MediaError(path, "file does not exist")
    if os.path.getsize(path) == 0:
        raise MediaError(path, "empty file (0 bytes)")
    try:
        return av.open(path)
    except (av.FFmpegError, UnicodeDecodeError) as e:
        raise MediaError(path, f"unreadable or corrupt media file ({e})") from e


def _frame_period(stream: av.video.stream.VideoStream) -> float:
    rate = stream.average_rate or stream.base_rate or stream.guessed_rate
    return 1.0 / float(rate) if rate else 1.0 / 30.0


def _concat_audio(chunks: list[np.ndarray]) -> np.ndarray:
    if not chunks:
        return np.zeros([0], np.int16)
    return np.concatenate([c.reshape(-1) for c in chunks]).astype(np.int16, copy=False)


def decode_clip(
    path: str,
    fps: float,
    sample_rate: int,
    max_frame_side: int,
    audio_path: Optional[str] = None,
) -> DecodedClip:
    """Decodes video frames and audio of `path` in one demux pass.

    Args:
      path: media file (.mp4, .flv, .avi, .wav, ...).
      fps: target frame rate of the returned frames.
      sample_rate: target audio rate (Hz), mono PCM16.
      max_frame_side: frames are scaled so that their long side is at most this.
      audio_path: take the audio from this file instead (CREMA-D AudioWAV / AudioMP3).

    Returns:
      A DecodedClip; a missing stream gives an empty array and `has_video/has_audio=False`.

    Raises:
      MediaError: unreadable, corrupt or truncated file (the message names the file).
    """
    container = _open(path)
    try:
        video = container.streams.video[0] if container.streams.video else None
        audio = None if audio_path else (container.streams.audio[0] if container.streams.audio else None)
        frames, pcm, size = _demux(path, container, video, audio, fps, sample_rate, max_frame_side)
        _check_complete(path, container, len(frames) / fps, len(pcm) / sample_rate)
    finally:
        container.close()
    if audio_path:
        pcm = decode_audio(audio_path, sample_rate)
    has_audio = bool(audio_path) or audio is not None
    return DecodedClip(path, frames, fps, pcm, sample_rate, video is not None, has_audio, size)


def _demux(path, container, video, audio, fps, sample_rate, max_frame_side):
    picked: list[np.ndarray] = []
    chunks: list[np.ndarray] = []
    size = (video.codec_context.width, video.codec_context.height) if video else (0, 0)
    converter = FrameConverter(fps, sample_rate, max_frame_side, video)
    for kind, data in _decoded(path, container, video, audio, converter):
        (picked if kind == VIDEO else chunks).append(data)
    if video is not None and not picked:
        raise MediaError(path, "video stream has no decodable frame (corrupt or truncated)")
    frames = np.stack(picked) if picked else np.zeros([0, 0, 0, 3], np.uint8)
    return frames, _concat_audio(chunks), size


VIDEO = "video"
AUDIO = "audio"


def _decoded(path, container, video, audio, converter, pictures: bool = True):
    """Yields (VIDEO, rgb [H, W, 3]) per frame on the fps grid and (AUDIO, int16 [N]) per
    chunk, in the file's order; with `pictures=False`, (VIDEO, None) per grid frame (counted,
    not converted)."""
    streams = [s for s in (video, audio) if s is not None]
    try:
        for packet in container.demux(*streams) if streams else ():
            for frame in packet.decode():
                if isinstance(frame, av.VideoFrame):
                    produced = converter.video(frame) if pictures else [None] * converter.slots(frame)
                    for rgb in produced:
                        yield VIDEO, rgb
                else:
                    yield AUDIO, converter.audio(frame)
        if audio is not None:
            yield AUDIO, converter.flush_audio()
    except av.FFmpegError as e:
        raise MediaError(path, f"corrupt or truncated stream ({e})") from e


def upright(rgb: np.ndarray, rotation: float) -> np.ndarray:
    """A decoded picture as players show it.

    Phones store their pixels as the sensor gives them and record how to turn them for display
    in the stream's display matrix (e.g. 90 degrees for a portrait clip). PyAV's
    `VideoFrame.rotation` is that matrix's angle, counterclockwise; the picture is turned by it
    (in quarter turns, the only ones cameras write) before detection and cropping, so a
    phone's clip is read as it is seen.

    Args:
      rgb: uint8 [H, W, 3] as stored.
      rotation: the frame's display rotation in degrees, counterclockwise (0: none).

    Returns:
      The upright picture ([W, H, 3] after a quarter turn).
    """
    quarter = int(round(rotation / 90.0)) % 4
    return np.ascontiguousarray(np.rot90(rgb, k=quarter)) if quarter else rgb


class FrameConverter:
    """Decoded PyAV frames -> the streams the model takes, one frame at a time.

    The steps of `decode_clip`, which runs them over a whole file; `mrpn_tf.stream` runs them
    on a live stream, so both give the same frames and samples.

    Args:
      fps: target frame rate.
      sample_rate: target audio rate (Hz), mono PCM16.
      max_frame_side: frames are scaled so that their long side is at most this.
      video: the video stream (its frame period places frames on the grid), or None.
    """

    def __init__(self, fps: float, sample_rate: int, max_frame_side: int, video=None):
        self.max_frame_side = max_frame_side
        self.grid = _FrameGrid(fps, _frame_period(video)) if video is not None else None
        self.resampler = av.AudioResampler(format="s16", layout="mono", rate=sample_rate)

    def video(self, frame: av.VideoFrame) -> list[np.ndarray]:
        """The RGB frames [H, W, 3] this frame fills on the fps grid (none, one or repeats)."""
        count = self.slots(frame)
        if not count:
            return []
        width, height = scaled_size(frame.width, frame.height, self.max_frame_side)
        rgb = upright(frame.reformat(width=width, height=height, format="rgb24").to_ndarray(),
                      frame.rotation)
        return [rgb] * count

    def slots(self, frame: av.VideoFrame) -> int:
        """How many grid frames this frame fills (what `video` returns that many of)."""
        return 0 if frame.time is None else self.grid.slots(frame.time)

    def audio(self, frame: Optional[av.AudioFrame]) -> np.ndarray:
        """int16 [N] mono samples at the target rate (None: flush the resampler's delay)."""
        return _concat_audio([f.to_ndarray() for f in self.resampler.resample(frame)])

    def flush_audio(self) -> np.ndarray:
        """The samples the resampler still holds, at the end of the stream."""
        return self.audio(None)


def wav_declared_seconds(path: str) -> Optional[float]:
    """The length a WAV file's own header declares: its data chunk's size over its byte rate.

    FFmpeg's duration of a WAV is computed from the file's size, so a file cut short declares
    what is left of it; the RIFF header still says what was written.

    Returns:
      Seconds, or None: not a RIFF / WAVE file, or a streamed one without sizes.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(12)
            if len(head) < 12 or head[:4] not in (b"RIFF", b"RF64") or head[8:12] != b"WAVE":
                return None
            byte_rate = None
            while True:
                chunk = f.read(8)
                if len(chunk) < 8:
                    return None
                kind, size = chunk[:4], int.from_bytes(chunk[4:], "little")
                if kind == b"fmt ":
                    fmt = f.read(size + (size & 1))
                    byte_rate = int.from_bytes(fmt[8:12], "little") if len(fmt) >= 12 else None
                elif kind == b"data":
                    if not byte_rate or size in (0, 0xFFFFFFFF):
                        return None
                    return size / byte_rate
                else:
                    f.seek(size + (size & 1), 1)
    except OSError:
        return None


def _check_complete(path: str, container, video_s: float, audio_s: float) -> None:
    """A file cut short decodes without error but yields less than its header declares."""
    declared = wav_declared_seconds(path)
    if declared is None:
        if not container.duration:
            return
        declared = container.duration / av.time_base
    decoded = max(video_s, audio_s)
    if decoded < TRUNCATION_FRACTION * declared - TRUNCATION_SLACK_S:
        raise MediaError(
            path, f"truncated: decoded {decoded:.2f} s of the {declared:.2f} s its header declares"
        )


def decode_audio(path: str, sample_rate: int) -> np.ndarray:
    """Decodes only the audio of `path` to mono PCM16 at `sample_rate`.

    Raises:
      MediaError: unreadable or truncated file, or no audio stream.
    """
    return _concat_audio(list(audio_chunks(path, sample_rate, check=True)))


@dataclasses.dataclass
class StreamScan:
    """What one pass over a file found, without keeping its pictures or samples."""

    path: str
    num_frames: int  # frames on the fps grid
    num_samples: int  # mono samples at sample_rate
    has_video: bool
    has_audio: bool
    source_size: tuple[int, int]  # (width, height) as stored; (0, 0) without video
    source_rate: int = 0  # the audio's own sample rate (Hz) before resampling; 0 without audio


def scan_streams(
    path: str,
    fps: float,
    sample_rate: int,
    max_frame_side: int,
    on_frame: Optional[Callable[[np.ndarray], None]] = None,
    audio_path: Optional[str] = None,
) -> StreamScan:
    """`decode_clip`'s pass, keeping nothing: each grid frame goes to `on_frame` (None: frames
    are counted, not converted), the audio is counted. Memory does not grow with the clip.

    Raises:
      MediaError: as `decode_clip`.
    """
    container = _open(path)
    try:
        video = container.streams.video[0] if container.streams.video else None
        audio = None if audio_path else (container.streams.audio[0] if container.streams.audio else None)
        size = (video.codec_context.width, video.codec_context.height) if video else (0, 0)
        source_rate = audio.codec_context.sample_rate if audio is not None else 0
        converter = FrameConverter(fps, sample_rate, max_frame_side, video)
        frames = samples = 0
        for kind, data in _decoded(path, container, video, audio, converter, on_frame is not None):
            if kind == VIDEO:
                frames += 1
                if on_frame is not None:
                    on_frame(data)
            else:
                samples += len(data)
        if video is not None and not frames:
            raise MediaError(path, "video stream has no decodable frame (corrupt or truncated)")
        _check_complete(path, container, frames / fps, samples / sample_rate)
    finally:
        container.close()
    if audio_path:
        samples = sum(len(chunk) for chunk in audio_chunks(audio_path, sample_rate, check=True))
    has_audio = bool(audio_path) or audio is not None
    return StreamScan(path, frames, samples, video is not None, has_audio, size, source_rate or 0)


def video_frames(path: str, fps: float, max_frame_side: int) -> Iterator[np.ndarray]:
    """`decode_clip`'s frames of `path`, one at a time (uint8 [H, W, 3], upright, on the grid).

    The file is read again from its start; nothing is kept between frames. Run `scan_streams`
    first: this pass does not check for truncation.
    """
    container = _open(path)
    try:
        video = container.streams.video[0]
        converter = FrameConverter(fps, 1, max_frame_side, video)
        for _, rgb in _decoded(path, container, video, None, converter):
            yield rgb
    finally:
        container.close()


def audio_chunks(path: str, sample_rate: int, check: bool = False) -> Iterator[np.ndarray]:
    """`decode_clip`'s audio of `path` (mono PCM16 at `sample_rate`), chunk by chunk.

    Args:
      path: the media file.
      sample_rate: target rate (Hz).
      check: after the last chunk, raise MediaError when the file is truncated (the audio is
        the only stream judged, as `decode_audio` judges it).

    Raises:
      MediaError: unreadable file or no audio stream.
    """
    container = _open(path)
    try:
        if not container.streams.audio:
            raise MediaError(path, "no audio stream")
        audio = container.streams.audio[0]
        converter = FrameConverter(1.0, sample_rate, 0, None)
        samples = 0
        for _, chunk in _decoded(path, container, None, audio, converter):
            samples += len(chunk)
            yield chunk
        if check:
            _check_complete(path, container, 0.0, samples / sample_rate)
    finally:
        container.close()
