"""One uploaded file, from bytes on disk to `predict --json`'s object.

  identify   its format from its content (file_types.py), not its name: the upload is renamed
             to that format's extension, so predict tells a photo from a clip as it would
  measure    a clip's duration from its container (or its packets), refused past the limit
  predict    `Predictor.predict_file`, predict's own call: the object is `predict --json`'s,
             its `path` the name the client gave; a file predict cannot score is predict's
             error line, its message naming the client's file instead of the temp copy
  analyze    for the page: the face track and the annotated copy (annotated_media.py)

Each step raises `UploadError`, which carries the HTTP status and predict's error object.
"""

from __future__ import annotations

import dataclasses
import os
import re
from typing import Optional

import av

from mrpn_tf.data import clip_preparation
from mrpn_tf.data.media import model_store
from mrpn_tf.inference import predictor as predictor_lib
from mrpn_tf.serve import annotated_media
from mrpn_tf.serve import file_types
from mrpn_tf.serve import shared_model
from mrpn_tf.stream import source as source_lib

AUDIO = "audio"
VIDEO = "video"
IMAGE = file_types.IMAGE
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")
_MAX_NAME = 200


class UploadError(Exception):
    """An upload that gets no prediction: the status, and predict's error object."""

    def __init__(self, status: int, name: str, reason: str):
        super().__init__(f"{name}: {reason}")
        self.status = status
        self.name = name

    def as_json(self) -> dict:
        """predict --json's error line: {"path": name, "error": "name: reason"}."""
        return {"path": self.name, "error": str(self)}


def client_name(name: Optional[str]) -> str:
    """The client's file name as it appears in answers: its last part, no control characters."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = _UNSAFE.sub("", name).strip()[:_MAX_NAME]
    return name or "upload"


def identify(path: str, name: str) -> tuple[str, file_types.FileType]:
    """Renames the upload to its format's extension; returns (new path, format).

    Raises:
      UploadError: 415, a format no decoder here reads (a text file named .mp4).
    """
    found = file_types.sniff_file(path)
    if found is None:
        raise UploadError(415, name, "not a video, audio or image file (its content is no format "
                                     "this server decodes, whatever its name says)")
    named = os.path.splitext(path)[0] + found.extension
    os.replace(path, named)
    return named, found


def _packet_seconds(container, limit_s: float) -> Optional[float]:
    """A stream's length from its packets' times (a recording without a duration in its header),
    read no further than just past `limit_s`."""
    end = None
    for packet in container.demux():
        if packet.pts is None or packet.time_base is None:
            continue
        t = float((packet.pts + (packet.duration or 0)) * packet.time_base)
        end = t if end is None else max(end, t)
        if end > limit_s:
            break
    return end


def measure(path: str, name: str, max_duration_s: float) -> tuple[str, Optional[float]]:
    """(VIDEO or AUDIO, seconds) of a clip; seconds None when the container does not say.

    A file FFmpeg cannot open is let through: predict's own message then says what is wrong.

    Raises:
      UploadError: 413, a clip longer than `max_duration_s`.
    """
    try:
        with av.open(path) as container:
            # An MP3's or M4A's cover art is a video stream of one picture: not a clip's video.
            pictures = [s for s in container.streams.video
                        if not s.disposition & av.stream.Disposition.attached_pic]
            kind = VIDEO if pictures else AUDIO
            seconds = container.duration / av.time_base if container.duration else None
            if seconds is None:
                seconds = _packet_seconds(container, max_duration_s)
    except (av.FFmpegError, OSError, UnicodeDecodeError):
        return VIDEO, None
    if seconds is not None and seconds > max_duration_s:
        raise UploadError(413, name, f"{seconds:.1f} s long; this server takes clips of at most "
                                     f"{max_duration_s:g} s")
    return kind, seconds


def predict(model: shared_model.SharedModel, path: str, name: str):
    """`predict_file` of the upload, its `path` the client's name, and the clip it read.

    The clip (`Predictor.load_file`, streamed as `predict_file` reads it) is returned so that
    `analyze` draws the face track its first pass found, without detecting the faces again.

    Returns:
      (prediction, clip).

    Raises:
      UploadError: 422 with predict's message for a file it cannot score; 503 when the face
        detector cannot be had.
    """
    try:
        clip = model.predictor.load_file(path, streamed=True)
        prediction = model.predictor.predict_clip(clip)
    except (clip_preparation.ClipError, predictor_lib.PredictError) as e:
        raise UploadError(422, name, e.reason) from e
    except model_store.ModelUnavailableError as e:
        raise UploadError(503, name, str(e)) from e
    return dataclasses.replace(prediction, path=name), clip


@dataclasses.dataclass
class Analysis:
    """What the page shows of an upload, beside predict's answer."""

    kind: str  # VIDEO, AUDIO or IMAGE
    duration_s: Optional[float]
    faces: Optional[annotated_media.FaceTrack]
    annotated: Optional[str]  # file name of the annotated copy in the result folder


def analyze(model: shared_model.SharedModel, path: str, kind: str, duration_s: Optional[float],
            prediction: predictor_lib.ClipPrediction, clip, folder: str) -> Analysis:
    """The face track and the annotated copy of a scored upload (annotated_media.py); `clip`
    is what `predict` read."""
    predictor = model.predictor
    if kind == IMAGE:
        track = annotated_media.still_face_track(path, predictor.config.video)
        annotated_media.write_annotated_image(path, os.path.join(folder, "annotated.png"), predictor.labels,
                                              predictor.config.video, prediction, track)
        return Analysis(kind, None, track, "annotated.png")
    if kind == AUDIO:
        return Analysis(kind, duration_s, None, None)
    track = annotated_media.clip_face_track(path, predictor.config, getattr(clip, "scan", None))
    try:
        annotated_media.write_annotated_video(path, os.path.join(folder, "annotated.mp4"), predictor.labels,
                                              prediction, track)
    except source_lib.SourceError:  # scored, yet not decodable to the end a second time
        return Analysis(kind, duration_s, track, None)
    return Analysis(kind, duration_s, track, "annotated.mp4")
