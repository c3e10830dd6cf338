"""A clip read twice instead of held whole: memory bounded by a window, not by the clip.

`prepare_clip` holds every decoded frame of a clip (a 10-minute 720p clip is gigabytes).
Predict on a long file reads it in two passes instead:
  1. `scan_clip`: decode, detect the faces of each frame and count the audio samples; only the
     detections are kept (a few numbers a frame). The face track is chosen over the whole
     clip from them, exactly as `clip_preparation.face_boxes` chooses it for `prepare`.
  2. `face_crops` / `waveform_chunks`: decode again, each stream on its own, crop every frame
     with its box and round-trip it through JPEG as the records store it, and turn the audio
     into the records' float waveform.
The crops and samples are those of `prepare_clip` followed by `clip_record.parse` and
`video_frames.decode_frames` (tests/inference/test_long_clips.py ties them), one frame at a time.
"""

from __future__ import annotations

import dataclasses
from typing import Iterator, Optional

import numpy as np
import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import clip_preparation
from mrpn_tf.data.media import decode, face_crop
from mrpn_tf.data.pipeline import video_frames

# Frames cropped, JPEG-encoded and decoded per batch in the second pass.
CROP_CHUNK = 32


@dataclasses.dataclass
class ClipScan:
    """The first pass's findings: stream lengths and the face track."""

    path: str
    audio_path: Optional[str]  # the audio's own file (CREMA-D), or None: `path`'s track
    num_frames: int  # frames on the video.fps grid; 0 without video
    num_samples: int  # samples at audio.sample_rate; 0 without audio
    has_video: bool
    has_audio: bool
    boxes: Optional[np.ndarray]  # [num_frames, 4] crop boxes; None: no video or no face
    face_ratio: float  # fraction of frames where the face was detected
    detected: Optional[np.ndarray] = None  # bool [num_frames]: the box comes from a detection
    frame_size: tuple[int, int] = (0, 0)  # (width, height) of the frames the boxes are in
    source_rate: int = 0  # the audio's sample rate in the file (Hz); 0: unknown or no audio


def scan_clip(
    path: str, config: config_lib.Config, faces: bool = True, audio_path: Optional[str] = None
) -> ClipScan:
    """Pass 1 (module docstring).

    Args:
      path: the media file.
      config: the run's video and audio sections.
      faces: detect and track faces (False: frames are only counted, as an audio model needs).
      audio_path: take the audio from this file instead.

    Raises:
      clip_preparation.ClipError: unreadable, corrupt or truncated file (names the file).
    """
    video = config.video
    detections: list = []
    frame_size: list[tuple[int, int]] = []

    def detect(rgb: np.ndarray) -> None:
        if not frame_size:
            frame_size.append((rgb.shape[1], rgb.shape[0]))
        detections.append(clip_preparation.detector_for(video).detect(rgb))

    try:
        found = decode.scan_streams(path, video.fps, config.audio.sample_rate, video.max_frame_side,
                                    on_frame=detect if faces else None, audio_path=audio_path)
    except decode.MediaError as e:
        raise clip_preparation.ClipError(e.path, e.reason) from e
    boxes, detected, ratio = None, None, 0.0
    if detections:  # no face: `boxes` stays None, the caller decides what that means
        boxes, detected = clip_preparation.track_boxes(detections, frame_size[0], video)
        ratio = float(detected.mean()) if boxes is not None else 0.0
    return ClipScan(path, audio_path, found.num_frames, found.num_samples, found.has_video,
                    found.has_audio, boxes, ratio, source_rate=found.source_rate, detected=detected,
                    frame_size=frame_size[0] if frame_size else (0, 0))


def face_crops(scan: ClipScan, video: config_lib.VideoConfig) -> Iterator[np.ndarray]:
    """Pass 2 of the picture: uint8 [crop, crop, 3] per grid frame, as the records hold them.

    Raises:
      ValueError: the scan found no face track.
    """
    if scan.boxes is None:
        raise ValueError(f"{scan.path}: no face track to crop")
    pending: list[np.ndarray] = []
    done = 0
    for rgb in decode.video_frames(scan.path, video.fps, video.max_frame_side):
        if done + len(pending) >= len(scan.boxes):
            break  # the scan's frame count bounds this pass (a file does not grow between them)
        pending.append(rgb)
        if len(pending) == CROP_CHUNK:
            yield from _cropped(pending, scan.boxes[done : done + len(pending)], video)
            done += len(pending)
            pending = []
    if pending:
        yield from _cropped(pending, scan.boxes[done : done + len(pending)], video)


def _cropped(frames: list[np.ndarray], boxes: np.ndarray, video: config_lib.VideoConfig):
    crops = face_crop.crop_faces(np.stack(frames), boxes, video.crop_size)
    jpegs = face_crop.encode_jpeg(crops, video.jpeg_quality)
    return iter(video_frames.decode_frames(tf.constant(jpegs), video.crop_size).numpy())


def waveform_chunks(scan: ClipScan, sample_rate: int) -> Iterator[np.ndarray]:
    """Pass 2 of the sound: float32 chunks in [-1, 1), as `clip_record.parse` gives the waveform."""
    for chunk in decode.audio_chunks(scan.audio_path or scan.path, sample_rate):
        yield chunk.astype(np.float32) / np.float32(32768.0)
