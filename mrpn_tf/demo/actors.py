"""Demo actors: each has a face, a voice, a resting expression and an expressiveness.

RAVDESS convention: odd actor numbers are male, even are female. An actor is a pure function
of (seed, actor number), so adding actors or regenerating one clip never changes the others.

Skin tone and hair colour are cast, not drawn: actors walk through the palettes in an order
that the seed rotates, so that a small set covers the palette evenly and the two actors of a
validation pair (1-2, 3-4, ...) never share the extreme end of it. With independent draws, 8
actors often put the only two light-skinned faces in one fold, and a model trained on the
other six has then never seen that contrast.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from mrpn_tf.demo import cartoon_face, emotion_cues, voice

MALE = "M"
FEMALE = "F"

# Skin tones from light to dark (RGB); the detector must work across all of them.
SKIN_TONES = (
    (243, 204, 178), (232, 185, 152), (214, 160, 124), (190, 132, 96),
    (160, 106, 74), (124, 82, 58), (96, 64, 46),
)
# Casting order of the tones: neighbours in this cycle are at least two shades apart.
_SKIN_CYCLE = (0, 4, 2, 6, 1, 5, 3)
HAIR_COLOURS = (
    (25, 20, 18), (60, 40, 28), (105, 70, 45), (170, 130, 80), (130, 60, 35), (140, 135, 130),
)
IRIS_COLOURS = ((70, 45, 30), (40, 30, 25), (70, 100, 140), (80, 110, 80))

# Random streams derived from the user's seed, so that the same seed gives the same actors
# whatever clips are asked for (see numpy.random.SeedSequence).
ACTOR_STREAM = 1
CASTING_STREAM = 5
# How much an actor's resting face departs from the neutral prototype, in units of the
# per-clip spread: enough to tell actors apart, not so much that a resting face reads as calm.
_REST_FACE_SPREAD = 0.5


@dataclasses.dataclass(frozen=True)
class Actor:
    """One demo actor.

    Attributes:
      number: RAVDESS actor number (1-based).
      gender: "M" (odd numbers) or "F" (even numbers).
      look: the face's appearance.
      timbre: the voice.
      rest_face: the face when showing no emotion (a personal neutral).
      face_expressiveness, voice_expressiveness: how far this actor goes from neutral toward
        an emotion's prototype (1 = exactly the prototype).
    """

    number: int
    gender: str
    look: cartoon_face.FaceLook
    timbre: voice.VoiceTimbre
    rest_face: emotion_cues.FaceCue
    face_expressiveness: float
    voice_expressiveness: float


def make_actor(number: int, seed: int) -> Actor:
    """The actor `number` of the demo set generated with `seed`.

    Args:
      number: RAVDESS actor number, 1-based (odd male, even female).
      seed: the data set's seed.

    Returns:
      The Actor.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, ACTOR_STREAM, number]))
    gender = MALE if number % 2 else FEMALE
    return Actor(
        number=number,
        gender=gender,
        look=_look(gender, *casting(number, seed), rng),
        timbre=_timbre(gender, rng),
        rest_face=emotion_cues.jittered(
            emotion_cues.face_cue("neutral"), emotion_cues.FACE_SPREAD, rng, scale=_REST_FACE_SPREAD
        ),
        face_expressiveness=float(rng.uniform(0.8, 1.15)),
        voice_expressiveness=float(rng.uniform(0.8, 1.15)),
    )


def casting(number: int, seed: int) -> tuple[tuple, tuple]:
    """The (skin tone, hair colour) of actor `number`: palettes walked in a seeded rotation.

    Args:
      number: RAVDESS actor number, 1-based.
      seed: the data set's seed.

    Returns:
      Entries of SKIN_TONES and HAIR_COLOURS.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, CASTING_STREAM]))
    skin_offset, hair_offset = rng.integers(len(_SKIN_CYCLE)), rng.integers(len(HAIR_COLOURS))
    skin = SKIN_TONES[_SKIN_CYCLE[(number - 1 + skin_offset) % len(_SKIN_CYCLE)]]
    return skin, HAIR_COLOURS[(number - 1 + hair_offset) % len(HAIR_COLOURS)]


def _pick(options: tuple, rng: np.random.Generator) -> tuple:
    return options[rng.integers(len(options))]


def _look(
    gender: str, skin_tone: tuple, hair: tuple, rng: np.random.Generator
) -> cartoon_face.FaceLook:
    skin = np.array(skin_tone, float) * rng.uniform(0.95, 1.05, 3)
    lips = skin * np.array([0.85, 0.55, 0.55]) + np.array([30.0, 0.0, 5.0])
    return cartoon_face.FaceLook(
        skin=tuple(np.clip(skin, 0, 255).tolist()),
        hair=hair,
        iris=_pick(IRIS_COLOURS, rng),
        lips=tuple(np.clip(lips, 0, 255).tolist()),
        shirt=tuple(rng.uniform(20, 200, 3).tolist()),
        background=tuple((rng.uniform(70, 200) + rng.uniform(-25, 25, 3)).tolist()),
        head_size=float(rng.uniform(0.2, 0.26)),
        aspect=float(rng.uniform(0.74, 0.84) if gender == MALE else rng.uniform(0.7, 0.8)),
        center=(float(rng.uniform(0.38, 0.62)), float(rng.uniform(0.44, 0.52))),
        eye_dx=float(rng.uniform(0.33, 0.37)),
        eye_y=float(rng.uniform(-0.11, -0.07)),
        eye_size=float(rng.uniform(0.9, 1.1)),
        mouth_y=float(rng.uniform(0.48, 0.53)),
        mouth_width=float(rng.uniform(0.85, 1.1)),
        long_hair=bool(rng.random() < (0.15 if gender == MALE else 0.75)),
        blink_rate=float(rng.uniform(0.15, 0.5)),
        texture_seed=int(rng.integers(2**31)),
    )


def _timbre(gender: str, rng: np.random.Generator) -> voice.VoiceTimbre:
    male = gender == MALE
    return voice.VoiceTimbre(
        base_f0=float(rng.uniform(100, 128) if male else rng.uniform(185, 225)),
        tract=float(rng.uniform(0.95, 1.05) * (1.0 if male else 1.15)),
        tilt_db=float(rng.uniform(-1.5, 1.5)),
        breathiness=float(rng.uniform(0.0, 0.06) if male else rng.uniform(0.03, 0.1)),
        rate=float(rng.uniform(0.9, 1.1)),
    )
