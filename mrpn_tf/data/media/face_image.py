"""The face of a still image, cropped as `prepare` crops the face of a video frame.

A still (a FER-2013 face, a photo given to `predict`) goes through the same BlazeFace detector,
the same square box with `video.face_margin` around it (`face_track.square_with_margin`) and
the same affine crop with replicated borders (`face_crop.crop_faces`) as each frame of a clip,
so a model sees one kind of crop whether it learned from stills or from video.

Where no face is found, `whole_image_box` frames the whole image instead: right for FER-2013,
whose faces are centred by construction; `predict` refuses a photo without a face instead.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from mrpn_tf.data.media import face_crop
from mrpn_tf.data.media import face_track
from mrpn_tf.data.media.face_detector import Detection, FaceDetector


def whole_image_box(height: int, width: int) -> np.ndarray:
    """The square box [4] (x0, y0, x1, y1) centred on the image, side = its long side."""
    side = max(height, width)
    x0, y0 = (width - side) / 2.0, (height - side) / 2.0
    return np.array([x0, y0, x0 + side, y0 + side], np.float64)


def best_face(faces: Sequence[Detection], height: int, width: int) -> Optional[Detection]:
    """The face a track would start from (`face_track.anchor_value`), or None."""
    if not faces:
        return None
    return max(faces, key=lambda d: face_track.anchor_value(d, (width, height)))


def face_box(detector: FaceDetector, rgb: np.ndarray, margin: float) -> Optional[np.ndarray]:
    """The square crop box [4] of the image's face, with `margin`, or None without a face.

    Args:
      detector: BlazeFace (`FaceDetector`).
      rgb: uint8 [H, W, 3].
      margin: fraction of the box side added on each side (`video.face_margin`).
    """
    face = best_face(detector.detect(rgb), rgb.shape[0], rgb.shape[1])
    if face is None:
        return None
    return face_track.square_with_margin(face_track.detection_box(face)[None], margin)[0]


def crop(rgb: np.ndarray, box: np.ndarray, size: int) -> np.ndarray:
    """uint8 [size, size, 3]: the box of one image, borders replicated (`face_crop`)."""
    return face_crop.crop_faces(rgb[None], np.asarray(box, np.float64)[None], size)[0]


def grey_crops(images: np.ndarray, size: int, boxes: np.ndarray | None = None) -> np.ndarray:
    """Grey crops uint8 [N, size, size] of grey images uint8 [N, H, W]: each box [N, 4] cut by
    `crop`, or each whole image (`whole_image_box`) where `boxes` is None."""
    out = np.empty([len(images), size, size], np.uint8)
    for i, image in enumerate(images):
        box = whole_image_box(*image.shape[:2]) if boxes is None else boxes[i]
        out[i] = crop(np.repeat(image[..., None], 3, axis=-1), box, size)[..., 0]
    return out
