"""One face track per clip: pick the face, follow it, fill gaps, smooth, square, add margin.

Per-frame detections are noisy: a frame may have no face, several faces, or a jittering box.
A clip gets one consistent crop window per frame:
  1. anchor = the detection that is largest, most central and most confident over the clip;
  2. walk forward and backward from it, taking in each frame the detection that overlaps the
     previous box most (a second person or a false positive elsewhere is ignored);
  3. frames without a matching detection get boxes interpolated between their neighbours
     (held at the ends); the fraction of frames really detected is reported;
  4. boxes are smoothed with an exponential moving average run forward and backward (no lag),
     then made square around their centre with a margin.

The per-frame steps are shared with the live track of `mrpn_tf.stream` (live_face_track.py),
which runs them forward only: `anchor_value` (which face to start from), `FaceFollower`
(the face of the next frame), `ema_step` (one smoothing step) and `square_with_margin`.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from mrpn_tf.data.media.face_detector import Detection

# Below this overlap a detection is not the same face as the previous frame's.
_MIN_TRACK_IOU = 0.1


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def detection_box(d: Detection) -> np.ndarray:
    """The detection as a box [4]: x0, y0, x1, y1."""
    return np.array([d.x0, d.y0, d.x1, d.y1], np.float64)


def anchor_value(d: Detection, frame_size: tuple[int, int]) -> float:
    """How good a face is to start a track from: area x centrality x score.

    Args:
      d: one detection.
      frame_size: (width, height) of its frame.
    """
    width, height = frame_size
    cx, cy = d.center
    centrality = 1.0 - np.hypot(cx - width / 2, cy - height / 2) / np.hypot(width, height)
    return d.area * centrality * d.score


def _anchor(detections: Sequence[Sequence[Detection]], frame_size: tuple[int, int]):
    """(frame index, detection) maximizing `anchor_value`."""
    best, best_value = None, -1.0
    for t, faces in enumerate(detections):
        for d in faces:
            value = anchor_value(d, frame_size)
            if value > best_value:
                best, best_value = (t, d), value
    return best


class FaceFollower:
    """Follows one face from frame to frame: the detection that overlaps its last box most.

    Args:
      box: the box to start from [4] (x0, y0, x1, y1).
    """

    def __init__(self, box: np.ndarray):
        self.box = box

    def follow(self, faces: Sequence[Detection]) -> Optional[np.ndarray]:
        """The box of this face among one frame's detections, or None (then the last is kept).

        A detection overlapping the last box by less than IoU 0.1 is another face or a false
        positive, not this one.
        """
        overlaps = [(_iou(self.box, detection_box(d)), detection_box(d)) for d in faces]
        overlaps = [o for o in overlaps if o[0] >= _MIN_TRACK_IOU]
        if not overlaps:
            return None
        self.box = max(overlaps, key=lambda o: o[0])[1]
        return self.box


def _follow(detections, anchor: np.ndarray, order) -> dict[int, np.ndarray]:
    follower, chosen = FaceFollower(anchor), {}
    for t in order:
        box = follower.follow(detections[t])
        if box is not None:
            chosen[t] = box
    return chosen


def select_track(
    detections: Sequence[Sequence[Detection]], frame_size: tuple[int, int]
) -> tuple[Optional[np.ndarray], np.ndarray]:
    """Picks one face track.

    Args:
      detections: per frame, the detections in that frame.
      frame_size: (width, height) of the frames.

    Returns:
      (boxes [T, 4] as x0, y0, x1, y1 with gaps filled, or None when no frame has a face;
       detected [T] bool, True where the box comes from a detection of this track).
    """
    num = len(detections)
    found = _anchor(detections, frame_size)
    if found is None:
        return None, np.zeros([num], bool)
    anchor_t, anchor = found
    chosen = {anchor_t: detection_box(anchor)}
    chosen.update(_follow(detections, detection_box(anchor), range(anchor_t + 1, num)))
    chosen.update(_follow(detections, detection_box(anchor), range(anchor_t - 1, -1, -1)))
    known = np.array(sorted(chosen))
    boxes = np.stack([chosen[t] for t in known])
    filled = np.stack([np.interp(np.arange(num), known, boxes[:, j]) for j in range(4)], axis=1)
    detected = np.zeros([num], bool)
    detected[known] = True
    return filled, detected


def ema_step(previous: np.ndarray, box: np.ndarray, weight: float) -> np.ndarray:
    """One exponential-moving-average step: `weight` of the new box, the rest of the previous."""
    return weight * box + (1 - weight) * previous


def smooth(boxes: np.ndarray, weight: float) -> np.ndarray:
    """Zero-lag exponential smoothing: EMA forward, EMA backward, averaged.

    Args:
      boxes: [T, 4] boxes.
      weight: weight of the new box in each EMA step (1 = no smoothing).
    """
    if weight >= 1.0 or len(boxes) < 2:
        return boxes.copy()
    forward, backward = boxes.copy(), boxes.copy()
    for t in range(1, len(boxes)):
        forward[t] = ema_step(forward[t - 1], boxes[t], weight)
    for t in range(len(boxes) - 2, -1, -1):
        backward[t] = ema_step(backward[t + 1], boxes[t], weight)
    return (forward + backward) / 2


def square_with_margin(boxes: np.ndarray, margin: float) -> np.ndarray:
    """Square boxes around each box's centre, side = long side x (1 + 2 x margin)."""
    cx = (boxes[:, 0] + boxes[:, 2]) / 2
    cy = (boxes[:, 1] + boxes[:, 3]) / 2
    half = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]) * (0.5 + margin)
    return np.stack([cx - half, cy - half, cx + half, cy + half], axis=1)
