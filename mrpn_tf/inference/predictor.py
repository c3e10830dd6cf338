"""Predict a clip's emotion with an export: SavedModel and TFLite behind one interface.

    predictor = Predictor.load("savedmodels/mrpn/3")                  # or ".../mrpn_int8_full.tflite"
    result = predictor.predict_file("clip.mp4")                      # ClipPrediction

A clip is a video file, or an audio file (.wav, .mp3, .flac, any rate) for a model that hears:
an audio-only model (AM) reads only the audio track of whatever it is given.

A clip is decoded and its face cropped by `prepare`'s code (clip_loader.py), cut into the
export's windows (windowing.py), scored window by window, and the clip's probabilities are
the mean of its windows'. A file is read in two passes (`clip_loader.open_clip`): the first
finds the face track and the streams' lengths, the second decodes the crops and samples again
as the windows need them, `WINDOW_BATCH` windows per model call, so an hour of video takes no
more memory than a minute (benchmarks/predict_memory.py). Where one stream ends well before
the other (`windowing.plan_windows`), the windows past its end are scored by the longer
stream's side head (N1 / N2; an N0 refuses the clip), and the note says so. Both backends
take the same raw windows:
  - SavedModel: the `serving_default` / `video_only` / `audio_only` signatures, whose graphs
    hold the preprocessing - the very requests TF Serving answers.
  - TFLite: `serving_preprocessing.raw_to_features` (the same function those graphs run)
    turns the windows into features, then the file's `features` / `video_only` / `audio_only`
    signature scores them one window at a time (its batch is 1). A raw-input file
    (`<name>_raw_<variant>.tflite`, raw_window_model.py) holds that preprocessing itself: its
    `serving_default` / `video_only` / `audio_only` signatures take the raw windows as they are.

A clip without an audio track is scored by the video side head (N1 / N2), one without video
- or in which no face is ever found: the model sees faces, so that is a missing video too -
by the audio side head, and the result's `note` says which and why; an N0 model has no side
heads and refuses such a clip.

A still image (.jpg, .png, ...: `still_image.EXTENSIONS`) is a one-frame clip without audio
(`clip_loader.load_image`): a VM scores it with its only head, an N1 / N2 with its video side
head; an N0 or an AM refuses it. `predict_stills` scores many stills with one model call per
`STILL_BATCH` of them, the detector loaded once.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Optional, Protocol

import numpy as np
import tensorflow as tf
from ai_edge_litert import interpreter as interpreter_lib

from mrpn_tf import files
from mrpn_tf.config import config as config_lib
from mrpn_tf.data import datasets
from mrpn_tf.data import clip_preparation
from mrpn_tf.data import features
from mrpn_tf.data.media import still_image
from mrpn_tf.inference import clip_loader
from mrpn_tf.inference import metadata as metadata_lib
from mrpn_tf.inference import serving_preprocessing
from mrpn_tf.inference import signature_keys
from mrpn_tf.inference import windowing

# The side head that scores a clip missing a stream, by the stream it misses.
HEAD_WHEN_MISSING = {datasets.AUDIO: features.V, datasets.VIDEO: features.A}
CENTRAL = "central branch"
_SIDE_HEAD_OF = {signature: head for head, signature in signature_keys.SIDE_HEAD_SIGNATURES.items()}
# Stills scored per model call by `predict_stills` (one window each).
STILL_BATCH = 64
# Windows of a clip scored per model call: bounds the memory of a long clip's scoring.
WINDOW_BATCH = 4


class PredictError(files.FileError):
    """A clip the model cannot score; the message names the file."""


class Backend(Protocol):
    """An exported model that scores batches of raw windows."""

    metadata: dict

    def signatures(self) -> set[str]:
        """SavedModel signature names it can run (serving_default, video_only, audio_only)."""

    def window_probabilities(self, signature: str, windows: dict[str, np.ndarray]) -> np.ndarray:
        """Probabilities [K, C] of K raw windows (`windowing.raw_windows` batch)."""


class SavedModelBackend:
    """A SavedModel folder, called through its signatures as TF Serving would."""

    def __init__(self, path: str):
        self.metadata = metadata_lib.read(
            os.path.join(path, "assets", metadata_lib.METADATA_NAME)
        )
        self.loaded = tf.saved_model.load(path)

    def signatures(self) -> set[str]:
        return set(self.loaded.signatures.keys())

    def window_probabilities(self, signature: str, windows: dict[str, np.ndarray]) -> np.ndarray:
        outputs = self.loaded.signatures[signature](**{k: tf.constant(v) for k, v in windows.items()})
        return outputs[signature_keys.PROBABILITIES].numpy()


class TFLiteBackend:
    """A .tflite window file (metadata.json beside it), on the builtin-op interpreter.

    A feature file is fed `raw_to_features` of the windows; a raw-input file (it has a
    `serving_default` signature) the raw windows themselves.

    Args:
      path: the .tflite file.
      num_threads: interpreter threads (None: the interpreter's default).
    """

    def __init__(self, path: str, num_threads: Optional[int] = None):
        self.metadata = metadata_lib.read(
            os.path.join(os.path.dirname(path) or ".", metadata_lib.METADATA_NAME)
        )
        self.config = metadata_lib.config_of(self.metadata)
        self.interpreter = interpreter_lib.Interpreter(model_path=path, num_threads=num_threads)
        self.runners = {
            name: self.interpreter.get_signature_runner(name)
            for name in self.interpreter.get_signature_list()
        }
        self._features = {}
        self.raw = signature_keys.SERVING_DEFAULT in self.runners

    def signatures(self) -> set[str]:
        if self.raw:
            return set(self.runners)
        # The file's `features` signature is the central branch that serving_default serves.
        return {
            signature_keys.SERVING_DEFAULT if name == signature_keys.FEATURES else name
            for name in self.runners
        }

    def _to_features(self, signature: str):
        """The traced `raw_to_features` of one signature's heads (one trace: static windows)."""
        if signature not in self._features:
            heads = streams_of_signature(self.metadata, signature)
            self._features[signature] = tf.function(
                lambda raw: serving_preprocessing.raw_to_features(raw, heads, self.config),
                reduce_retracing=True,  # clips differ in their number of windows only
            )
        return self._features[signature]

    def window_probabilities(self, signature: str, windows: dict[str, np.ndarray]) -> np.ndarray:
        if self.raw:
            inputs, runner = windows, self.runners[signature]
        else:
            inputs = {k: v.numpy() for k, v in self._to_features(signature)(windows).items()}
            name = signature_keys.FEATURES if signature == signature_keys.SERVING_DEFAULT else signature
            runner = self.runners[name]
        count = len(next(iter(inputs.values())))
        return np.concatenate([
            runner(**{k: v[i : i + 1] for k, v in inputs.items()})[signature_keys.PROBABILITIES]
            for i in range(count)
        ])


def streams_of_signature(metadata: dict, signature: str) -> list[str]:
    """The branch heads whose streams a SavedModel signature takes."""
    if signature == signature_keys.SERVING_DEFAULT:
        return list(metadata["heads"])
    return [_SIDE_HEAD_OF[signature]]


def load_backend(path: str, num_threads: Optional[int] = None) -> Backend:
    """A SavedModel folder or a .tflite file.

    Raises:
      FileNotFoundError: `path` is neither (the message says what was expected), or its
        metadata.json is missing.
      ModelLoadError: it is there but cut short or corrupt (the message names it).
    """
    if os.path.isfile(path) and path.endswith(".tflite"):
        return _loaded(path, lambda: TFLiteBackend(path, num_threads))
    if os.path.isfile(os.path.join(path, "saved_model.pb")):
        return _loaded(path, lambda: SavedModelBackend(path))
    raise FileNotFoundError(
        f"{path}: not a SavedModel folder (with saved_model.pb) nor a .tflite file"
    )


class ModelLoadError(ValueError):
    """An export that is there but cannot be loaded (cut short, corrupt); names the path."""


def _loaded(path: str, load):
    """`load()`, its failure on a damaged file a `ModelLoadError` naming `path` (no traceback)."""
    try:
        return load()
    except FileNotFoundError:  # a missing metadata.json says so itself
        raise
    except Exception as e:  # protobuf, TensorFlow and LiteRT each raise their own kind
        reason = str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__
        raise ModelLoadError(f"{path}: the model cannot be loaded, it is truncated or corrupt "
                             f"({type(e).__name__}: {reason})") from e


@dataclasses.dataclass
class WindowPrediction:
    """One window's scores."""

    start_s: float
    end_s: float
    label: str
    probabilities: dict[str, float]
    branch: str = CENTRAL  # the head that scored this window (a side head where a stream ended)


@dataclasses.dataclass
class ClipPrediction:
    """One clip's scores: the mean of its windows' (windowing.py), and the windows."""

    path: str
    label: str
    probabilities: dict[str, float]
    windows: list[WindowPrediction]
    branch: str  # "central branch", or the side head that stood in ("v" / "a" side head)
    note: str = ""  # why a side head scored the clip

    def as_json(self) -> dict:
        """A JSON-ready dict: path, label, probabilities (class -> p), windows, branch, note."""
        return dataclasses.asdict(self)


def _by_class(labels: list[str], probabilities: np.ndarray) -> dict[str, float]:
    return {label: float(p) for label, p in zip(labels, probabilities)}


class Predictor:
    """Scores video files with one export (module docstring).

    Args:
      backend: a loaded export.
      face_model: BlazeFace model file for the face crops ("" = the run's setting, then
        MRPN_FACE_MODEL / the cache, as `prepare` resolves it).
    """

    def __init__(self, backend: Backend, face_model: str = ""):
        self.backend = backend
        self.metadata = backend.metadata
        self.labels = list(self.metadata["labels"])
        self.config: config_lib.Config = metadata_lib.config_of(self.metadata)
        if face_model:
            self.config.video.face_model = face_model
        elif self.config.video.face_model and not os.path.isfile(self.config.video.face_model):
            # The training machine's file (a relative path, another disk): found as `prepare`
            # finds it instead, from MRPN_FACE_MODEL, the cache or the download.
            self.config.video.face_model = ""
        self.spec = windowing.window_spec(self.config)

    @classmethod
    def load(cls, path: str, face_model: str = "", num_threads: Optional[int] = None) -> "Predictor":
        """A predictor for a SavedModel folder or a .tflite file."""
        return cls(load_backend(path, num_threads), face_model)

    def _modality(self) -> str:
        heads = self.metadata["heads"]
        if features.V in heads and features.A in heads:
            return datasets.AV
        return datasets.VIDEO if features.V in heads else datasets.AUDIO

    def _signature(self, clip: clip_loader.LoadedClip) -> tuple[str, str, str]:
        """(signature, branch, note) for the streams the clip has (and the clip's own note)."""
        if clip.missing is None or self._modality() != datasets.AV:
            return signature_keys.SERVING_DEFAULT, CENTRAL, clip.note
        head = HEAD_WHEN_MISSING[clip.missing]
        signature = signature_keys.SIDE_HEAD_SIGNATURES[head]
        if signature not in self.backend.signatures():
            raise PredictError(
                clip.path,
                f"{clip.missing_reason}, and this {self.metadata['network']} model has no "
                f"side head to score the other stream alone (only N1 / N2 have them); refused",
            )
        note = f"{clip.missing_reason}: scored by the {head} side head ({self.metadata['network']})"
        return signature, f"{head} side head", "; ".join(filter(None, (note, clip.note)))

    def _windows(self, clip: clip_loader.LoadedClip, signature: str):
        """The raw windows of a still's streams the signature takes, and their times."""
        heads = streams_of_signature(self.metadata, signature)
        frames = clip.frames if features.V in heads else None
        waveform = clip.waveform if features.A in heads else None
        return windowing.raw_windows(frames, waveform, self.spec)

    def predict_clip(self, clip) -> ClipPrediction:
        """Scores a clip's streams (`clip_loader.load_clip`, `open_clip` or `load_image`)."""
        signature, branch, note = self._signature(clip)
        return self._prediction(clip, branch, note, *self._scored(clip, signature))

    def predict_heads(self, clip) -> dict[str, ClipPrediction]:
        """Every head's answer on one clip: what `predict_clip` answers, keyed by its head
        (`va` for the central branch of a clip with both streams), and each side head the
        export has (`v`, `a` of an N1 / N2) on its own stream alone."""
        signature, branch, note = self._signature(clip)
        answer = self._prediction(clip, branch, note, *self._scored(clip, signature))
        if signature != signature_keys.SERVING_DEFAULT:  # a side head stood in
            return {_SIDE_HEAD_OF[signature]: answer}
        if self._modality() != datasets.AV:
            return {self.metadata["heads"][0]: answer}
        answers = {features.VA: answer}
        for head, side_signature in signature_keys.SIDE_HEAD_SIGNATURES.items():
            if side_signature in self.backend.signatures():
                answers[head] = self._prediction(clip, f"{head} side head", clip.note,
                                                 *self._scored(clip, side_signature))
        return answers

    def _plan(self, clip, signature: str) -> list[windowing.Window]:
        """The windows of the clip's streams that `signature` takes."""
        heads = streams_of_signature(self.metadata, signature)
        video_s = clip.num_frames / self.spec.fps if features.V in heads and clip.has_video else None
        audio_s = clip.num_samples / self.spec.sample_rate if features.A in heads and clip.has_audio else None
        return windowing.plan_windows(video_s, audio_s, self.spec)

    def _window_signature(self, window: windowing.Window, signature: str) -> str:
        """The signature of one window: the clip's, or the side head of the one stream it takes."""
        if len(window.streams) == len(streams_of_signature(self.metadata, signature)):
            return signature
        return signature_keys.SIDE_HEAD_SIGNATURES[window.streams[0]]

    def _tail_note(self, clip, plan: list[windowing.Window], signature: str) -> str:
        """What a clip whose streams end apart says: which windows a side head scored.

        Raises:
          PredictError: an N0 has no side head to score them.
        """
        tail = [w for w in plan if self._window_signature(w, signature) != signature]
        if not tail:
            return ""
        longer = tail[0].streams[0]
        shorter = features.A if longer == features.V else features.V
        ends = {features.V: clip.num_frames / self.spec.fps,
                features.A: clip.num_samples / self.spec.sample_rate}
        names = {features.V: "video", features.A: "audio"}
        said = (f"the {names[shorter]} ends at {ends[shorter]:.2f} s and the {names[longer]} at "
                f"{ends[longer]:.2f} s")
        side = signature_keys.SIDE_HEAD_SIGNATURES[longer]
        if side not in self.backend.signatures():
            raise PredictError(clip.path, f"{said}; this {self.metadata['network']} model has no side "
                                          f"head to score the {names[longer]} alone (only N1 / N2 "
                                          f"have them); refused")
        return (f"{said}: {len(tail)} window(s) from {tail[0].start_s:.2f} s scored by the "
                f"{longer} side head ({self.metadata['network']})")

    def _scored(self, clip, signature: str):
        """(windows, window probabilities [K, C], window branches, note) of the streams that
        `signature` takes, decoded and scored `WINDOW_BATCH` windows at a time."""
        plan = self._plan(clip, signature)
        note = self._tail_note(clip, plan, signature)
        uses = {head for window in plan for head in window.streams}
        frames = waveform = None
        if features.V in uses:
            frames = windowing.StreamCursor(clip.frame_pieces(), self.spec.fps, self.spec.frames)
        if features.A in uses:
            waveform = windowing.StreamCursor(clip.waveform_pieces(), self.spec.sample_rate,
                                              self.spec.samples)
        signatures = [self._window_signature(w, signature) for w in plan]
        probabilities = []
        start = 0
        while start < len(plan):
            end = start + 1
            while end < len(plan) and end - start < WINDOW_BATCH and signatures[end] == signatures[start]:
                end += 1
            batch = windowing.cut_windows(plan[start:end], frames, waveform)
            probabilities.append(self.backend.window_probabilities(signatures[start], batch))
            start = end
        branches = [CENTRAL if s == signature_keys.SERVING_DEFAULT else f"{_SIDE_HEAD_OF[s]} side head"
                    for s in signatures]
        return plan, np.concatenate(probabilities), branches, note

    def _prediction(self, clip, branch, note, plan, window_p, branches, tail_note="") -> ClipPrediction:
        clip_p = windowing.clip_probabilities(window_p)
        windows = [
            WindowPrediction(w.start_s, w.end_s, self.labels[int(np.argmax(p))],
                             _by_class(self.labels, p), window_branch)
            for w, p, window_branch in zip(plan, window_p, branches)
        ]
        return ClipPrediction(
            clip.path, self.labels[int(np.argmax(clip_p))], _by_class(self.labels, clip_p),
            windows, branch, "; ".join(filter(None, (note, tail_note))),
        )

    def predict_file(self, path: str) -> ClipPrediction:
        """Decodes, crops and scores one file (a clip, or a still image).

        Raises:
          clip_preparation.ClipError: unreadable file, or no stream usable (names the file).
          PredictError: the clip lacks a stream the model cannot do without.
        """
        return self.predict_clip(self.load_file(path, streamed=True))

    def load_file(self, path: str, streamed: bool = False):
        """A file's streams as this model reads them: a still image's face as a one-frame
        clip (`load_still`), else the clip decoded and cropped as `prepare` does - whole in
        memory (`clip_loader.load_clip`), or with `streamed` scanned now and decoded again
        window by window when scored (`clip_loader.open_clip`, what `predict_file` does:
        memory bounded by the window, not by the clip's length).

        Raises:
          clip_preparation.ClipError: unreadable file, or no stream usable (names the file).
          PredictError: a still image for a model that does not see.
        """
        if still_image.is_image(path):
            return self.load_still(path)
        load = clip_loader.open_clip if streamed else clip_loader.load_clip
        return load(path, self.config, self._modality())

    def load_still(self, path: str) -> clip_loader.LoadedClip:
        """A still image's face as a one-frame clip, refused by a model that does not see.

        Raises:
          clip_preparation.ClipError: unreadable image or no face (names the file).
          PredictError: the model has no video branch.
        """
        if features.V not in self.metadata["heads"]:
            raise PredictError(path, f"{clip_loader.STILL_REASON}, and this "
                                     f"{self.metadata['network']} model only hears; refused")
        return clip_loader.load_image(path, self.config.video)

    def predict_stills(self, paths: list[str]) -> list:
        """Scores still images, `STILL_BATCH` per model call (`load_stills`, `score_stills`).

        Returns:
          Per path, in order: its ClipPrediction, or the ClipError / PredictError that
          stopped it (the others are still scored).
        """
        return self.score_stills(self.load_stills(paths))

    def load_stills(self, paths: list[str]) -> list:
        """Per path, its one-frame clip (`load_still`) or the error that stopped it."""
        loaded: list = []
        for path in paths:
            try:
                clip = self.load_still(path)
                self._signature(clip)  # a model that cannot answer refuses here
                loaded.append(clip)
            except (clip_preparation.ClipError, PredictError) as e:
                loaded.append(e)
        return loaded

    def score_stills(self, loaded: list) -> list:
        """`load_stills`' clips scored, `STILL_BATCH` per model call; errors pass through."""
        results = list(loaded)
        clips = [(i, c) for i, c in enumerate(loaded) if not isinstance(c, Exception)]
        for start in range(0, len(clips), STILL_BATCH):
            chunk = [(i, clip, *self._signature(clip)) for i, clip in clips[start : start + STILL_BATCH]]
            cut = [self._windows(clip, signature) for _, clip, signature, _, _ in chunk]
            batch = {key: np.concatenate([windows[key] for windows, _ in cut]) for key in cut[0][0]}
            window_p = self.backend.window_probabilities(chunk[0][2], batch)  # one window each
            for k, (index, clip, _, branch, note) in enumerate(chunk):
                plan = [windowing.Window(start, end, ()) for start, end in cut[k][1]]
                results[index] = self._prediction(clip, branch, note, plan, window_p[k : k + 1],
                                                  [branch])
        return results
