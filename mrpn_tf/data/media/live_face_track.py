"""A face track built frame by frame, for live streams: face_track.py's steps run forward only.

`prepare` tracks a whole clip at once (face_track.py): it starts from the best face of the
clip, follows it both ways, interpolates gaps and smooths forward and backward. A stream has
no future frames, so the same per-frame steps run forward only:
  1. the track starts from the best face (`face_track.anchor_value`) of the first frame that
     has one;
  2. each frame takes the detection that overlaps the track most (`face_track.FaceFollower`,
     the step prepare runs from its anchor);
  3. a frame without it keeps the last box (prepare holds the clip's ends the same way); after
     `reanchor_after` frames without the tracked face the track starts again from the best
     face in view: a person who left and came back elsewhere (prepare, with one track per
     clip, never needs this);
  4. boxes are smoothed by the forward EMA alone (`face_track.ema_step`, the same weight), so
     a moving face's box trails by about (1 - w) / w frames, the lag prepare's backward pass
     cancels; then squared with the same margin (`face_track.square_with_margin`).
"""

from __future__ import annotations

import dataclasses
from typing import Optional, Sequence

import numpy as np

from mrpn_tf.data.media import face_track
from mrpn_tf.data.media.face_detector import Detection


@dataclasses.dataclass(frozen=True)
class TrackedFrame:
    """One frame's place in the track."""

    box: Optional[np.ndarray]  # square crop box [4] (x0, y0, x1, y1); None before any face
    detected: bool  # the tracked face was detected in this frame (False: box held)


class LiveFaceTrack:
    """Follows one face through a stream (module docstring).

    Args:
      smoothing: EMA weight of the new box (`video.box_smoothing`; 1 = no smoothing).
      margin: margin around the face (`video.face_margin`).
      reanchor_after: frames without the tracked face after which the track restarts.
    """

    def __init__(self, smoothing: float, margin: float, reanchor_after: int):
        if reanchor_after < 1:
            raise ValueError(f"reanchor_after={reanchor_after}; expected >= 1 frame")
        self.smoothing = smoothing
        self.margin = margin
        self.reanchor_after = reanchor_after
        self._follower: Optional[face_track.FaceFollower] = None
        self._smoothed: Optional[np.ndarray] = None
        self._missed = 0

    def _restart(self, faces: Sequence[Detection], frame_size: tuple[int, int]) -> None:
        best = max(faces, key=lambda d: face_track.anchor_value(d, frame_size))
        self._follower = face_track.FaceFollower(face_track.detection_box(best))
        self._smoothed = None  # a new face: no glide from the old one's place
        self._missed = 0

    def update(self, faces: Sequence[Detection], frame_size: tuple[int, int]) -> TrackedFrame:
        """Takes one frame's detections; returns that frame's crop box.

        Args:
          faces: the frame's detections (`FaceDetector.detect`).
          frame_size: (width, height) of the frame.

        Returns:
          The TrackedFrame.
        """
        detected = False
        if self._follower is not None:
            detected = self._follower.follow(faces) is not None
            self._missed = 0 if detected else self._missed + 1
        if faces and (self._follower is None or self._missed >= self.reanchor_after):
            self._restart(faces, frame_size)
            detected = True
        if self._follower is None:
            return TrackedFrame(None, False)
        box = self._follower.box
        self._smoothed = (
            box.copy() if self._smoothed is None
            else face_track.ema_step(self._smoothed, box, self.smoothing)
        )
        return TrackedFrame(face_track.square_with_margin(self._smoothed[None], self.margin)[0], detected)
