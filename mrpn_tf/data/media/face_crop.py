"""Crops square face windows out of frames and encodes them as JPEG."""

from __future__ import annotations

import cv2
import numpy as np


def crop_faces(frames: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """Crops and resizes each frame's box to `size` x `size` in one affine warp.

    A box that reaches past the frame edge is filled by replicating the border (a face at
    the edge keeps its position in the crop instead of being shifted or stretched).

    Args:
      frames: uint8 [T, H, W, 3] RGB.
      boxes: [T, 4] square boxes x0, y0, x1, y1 in pixels.
      size: output side in pixels.

    Returns:
      uint8 [T, size, size, 3].
    """
    crops = np.empty([len(frames), size, size, 3], np.uint8)
    for t, (frame, (x0, y0, x1, y1)) in enumerate(zip(frames, boxes)):
        scale = size / max(x1 - x0, 1e-6)
        affine = np.array([[scale, 0.0, -x0 * scale], [0.0, scale, -y0 * scale]], np.float32)
        crops[t] = cv2.warpAffine(
            frame, affine, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
    return crops


def encode_jpeg(crops: np.ndarray, quality: int) -> list[bytes]:
    """JPEG-encodes RGB crops (libjpeg through OpenCV; deterministic for equal input)."""
    params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)]
    encoded = []
    for crop in crops:
        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(crop, cv2.COLOR_RGB2BGR), params)
        if not ok:
            raise ValueError("JPEG encoding failed")
        encoded.append(buf.tobytes())
    return encoded
