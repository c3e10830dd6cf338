"""The live WebSocket's messages (`/api/live`), the page's and any other client's.

Client to server:
  text   {"type": "start", "video": {"fps": F} | null, "audio": {"sample_rate": R} | null}
         first, the streams it will send; then {"type": "stop"} to end (or it disconnects)
  binary one frame or one chunk of sound each: a 9-byte header - kind (uint8: 1 video,
         2 audio) and the capture time (float64 little-endian, seconds since that stream's
         first frame or sample) - then the payload: a JPEG picture (kind 1), or mono PCM16
         little-endian samples at the start's `sample_rate` (kind 2)

Server to client (text, JSON):
  {"type": "ready", ...model info}            the stream may start
  {"type": "hop", ...stream's hop object}     one answer; its times are since the start
  {"type": "dropped", "from_s", "to_s", "seconds", "total_s", "reason"}
                                              the server fell behind and skipped ahead
  {"type": "report", ...stream's report}      after "stop": latency and real-time figures
  {"type": "error", "error": message}         then the server closes the socket
"""

from __future__ import annotations

import dataclasses
import math
import struct
from typing import Optional

VIDEO = 1
AUDIO = 2
HEADER = struct.Struct("<Bd")
# A 640-px JPEG is ~50 kB; a chunk of sound is ~0.1 s. Larger messages are refused unread.
MAX_PICTURE_BYTES = 4 * 2**20
MAX_AUDIO_BYTES = 2**20
MAX_MESSAGE_BYTES = MAX_PICTURE_BYTES + 64  # what the WebSocket reads at most
MAX_FPS = 60.0
SAMPLE_RATES = (8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000)


class ProtocolError(ValueError):
    """A message that does not follow the protocol; the message says how."""


@dataclasses.dataclass(frozen=True)
class Start:
    """The streams a client will send."""

    video_fps: Optional[float]  # None: no video
    sample_rate: Optional[int]  # None: no audio


@dataclasses.dataclass(frozen=True)
class Chunk:
    """One binary message."""

    kind: int  # VIDEO or AUDIO
    time: float  # seconds since the stream's first frame or sample
    payload: bytes


def parse_start(message: dict) -> Start:
    """The start message's streams.

    Raises:
      ProtocolError: not a start message, no stream, or values out of range.
    """
    if not isinstance(message, dict) or message.get("type") != "start":
        raise ProtocolError('expected {"type": "start", "video": {...}, "audio": {...}} first')
    video, audio = message.get("video"), message.get("audio")
    fps = rate = None
    if video:
        fps = video.get("fps") if isinstance(video, dict) else None
        if not isinstance(fps, (int, float)) or not 0 < fps <= MAX_FPS:
            raise ProtocolError(f"video fps {fps!r}; expected a number in (0, {MAX_FPS:g}]")
        fps = float(fps)
    if audio:
        rate = audio.get("sample_rate") if isinstance(audio, dict) else None
        if rate not in SAMPLE_RATES:
            raise ProtocolError(f"audio sample_rate {rate!r}; expected one of {SAMPLE_RATES}")
    if fps is None and rate is None:
        raise ProtocolError("the start message names no stream (video, audio)")
    return Start(fps, rate)


def pack(kind: int, time_s: float, payload: bytes) -> bytes:
    """A binary message (for clients written in Python: the tests, benchmarks/serve.py)."""
    return HEADER.pack(kind, time_s) + payload


def parse(message: bytes) -> Chunk:
    """A binary message's kind, time and payload.

    Raises:
      ProtocolError: too short, an unknown kind, a bad time, or a payload over its limit.
    """
    if len(message) <= HEADER.size:
        raise ProtocolError(f"a binary message of {len(message)} bytes; expected a {HEADER.size}-byte "
                            f"header and a payload")
    kind, time_s = HEADER.unpack_from(message)
    payload = message[HEADER.size:]
    if kind not in (VIDEO, AUDIO):
        raise ProtocolError(f"message kind {kind}; expected {VIDEO} (JPEG picture) or {AUDIO} (PCM16)")
    if not math.isfinite(time_s) or time_s < 0:
        raise ProtocolError(f"capture time {time_s}; expected seconds >= 0")
    limit = MAX_PICTURE_BYTES if kind == VIDEO else MAX_AUDIO_BYTES
    if len(payload) > limit or (kind == AUDIO and len(payload) % 2):
        raise ProtocolError(f"a payload of {len(payload)} bytes; expected at most {limit}"
                            + (", an even number (PCM16)" if kind == AUDIO else ""))
    return Chunk(kind, time_s, payload)
