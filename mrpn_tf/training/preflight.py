"""Checks a run before it trains: bad input is a clear error at start-up, never an hour in.

Each check names what it found and what it expected:
  * the prepared folder exists and was prepared for this dataset, modality, frame rate, crop
    size and sample rate (or, for `data.source=videos`, the dataset folder has clips);
  * the fold has training clips (at least one full global batch) and validation clips;
    `data.fold=all` has every clip of the dataset for training and no validation (so nothing
    may stop on validation loss);
  * the network's modalities are in the data (AM needs audio, VM video, N0-N2 both; faces
    paired from another corpus, `data.video_dataset`, provide the video);
  * the run's labels and each corpus's map onto them (`label_sets`); clips of a dropped
    emotion are not counted;
  * pretrained extractor weights named by the config exist;
  * mixed precision / XLA are asked for only where there is a GPU.
"""

from __future__ import annotations

import dataclasses
import os

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import prepared_index
from mrpn_tf.data.datasets import label_sets
from mrpn_tf.data.pipeline import dataset_builder
from mrpn_tf.data.pipeline import tfrecord_source
from mrpn_tf.data.pipeline import video_source

# Which streams each network reads (paper Table 1: AM audio, VM video; N0-N2 both).
NEEDS = {"N0": ("video", "audio"), "N1": ("video", "audio"), "N2": ("video", "audio"),
         "AM": ("audio",), "VM": ("video",)}
# Which streams each `data.modality` provides.
PROVIDES = {"av": ("video", "audio"), "audio": ("audio",), "video": ("video",)}


class PreflightError(ValueError):
    """A run cannot start; the message says what was found and what was expected."""


@dataclasses.dataclass(frozen=True)
class SplitSizes:
    """Clips in the fold's training and validation splits."""

    train_clips: int
    val_clips: int


def _prepared_clip_counts(config: config_lib.Config, train: tuple, val: tuple) -> SplitSizes:
    data = config.data
    if not data.prepared_dir:
        raise ValueError("data.prepared_dir is empty: run `python -m mrpn_tf.prepare` and name "
                         "its --out folder, or set data.source=videos")
    index = prepared_index.load(data.prepared_dir)
    tfrecord_source.check_settings(index, config, data.prepared_dir)
    settings = index.get("settings", {})
    for key, wanted in (("dataset", data.dataset), ("modality", data.modality)):
        if key in settings and settings[key] != wanted:
            raise ValueError(f"{data.prepared_dir} was prepared with {key}={settings[key]!r} "
                             f"but the config has data.{key}={wanted!r}")
    kept = label_sets.label_ids(data, data.dataset) != label_sets.DROPPED

    def count(actors):
        return sum(bool(kept[int(clip["label"])]) for clip in prepared_index.clips(index, actors))

    return SplitSizes(count(train), count(val))


def split_sizes(config: config_lib.Config) -> SplitSizes:
    """Counts the clips of `data.fold`'s splits (prepared index, or a scan of `data.root`).

    With `data.fold=all` the training split is every clip of the dataset's actors, and the
    validation split is empty.

    Raises:
      ValueError / FileNotFoundError: no prepared folder, or one prepared differently.
    """
    train = dataset_builder.split_actors(config.data, dataset_builder.TRAIN)
    val = dataset_builder.split_actors(config.data, dataset_builder.VAL)
    if config.data.source == "tfrecord":
        return _prepared_clip_counts(config, train, val)

    kept = label_sets.label_ids(config.data, config.data.dataset) != label_sets.DROPPED

    def count(actors):
        try:
            entries = video_source.clip_entries(config.data, actors)
        except ValueError:  # no clip of these actors: counted as 0, reported below
            return 0
        return sum(bool(kept[int(entry.label)]) for entry in entries)

    return SplitSizes(count(train), count(val))


def check_split_sizes(sizes: SplitSizes, config: config_lib.Config, global_batch: int) -> None:
    """Refuses a fold without validation clips or without one full training batch."""
    where = config.data.prepared_dir or config.data.root
    fold = f"{config.data.dataset} fold {config.data.fold}"
    if not dataset_builder.has_validation(config.data):
        if sizes.train_clips < global_batch:
            raise ValueError(
                f"data.fold={config.data.fold} trains on every {config.data.dataset} clip in {where}, "
                f"and it holds {sizes.train_clips}, fewer than one global batch of {global_batch}")
        return
    if sizes.val_clips == 0:
        raise ValueError(f"{fold} has no validation clips in {where}: its validation actors "
                         f"{list(dataset_builder.split_actors(config.data, 'val'))} have none")
    if sizes.train_clips < global_batch:
        raise ValueError(f"{fold} has {sizes.train_clips} training clips in {where}, fewer than "
                         f"one global batch of {global_batch} (training batches drop the rest)")


def check_no_validation_stop(config: config_lib.Config) -> None:
    """Refuses early stopping (on validation loss) in a run without validation (`data.fold=all`)."""
    patience = config.train.early_stopping_patience
    if not dataset_builder.has_validation(config.data) and patience > 0:
        raise ValueError(f"train.early_stopping_patience={patience} stops on validation loss, and "
                         f"data.fold={config.data.fold} has no validation split; set it to 0 "
                         "(the run trains train.epochs epochs)")


def check_modalities(config: config_lib.Config) -> None:
    """Refuses a network that reads a stream the data does not have."""
    provided = set(PROVIDES[config.data.modality]) | ({"video"} if config.data.video_dataset else set())
    missing = set(NEEDS[config.model.network]) - provided
    if missing:
        raise ValueError(f"model.network={config.model.network} reads {', '.join(sorted(missing))}, "
                         f"which data.modality={config.data.modality!r} does not provide")


def check_extractor_weights(model: config_lib.ModelConfig) -> None:
    """Refuses a pretrained-weights path that is not a file (paper 4.2 initialization)."""
    for key in ("video_extractor_weights", "audio_extractor_weights"):
        path = getattr(model, key)
        if path and not os.path.isfile(path):
            raise FileNotFoundError(f"model.{key}={path!r}: no such file (make it with "
                                    "`python -m mrpn_tf.pretrain`, or set it to '' for random init)")


def check_accelerator_switches(train: config_lib.TrainConfig, has_gpu: bool) -> None:
    """Mixed precision and XLA are GPU switches: on a CPU they would only slow training."""
    for key in ("mixed_precision", "xla"):
        if getattr(train, key) and not has_gpu:
            raise ValueError(f"train.{key}=true needs a GPU and none is visible; set it to false")


def check_run(config: config_lib.Config, global_batch: int, has_gpu: bool) -> SplitSizes:
    """Every check of the module docstring, in the order a user would fix them.

    Args:
      config: the resolved run config.
      global_batch: per-replica batch times replicas.
      has_gpu: whether the strategy's replicas are GPUs.

    Returns:
      The fold's split sizes.

    Raises:
      PreflightError: the first problem found, with what was expected.
    """
    try:
        check_modalities(config)
        label_sets.check(config.data)
        check_extractor_weights(config.model)
        check_accelerator_switches(config.train, has_gpu)
        check_no_validation_stop(config)
        sizes = split_sizes(config)
        check_split_sizes(sizes, config, global_batch)
    except (ValueError, FileNotFoundError) as e:
        raise PreflightError(str(e)) from e
    return sizes
