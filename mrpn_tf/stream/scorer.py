"""A window -> its emotion, through the export's `Predictor`: the numbers predict gives.

The window's face crops (window_crops.py) and its waveform (PCM16 / 32768, as
`clip_record.parse` makes it) go to `Predictor.predict_clip` as a clip of one window, so the
SavedModel or TFLite backend, the signature, the preprocessing and the fallback are predict's
own: a window without a face (or a stream without audio) is scored by the N1 / N2 side head of
the stream it has, and the result says so; an N0 model cannot score it and the hop says why
instead of a label. A window is exactly `WindowSpec` long, so predict cuts it into one window
with nothing padded (a partial window at the end of a short stream is padded, as in predict).
"""

from __future__ import annotations

import dataclasses
import time
from typing import Optional

import numpy as np

from mrpn_tf.data import features
from mrpn_tf.data.media.live_face_track import TrackedFrame
from mrpn_tf.inference import clip_loader
from mrpn_tf.inference import predictor as predictor_lib
from mrpn_tf.inference import windowing
from mrpn_tf.stream import window_buffer
from mrpn_tf.stream import window_crops


@dataclasses.dataclass
class HopResult:
    """The answer of one hop: one window's scores, or why it could not be scored."""

    t: float  # the window's end (s of stream): when its answer is due
    start: float  # the window's start
    label: Optional[str]  # None when the window could not be scored
    probabilities: Optional[dict[str, float]]  # class -> probability, in the model's order
    face: bool  # the tracked face was detected in the window
    face_ratio: Optional[float]  # fraction of its frames with the face detected (None: no video)
    branch: str  # "central branch", or the side head that stood in
    fallback: bool  # a side head stood in for a missing stream
    note: str = ""  # why a side head scored the window
    error: str = ""  # why it could not be scored
    latency_ms: float = 0.0  # from the window's last frame or sample arriving to this answer
    score_ms: float = 0.0  # of which: crops and the model

    def as_json(self) -> dict:
        """A JSON-ready dict of the fields (times rounded to the microsecond / 0.01 ms)."""
        out = dataclasses.asdict(self)
        out["t"], out["start"] = round(self.t, 6), round(self.start, 6)
        out["latency_ms"], out["score_ms"] = round(self.latency_ms, 2), round(self.score_ms, 2)
        return out


class WindowScorer:
    """Scores windows with an export's predictor (module docstring).

    Args:
      predictor: the loaded export.
      name: the stream's name, in messages.
    """

    def __init__(self, predictor: predictor_lib.Predictor, name: str):
        self.predictor = predictor
        self.name = name
        heads = predictor.metadata["heads"]
        self.uses_video = features.V in heads
        self.uses_audio = features.A in heads

    def clip(self, window: window_buffer.Window) -> clip_loader.LoadedClip:
        """The window as the clip predict would load: face crops and waveform."""
        crops = None
        if window.frames is not None:
            crops = window_crops.window_crops(window.frames, window.tracked, self.predictor.config.video)
        waveform = None if window.pcm16 is None else window.pcm16.astype(np.float32) / 32768.0
        no_face = window.frames is not None and crops is None
        return clip_loader.LoadedClip(self.name, crops, waveform, no_face=no_face)

    def refusal(self, clip: clip_loader.LoadedClip) -> str:
        """Why predict_clip cannot take this clip at all (it needs one stream of the model's)."""
        has_video = clip.frames is not None and self.uses_video
        has_audio = clip.waveform is not None and self.uses_audio
        if has_video or has_audio:
            return ""
        missing = clip_loader.NO_FACE_REASON if clip.no_face else "an empty window"
        network = self.predictor.metadata["network"]
        return f"{missing}, and the window holds no other stream this {network} model takes"

    def score(self, window: window_buffer.Window) -> HopResult:
        """The window's HopResult (latency_ms is the caller's to fill)."""
        began = time.perf_counter()
        clip = self.clip(window)
        tracked = window.tracked or []
        face = window_crops.face_seen(tracked)
        face_ratio = float(np.mean([t.detected for t in tracked])) if tracked else None
        common = dict(t=window.end_s, start=window.start_s, face=face, face_ratio=face_ratio)
        error = self.refusal(clip)
        if not error:
            try:
                result = self.predictor.predict_clip(clip)
            except predictor_lib.PredictError as e:
                error = e.reason
        score_ms = 1000 * (time.perf_counter() - began)
        if error:
            return HopResult(
                label=None, probabilities=None, branch="", fallback=False, error=error,
                score_ms=score_ms, **common,
            )
        return HopResult(
            label=result.label, probabilities=result.probabilities, branch=result.branch,
            fallback=result.branch != predictor_lib.CENTRAL, note=result.note, score_ms=score_ms,
            **common,
        )


def warm_up(predictor: predictor_lib.Predictor, spec: windowing.WindowSpec) -> None:
    """Scores blank windows once per signature a stream may need, so that tracing and
    first-call allocations happen before the stream starts, not in its first hops."""
    scorer = WindowScorer(predictor, "warm-up")
    video = predictor.config.video
    seen = TrackedFrame(np.array([0.0, 0.0, 8.0, 8.0]), True)
    window_crops.window_crops(np.zeros([2, 8, 8, 3], np.uint8), [seen, seen], video)  # traces the decoder
    frames = np.zeros([spec.frames, video.crop_size, video.crop_size, 3], np.uint8)
    waveform = np.zeros([spec.samples], np.float32)
    for clip in (
        clip_loader.LoadedClip("warm-up", frames, waveform),
        clip_loader.LoadedClip("warm-up", None, waveform, no_face=True),
        clip_loader.LoadedClip("warm-up", frames, None),
    ):
        if scorer.refusal(clip):
            continue
        try:
            predictor.predict_clip(clip)
        except predictor_lib.PredictError:  # N0: no side heads to warm
            pass
