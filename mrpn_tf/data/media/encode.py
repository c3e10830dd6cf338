"""Writes audio-video files with PyAV (H.264 + AAC in .mp4, or any container/codec pair).

Used by the offline demo generator and by tests that need real media files with known
content: written to a temp name and renamed, so a reader never sees a half file.
"""

from __future__ import annotations

import os
from fractions import Fraction
from typing import Optional

import av
import numpy as np

from mrpn_tf import files


def write_media(
    path: str,
    frames: Optional[np.ndarray],
    fps: float,
    audio: Optional[np.ndarray] = None,
    sample_rate: int = 48000,
    video_codec: str = "libx264",
    audio_codec: str = "aac",
    container_format: Optional[str] = None,
    display_rotation: int = 0,
) -> str:
    """Encodes RGB frames and/or float audio into one file.

    Args:
      path: output file; its extension picks the container unless `container_format` is set.
      frames: uint8 [T, H, W, 3] RGB (H and W even), or None for an audio-only file.
      fps: frame rate of `frames`.
      audio: float [N] (mono) or [N, C] in [-1, 1], or None for a video-only file.
      sample_rate: audio rate in Hz.
      video_codec, audio_codec: FFmpeg encoder names.
      container_format: FFmpeg muxer name when the extension is not enough.
      display_rotation: degrees (counterclockwise) the stream's display matrix tells players to
        turn the stored frames by, as phones write it; 0: none.

    Returns:
      `path`.
    """
    with files.atomic_path(path, suffix=".tmp" + os.path.splitext(path)[1]) as tmp:
        with av.open(tmp, "w", format=container_format) as container:
            v = _add_video(container, frames, fps, video_codec) if frames is not None else None
            if v is not None and display_rotation:
                v.set_display_rotation(display_rotation)
            a = _add_audio(container, audio, sample_rate, audio_codec) if audio is not None else None
            if v is not None:
                _encode_video(container, v, frames)
            if a is not None:
                _encode_audio(container, a, audio, sample_rate)
    return path


def _add_video(container, frames: np.ndarray, fps: float, codec: str):
    stream = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
    stream.width, stream.height = frames.shape[2], frames.shape[1]
    stream.pix_fmt = "yuv420p"
    if codec == "libx264":  # deterministic, fast, no B-frame reordering surprises in tests
        stream.options = {"preset": "veryfast", "threads": "1", "bf": "0"}
    return stream


def _add_audio(container, audio: np.ndarray, sample_rate: int, codec: str):
    layout = "mono" if audio.ndim == 1 or audio.shape[1] == 1 else "stereo"
    return container.add_stream(codec, rate=sample_rate, layout=layout)


def _encode_video(container, stream, frames: np.ndarray) -> None:
    for image in frames:
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)


def _encode_audio(container, stream, audio: np.ndarray, sample_rate: int) -> None:
    samples = audio.reshape(len(audio), -1).astype(np.float32)
    layout = "mono" if samples.shape[1] == 1 else "stereo"
    block = 1024  # AAC's frame size; the encoder re-buffers other codecs' sizes itself
    for start in range(0, len(samples), block):
        chunk = np.ascontiguousarray(samples[start : start + block].T)  # planar [C, n]
        frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
        frame.sample_rate = sample_rate
        frame.pts = start
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)
