"""Video files for the predict tests, re-encoded from a real CREMA-D clip (a real face).

The test videos must hold a face BlazeFace finds, so they are made from the frames and audio
of a CREMA-D .flv rather than drawn: the same face in another container (.mp4, .avi), and
without its audio track. Plus files predict must refuse: bytes that are no media, and a
video of noise in which no face can be found.
"""

from __future__ import annotations

import os

import numpy as np

from mrpn_tf.data.media import decode
from mrpn_tf.data.media.encode import write_media

SOURCE_FPS = 15.0
SOURCE_RATE = 44100


def cremad_clips(shared_dir) -> list[str]:
    """The real CREMA-D .flv clips in ../shared, sorted."""
    folder = os.path.join(str(shared_dir), "data", "cremad", "VideoFlash")
    return sorted(os.path.join(folder, name) for name in os.listdir(folder) if name.endswith(".flv"))


def write_variants(source: str, out_dir: str) -> dict[str, str]:
    """The source clip as .mp4 (H.264 + AAC), .avi (MPEG-4 + PCM) and a silent .mp4.

    Returns:
      {"mp4": path, "avi": path, "silent": path}.
    """
    clip = decode.decode_clip(source, SOURCE_FPS, SOURCE_RATE, max_frame_side=320)
    audio = clip.pcm16.astype(np.float32) / 32768.0
    return {
        "mp4": write_media(os.path.join(out_dir, "face.mp4"), clip.frames, SOURCE_FPS, audio, SOURCE_RATE),
        "avi": write_media(
            os.path.join(out_dir, "face.avi"), clip.frames, SOURCE_FPS, audio, SOURCE_RATE,
            video_codec="mpeg4", audio_codec="pcm_s16le",
        ),
        "silent": write_media(os.path.join(out_dir, "silent.mp4"), clip.frames, SOURCE_FPS),
    }


def write_unusable(out_dir: str) -> dict[str, str]:
    """A file that is no media at all, and a video of noise with a tone (no face in it).

    Returns:
      {"garbage": path, "no_face": path}.
    """
    garbage = os.path.join(out_dir, "garbage.mp4")
    with open(garbage, "wb") as f:
        f.write(b"this is not a video" * 100)
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (30, 120, 160, 3), dtype=np.uint8)
    tone = 0.2 * np.sin(2 * np.pi * 440 * np.arange(2 * SOURCE_RATE) / SOURCE_RATE)
    no_face = write_media(os.path.join(out_dir, "noise.mp4"), frames, SOURCE_FPS, tone, SOURCE_RATE)
    return {"garbage": garbage, "no_face": no_face}
