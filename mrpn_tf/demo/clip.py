"""One demo clip's content: the actor's face and voice showing the planned emotions.

The face and the voice draw from separate random streams, so a clip whose voice cue is
swapped (a fuzzy-audio experiment) keeps the same face, apart from the lips that follow the
new voice's syllables, and vice versa.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from mrpn_tf.demo import actors, clip_plan, emotion_cues, face_video, voice

_FACE = 0
_VOICE = 1


@dataclasses.dataclass(frozen=True)
class MediaFormat:
    """Frame size and rate, and audio rate, of the generated files."""

    fps: float = 15.0
    width: int = 320
    height: int = 240
    sample_rate: int = 48000


@dataclasses.dataclass
class ClipContent:
    """A rendered clip, before encoding.

    Attributes:
      frames: uint8 [T, height, width, 3] RGB.
      audio: float32 [N] mono in [-1, 1].
      face: the face's expression at its apex.
      voice: the voice's cue.
    """

    frames: np.ndarray
    audio: np.ndarray
    face: emotion_cues.FaceCue
    voice: emotion_cues.VoiceCue


def _rng(plan: clip_plan.ClipPlan, part: int) -> np.random.Generator:
    words = plan.seed_words(clip_plan.CLIP_STREAM) + [part]
    return np.random.default_rng(np.random.SeedSequence(words))


def face_cue(
    plan: clip_plan.ClipPlan, actor: actors.Actor, rng: np.random.Generator
) -> emotion_cues.FaceCue:
    """The face at the expression's apex: the actor's take on the emotion, plus clip noise.

    Args:
      plan: the clip (its `face_emotion` is shown).
      actor: who shows it.
      rng: the clip's face random generator.

    Returns:
      The FaceCue.
    """
    target = emotion_cues.face_cue(plan.face_emotion)
    amount = actor.face_expressiveness * emotion_cues.FACE_GAIN
    personal = emotion_cues.toward(actor.rest_face, target, amount)
    return emotion_cues.jittered(personal, emotion_cues.FACE_SPREAD, rng, emotion_cues.CLIP_NOISE)


def voice_cue(
    plan: clip_plan.ClipPlan, actor: actors.Actor, rng: np.random.Generator
) -> emotion_cues.VoiceCue:
    """The voice: the actor's take on the emotion, plus clip noise.

    Args:
      plan: the clip (its `voice_emotion` is heard).
      actor: who speaks.
      rng: the clip's voice random generator.

    Returns:
      The VoiceCue.
    """
    neutral = emotion_cues.voice_cue("neutral")
    target = emotion_cues.voice_cue(plan.voice_emotion)
    amount = actor.voice_expressiveness * emotion_cues.VOICE_GAIN
    personal = emotion_cues.toward(neutral, target, amount)
    return emotion_cues.jittered(personal, emotion_cues.VOICE_SPREAD, rng, emotion_cues.CLIP_NOISE)


def clip_cues(plan: clip_plan.ClipPlan) -> tuple[emotion_cues.FaceCue, emotion_cues.VoiceCue]:
    """The face and voice cues of a clip, exactly as `render_clip` uses them."""
    actor = actors.make_actor(plan.actor, plan.seed)
    return face_cue(plan, actor, _rng(plan, _FACE)), voice_cue(plan, actor, _rng(plan, _VOICE))


def render_clip(plan: clip_plan.ClipPlan, media: MediaFormat) -> ClipContent:
    """Synthesizes the voice, then draws the face with lips moving to it.

    Args:
      plan: the clip.
      media: frame size and rate, audio rate.

    Returns:
      The ClipContent (deterministic given the plan and the format).
    """
    actor = actors.make_actor(plan.actor, plan.seed)
    face_rng, voice_rng = _rng(plan, _FACE), _rng(plan, _VOICE)
    face, speech_cue = face_cue(plan, actor, face_rng), voice_cue(plan, actor, voice_rng)
    speech = voice.synthesize_voice(
        actor.timbre, speech_cue, plan.statement, plan.duration_s, media.sample_rate, voice_rng
    )
    n_frames = int(round(plan.duration_s * media.fps))
    talk = speech.envelope_at(np.arange(n_frames) / media.fps)
    motion = face_video.sample_motion(actor.look, plan.duration_s, face_rng)
    frames = face_video.render_frames(
        actor.look, actor.rest_face, face, motion, talk, media.fps,
        (media.width, media.height), face_rng,
    )
    return ClipContent(frames, speech.samples, face, speech_cue)
