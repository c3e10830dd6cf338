"""`data.source=tfrecord`: serialized clip records from the per-actor shards `prepare` wrote.

A fold's split is a choice of actors, hence of shard files (`prepared_index`): no record is
read only to be dropped.
"""

from __future__ import annotations

import os
from typing import Sequence

import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import prepared_index

# Settings the pipeline relies on; a prepared folder that differs is refused, not misread.
CHECKED_SETTINGS = {
    "fps": ("video", "fps"),
    "crop_size": ("video", "crop_size"),
    "sample_rate": ("audio", "sample_rate"),
}


def check_settings(index: dict, config: config_lib.Config, prepared_dir: str) -> None:
    """Refuses a prepared folder whose frame rate, crop size or sample rate differ from config.

    The video settings are not checked where the folder's frames are not used: an audio-only
    folder (`data.modality=audio`) holds none, and a run that pairs its clips with faces of
    another corpus (`data.video_dataset`) replaces them.

    Raises:
      ValueError: naming the folder, the setting, what was found and what was expected.
    """
    found = index.get("settings", {})
    for key, (section, field) in CHECKED_SETTINGS.items():
        if section == "video" and (found.get("modality") == "audio" or config.data.video_dataset):
            continue  # no frames used from this folder: its video settings bind nothing
        wanted = getattr(getattr(config, section), field)
        if key in found and found[key] != wanted:
            raise ValueError(
                f"{prepared_dir} was prepared with {key}={found[key]!r} but the config has "
                f"{section}.{field}={wanted!r}; prepare again or change the config"
            )


def shard_paths(config: config_lib.Config, actors: Sequence[int]) -> list[str]:
    """The shard files of the given actors, after checking the folder's settings.

    Raises:
      FileNotFoundError / ValueError: no prepared folder, other settings, or no shard at all.
    """
    prepared_dir = config.data.prepared_dir
    index = prepared_index.load(prepared_dir)
    check_settings(index, config, prepared_dir)
    paths = prepared_index.shard_files(prepared_dir, index, actors)
    if not paths:
        raise ValueError(f"{prepared_dir}: no shard for actors {sorted(actors)}")
    return paths


def parsed_size_bytes(paths: Sequence[str]) -> int:
    """Upper estimate of the parsed records' memory: twice the shard bytes.

    Parsing widens the PCM16 audio to float32 (x2) and keeps the JPEG frames as they are.
    """
    return 2 * sum(os.path.getsize(p) for p in paths)


def read_records(
    paths: Sequence[str],
    config: config_lib.Config,
    is_training: bool,
    input_context: tf.distribute.InputContext | None,
) -> tf.data.Dataset:
    """Interleaves the shards in parallel into one stream of serialized records.

    Args:
      paths: shard files.
      config: `data.seed`, `data.num_parallel_calls`.
      is_training: shuffle the file order (each epoch) and allow non-deterministic order.
      input_context: multi-worker input context: each input pipeline reads its own files, or
        its own records when there are fewer files than pipelines.

    Returns:
      Dataset of scalar strings.
    """
    files = tf.data.Dataset.from_tensor_slices(list(paths))
    pipelines = input_context.num_input_pipelines if input_context else 1
    pipeline_id = input_context.input_pipeline_id if input_context else 0
    shard_records = pipelines > len(paths)
    if pipelines > 1 and not shard_records:
        files = files.shard(pipelines, pipeline_id)
    # Sharding records needs the same record order in every pipeline: no file shuffle and a
    # deterministic interleave (the shuffle buffer downstream still randomizes).
    ordered = not is_training or shard_records
    if not ordered:
        files = files.shuffle(len(paths), seed=config.data.seed, reshuffle_each_iteration=True)
    records = files.interleave(
        tf.data.TFRecordDataset,
        cycle_length=min(len(paths), 16),
        num_parallel_calls=config.data.num_parallel_calls,
        deterministic=ordered,
    )
    return records.shard(pipelines, pipeline_id) if shard_records else records
