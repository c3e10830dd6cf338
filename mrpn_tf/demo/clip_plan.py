"""Which clips the demo set holds: actor, label, statement, duration, and each modality's cue.

Every clip has a label (its emotion, in the file name) and, separately, the emotion its face
shows and the emotion its voice carries. Normally all three agree. For experiments on fuzzy
modalities (paper section 2: one modality's information is wrong for some samples), one
modality's cue can be replaced, with probability `fuzzy_prob` and for chosen actors, by the cue
of another class while the label stays.
"""

from __future__ import annotations

import dataclasses
from typing import Optional, Sequence

import numpy as np

from mrpn_tf.demo import emotion_cues

VIDEO = "video"
AUDIO = "audio"
FUZZY_MODALITIES = (VIDEO, AUDIO)

# Independent random streams under the user's seed (numpy.random.SeedSequence words): the
# clip's content, its duration and the fuzzy draws never consume each other's numbers, so
# turning fuzziness on changes the swapped cues and nothing else.
CLIP_STREAM = 2
DURATION_STREAM = 3
FUZZY_STREAM = 4


@dataclasses.dataclass(frozen=True)
class ClipPlan:
    """One clip to generate.

    Attributes:
      actor: RAVDESS actor number (odd male, even female).
      emotion: the label, one of `emotion_cues.EMOTIONS`.
      statement: RAVDESS statement code, "01" or "02".
      repetition: RAVDESS repetition code, "01", "02", ...
      face_emotion: the emotion the face shows (= `emotion` unless made fuzzy).
      voice_emotion: the emotion the voice carries (= `emotion` unless made fuzzy).
      duration_s: clip length in seconds.
      seed: the data set's seed.
    """

    actor: int
    emotion: str
    statement: str
    repetition: str
    face_emotion: str
    voice_emotion: str
    duration_s: float
    seed: int

    @property
    def file_name(self) -> str:
        """RAVDESS name: modality 01 (audio-video), speech, emotion, intensity 01 (normal)."""
        code = emotion_cues.EMOTIONS.index(self.emotion) + 1
        return f"01-01-{code:02d}-01-{self.statement}-{self.repetition}-{self.actor:02d}.mp4"

    @property
    def relative_path(self) -> str:
        """`Actor_NN/<file_name>`, as RAVDESS is distributed."""
        return f"Actor_{self.actor:02d}/{self.file_name}"

    def seed_words(self, stream: int) -> list[int]:
        """SeedSequence entropy for one random stream of this clip."""
        code = emotion_cues.EMOTIONS.index(self.emotion)
        return [self.seed, stream, self.actor, code, int(self.statement), int(self.repetition)]


def plan_clips(
    actors: int,
    emotions: Sequence[str],
    clips_per_emotion: int,
    seed: int,
    duration_s: tuple[float, float],
    fuzzy_actors: Optional[Sequence[int]] = None,
    fuzzy_modality: str = VIDEO,
    fuzzy_prob: float = 0.0,
) -> list[ClipPlan]:
    """All clips of a demo set, actor by actor.

    Args:
      actors: number of actors (numbered 1..actors).
      emotions: the emotions to include (labels), from `emotion_cues.EMOTIONS`.
      clips_per_emotion: clips per actor and emotion: statements 01, 02, then repetition 02...
      seed: the data set's seed.
      duration_s: (shortest, longest) clip length; each clip draws uniformly between.
      fuzzy_actors: actors whose clips may get a wrong cue; None = every actor.
      fuzzy_modality: "video" (the face lies) or "audio" (the voice lies).
      fuzzy_prob: probability that a clip's cue in that modality comes from another class.

    Returns:
      The clip plans.
    """
    plans = []
    for actor in range(1, actors + 1):
        for emotion in emotions:
            for k in range(clips_per_emotion):
                plan = ClipPlan(actor, emotion, f"{k % 2 + 1:02d}", f"{k // 2 + 1:02d}",
                                emotion, emotion, 0.0, seed)
                rng = np.random.default_rng(plan.seed_words(DURATION_STREAM))
                plan = dataclasses.replace(plan, duration_s=float(rng.uniform(*duration_s)))
                plans.append(_maybe_fuzzy(plan, emotions, fuzzy_actors, fuzzy_modality, fuzzy_prob))
    return plans


def _maybe_fuzzy(
    plan: ClipPlan,
    emotions: Sequence[str],
    fuzzy_actors: Optional[Sequence[int]],
    modality: str,
    prob: float,
) -> ClipPlan:
    """The plan with one modality's cue swapped for another class's, with probability `prob`."""
    if prob <= 0 or (fuzzy_actors is not None and plan.actor not in fuzzy_actors):
        return plan
    rng = np.random.default_rng(plan.seed_words(FUZZY_STREAM))
    others = [e for e in emotions if e != plan.emotion]
    if rng.random() >= prob or not others:
        return plan
    wrong = others[rng.integers(len(others))]
    if modality == VIDEO:
        return dataclasses.replace(plan, face_emotion=wrong)
    return dataclasses.replace(plan, voice_emotion=wrong)
