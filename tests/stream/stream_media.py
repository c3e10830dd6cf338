"""Video files for the stream tests, made from a real CREMA-D clip (a face BlazeFace finds).

- `one_window`: exactly one window of the tiny model (2.0 s) of the real face and its voice;
- `short`: 1.5 s of the same, shorter than a window;
- `face_then_black`: 2 s of the face, then 2 s of black frames while the voice goes on (the
  face leaves the frame), 4 s in all - a 4-s stand-in for a camera;
- `write_turned`: a portrait crop of the real clip as a phone stores it - pixels turned, and
  the display matrix saying how to turn them back - losslessly, so every turn decodes to the
  same upright pixels;
- `write_pattern`: a long clip of a moving test pattern and a tone (no face), for runs that
  must still be going when they are stopped.
"""

from __future__ import annotations

import os
from fractions import Fraction

import numpy as np

import av

from mrpn_tf.data.media import decode
from mrpn_tf.data.media.encode import write_media

FPS = 15.0
RATE = 44100
FACE_S = 2.0
BLACK_S = 2.0
SHORT_S = 1.5


def _source(path: str) -> tuple[np.ndarray, np.ndarray]:
    clip = decode.decode_clip(path, FPS, RATE, max_frame_side=320)
    return clip.frames, clip.pcm16.astype(np.float32) / 32768.0


def _voice(audio: np.ndarray, seconds: float) -> np.ndarray:
    """The clip's audio repeated to `seconds` (plus 0.2 s: AAC's decoded length varies a little)."""
    return np.resize(audio, int(round((seconds + 0.2) * RATE)))


def write_clips(source: str, out_dir: str) -> dict[str, str]:
    """The stream test videos (module docstring), H.264 + AAC .mp4.

    Returns:
      {"one_window": path, "short": path, "face_then_black": path}.
    """
    frames, audio = _source(source)
    face = frames[: int(FACE_S * FPS)]
    black = np.zeros((int(BLACK_S * FPS),) + frames.shape[1:], np.uint8)
    return {
        "one_window": write_media(os.path.join(out_dir, "one_window.mp4"), face, FPS, _voice(audio, FACE_S), RATE),
        "short": write_media(
            os.path.join(out_dir, "short.mp4"), face[: int(SHORT_S * FPS)], FPS, _voice(audio, SHORT_S), RATE
        ),
        "face_then_black": write_media(
            os.path.join(out_dir, "face_then_black.mp4"), np.concatenate([face, black]), FPS,
            _voice(audio, FACE_S + BLACK_S), RATE,
        ),
    }


def portrait(source: str) -> tuple[np.ndarray, np.ndarray]:
    """The real clip's frames cut to a 144 x 192 portrait around the face, and its audio."""
    frames, audio = _source(source)  # 320 x 240, the face at x 109-180, y 66-137
    return np.ascontiguousarray(frames[:, 10:202, 72:216]), audio


def write_turned(path: str, upright: np.ndarray, audio: np.ndarray, quarters: int) -> str:
    """`upright` frames stored turned by `quarters` clockwise quarter turns, with the display
    rotation (90 x quarters degrees counterclockwise) that turns them back; lossless RGB
    H.264 (libx264rgb, qp 0) and AAC in .mp4."""
    with av.open(path, "w") as container:
        video = container.add_stream("libx264rgb", rate=Fraction(FPS))
        video.height, video.width = np.rot90(upright[0], k=-quarters).shape[:2]
        video.pix_fmt = "rgb24"
        video.options = {"qp": "0", "preset": "ultrafast", "threads": "1"}
        if quarters:
            video.set_display_rotation(90 * quarters)
        sound = container.add_stream("aac", rate=RATE, layout="mono")
        for image in upright:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(np.rot90(image, k=-quarters)), format="rgb24")
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        for start in range(0, len(audio), 1024):
            chunk = av.AudioFrame.from_ndarray(audio[None, start : start + 1024].astype(np.float32), format="fltp",
                                               layout="mono")
            chunk.sample_rate, chunk.pts = RATE, start
            container.mux(sound.encode(chunk))
        container.mux(sound.encode(None))
    return path


def write_pattern(path: str, seconds: float, size: tuple[int, int] = (96, 64)) -> str:
    """`seconds` of a bar moving over a gradient (width x height `size`) and a 300-Hz tone."""
    width, height = size
    count = int(seconds * FPS)
    frames = np.broadcast_to(np.linspace(0, 200, width, dtype=np.uint8)[None, None, :, None],
                             (count, height, width, 3)).copy()
    for i, frame in enumerate(frames):
        frame[:, (4 * i) % width] = 255
    tone = 0.3 * np.sin(2 * np.pi * 300 * np.arange(int(seconds * RATE)) / RATE)
    return write_media(path, frames, FPS, tone, RATE)
