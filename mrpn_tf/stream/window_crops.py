"""A window's face crops, made as `prepare` makes a clip's and decoded as predict decodes them.

The boxes come from the live track (live_face_track.py); the crop is `face_crop.crop_faces`,
then the crops go through `prepare`'s JPEG encoding and the pipeline's JPEG decoding
(`video_frames.decode_frames`), as every crop the model saw in training and in predict did.
Frames before the track's first face (the start of a stream) take its first box, as `prepare`
holds a clip's first box back to its start. A window in which the tracked face was never
detected has no crops: the model sees faces, not frames, so that is a missing video stream
(predict's rule for a clip, window by window).
"""

from __future__ import annotations

import functools
from typing import Callable, Optional, Sequence

import numpy as np
import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.data.media import face_crop
from mrpn_tf.data.media.live_face_track import TrackedFrame
from mrpn_tf.data.pipeline import video_frames


@functools.lru_cache(maxsize=None)
def _decoder(crop_size: int) -> Callable[[tf.Tensor], tf.Tensor]:
    """`decode_frames` traced once (eager map_fn costs several times more per window)."""
    return tf.function(
        lambda jpegs: video_frames.decode_frames(jpegs, crop_size),
        input_signature=[tf.TensorSpec([None], tf.string)],
    )


def face_seen(tracked: Sequence[TrackedFrame]) -> bool:
    """Whether the tracked face was detected in at least one frame."""
    return any(t.detected for t in tracked)


def window_crops(
    frames: np.ndarray, tracked: Sequence[TrackedFrame], video: config_lib.VideoConfig
) -> Optional[np.ndarray]:
    """The window's face crops (module docstring).

    Args:
      frames: uint8 [T, H, W, 3] the window's frames.
      tracked: per frame, its place in the live track.
      video: crop_size and jpeg_quality.

    Returns:
      uint8 [T, crop_size, crop_size, 3], or None when no face was detected in the window.
    """
    if not face_seen(tracked):
        return None
    first = next(t.box for t in tracked if t.box is not None)
    boxes = np.stack([first if t.box is None else t.box for t in tracked])
    jpegs = face_crop.encode_jpeg(face_crop.crop_faces(frames, boxes, video.crop_size), video.jpeg_quality)
    return _decoder(video.crop_size)(tf.constant(jpegs)).numpy()
