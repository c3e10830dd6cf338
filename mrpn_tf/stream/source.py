"""Where a stream comes from: a file or URL, or a camera and a microphone (PyAV devices).

Both kinds of source yield the decoded PyAV frames in the order they arrive, as `MediaFrame`s:
the frame, its time in seconds since its stream's first frame, and its arrival (when it became
available, on the `time.monotonic` clock). Each stream's times start at its own first frame,
as `decode_clip` counts them for `prepare` (the fps grid starts at the first video frame, the
waveform at the first sample); a camera and a microphone are two devices, so they are aligned
on their first frames.

- `FileSource`: anything `av.open` opens - a file, or a URL (http, rtsp, ...). It is read as
  fast as it decodes, or at its recorded pace with `realtime` (pacing.py): a file then
  stands in for a camera.
- `DeviceSource`: `--camera FORMAT:DEVICE` / `--mic FORMAT:DEVICE`, each opened as
  `av.open(DEVICE, format=FORMAT)` (v4l2:/dev/video0, alsa:default, pulse:default,
  avfoundation:0, dshow:video=..., lavfi:testsrc=duration=3 for a synthetic one) and read by a
  thread of its own, so that neither device waits on the other.

A source that cannot be opened raises `SourceError`, whose message names it.
"""

from __future__ import annotations

import dataclasses
import os
import queue
import threading
import time
from typing import Iterator, Optional, Union

import av

from mrpn_tf.stream import pacing

VIDEO = "video"
AUDIO = "audio"
# Input-device formats FFmpeg may be built with; an unknown format's message lists those present.
DEVICE_FORMATS = (
    "video4linux2,v4l2", "alsa", "pulse", "jack", "oss", "sndio", "openal", "x11grab", "fbdev",
    "kmsgrab", "lavfi", "avfoundation", "dshow", "gdigrab", "vfwcap", "android_camera", "decklink",
)
# Frames a device reader may hold before it waits for the session (a few seconds of media):
# a device that is not read drops frames itself, as a camera does.
_QUEUE_FRAMES = 256
# Seconds a reader gets to see the stop: a live device delivers a frame every few tens of ms.
_STOP_TIMEOUT_S = 2.0


class SourceError(RuntimeError):
    """A source that cannot be opened or read; the message names it."""


@dataclasses.dataclass
class MediaFrame:
    """One decoded frame, in arrival order."""

    kind: str  # VIDEO or AUDIO
    frame: Union[av.VideoFrame, av.AudioFrame]
    time: float  # seconds since its stream's first frame
    arrival: float  # time.monotonic() when it became available


class _StreamClock:
    """Times since a stream's first frame (frames without a timestamp: since its first arrival)."""

    def __init__(self):
        self.started = False
        self.first: Optional[float] = None
        self.first_arrival = 0.0

    def time(self, frame, arrival: float) -> float:
        if not self.started:
            self.started, self.first, self.first_arrival = True, frame.time, arrival
        if frame.time is None or self.first is None:
            return arrival - self.first_arrival
        return frame.time - self.first


class FileSource:
    """A file or URL (module docstring).

    Args:
      url: path or URL.
      realtime: release frames at their recorded pace instead of as fast as they decode.

    Raises:
      SourceError: it does not exist, cannot be opened, or holds neither video nor audio.
    """

    def __init__(self, url: str, realtime: bool = False):
        self.name = url
        if "://" not in url and not os.path.isfile(url):
            raise SourceError(f"{url}: file does not exist")
        try:
            self.container = av.open(url)
        except (av.FFmpegError, OSError, UnicodeDecodeError) as e:
            raise SourceError(f"{url}: cannot open ({e})") from e
        self.video = self.container.streams.video[0] if self.container.streams.video else None
        self.audio = self.container.streams.audio[0] if self.container.streams.audio else None
        if self.video is None and self.audio is None:
            self.container.close()
            raise SourceError(f"{url}: no video or audio stream")
        self.pacer = pacing.RealtimePacer() if realtime else None
        self.live = realtime  # frames come at the stream's pace

    @property
    def idle_s(self) -> float:
        """Seconds spent waiting for frames to be due (realtime pacing)."""
        return self.pacer.idle_s if self.pacer else 0.0

    def frames(self) -> Iterator[MediaFrame]:
        """The decoded frames of both streams: in file order, or paced in time order (pacing.py).

        Raises:
          SourceError: a corrupt stream.
        """
        if self.pacer is None:
            yield from self._decoded()
            return
        kinds = [kind for kind, stream in ((VIDEO, self.video), (AUDIO, self.audio)) if stream is not None]
        for item in pacing.time_ordered(self._decoded(), kinds):
            item.arrival = self.pacer.wait(item.time)
            yield item

    def _decoded(self) -> Iterator[MediaFrame]:
        """The frames in demux order, each arriving when it is decoded."""
        clocks = {VIDEO: _StreamClock(), AUDIO: _StreamClock()}
        streams = [s for s in (self.video, self.audio) if s is not None]
        try:
            for packet in self.container.demux(*streams):
                for frame in packet.decode():
                    kind = VIDEO if isinstance(frame, av.VideoFrame) else AUDIO
                    now = time.monotonic()
                    yield MediaFrame(kind, frame, clocks[kind].time(frame, now), now)
        except av.FFmpegError as e:
            raise SourceError(f"{self.name}: corrupt stream ({e})") from e

    def close(self) -> None:
        """Closes the file or connection (again: nothing)."""
        if self.container is not None:
            self.container.close()
            self.container = None


def parse_device(spec: str, role: str) -> tuple[str, str]:
    """"FORMAT:DEVICE" -> (format, device).

    Raises:
      SourceError: no colon, or an empty part.
    """
    fmt, _, device = spec.partition(":")
    if not fmt or not device:
        raise SourceError(f"{role} {spec!r}: expected FORMAT:DEVICE, e.g. v4l2:/dev/video0 or alsa:default")
    return fmt, device


def open_device(spec: str, role: str, options: Optional[dict[str, str]] = None) -> av.container.InputContainer:
    """Opens a capture device with PyAV.

    Args:
      spec: "FORMAT:DEVICE".
      role: "camera" or "microphone", for the messages.
      options: FFmpeg input options (video_size, framerate, sample_rate, ...).

    Raises:
      SourceError: naming the device, when FFmpeg cannot open it or has no such format.
    """
    fmt, device = parse_device(spec, role)
    try:
        return av.open(device, format=fmt, options=options or {})
    except ValueError as e:  # PyAV: "no container format 'pulse'"
        present = ", ".join(f for f in DEVICE_FORMATS if f in av.formats_available)
        raise SourceError(
            f"cannot open {role} {spec}: this FFmpeg build has no input format {fmt!r} "
            f"(its device formats: {present})"
        ) from e
    except (av.FFmpegError, OSError) as e:
        raise SourceError(f"cannot open {role} {spec}: {e}") from e


class DeviceSource:
    """A camera and / or a microphone, each read by its own thread (module docstring).

    Args:
      camera: "FORMAT:DEVICE" of the camera, or None.
      mic: "FORMAT:DEVICE" of the microphone, or None.
      realtime: pace the frames by their times too (for a synthetic lavfi device; a real
        device delivers them at its own pace).
      camera_options, mic_options: FFmpeg input options of each device.

    Raises:
      SourceError: neither given, or one cannot be opened or lacks its stream.
    """

    def __init__(
        self,
        camera: Optional[str],
        mic: Optional[str],
        realtime: bool = False,
        camera_options: Optional[dict[str, str]] = None,
        mic_options: Optional[dict[str, str]] = None,
    ):
        if not camera and not mic:
            raise SourceError("no device: give --camera FORMAT:DEVICE and / or --mic FORMAT:DEVICE")
        self.name = " + ".join(spec for spec in (camera, mic) if spec)
        self.inputs: dict[str, av.container.InputContainer] = {}
        self.video = self.audio = None
        self.realtime = realtime
        self.live = True  # a device delivers frames at its own pace
        self._queue: queue.Queue = queue.Queue(_QUEUE_FRAMES)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._waited_s = 0.0
        try:
            if camera:
                self.inputs[VIDEO] = open_device(camera, "camera", camera_options)
                self.video = self._stream(self.inputs[VIDEO].streams.video, camera, "camera", "video")
            if mic:
                self.inputs[AUDIO] = open_device(mic, "microphone", mic_options)
                self.audio = self._stream(self.inputs[AUDIO].streams.audio, mic, "microphone", "audio")
        except SourceError:
            self.close()
            raise

    @staticmethod
    def _stream(streams, spec: str, role: str, kind: str):
        if not streams:
            raise SourceError(f"{role} {spec} has no {kind} stream")
        return streams[0]

    @property
    def idle_s(self) -> float:
        """Seconds spent waiting for the devices (or for paced frames to be due)."""
        return self._waited_s

    def _read(self, kind: str, container, stream, pacer: Optional[pacing.RealtimePacer]) -> None:
        clock = _StreamClock()
        try:
            for frame in container.decode(stream):
                if self._stop.is_set():
                    break
                now = time.monotonic()
                media_time = clock.time(frame, now)
                # Paced here, device by device: a synthetic device (lavfi) produces faster than
                # real time and would otherwise crowd the other out of the shared queue.
                arrival = pacer.wait(media_time) if pacer else now
                self._queue.put(MediaFrame(kind, frame, media_time, arrival))
        except (av.FFmpegError, OSError) as e:
            self._queue.put(SourceError(f"{kind} device {self.name}: read failed ({e})"))
        finally:
            self._queue.put(kind)  # this reader is done

    def frames(self) -> Iterator[MediaFrame]:
        """The frames of the devices in arrival order, until every device has ended.

        Raises:
          SourceError: a device failed while being read.
        """
        streams = {VIDEO: self.video, AUDIO: self.audio}
        start = time.monotonic()
        for kind, container in self.inputs.items():
            pacer = pacing.RealtimePacer(start=start) if self.realtime else None
            thread = threading.Thread(target=self._read, args=(kind, container, streams[kind], pacer), daemon=True)
            thread.start()
            self._threads.append(thread)
        running = len(self._threads)
        while running:
            before = time.monotonic()
            item = self._queue.get()
            self._waited_s += time.monotonic() - before
            if isinstance(item, str):
                running -= 1
            elif isinstance(item, SourceError):
                raise item
            else:
                yield item

    def close(self) -> None:
        """Stops the readers and closes the devices."""
        self._stop.set()
        deadline = time.monotonic() + _STOP_TIMEOUT_S
        for thread in self._threads:
            while thread.is_alive() and time.monotonic() < deadline:
                try:  # a reader blocked on a full queue needs room to see the stop
                    self._queue.get_nowait()
                except queue.Empty:
                    pass
                thread.join(timeout=0.05)
        if any(thread.is_alive() for thread in self._threads):
            return  # a device that hangs in a read: its (daemon) reader still holds it
        for container in self.inputs.values():
            container.close()
        self.inputs = {}
