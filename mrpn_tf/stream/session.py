"""One stream run: frames in, an answer every hop out. Assembles the parts; holds no logic of its own.

For each frame the source yields (source.py):
  video -> `decode.FrameConverter` puts it on the model's fps grid, scaled as `prepare` scales
           it -> BlazeFace (`FaceDetector`, the detector `prepare` uses) -> the live face track
           (live_face_track.py) -> the rolling window (window_buffer.py);
  audio -> `decode.FrameConverter` resamples it to 16-kHz mono PCM16 (libswresample, as
           `prepare`) -> the rolling window;
  both  -> the annotated copy, when asked (annotator.py).
Each complete window is scored (scorer.py); its answer goes to the caller's `on_hop`, to the
annotated copy and to the report (report.py). At the stream's end - the file's end,
`max_seconds`, or a stop (Ctrl-C) - what the hops left unscored is scored too: a last window
moved back to end at the stream's end, or a short stream's only window, padded
(window_buffer.py). A model that takes one stream only skips the
other's work (an audio-only model runs no face detection).
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Callable, Optional

from mrpn_tf.data import features
from mrpn_tf.data.media import decode
from mrpn_tf.data.media import live_face_track
from mrpn_tf.data.media import model_store
from mrpn_tf.data.media.face_detector import FaceDetector
from mrpn_tf.inference import predictor as predictor_lib
from mrpn_tf.inference import windowing
from mrpn_tf.stream import annotator as annotator_lib
from mrpn_tf.stream import report as report_lib
from mrpn_tf.stream import scorer as scorer_lib
from mrpn_tf.stream import source as source_lib
from mrpn_tf.stream import stop_signal
from mrpn_tf.stream import window_buffer

# Seconds without the tracked face after which the live track starts again from the best face
# in view: long enough to ride out missed detections (a turned head, a blink of the detector),
# short enough to pick up a person who came back elsewhere within the next window.
REANCHOR_AFTER_S = 0.5


def stream_spec(predictor: predictor_lib.Predictor, hop_s: Optional[float]) -> windowing.WindowSpec:
    """The export's window, with another hop when given.

    Raises:
      ValueError: a hop that is not positive. A hop longer than the window is allowed: the
        stream between windows is then not scored (fewer answers, less work).
    """
    if hop_s is None:
        return predictor.spec
    if not hop_s > 0:
        raise ValueError(f"--hop {hop_s}; expected a positive number of seconds")
    return dataclasses.replace(predictor.spec, hop_seconds=hop_s)


class StreamSession:
    """Runs a source through a model (module docstring).

    Args:
      predictor: the loaded export.
      source: a FileSource or DeviceSource.
      spec: the window and hop (`stream_spec`).
      on_hop: called with each hop's HopResult, in order.
      annotate: path of the annotated copy to write, or None (one it cannot write raises
        annotator_lib.AnnotateError here, before any work).
      max_seconds: stop after this many seconds of stream (None: at its end).
      warm_up: score blank windows before the stream starts (`scorer.warm_up`); False when
        the caller did it already.
    """

    def __init__(
        self,
        predictor: predictor_lib.Predictor,
        source,
        spec: windowing.WindowSpec,
        on_hop: Callable[[scorer_lib.HopResult], None],
        annotate: Optional[str] = None,
        max_seconds: Optional[float] = None,
        warm_up: bool = True,
    ):
        config = predictor.config
        heads = predictor.metadata["heads"]
        self.source = source
        self.spec = spec
        self.on_hop = on_hop
        self.max_seconds = max_seconds
        self.warm_up = warm_up
        self.uses_video = source.video is not None and features.V in heads
        self.uses_audio = source.audio is not None and features.A in heads
        if not self.uses_video and not self.uses_audio:
            raise source_lib.SourceError(
                f"{source.name}: holds no stream this {predictor.metadata['network']} model takes"
            )
        self.converter = decode.FrameConverter(
            config.video.fps, config.audio.sample_rate, config.video.max_frame_side, source.video
        )
        self.detector = None
        if self.uses_video:
            self.detector = FaceDetector(
                model_store.resolve_face_model(config.video.face_model), config.video.min_face_score
            )
        self.track = live_face_track.LiveFaceTrack(
            config.video.box_smoothing, config.video.face_margin,
            reanchor_after=max(1, math.ceil(REANCHOR_AFTER_S * config.video.fps)),
        )
        self.buffer = window_buffer.WindowBuffer(spec, self.uses_video, self.uses_audio)
        self.scorer = scorer_lib.WindowScorer(predictor, source.name)
        self.annotator = None
        if annotate:
            if source.video is None:
                raise source_lib.SourceError(f"{source.name}: no video to annotate")
            self.annotator = annotator_lib.Annotator(
                annotate, predictor.labels, source.video, source.audio, spec.seconds
            )
        self.report = report_lib.StreamReport(spec.hop_seconds, realtime=source.live)
        self.interrupted = False

    def run(self) -> report_lib.StreamReport:
        """Reads the source to its end (or `max_seconds`, or a stop); returns the report.

        A stop - Ctrl-C (KeyboardInterrupt), or SIGTERM when run in the main thread
        (stop_signal.py) - ends the stream where it is: its tail is scored and the annotated
        copy finished, as at the end of a file (`interrupted` says it was stopped).

        Raises:
          source_lib.SourceError: the source failed while being read (the annotated copy is
            removed; the answers given so far stand).
          annotator_lib.AnnotateError: the annotated copy could not be written (a full disk;
            it is removed).
        """
        if self.warm_up:
            scorer_lib.warm_up(self.scorer.predictor, self.spec)
        began, began_cpu = time.monotonic(), time.process_time()
        reading = [True]  # a SIGTERM stops the reading; once finishing, it is ignored
        with stop_signal.sigterm_interrupts(lambda: reading[0]):
            try:
                try:
                    for item in self._until_max_seconds(self.source.frames()):
                        self._take(item)
                        self._answer_ready(item.arrival)
                except KeyboardInterrupt:  # a live stream ends when its user says so
                    self.interrupted = True
                reading[0] = False
                self._finish()
            except BaseException:
                if self.annotator is not None:
                    self.annotator.abort()
                raise
            finally:
                reading[0] = False
                self.report.wall_s = time.monotonic() - began
                self.report.cpu_s = time.process_time() - began_cpu
                self.report.idle_s = self.source.idle_s
                self.report.media_s = self.buffer.media_s
                self.close()
        return self.report

    def _until_max_seconds(self, frames):
        """The frames up to `max_seconds` of each stream; ends when every stream has reached it."""
        streams = {kind for kind, stream in ((source_lib.VIDEO, self.source.video),
                                             (source_lib.AUDIO, self.source.audio)) if stream is not None}
        ended = set()
        for item in frames:
            if self.max_seconds is None or item.time < self.max_seconds:
                yield item
                continue
            ended.add(item.kind)
            if ended == streams:
                return

    def _take(self, item: source_lib.MediaFrame) -> None:
        if self.annotator is not None:
            self.annotator.add(item)
        if item.kind == source_lib.VIDEO and self.uses_video:
            for rgb in self.converter.video(item.frame):
                faces = self.detector.detect(rgb)
                tracked = self.track.update(faces, (rgb.shape[1], rgb.shape[0]))
                self.buffer.add_frame(rgb, tracked)
        elif item.kind == source_lib.AUDIO and self.uses_audio:
            self.buffer.add_samples(self.converter.audio(item.frame))

    def _answer_ready(self, arrival: float) -> None:
        while self.buffer.ready():
            self._answer(self.buffer.pop(), arrival)
        if self.annotator is not None:
            self.annotator.release(self.buffer.next_end_s)

    def _answer(self, window: window_buffer.Window, arrival: float) -> None:
        result = self.scorer.score(window)
        result.latency_ms = 1000 * (time.monotonic() - arrival)
        self.report.add(result)
        self.on_hop(result)
        if self.annotator is not None:
            self.annotator.add_answer(result)

    def _finish(self) -> None:
        """The stream's end: the resampler's last samples, then the windows they complete and
        the window over the unscored tail (or a short stream's only window)."""
        if self.uses_audio:
            self.buffer.add_samples(self.converter.flush_audio())
        self._answer_ready(time.monotonic())
        window = self.buffer.last()
        if window is not None:
            self._answer(window, time.monotonic())
        if self.annotator is not None:
            self.annotator.close()

    def close(self) -> None:
        """Closes the source and the face detector."""
        self.source.close()
        if self.detector is not None:
            self.detector.close()
            self.detector = None
