"""Files for the web app's tests, made from the real CREMA-D clip in ../shared (a face
BlazeFace finds, and its voice): what users upload, what they must be refused, and the
camera and microphone files Chromium's fake devices play."""

from __future__ import annotations

import io
import os
from fractions import Fraction

import av
import numpy as np
from PIL import Image

from mrpn_tf.data.media import decode

FAKE_AUDIO_RATE = 48000  # Chromium's own capture rate


def write_uploads(clip: str, sound: str, out_dir: str) -> dict[str, str]:
    """{"clip": the .flv itself, "sound": an .mp3, "photo": a frame of the clip as JPEG,
    "truncated": the clip cut in half, "text": a text file named .mp4}."""
    frames = decode.decode_clip(clip, 5.0, 16000, max_frame_side=480).frames
    photo = os.path.join(out_dir, "face.jpg")
    Image.fromarray(frames[3]).save(photo, quality=92)
    with open(clip, "rb") as f:
        data = f.read()
    truncated = os.path.join(out_dir, "truncated.flv")
    with open(truncated, "wb") as f:
        f.write(data[: len(data) // 2])
    text = os.path.join(out_dir, "notes.mp4")
    with open(text, "w") as f:
        f.write("This is a text file with a video's name.\n" * 40)
    return {"clip": clip, "sound": sound, "photo": photo, "truncated": truncated, "text": text}


def write_oversized(clip: str, out_dir: str, size: int) -> str:
    """The clip followed by zeros up to `size` bytes: a real FLV, too large."""
    path = os.path.join(out_dir, "oversized.flv")
    with open(clip, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data + bytes(max(size - len(data), 0)))
    return path


def write_fake_devices(clip: str, out_dir: str) -> tuple[str, str]:
    """The clip as Chromium's fake camera (.y4m, I420 at the clip's rate) and microphone (.wav,
    PCM16 mono at 48 kHz); Chromium plays both in a loop. Returns (y4m, wav)."""
    y4m, wav = os.path.join(out_dir, "camera.y4m"), os.path.join(out_dir, "microphone.wav")
    with av.open(clip) as source:
        stream = source.streams.video[0]
        rate = Fraction(stream.average_rate).limit_denominator(1001)
        pictures = [frame.to_ndarray(format="rgb24") for frame in source.decode(stream)]
    with av.open(y4m, "w", format="yuv4mpegpipe") as out:
        video = out.add_stream("rawvideo", rate=rate)
        video.width, video.height, video.pix_fmt = pictures[0].shape[1], pictures[0].shape[0], "yuv420p"
        for i, rgb in enumerate(pictures):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode(None):
            out.mux(packet)
    pcm = decode.decode_audio(clip, FAKE_AUDIO_RATE)
    with av.open(wav, "w", format="wav") as out:
        audio = out.add_stream("pcm_s16le", rate=FAKE_AUDIO_RATE, layout="mono")
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate, frame.pts = FAKE_AUDIO_RATE, 0
        for packet in list(audio.encode(frame)) + list(audio.encode(None)):
            out.mux(packet)
    return y4m, wav


def jpeg(rgb: np.ndarray, quality: int = 95) -> bytes:
    """A picture as the page sends it."""
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, format="JPEG", quality=quality)
    return out.getvalue()
