"""`data.source=videos`: the same serialized records, made from the video files inside tf.data.

For small sets and quick experiments without a `prepare` step, and the baseline that shows
what the TFRecord cache buys. Each clip goes through `clip_preparation.prepare_clip` (PyAV
decode, MediaPipe face crop, 16-kHz resampling: the exact code `prepare` runs) inside
`tf.numpy_function` with parallel calls, then `clip_record.serialize`; the pipeline parses
the bytes with `clip_record.parse`, so everything downstream is literally the tfrecord path.

A clip `prepare_clip` cannot use (unreadable, missing stream, no face) stops the pipeline
with its `ClipError` message, which names the file.
"""

from __future__ import annotations

from typing import Callable, Sequence

import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import clip_record
from mrpn_tf.data import clip_preparation
from mrpn_tf.data import datasets

# Upper bound on a clip's length for the cache-size estimate: RAVDESS and CREMA-D clips last
# at most ~5.3 s. The estimate counts frames uncompressed, so it errs towards not caching.
_LONGEST_CLIP_S = 6.0


def clip_entries(data: config_lib.DataConfig, actors: Sequence[int]) -> list:
    """The manifest entries of the given actors (`datasets.scan_dataset`), in a fixed order.

    Files the scan skips (names that are not the dataset's) are `prepare`'s business to
    report; here they are simply not clips.

    Raises:
      ValueError: no clip of those actors under `data.root`.
    """
    wanted = set(int(a) for a in actors)
    entries, _ = datasets.scan_dataset(data.dataset, data.root, data.modality)
    chosen = sorted((e for e in entries if int(e.actor) in wanted), key=lambda e: e.path)
    if not chosen:
        raise ValueError(f"{data.root}: no {data.dataset} clip of actors {sorted(wanted)}")
    return chosen


def parsed_size_bytes(num_clips: int, config: config_lib.Config) -> int:
    """Upper estimate of the parsed records' memory (raw frames + float32 audio per clip)."""
    frame_bytes = config.video.crop_size**2 * 3
    per_second = config.video.fps * frame_bytes + 4 * config.audio.sample_rate
    return int(num_clips * per_second * _LONGEST_CLIP_S)


def serialized_clip(entries: Sequence, config: config_lib.Config) -> Callable[[int], bytes]:
    """A numpy function: entry index -> serialized record of that clip (thread-safe)."""

    def prepare(index: int) -> bytes:
        return clip_record.serialize(clip_preparation.prepare_clip(entries[int(index)], config))

    return prepare


def read_records(
    config: config_lib.Config,
    actors: Sequence[int],
    is_training: bool,
    input_context: tf.distribute.InputContext | None,
) -> tuple[tf.data.Dataset, int]:
    """Serialized records decoded from the video files, in parallel.

    Args:
      config: `data.dataset`, `data.root`, `data.modality`, video and audio settings.
      actors: the split's actors.
      is_training: shuffle the decode order and allow non-deterministic order.
      input_context: multi-worker input context: each pipeline decodes its share of clips.

    Returns:
      (dataset of scalar strings, estimated parsed size in bytes).
    """
    entries = clip_entries(config.data, actors)
    indices = tf.data.Dataset.range(len(entries))
    if input_context is not None and input_context.num_input_pipelines > 1:
        indices = indices.shard(input_context.num_input_pipelines, input_context.input_pipeline_id)
    if is_training:
        indices = indices.shuffle(len(entries), seed=config.data.seed)
    prepare = serialized_clip(entries, config)
    records = indices.map(
        lambda i: tf.ensure_shape(tf.numpy_function(prepare, [i], tf.string, stateful=False), []),
        num_parallel_calls=config.data.num_parallel_calls,
        deterministic=not is_training,
    )
    return records, parsed_size_bytes(len(entries), config)
