"""BlazeFace short-range face detection through MediaPipe Tasks' FaceDetector."""

from __future__ import annotations

import dataclasses

import mediapipe as mp
import numpy as np
from mediapipe.tasks.python import vision
from mediapipe.tasks.python.core import base_options


@dataclasses.dataclass(frozen=True)
class Detection:
    """One face: box corners in pixels of the frame it was found in, and the detector score."""

    x0: float
    y0: float
    x1: float
    y1: float
    score: float

    @property
    def area(self) -> float:
        return max(0.0, self.x1 - self.x0) * max(0.0, self.y1 - self.y0)

    @property
    def center(self) -> tuple[float, float]:
        return (self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2


class FaceDetector:
    """MediaPipe Tasks FaceDetector in IMAGE mode (frames are independent; tracking is ours).

    Not thread-safe: use one instance per thread. Close it (or use `with`) to free the graph.
    """

    def __init__(self, model_path: str, min_score: float = 0.5):
        options = vision.FaceDetectorOptions(
            base_options=base_options.BaseOptions(model_asset_path=model_path),
            running_mode=vision.RunningMode.IMAGE,
            min_detection_confidence=min_score,
        )
        self._detector = vision.FaceDetector.create_from_options(options)

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        """Faces in one uint8 RGB frame [H, W, 3], highest score first."""
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        found = []
        for d in self._detector.detect(image).detections:
            b = d.bounding_box
            score = d.categories[0].score if d.categories else 0.0
            found.append(
                Detection(b.origin_x, b.origin_y, b.origin_x + b.width, b.origin_y + b.height, score)
            )
        return sorted(found, key=lambda d: -d.score)

    def close(self) -> None:
        if self._detector is not None:
            self._detector.close()
            self._detector = None

    def __enter__(self) -> "FaceDetector":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
