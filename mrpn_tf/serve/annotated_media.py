"""An upload drawn over: the face box predict cropped, and the emotion of the window on screen.

The face track is the one predict crops, from predict's own first pass over the file
(`clip_scan.scan_clip`: the frames on the model's fps grid, BlazeFace and prepare's
whole-clip track); a photo's box is `load_image`'s (`face_image.face_box`, or
the whole of a picture no larger than a face crop). Boxes are kept as fractions of the frame,
so a client draws them at any size.

The annotated video is written by stream's `Annotator` (annotator.py): every input frame at
its own time and size, audio kept, with overlay.py's panel of the window on screen - here a
window's answer is shown from its start, since the whole clip was scored before the video is
written - and the face box drawn on the frame. A photo becomes a PNG drawn the same way.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import av
import numpy as np
from PIL import Image

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import clip_preparation
from mrpn_tf.data import clip_scan
from mrpn_tf.data.media import face_image
from mrpn_tf.data.media import still_image
from mrpn_tf.inference import clip_loader
from mrpn_tf.inference import predictor as predictor_lib
from mrpn_tf.stream import annotator as annotator_lib
from mrpn_tf.stream import overlay
from mrpn_tf.stream import scorer as scorer_lib
from mrpn_tf.stream import source as source_lib

# A photo smaller than this (a 48-px FER face) is enlarged for its annotated copy, so that the
# panel's text stays legible; the box is drawn at the enlarged size.
_MIN_PICTURE_SIDE = 360


@dataclasses.dataclass
class FaceTrack:
    """The face's crop box per frame of the model's fps grid (one frame for a photo)."""

    fps: Optional[float]  # None for a photo
    boxes: np.ndarray  # float [T, 4] x0, y0, x1, y1 as fractions of the frame's width, height
    detected: np.ndarray  # bool [T]: the box comes from a detection (else it is held)

    def box_at(self, time_s: float) -> np.ndarray:
        """The box of the grid frame nearest to `time_s` (s since the first frame)."""
        index = 0 if self.fps is None else int(round(time_s * self.fps))
        return self.boxes[min(max(index, 0), len(self.boxes) - 1)]

    def as_json(self) -> dict:
        """{"fps", "boxes": [[x0, y0, x1, y1], ...] (fractions, 4 decimals), "detected"}."""
        return {"fps": self.fps, "boxes": np.round(self.boxes, 4).tolist(), "detected": self.detected.tolist()}


def _fractions(boxes: np.ndarray, width: int, height: int) -> np.ndarray:
    return np.asarray(boxes, np.float64) / np.array([width, height, width, height], np.float64)


def clip_face_track(path: str, config: config_lib.Config,
                    scan: Optional[clip_scan.ClipScan] = None) -> Optional[FaceTrack]:
    """The face track predict crops from a clip (module docstring); None without video or face.

    Args:
      path: the clip.
      config: the export's config.
      scan: predict's first pass over it, when it looked for faces (an audio model's does
        not: the faces are then found here, by the same pass).
    """
    if scan is None or (scan.has_video and scan.detected is None):
        scan = clip_scan.scan_clip(path, config)
    if scan.boxes is None:
        return None
    return FaceTrack(config.video.fps, _fractions(scan.boxes, *scan.frame_size), scan.detected)


def still_face_track(path: str, video: config_lib.VideoConfig) -> Optional[FaceTrack]:
    """A photo's face box, as `clip_loader.load_image` frames it; None without one."""
    rgb = still_image.read_image(path, video.max_frame_side).rgb
    box = face_image.face_box(clip_preparation.detector_for(video), rgb, video.face_margin)
    detected = box is not None
    if box is None:
        if max(rgb.shape[:2]) > clip_loader.FACE_CROP_MAX_SIDE:
            return None
        box = face_image.whole_image_box(*rgb.shape[:2])
    height, width = rgb.shape[:2]
    return FaceTrack(None, _fractions(box[None], width, height), np.array([detected]))


def window_answers(prediction: predictor_lib.ClipPrediction) -> list[scorer_lib.HopResult]:
    """The prediction's windows as the answers the overlay draws, each shown from its start."""
    fallback = prediction.branch != predictor_lib.CENTRAL
    return [
        scorer_lib.HopResult(
            t=w.start_s, start=w.start_s, label=w.label, probabilities=w.probabilities, face=False,
            face_ratio=None, branch=prediction.branch, fallback=fallback, note=prediction.note,
        )
        for w in prediction.windows
    ]


def _boxed(item: source_lib.MediaFrame, track: FaceTrack) -> source_lib.MediaFrame:
    """The video frame with the face box drawn (a rotated frame is left as it is: the track's
    boxes are in upright coordinates, the annotated copy keeps the stored ones)."""
    frame = item.frame
    if frame.rotation:
        return item
    rgb = np.ascontiguousarray(frame.to_ndarray(format="rgb24"))
    box = track.box_at(item.time) * np.array([frame.width, frame.height] * 2)
    boxed = av.VideoFrame.from_ndarray(overlay.draw_face_box(rgb, box), format="rgb24")
    boxed.pts, boxed.time_base = frame.pts, frame.time_base
    return dataclasses.replace(item, frame=boxed)


def write_annotated_video(path: str, out: str, labels: list[str],
                          prediction: predictor_lib.ClipPrediction, track: Optional[FaceTrack]) -> str:
    """Writes the annotated copy of a clip (module docstring); returns `out`.

    Raises:
      source_lib.SourceError: the clip cannot be read again, or holds no video.
    """
    source = source_lib.FileSource(path)
    annotator = None
    try:
        if source.video is None:
            raise source_lib.SourceError(f"{path}: no video to annotate")
        annotator = annotator_lib.Annotator(out, labels, source.video, source.audio, first_answer_s=0.0)
        for answer in window_answers(prediction):
            annotator.add_answer(answer)
        for item in source.frames():
            if item.kind == source_lib.VIDEO and track is not None:
                item = _boxed(item, track)
            annotator.add(item)
            annotator.release(float("inf"))  # every answer is known: no frame waits
        annotator.close()
    except BaseException:
        if annotator is not None:
            annotator.abort()
        raise
    finally:
        source.close()
    return out


def write_annotated_image(path: str, out: str, labels: list[str], video: config_lib.VideoConfig,
                          prediction: predictor_lib.ClipPrediction, track: Optional[FaceTrack]) -> str:
    """Writes a photo with its face box and the answer's panel as a PNG; returns `out`."""
    rgb = still_image.read_image(path, video.max_frame_side).rgb
    height, width = rgb.shape[:2]
    scale = max(1.0, _MIN_PICTURE_SIDE / min(height, width))
    if scale > 1.0:
        width, height = int(round(width * scale)), int(round(height * scale))
        rgb = np.asarray(Image.fromarray(rgb).resize((width, height), Image.Resampling.NEAREST))
    rgb = np.array(rgb)  # a writable copy (the decoded picture may be read-only)
    if track is not None:
        overlay.draw_face_box(rgb, track.boxes[0] * np.array([width, height] * 2))
    overlay.draw(rgb, window_answers(prediction)[0], labels, 0.0)
    Image.fromarray(rgb).save(out, format="PNG")
    return out
