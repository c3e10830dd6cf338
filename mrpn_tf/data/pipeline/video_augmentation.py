"""Clip-consistent spatial augmentation of face crops (paper 3.3 item 1, Fig. 9).

"The same random augmentation parameters are applied for all frames of a video source"
(Fig. 9 middle row). Drawing parameters per frame (Fig. 9 bottom row) would make the face
jitter from frame to frame, motion the sequence aggregator would have to learn to ignore, so
here one parameter set is drawn per clip and the one affine transform and the one photometric
change are broadcast over all T frames.

Parameters are drawn with stateless random ops from an explicit per-clip seed: the result is
a pure function of (frames, seed), identical eagerly and inside `Dataset.map`.
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf

from mrpn_tf.config import config as config_lib

FLIP = "flip"
ANGLE = "angle"
ZOOM = "zoom"
SHIFT_X = "shift_x"
SHIFT_Y = "shift_y"
BRIGHTNESS = "brightness"
CONTRAST = "contrast"


def sample_params(seed: tf.Tensor, video: config_lib.VideoConfig) -> dict[str, tf.Tensor]:
    """Draws one clip's augmentation parameters.

    Args:
      seed: int [2] stateless seed.
      video: ranges (`flip`, `rotation_deg`, `zoom`, `translation`, `brightness`, `contrast`).

    Returns:
      Scalars: FLIP (bool), ANGLE (radians), ZOOM (scale, > 1 magnifies), SHIFT_X / SHIFT_Y
      (fractions of the side), BRIGHTNESS (added delta), CONTRAST (factor).
    """
    seeds = tf.unstack(tf.random.experimental.stateless_split(seed, num=7))

    def uniform(i: int, low: float, high: float) -> tf.Tensor:
        return tf.random.stateless_uniform([], seeds[i], minval=low, maxval=high)

    angle = math.radians(video.rotation_deg)
    return {
        FLIP: tf.logical_and(video.flip, uniform(0, 0.0, 1.0) < 0.5),
        ANGLE: uniform(1, -angle, angle),
        ZOOM: uniform(2, 1.0 - video.zoom, 1.0 + video.zoom),
        SHIFT_X: uniform(3, -video.translation, video.translation),
        SHIFT_Y: uniform(4, -video.translation, video.translation),
        BRIGHTNESS: uniform(5, -video.brightness, video.brightness),
        CONTRAST: uniform(6, 1.0 - video.contrast, 1.0 + video.contrast),
    }


def affine_transform_vector(params: dict[str, tf.Tensor], height: int, width: int) -> tf.Tensor:
    """The 8-vector of `ImageProjectiveTransform` for flip, rotation, zoom and shift.

    The transform maps an output pixel p to the input pixel c + R(angle) (p - c - t) / zoom,
    with c the image centre and t the shift in pixels, then mirrors x when FLIP is set
    (x -> W - 1 - x). Folding the flip into the one warp saves a pass over the frames.

    Returns:
      float32 [8]: (a0, a1, a2, b0, b1, b2, 0, 0) with x_in = a0 x + a1 y + a2, and so on.
    """
    cos, sin = tf.cos(params[ANGLE]) / params[ZOOM], tf.sin(params[ANGLE]) / params[ZOOM]
    cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
    px = cx + params[SHIFT_X] * width  # the point c + t that lands on the input centre
    py = cy + params[SHIFT_Y] * height
    a0, a1, a2 = cos, -sin, cx - cos * px + sin * py
    mirror = tf.where(params[FLIP], -1.0, 1.0)
    a2 = tf.where(params[FLIP], (width - 1) - a2, a2)
    b0, b1, b2 = sin, cos, cy - sin * px - cos * py
    return tf.stack([mirror * a0, mirror * a1, a2, b0, b1, b2, 0.0, 0.0])


def augment_clip(frames: tf.Tensor, params: dict[str, tf.Tensor]) -> tf.Tensor:
    """Applies one parameter set to every frame of a clip.

    Args:
      frames: float32 [T, H, W, 3] in [0, 1].
      params: from `sample_params`.

    Returns:
      float32 [T, H, W, 3] in [0, 1].
    """
    height, width = frames.shape[1], frames.shape[2]
    transform = affine_transform_vector(params, height, width)
    # A [8] transform is broadcast by ImageProjectiveTransformV3 over the T frames: one warp.
    # Borders repeat the edge pixel ("nearest"): the face crop's margin makes the edge
    # background, and this fill costs ~20% less than "reflect" in the pipeline's costliest op.
    frames = keras.ops.image.affine_transform(
        frames, transform, interpolation="bilinear", fill_mode="nearest"
    )
    frames = tf.image.adjust_brightness(frames, params[BRIGHTNESS])
    frames = tf.image.adjust_contrast(frames, params[CONTRAST])
    return tf.clip_by_value(frames, 0.0, 1.0)


def random_augment_clip(
    frames: tf.Tensor, seed: tf.Tensor, video: config_lib.VideoConfig
) -> tf.Tensor:
    """`augment_clip` with parameters drawn from `seed` (one set for the whole clip).

    Args:
      frames: float32 [T, H, W, 3] in [0, 1], H and W static.
      seed: int [2] stateless seed.
      video: augmentation ranges.

    Returns:
      float32 [T, H, W, 3] in [0, 1].
    """
    return augment_clip(frames, sample_params(seed, video))
