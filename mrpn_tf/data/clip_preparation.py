"""One clip from file to `ClipRecord`: decode, track and crop the face, resample the audio.

Shared by `prepare` (which writes the records to shards), the `data.source=videos` pipeline
and `predict`, so all three see identical crops and waveforms.
"""

from __future__ import annotations

import threading
from typing import Optional

import numpy as np

from mrpn_tf import files
from mrpn_tf.config import config as config_lib
from mrpn_tf.data import clip_record
from mrpn_tf.data.media import decode, face_crop, face_track, model_store
from mrpn_tf.data.media.face_detector import FaceDetector


class ClipError(files.FileError):
    """A clip cannot be prepared; `reason` is short and stable (it goes in the skip index)."""


# `ClipError.reason` of a video in which no frame has a face.
NO_FACE = "no face detected in any frame"

_local = threading.local()


def detector_for(config: config_lib.VideoConfig) -> FaceDetector:
    """This thread's detector for the configured model (MediaPipe graphs are not thread-safe)."""
    model_path = model_store.resolve_face_model(config.face_model)
    key = (model_path, config.min_face_score)
    cached = getattr(_local, "detectors", {})
    if key not in cached:
        cached[key] = FaceDetector(model_path, config.min_face_score)
        _local.detectors = cached
    return cached[key]


def track_boxes(
    detections: list, frame_size: tuple[int, int], config: config_lib.VideoConfig
) -> tuple[Optional[np.ndarray], np.ndarray]:
    """The crop boxes of a clip's face track, from its frames' detections.

    Args:
      detections: per frame, `FaceDetector.detect`'s faces.
      frame_size: (width, height) of the frames.
      config: the video settings (`box_smoothing`, `face_margin`).

    Returns:
      (square boxes [T, 4] as x0, y0, x1, y1, or None when no frame has a face;
       detected [T] bool, where the box comes from a detection).
    """
    boxes, detected = face_track.select_track(detections, frame_size)
    if boxes is None:
        return None, detected
    return face_track.square_with_margin(face_track.smooth(boxes, config.box_smoothing), config.face_margin), detected


def face_crops(
    frames: np.ndarray, config: config_lib.VideoConfig, path: str
) -> tuple[list[bytes], float]:
    """Detects, tracks and crops the face in every frame; returns (JPEG crops, face ratio).

    Raises:
      ClipError: no face in any frame.
    """
    detector = detector_for(config)
    detections = [detector.detect(frame) for frame in frames]
    height, width = frames.shape[1:3]
    boxes, face_ratio = face_boxes(detections, (width, height), config, path)
    crops = face_crop.crop_faces(frames, boxes, config.crop_size)
    return face_crop.encode_jpeg(crops, config.jpeg_quality), face_ratio


def face_boxes(
    detections: list, frame_size: tuple[int, int], config: config_lib.VideoConfig, path: str
) -> tuple[np.ndarray, float]:
    """The clip's face track from its frames' detections: square crop boxes [T, 4] with the
    margin, smoothed, and the fraction of frames where the face was detected.

    Raises:
      ClipError: no face in any frame.
    """
    boxes, detected = track_boxes(detections, frame_size, config)
    if boxes is None:
        raise ClipError(path, NO_FACE)
    return boxes, float(detected.mean())


def _require_streams(decoded: decode.DecodedClip, modality: str) -> None:
    if modality in ("av", "video") and not decoded.has_video:
        raise ClipError(decoded.path, "no video stream")
    if modality in ("av", "audio") and not decoded.has_audio:
        raise ClipError(decoded.path, "no audio stream")
    if modality in ("av", "audio") and decoded.pcm16.size == 0:
        raise ClipError(decoded.path, "audio stream has no decodable samples")


def prepare_clip(info, config: config_lib.Config) -> clip_record.ClipRecord:
    """Decodes one clip once and turns it into a record.

    Args:
      info: a manifest entry (`mrpn_tf.data.datasets` ClipInfo: path, audio_path, modality,
        dataset, clip_id, label, emotion, actor, gender).
      config: the run config (video and audio sections are used).

    Returns:
      The ClipRecord (frames empty for audio-only clips, audio empty for video-only clips).

    Raises:
      ClipError: unreadable file, a required stream missing, or no face found.
    """
    try:
        decoded = decode.decode_clip(
            info.path,
            fps=config.video.fps,
            sample_rate=config.audio.sample_rate,
            max_frame_side=config.video.max_frame_side,
            audio_path=getattr(info, "audio_path", None),
        )
    except decode.MediaError as e:
        raise ClipError(e.path, e.reason) from e
    _require_streams(decoded, info.modality)
    frames, face_ratio = [], 0.0
    if info.modality in ("av", "video"):
        frames, face_ratio = face_crops(decoded.frames, config.video, info.path)
    pcm = decoded.pcm16 if info.modality in ("av", "audio") else np.zeros([0], np.int16)
    return clip_record.ClipRecord(
        clip_id=info.clip_id,
        source_path=info.path,
        dataset=info.dataset,
        label=info.label,
        emotion=info.emotion,
        actor=info.actor,
        gender=info.gender,
        fps=config.video.fps,
        face_ratio=face_ratio,
        frames=frames,
        sample_rate=config.audio.sample_rate,
        pcm16=pcm,
    )
