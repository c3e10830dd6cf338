"""Per-emotion parameters of the drawn face and the synthetic voice, and their per-clip noise.

Each of RAVDESS's eight emotions is a point in a small face space (mouth, brows, eyes) and a
small voice space (pitch level and contour, rhythm, brightness, breathiness, roughness,
loudness). The
values follow the usual descriptions of prototypical expressions (smile for happy, raised
inner brows for sad and fearful, lowered V-shaped brows for angry, wide eyes and an open "O"
mouth for surprised, a one-sided sneer for disgust; high, fast, tremulous voice for fear, low,
slow, dark voice for sadness, bright and loud for anger). Neutral and calm, and sad and
disgust, are deliberately close so that the classes are not all equally easy.

An actor shows a cue with its own expressiveness (`toward`), and every clip adds Gaussian
noise (`jittered`), so that the classes overlap a little and a classifier must generalize
across actors rather than memorize eight exact pictures and sounds.
"""

from __future__ import annotations

import dataclasses
from typing import TypeVar

import numpy as np

# RAVDESS emotion codes 01..08, in order.
EMOTIONS = ("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised")


@dataclasses.dataclass(frozen=True)
class FaceCue:
    """What a facial expression changes, in units of the face's own size.

    Attributes:
      mouth_curve: corner lift; + smile, - frown (fraction of the head's half-height / 8).
      mouth_open: jaw opening, 0 closed .. 1 wide open.
      mouth_width: multiplier of the actor's resting mouth width.
      sneer: one-sided raise of the upper lip and nose wrinkle (disgust), 0..1.
      brow_raise: + brows up, - brows down.
      brow_tilt: + inner ends up (sad, fearful), - inner ends down (angry).
      eye_open: multiplier of the actor's resting eye opening.
    """

    mouth_curve: float
    mouth_open: float
    mouth_width: float
    sneer: float
    brow_raise: float
    brow_tilt: float
    eye_open: float


@dataclasses.dataclass(frozen=True)
class VoiceCue:
    """What an emotional voice changes.

    Attributes:
      pitch_shift: semitones above (+) or below (-) the actor's base pitch.
      pitch_range: semitones of the pitch accent on stressed syllables.
      pitch_slope: semitones of drift over the utterance; < 0 declining, > 0 rising.
      accent_shape: shape of a syllable's accent: -1 falling, 0 rise-fall, +1 rising.
      tremor: semitones of a ~7 Hz pitch tremor (a trembling voice).
      syllable_rate: syllables per second.
      tilt_db: spectral tilt in dB per octave added to the source; higher = brighter.
      breathiness: aspiration noise relative to the voiced sound.
      roughness: every other glottal pulse weakened, 0..1: a creaky, harsh voice whose
        spectrum shows subharmonics between the harmonics (disgust, some anger).
      loudness_db: level relative to a neutral voice.
    """

    pitch_shift: float
    pitch_range: float
    pitch_slope: float
    accent_shape: float
    tremor: float
    syllable_rate: float
    tilt_db: float
    breathiness: float
    roughness: float
    loudness_db: float


FACE_CUES = {
    "neutral": FaceCue(0.0, 0.0, 1.00, 0.0, 0.0, 0.0, 1.00),
    "calm": FaceCue(0.35, 0.0, 1.03, 0.0, -0.1, 0.0, 0.62),
    "happy": FaceCue(1.00, 0.30, 1.25, 0.0, 0.15, 0.0, 0.75),
    "sad": FaceCue(-0.85, 0.0, 0.90, 0.0, 0.0, 0.90, 0.72),
    "angry": FaceCue(-0.35, 0.22, 1.08, 0.0, -0.70, -0.95, 0.85),
    "fearful": FaceCue(-0.30, 0.45, 1.15, 0.0, 0.65, 0.60, 1.40),
    "disgust": FaceCue(-0.45, 0.08, 0.95, 0.9, -0.45, -0.25, 0.60),
    "surprised": FaceCue(0.0, 0.95, 0.72, 0.0, 0.95, 0.0, 1.50),
}

VOICE_CUES = {
    "neutral": VoiceCue(0.0, 2.0, -2.0, 0.0, 0.0, 4.5, 0.0, 0.05, 0.0, 0.0),
    "calm": VoiceCue(-0.5, 1.2, -2.5, 0.0, 0.0, 3.5, -4.0, 0.30, 0.0, -4.0),
    "happy": VoiceCue(3.5, 5.0, 0.0, 0.0, 0.0, 5.4, 3.0, 0.05, 0.0, 4.0),
    "sad": VoiceCue(-3.0, 0.8, -5.0, -0.6, 0.4, 2.7, -7.0, 0.25, 0.0, -6.0),
    "angry": VoiceCue(2.5, 3.0, -3.0, -0.8, 0.0, 5.6, 7.0, 0.02, 0.3, 8.0),
    "fearful": VoiceCue(5.5, 2.5, 1.0, 0.3, 0.9, 6.4, 0.5, 0.25, 0.0, 0.0),
    "disgust": VoiceCue(-1.0, 5.0, -3.5, -1.0, 0.0, 3.1, -2.0, 0.15, 0.7, 1.0),
    "surprised": VoiceCue(5.0, 6.0, 5.0, 1.0, 0.0, 4.6, 2.0, 0.08, 0.0, 4.0),
}

# Per-clip noise (one standard deviation per field): about a third of the distance between
# the closest classes, so that a few clips land near a neighbour's prototype.
FACE_SPREAD = FaceCue(0.15, 0.06, 0.05, 0.08, 0.12, 0.15, 0.10)
VOICE_SPREAD = VoiceCue(0.8, 0.8, 1.0, 0.3, 0.12, 0.4, 1.5, 0.05, 0.12, 1.5)

# Caricature: every clip shows its emotion this many times as far from neutral as the
# prototype above. Features of a face are a few pixels tall in a 64-px crop (a mouth-corner
# lift of 0.17 face units is ~3 px), and a demo must be learnable from scratch by the tiny
# model on 6 training actors within minutes on a CPU; the caricature makes the cues a few
# pixels (and semitones, dB per octave) larger, and the same for every class. Measured on the
# demo run (benchmarks/demo_run.py, 14-16 epochs): at gains 1.0 / 1.6 / 2.0 held-out va ended
# near 28 % (before the BatchNorm momentum fix), 88 % and 94-98 %.
FACE_GAIN = 2.0
VOICE_GAIN = 2.0
# Per-clip noise as a multiple of FACE_SPREAD / VOICE_SPREAD: classes still overlap a little
# at the caricature's scale (the spreads were set for gain 1).
CLIP_NOISE = 0.5

Cue = TypeVar("Cue", FaceCue, VoiceCue)


def face_cue(emotion: str) -> FaceCue:
    """The prototype face of an emotion (one of `EMOTIONS`)."""
    return FACE_CUES[_checked(emotion)]


def voice_cue(emotion: str) -> VoiceCue:
    """The prototype voice of an emotion (one of `EMOTIONS`)."""
    return VOICE_CUES[_checked(emotion)]


def _checked(emotion: str) -> str:
    if emotion not in EMOTIONS:
        raise ValueError(f"unknown emotion {emotion!r}; expected one of {EMOTIONS}")
    return emotion


def as_array(cue: FaceCue | VoiceCue) -> np.ndarray:
    """The cue's fields as a float vector, in declaration order."""
    return np.array([getattr(cue, f.name) for f in dataclasses.fields(cue)], np.float64)


def toward(rest: Cue, cue: Cue, amount: float) -> Cue:
    """The point `amount` of the way from `rest` to `cue` (0 = rest, 1 = cue, > 1 = stronger).

    Args:
      rest: the starting expression (e.g. the neutral prototype).
      cue: the target expression, of the same type.
      amount: interpolation weight; an actor's expressiveness, or an onset ramp.

    Returns:
      A cue of the same type.
    """
    mixed = as_array(rest) + amount * (as_array(cue) - as_array(rest))
    return type(cue)(*mixed.tolist())


def jittered(cue: Cue, spread: Cue, rng: np.random.Generator, scale: float = 1.0) -> Cue:
    """`cue` plus independent Gaussian noise of standard deviation `scale * spread` per field.

    Args:
      cue: the expression to perturb.
      spread: per-field standard deviations, of the same type.
      rng: a random generator.
      scale: multiplier of `spread`.

    Returns:
      A cue of the same type.
    """
    noise = rng.normal(size=len(dataclasses.fields(cue))) * as_array(spread) * scale
    return type(cue)(*(as_array(cue) + noise).tolist())
