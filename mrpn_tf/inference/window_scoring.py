"""The one scoring path of a clip: windows, per-window standardization, mean of the windows.

Evaluation (`evaluate`, summary.json, crossval, precise-BN checks), the int8 calibration and
`predict` all score a clip the same way:

  raw streams (uint8 face crops, 16-kHz float waveform, as `prepare` stores them)
  -> `windowing.raw_windows`: the export's windows (`export.window_s` / `window_hop_s`)
  -> `serving_preprocessing.raw_to_features`: each window standardized and cut into
     spectrogram segments by the pipeline's own `clip_features` (the SavedModel graph runs
     this very function; the TFLite backend calls it before the interpreter)
  -> the model, one score per window
  -> `windowing.clip_probabilities`: the clip's probabilities are the mean of its windows'.

Why predict's way and not evaluation's former one (whole clips, audio standardized over the
whole clip): the model a user deploys cannot score a whole clip. The TFLite files are static
window models (unrolled LSTMs of `WindowSpec.frames` frames and `segments` segments), and a
long clip or a stream has to be cut into windows anyway, so windows are the only scoring that
every backend can run; the SavedModel could take whole clips, but then its answers would
differ from its own .tflite files'. Training already sees slices (paper 3.3: random slices of
>= 1 s, each standardized on its own), so a 2-s window standardized on its own is what the
model learned from. What this costs against whole clips, measured: docs/lab-notes/window_scoring.md.

The clips of a split come from the run's prepared records (`dataset_builder.parsed_clips`),
decoded by `video_frames.decode_frames` exactly as `clip_loader.load_clip` decodes a file
predict is given, so evaluation and predict see the same crops and samples.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Iterator, Optional, Sequence

import numpy as np
import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import clip_record
from mrpn_tf.data import features
from mrpn_tf.data.pipeline import dataset_builder
from mrpn_tf.data.pipeline import video_frames
from mrpn_tf.inference import serving_preprocessing
from mrpn_tf.inference import windowing


@dataclasses.dataclass
class RawClip:
    """One prepared clip's raw streams (a stream the run does not use is None) and label."""

    frames: Optional[np.ndarray]  # uint8 [T, crop, crop, 3]
    waveform: Optional[np.ndarray]  # float32 [N]
    label: int


def split_clips(
    config: config_lib.Config, split: str, actors: Sequence[int] | None = None
) -> Iterator[RawClip]:
    """The clips of one split of `data.fold`, in pipeline order, as raw streams.

    Args:
      config: the run config (data source, fold, crop size).
      split: "train" or "val".
      actors: explicit actor ids instead of the fold's split.

    Yields:
      RawClip per clip; an empty stream (single-modality runs) is None.
    """
    size = config.video.crop_size
    clips = dataset_builder.parsed_clips(config, split, actors=actors).map(
        lambda clip: (
            video_frames.decode_frames(clip[clip_record.FRAMES], size),
            clip[clip_record.AUDIO_PCM16],
            clip[clip_record.LABEL],
        ),
        num_parallel_calls=config.data.num_parallel_calls,
        deterministic=True,
    )
    for frames, waveform, label in clips.as_numpy_iterator():
        yield RawClip(
            frames if len(frames) else None, waveform if len(waveform) else None, int(label)
        )


def features_function(config: config_lib.Config, heads: Sequence[str]) -> Callable:
    """`raw_to_features` for `heads`, traced once per window batch size (the windows are static)."""
    fn = tf.function(
        lambda raw: serving_preprocessing.raw_to_features(raw, list(heads), config),
        reduce_retracing=True,
    )
    return lambda raw: {key: value.numpy() for key, value in fn(raw).items()}


def clip_raw_windows(
    clip: RawClip, heads: Sequence[str], spec: windowing.WindowSpec
) -> dict[str, np.ndarray]:
    """The raw windows of the streams of `heads` (as `Predictor.predict_clip` cuts them)."""
    frames = clip.frames if features.V in heads else None
    waveform = clip.waveform if features.A in heads else None
    batch, _ = windowing.raw_windows(frames, waveform, spec)
    return batch


def window_batches(
    clips: Iterator[RawClip],
    heads: Sequence[str],
    config: config_lib.Config,
    batch_windows: int,
) -> Iterator[tuple[dict[str, np.ndarray], list[int]]]:
    """Model features of the clips' windows, `batch_windows` windows or more at a time.

    Args:
      clips: e.g. `split_clips`.
      heads: the model's branch heads (the streams scored).
      config: the run config (window, audio settings).
      batch_windows: windows gathered before a batch is emitted (whole clips per batch).

    Yields:
      (features of the windows of whole clips, number of windows of each of those clips).
    """
    spec = windowing.window_spec(config)
    to_features = features_function(config, heads)
    pending: list[dict[str, np.ndarray]] = []

    def flush():
        raw = {key: np.concatenate([w[key] for w in pending]) for key in pending[0]}
        counts = [len(next(iter(w.values()))) for w in pending]
        pending.clear()
        return to_features(raw), counts

    for clip in clips:
        pending.append(clip_raw_windows(clip, heads, spec))
        if sum(len(next(iter(w.values()))) for w in pending) >= batch_windows:
            yield flush()
    if pending:
        yield flush()


def clip_means(window_values: np.ndarray, counts: Sequence[int]) -> np.ndarray:
    """Per clip, the mean of its windows' rows (`windowing.clip_probabilities`): [len(counts), ...]."""
    ends = np.cumsum(counts)
    return np.stack([
        windowing.clip_probabilities(window_values[end - count : end])
        for count, end in zip(counts, ends)
    ])
