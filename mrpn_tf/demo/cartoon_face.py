"""A frontal cartoon face drawn with OpenCV whose mouth, brows and eyes show an expression.

The face is drawn in its own coordinates (unit = half the head's height, origin at the head's
centre, y down), then mapped to pixels by a head pose (position, scale, roll), so that it can
move smoothly with sub-pixel accuracy (`cv2.fillPoly` with fractional `shift`). Everything
BlazeFace relies on is there — a skin-coloured oval head, two eyes with dark irises, brows,
a nose with nostrils, lips, ears, hair, neck and shoulders — so that the short-range detector
finds it as it would a real frontal face.

The parts that never change for an actor (body, head, hair, ears, nose) are built once per
look (`_still_shapes`, cached); only eyes, brows, mouth and nose wrinkles are rebuilt per
frame.
"""

from __future__ import annotations

import dataclasses
import functools

import cv2
import numpy as np

from mrpn_tf.demo import emotion_cues

# cv2.fillPoly's fractional bits: coordinates are drawn at 1/16 pixel.
_SHIFT = 4
_SCALE = float(1 << _SHIFT)
_CLOSED_MOUTH = 0.12  # below this `mouth_open` the lips touch and only a line shows
_TEETH = (236, 232, 222)
_SCLERA = (238, 236, 230)
_MOUTH_INSIDE = (70, 22, 28)
_PUPIL = (15, 12, 12)
_LASHES = (30, 22, 20)
_NOSTRIL = (60, 35, 30)
_MOUTH_U = np.linspace(-1.0, 1.0, 21)  # lip sample positions, corner to corner
_EYE_U = np.linspace(-1.0, 1.0, 16)
_CIRCLE_T = np.linspace(0, 2 * np.pi, 40)
_CIRCLE = np.stack([np.cos(_CIRCLE_T), np.sin(_CIRCLE_T)], 1)

Color = tuple[float, float, float]


@dataclasses.dataclass(frozen=True)
class FaceLook:
    """An actor's appearance (constant over that actor's clips).

    Colours are RGB 0..255; `head_size` and `center` are fractions of the frame; the other
    positions and sizes are in face units (half the head's height).
    """

    skin: Color
    hair: Color
    iris: Color
    lips: Color
    shirt: Color
    background: Color
    head_size: float  # half the head's height, as a fraction of the frame height
    aspect: float  # head width / height
    center: tuple[float, float]  # head centre, as fractions of the frame width and height
    eye_dx: float  # eye centre distance from the face's midline
    eye_y: float
    eye_size: float
    mouth_y: float
    mouth_width: float
    long_hair: bool
    blink_rate: float  # blinks per second
    texture_seed: int  # background texture and lighting direction


@dataclasses.dataclass(frozen=True)
class HeadPose:
    """Where the head is in one frame: centre in pixels, pixels per face unit, roll in degrees."""

    cx: float
    cy: float
    scale: float
    roll: float


@dataclasses.dataclass(frozen=True)
class Shape:
    """A filled polygon (`width` 0) or an open polyline of `width` face units."""

    points: np.ndarray  # [N, 2] face units
    color: Color
    width: float = 0.0


def draw_face(
    image: np.ndarray, look: FaceLook, face: emotion_cues.FaceCue, pose: HeadPose
) -> None:
    """Draws the whole person, back to front, onto `image` in place.

    Args:
      image: uint8 [H, W, 3] RGB canvas (the backdrop).
      look: the actor's appearance.
      face: the expression to show (blinks and talking already folded in).
      pose: where the head is in this frame.
    """
    shapes = _still_shapes(look) + expression_shapes(look, face)
    angle = np.deg2rad(pose.roll)
    cos, sin = np.cos(angle), np.sin(angle)
    rotation = pose.scale * np.array([[cos, -sin], [sin, cos]])
    # One transform for all points at once: per-shape numpy calls would cost more than drawing.
    points = np.concatenate([shape.points for shape in shapes])
    points = np.round((points @ rotation.T + (pose.cx, pose.cy)) * _SCALE).astype(np.int32)
    ends = np.cumsum([len(shape.points) for shape in shapes])
    for shape, pixels in zip(shapes, np.split(points, ends[:-1])):
        if shape.width:
            thickness = max(1, int(round(shape.width * pose.scale)))
            cv2.polylines(image, [pixels], False, shape.color, thickness, cv2.LINE_AA, _SHIFT)
        else:
            cv2.fillPoly(image, [pixels], shape.color, cv2.LINE_AA, _SHIFT)


def expression_shapes(look: FaceLook, face: emotion_cues.FaceCue) -> tuple[Shape, ...]:
    """The parts that show the expression: eyes, brows, nose wrinkles, mouth (in draw order)."""
    shapes = []
    for side in (-1.0, 1.0):
        shapes += _eye(look, face, side) + [_brow(look, face, side)]
    return tuple(shapes + _wrinkles(look, face) + _mouth(look, face))


def ellipse(cx: float, cy: float, ax: float, ay: float) -> np.ndarray:
    """[40, 2] points around an axis-aligned ellipse (face units)."""
    return _CIRCLE * (ax, ay) + (cx, cy)


def _shade(color: Color, factor: float) -> Color:
    return tuple(float(np.clip(c * factor, 0, 255)) for c in color)


@functools.lru_cache(maxsize=64)
def _still_shapes(look: FaceLook) -> tuple[Shape, ...]:
    """Hair behind the head, neck, shoulders, ears, head, hair cap, eye sockets, nose."""
    a, skin = look.aspect, look.skin
    shapes = []
    if look.long_hair:  # hair falling behind the head, down to the shoulders
        shapes.append(Shape(ellipse(0.0, 0.25, 1.3 * a, 1.2), _shade(look.hair, 0.85)))
    neck = np.array([[-0.38 * a, 0.5], [0.38 * a, 0.5], [0.42 * a, 1.6], [-0.42 * a, 1.6]])
    shapes += [Shape(neck, _shade(skin, 0.8)), Shape(ellipse(0.0, 2.15, 2.1, 0.85), look.shirt)]
    shapes += [Shape(ellipse(s * 0.97 * a, 0.02, 0.12, 0.2), _shade(skin, 0.88)) for s in (-1, 1)]
    shapes.append(Shape(ellipse(0.0, 0.0, a, 1.0), _shade(skin, 0.9)))
    shapes.append(Shape(ellipse(0.0, -0.04, 0.9 * a, 0.93), skin))  # the lit front of the face
    shapes.append(Shape(_hair_cap(a), look.hair))
    for side in (-1.0, 1.0):  # eye sockets
        socket = ellipse(side * look.eye_dx, look.eye_y, 0.24 * look.eye_size, 0.14 * look.eye_size)
        shapes.append(Shape(socket, _shade(skin, 0.86)))
    return tuple(shapes + _nose(look))


def _hair_cap(aspect: float) -> np.ndarray:
    """The top of the head outline, closed by a hairline arching over the forehead."""
    t = np.linspace(np.pi * 1.02, np.pi * 1.98, 30)
    top = np.stack([1.04 * aspect * np.cos(t), 1.05 * np.sin(t)], 1)
    u = np.linspace(1.0, -1.0, 20)
    hairline = np.stack([aspect * u, -0.56 + 0.2 * u**2], 1)  # high in the middle, low at temples
    return np.concatenate([top, hairline])


def _nose_tip_y(look: FaceLook) -> float:
    return 0.5 * (look.eye_y + look.mouth_y) + 0.06


def _nose(look: FaceLook) -> list[Shape]:
    tip_y, shadow = _nose_tip_y(look), _shade(look.skin, 0.72)
    ridge = np.array([[0.05, look.eye_y + 0.08], [0.07, tip_y - 0.06], [0.03, tip_y]])
    t = np.linspace(0.2, np.pi - 0.2, 12)
    base = np.stack([0.11 * np.cos(t), tip_y - 0.01 + 0.05 * np.sin(t)], 1)
    nostrils = [Shape(ellipse(s * 0.055, tip_y + 0.005, 0.03, 0.018), _NOSTRIL) for s in (-1, 1)]
    return [Shape(ridge, shadow, 0.03), Shape(base, shadow, 0.025)] + nostrils


def _wrinkles(look: FaceLook, face: emotion_cues.FaceCue) -> list[Shape]:
    """Disgust wrinkles the nose on the sneering side."""
    if face.sneer <= 0.15:
        return []
    shadow, width = _shade(look.skin, 0.72), 0.015 * face.sneer + 0.01
    ys = look.eye_y + 0.12 + np.array([0.0, 0.05])
    return [Shape(np.array([[-0.1, y], [-0.03, y - 0.02]]), shadow, width) for y in ys]


def _eye(look: FaceLook, face: emotion_cues.FaceCue, side: float) -> list[Shape]:
    """Sclera, iris and pupil (clipped by the lids), and the upper lid line with lashes."""
    cx, cy = side * look.eye_dx, look.eye_y
    half_w = 0.17 * look.eye_size
    half_h = 0.1 * look.eye_size * max(face.eye_open, 0.0)
    arch = np.sqrt(1.0 - _EYE_U**2)
    upper = np.stack([cx + half_w * _EYE_U, cy - half_h * arch], 1)
    lid = Shape(upper, _LASHES, 0.03)
    if half_h <= 0.006:  # shut: only the lid line shows
        return [lid]
    lower = np.stack([cx + half_w * _EYE_U, cy + 0.7 * half_h * arch], 1)[::-1]
    radius = 0.066 * look.eye_size
    iris_h, iris_y = min(radius, 0.85 * half_h), cy - 0.1 * half_h
    return [
        Shape(np.concatenate([upper, lower]), _SCLERA),
        Shape(ellipse(cx, iris_y, radius, iris_h), look.iris),
        Shape(ellipse(cx, iris_y, 0.45 * radius, 0.45 * iris_h), _PUPIL),
        lid,
    ]


def _brow(look: FaceLook, face: emotion_cues.FaceCue, side: float) -> Shape:
    """A thick three-point brow: raised or lowered, inner end tilted up or down."""
    base = look.eye_y - 0.23 - 0.16 * face.brow_raise
    points = np.array([
        [side * (look.eye_dx - 0.16), base - 0.12 * face.brow_tilt],
        [side * (look.eye_dx + 0.02), base - 0.035 - 0.03 * face.brow_tilt],
        [side * (look.eye_dx + 0.19), base + 0.02],
    ])
    return Shape(points, _shade(look.hair, 0.45), 0.07)  # darker than the hair: brows carry cues


def mouth_outline(look: FaceLook, face: emotion_cues.FaceCue) -> tuple[np.ndarray, np.ndarray]:
    """The inner edges of the upper and lower lip, each [21, 2] from left to right corner.

    A smile lifts the corners and lowers the middle (a "U"); a frown does the opposite; the
    jaw lowers the lower lip's middle; a sneer lifts the upper lip on the face's left side.

    Args:
      look: the actor (mouth position and width).
      face: the expression.

    Returns:
      (upper, lower) point arrays in face units.
    """
    half_w = 0.28 * look.mouth_width * max(face.mouth_width, 0.3)
    corner_y = look.mouth_y - 0.17 * face.mouth_curve
    middle_y = look.mouth_y + 0.055 * face.mouth_curve
    bow = 1.0 - _MOUTH_U**2
    sneer = 0.08 * face.sneer * np.exp(-(((_MOUTH_U + 0.45) / 0.35) ** 2))
    upper = corner_y + (middle_y - 0.04 * face.mouth_open - corner_y) * bow - sneer
    lower = corner_y + (middle_y + 0.36 * face.mouth_open - corner_y) * bow
    lower = np.maximum(lower, upper)
    return np.stack([half_w * _MOUTH_U, upper], 1), np.stack([half_w * _MOUTH_U, lower], 1)


def _mouth(look: FaceLook, face: emotion_cues.FaceCue) -> list[Shape]:
    """Lips; then either the closed lips' line, or the open mouth with the upper teeth."""
    upper, lower = mouth_outline(look, face)
    lip = np.sqrt(1.0 - _MOUTH_U**2)[:, None] * [0.0, 1.0]  # lip thickness, 0 at the corners
    lips = Shape(np.concatenate([upper - 0.05 * lip, (lower + 0.07 * lip)[::-1]]), look.lips)
    if face.mouth_open < _CLOSED_MOUTH:
        return [lips, Shape(0.5 * (upper + lower), _shade(look.lips, 0.45), 0.025)]
    teeth = np.minimum(upper + 0.07 * lip, lower)
    return [
        lips,
        Shape(np.concatenate([upper, lower[::-1]]), _MOUTH_INSIDE),
        Shape(np.concatenate([upper, teeth[::-1]]), _TEETH),
    ]
