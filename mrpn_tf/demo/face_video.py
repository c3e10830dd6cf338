"""The video of one demo clip: the cartoon face over time, seen through a simple camera.

The actor's resting face moves toward the clip's expression after a short onset (smoothstep
ramp), the head sways a little, the eyes blink, the lips open with the voice's syllables; the
camera adds a backdrop, a lighting gradient, a slight lens blur and sensor noise.
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from mrpn_tf.demo import cartoon_face, emotion_cues

_NOISE_PAD = 16  # margin of the per-clip noise field, pixels
_LIGHT_ONE = 128.0  # lighting multipliers are stored as uint8 with 1.0 = 128
_BLINK_S = 0.15  # how long a blink keeps the eyes (partly) closed


@dataclasses.dataclass(frozen=True)
class ClipMotion:
    """One clip's dynamics, drawn once per clip from its random generator.

    Attributes:
      onset_start, onset_length: seconds at which the expression starts to appear, and how
        long it takes to reach its apex.
      sway: [3, K, 3]: for x, y (face units) and roll (degrees), K sinusoids given as
        (amplitude, frequency in Hz, phase in radians); their sum is the head's motion.
      blinks: start times of blinks, seconds.
      talk_amount: how far the lips open on a loud syllable (`mouth_open` units).
      noise_sigma: sensor noise standard deviation, 0..255 units.
      gain: overall brightness multiplier of the clip.
    """

    onset_start: float
    onset_length: float
    sway: np.ndarray
    blinks: np.ndarray
    talk_amount: float
    noise_sigma: float
    gain: float


def sample_motion(
    look: cartoon_face.FaceLook, duration_s: float, rng: np.random.Generator
) -> ClipMotion:
    """Draws a clip's onset timing, head sway, blinks, lip motion, noise and brightness.

    Args:
      look: the actor (sets the blink rate).
      duration_s: clip length.
      rng: the clip's face random generator.

    Returns:
      The clip's ClipMotion.
    """
    amplitude = np.array([0.05, 0.035, 2.5])[:, None] * rng.uniform(0.3, 1.0, (3, 3))
    frequency = rng.uniform(0.15, 1.1, (3, 3))
    phase = rng.uniform(0, 2 * np.pi, (3, 3))
    return ClipMotion(
        onset_start=float(rng.uniform(0.0, 0.3)),
        onset_length=float(rng.uniform(0.3, 0.7)),
        sway=np.stack([amplitude, frequency, phase], -1),
        blinks=np.sort(rng.uniform(0.0, duration_s, rng.poisson(look.blink_rate * duration_s))),
        talk_amount=float(rng.uniform(0.10, 0.20)),
        noise_sigma=float(rng.uniform(2.0, 6.0)),
        gain=float(rng.uniform(0.9, 1.1)),
    )


def render_frames(
    look: cartoon_face.FaceLook,
    rest: emotion_cues.FaceCue,
    apex: emotion_cues.FaceCue,
    motion: ClipMotion,
    talk: np.ndarray,
    fps: float,
    size: tuple[int, int],
    rng: np.random.Generator,
) -> np.ndarray:
    """Draws every frame of one clip.

    Args:
      look: the actor's appearance.
      rest: the actor's resting (neutral) face, shown before the expression's onset.
      apex: the clip's expression at its apex.
      motion: the clip's dynamics (see `sample_motion`).
      talk: [T] voice loudness 0..1 at each frame's time (opens the lips); T = frame count.
      fps: frame rate.
      size: (width, height) of the frames.
      rng: the clip's face random generator (sensor noise).

    Returns:
      uint8 [T, height, width, 3] RGB frames.
    """
    width, height = size
    backdrop = background(look, size)
    light = np.clip(lighting(look, size) * motion.gain * _LIGHT_ONE, 0, 255).astype(np.uint8)
    # One noise field per clip, seen through a different random window in every frame: as
    # good as fresh noise for a detector or a CNN, at a fraction of the cost of drawing it.
    noise = rng.standard_normal([height + _NOISE_PAD, width + _NOISE_PAD, 3]) * motion.noise_sigma
    # Split into its positive and negative parts: two saturating uint8 ops beat int16 maths.
    brighter = np.clip(np.round(noise), 0, 255).astype(np.uint8)
    darker = np.clip(np.round(-noise), 0, 255).astype(np.uint8)
    frames = np.empty([len(talk), height, width, 3], np.uint8)
    for k, loudness in enumerate(talk):
        t = k / fps
        image = backdrop.copy()
        face = expression_at(rest, apex, motion, t, float(loudness))
        cartoon_face.draw_face(image, look, face, head_pose(look, motion, t, size))
        dy, dx = rng.integers(0, _NOISE_PAD, 2)
        window = (slice(dy, dy + height), slice(dx, dx + width))
        frames[k] = _camera(image, light, brighter[window], darker[window])
    return frames


def expression_at(
    rest: emotion_cues.FaceCue,
    apex: emotion_cues.FaceCue,
    motion: ClipMotion,
    t: float,
    loudness: float,
) -> emotion_cues.FaceCue:
    """The face at time `t`: onset ramp from rest to apex, then blinks and talking lips.

    Args:
      rest: the resting face.
      apex: the expression's apex.
      motion: the clip's dynamics.
      t: seconds from the clip's start.
      loudness: the voice's vowel loudness at `t`, 0..1.

    Returns:
      The FaceCue to draw.
    """
    x = np.clip((t - motion.onset_start) / motion.onset_length, 0.0, 1.0)
    face = emotion_cues.toward(rest, apex, float(x * x * (3 - 2 * x)))  # smoothstep
    return dataclasses.replace(
        face,
        mouth_open=max(0.0, face.mouth_open + motion.talk_amount * loudness),
        eye_open=max(0.0, face.eye_open) * blink_factor(motion.blinks, t),
    )


def blink_factor(blinks: np.ndarray, t: float) -> float:
    """Eye opening multiplier at `t`: each blink closes the eyes and reopens them."""
    if len(blinks) == 0:
        return 1.0
    distance = np.abs(t - blinks - _BLINK_S / 2).min()
    return float(np.clip(distance / (_BLINK_S / 2), 0.0, 1.0))


def head_pose(
    look: cartoon_face.FaceLook, motion: ClipMotion, t: float, size: tuple[int, int]
) -> cartoon_face.HeadPose:
    """The head's pixel position, scale and roll at time `t` (a sum of slow sinusoids)."""
    amplitude, frequency, phase = motion.sway[..., 0], motion.sway[..., 1], motion.sway[..., 2]
    dx, dy, roll = (amplitude * np.sin(2 * np.pi * frequency * t + phase)).sum(axis=1)
    radius = look.head_size * size[1]
    return cartoon_face.HeadPose(
        cx=look.center[0] * size[0] + dx * radius,
        cy=look.center[1] * size[1] + dy * radius,
        scale=radius * (1.0 + 0.3 * dy),  # leaning forward makes the head look bigger
        roll=float(roll),
    )


def background(look: cartoon_face.FaceLook, size: tuple[int, int]) -> np.ndarray:
    """The actor's backdrop: a flat colour, soft blotches and a darker vertical band.

    Args:
      look: the actor (colour and texture seed).
      size: (width, height).

    Returns:
      uint8 [height, width, 3] RGB.
    """
    width, height = size
    rng = np.random.default_rng(look.texture_seed)
    # Mostly brightness blotches with a little colour, like an unevenly lit wall.
    blotches = rng.normal(0, 12, (5, 7, 1)) + rng.normal(0, 4, (5, 7, 3))
    blotches = cv2.resize(blotches, (width, height), interpolation=cv2.INTER_CUBIC)
    image = np.asarray(look.background, np.float32) + blotches.astype(np.float32)
    x0, x1 = sorted(rng.uniform(0, width, 2).astype(int))
    image[:, x0:x1] *= rng.uniform(0.8, 0.95)  # a door frame or a curtain edge
    return np.clip(image, 0, 255).astype(np.uint8)


def lighting(look: cartoon_face.FaceLook, size: tuple[int, int]) -> np.ndarray:
    """A smooth light falloff from a random side: [height, width, 3] multipliers around 1."""
    width, height = size
    rng = np.random.default_rng(look.texture_seed + 1)
    angle = rng.uniform(0, 2 * np.pi)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    ramp = np.cos(angle) * (xs / width - 0.5) + np.sin(angle) * (ys / height - 0.5)
    light = 1.0 + rng.uniform(0.1, 0.3) * ramp
    return np.repeat(light[..., None], 3, axis=2)


def _camera(
    image: np.ndarray, light: np.ndarray, brighter: np.ndarray, darker: np.ndarray
) -> np.ndarray:
    """Lens blur, lighting and sensor noise (given as its positive and negative parts)."""
    out = cv2.GaussianBlur(image, (3, 3), 0.8)
    out = cv2.multiply(out, light, scale=1.0 / _LIGHT_ONE)
    return cv2.subtract(cv2.add(out, brighter), darker)
