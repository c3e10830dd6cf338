"""FER-2013 faces cropped as the face branch sees them (paper 4.2), with their boxes cached.

A FER face is 48 x 48 grey and centred by construction. At inference the branch sees
BlazeFace's box of a video frame, squared with `video.face_margin` around it. So each FER
image goes through the same detector and crop (`face_image`): found faces are cropped as
`prepare` crops a frame, the rest (about 6 %) are framed whole. The boxes depend on the image,
the detector and the margin only; they are computed once and cached next to the data's other
derived files (`boxes_path`), written whole or not at all.

Both users of FER faces read them here: the face pretraining (`training/pretraining/
fer2013.py`) and the cross-corpus pairing of a voice corpus with FER faces
(`data/pipeline/face_pairing.py`).
"""

from __future__ import annotations

import hashlib
import os

import numpy as np
import tqdm

from mrpn_tf import files
from mrpn_tf.config import config as config_lib
from mrpn_tf.data.datasets import fer2013 as fer_data
from mrpn_tf.data.media import face_image
from mrpn_tf.data.media.face_detector import FaceDetector

BOXES_VERSION = 1


def boxes_path(cache_dir: str, fer: fer_data.FerSet, usage: str, detector_path: str,
               margin: float) -> str:
    """`<cache_dir>/fer2013-<usage>-<key>.boxes.npz`, the key hashing images, detector, margin."""
    digest = hashlib.sha256()
    digest.update(fer.images.tobytes())
    with open(detector_path, "rb") as f:
        digest.update(f.read())
    digest.update(f"{margin:.6f}/{BOXES_VERSION}".encode())
    return os.path.join(cache_dir, f"fer2013-{usage}-{digest.hexdigest()[:16]}.boxes.npz")


def detect_boxes(fer: fer_data.FerSet, detector_path: str, margin: float, min_score: float,
                 desc: str = "faces") -> tuple[np.ndarray, np.ndarray]:
    """Crop boxes [N, 4] of every face (detector box with margin, else the whole image), and
    found [N] (bool: the detector found a face)."""
    boxes = np.empty([len(fer), 4], np.float64)
    found = np.zeros([len(fer)], bool)
    whole = face_image.whole_image_box(fer_data.SIDE, fer_data.SIDE)
    with FaceDetector(detector_path, min_score) as detector:
        for i in tqdm.trange(len(fer), desc=desc, mininterval=2.0, unit="face"):
            rgb = np.repeat(fer.images[i][..., None], 3, axis=-1)
            box = face_image.face_box(detector, rgb, margin)
            found[i] = box is not None
            boxes[i] = whole if box is None else box
    return boxes, found


def cached_boxes(fer: fer_data.FerSet, usage: str, video: config_lib.VideoConfig,
                 detector_path: str, cache_dir: str) -> tuple[np.ndarray, np.ndarray]:
    """`detect_boxes`, read from the cache when an earlier run computed them."""
    path = boxes_path(cache_dir, fer, usage, detector_path, video.face_margin)
    if os.path.isfile(path):
        with np.load(path) as cached:
            return cached["boxes"], cached["found"]
    boxes, found = detect_boxes(fer, detector_path, video.face_margin, video.min_face_score, usage)
    os.makedirs(cache_dir, exist_ok=True)
    with files.atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, boxes=boxes, found=found)
    return boxes, found


def crops(fer: fer_data.FerSet, boxes: np.ndarray, size: int, whole: bool = False) -> np.ndarray:
    """Grey face crops uint8 [N, size, size]: each box, or each whole image with `whole`."""
    return face_image.grey_crops(fer.images, size, None if whole else boxes)
