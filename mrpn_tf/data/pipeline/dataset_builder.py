"""`build_dataset`: the one input pipeline of training, evaluation, the tuner and the exporters.

Assembly only; every step lives in the module named after it:

  records (tfrecord shards | videos decoded in tf.data) -> parse -> check (clip_validation)
  -> the run's labels (face_pairing.relabel) -> cache (when it fits)
  -> faces of another corpus by label (face_pairing, `data.video_dataset`) -> shuffle (train) -> per-clip seed -> cross-clip pairing (train)
  -> clip_example: slice + augment (train) / whole clip (eval), spectrogram segments
  -> batch with padding and masks (drop remainder in train; full padded batches in eval)
  -> mixup (train, `data.mixup_alpha` > 0: targets become class distributions)
  -> prefetch

Elements are (features, targets, weights): features keyed `features.VIDEO`, `VIDEO_MASK`,
`AUDIO`, `AUDIO_MASK`; targets and weights keyed by head `V`, `A`, `VA`. Weights are 1 for
real clips and 0 for evaluation padding clips, so Keras `fit` / `evaluate` consume the
dataset as it is and weighted metrics count each clip exactly once.
"""

from __future__ import annotations

from typing import Sequence

import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import clip_record
from mrpn_tf.data.datasets import label_sets
from mrpn_tf.data.folds import folds
from mrpn_tf.data.pipeline import batching
from mrpn_tf.data.pipeline import clip_features
from mrpn_tf.data.pipeline import clip_validation
from mrpn_tf.data.pipeline import face_pairing
from mrpn_tf.data.pipeline import mixup
from mrpn_tf.data.pipeline import pairing
from mrpn_tf.data.pipeline import tfrecord_source
from mrpn_tf.data.pipeline import video_source

TRAIN = "train"
VAL = "val"
SPLITS = (TRAIN, VAL)
# Per-pipeline seed offset: multi-worker input pipelines draw different augmentations.
_PIPELINE_SEED_STRIDE = 1_000_003


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split={split!r}; expected one of {', '.join(SPLITS)}")


def split_actors(data: config_lib.DataConfig, split: str, fold: int | str | None = None) -> tuple:
    """The actors of a split of a fold (paper 4.1: actor-disjoint train / validation).

    Args:
      data: `dataset` and, when `fold` is None, `fold`.
      split: "train" or "val".
      fold: fold number or "all" (every actor trains, none validates); None for `data.fold`.

    Returns:
      Actor ids, ascending (none for "val" of fold "all").
    """
    _check_split(split)
    chosen = folds.fold(data.dataset, data.fold if fold is None else fold)
    return chosen.train_actors if split == TRAIN else chosen.val_actors


def has_validation(data: config_lib.DataConfig) -> bool:
    """Whether `data.fold` holds actors out for validation (every fold but "all")."""
    return data.fold != folds.ALL


def _parsed_clips(
    config: config_lib.Config,
    split: str,
    actors: Sequence[int],
    is_training: bool,
    input_context: tf.distribute.InputContext | None,
    seed: int,
) -> tf.data.Dataset:
    """Parsed, checked records of the configured source under the run's labels, cached when
    they fit in memory, then given their paired faces (`data.video_dataset`): the split's
    faces, drawn anew each pass when `is_training`."""
    if config.data.source == "videos":
        records, size = video_source.read_records(config, actors, is_training, input_context)
    else:
        paths = tfrecord_source.shard_paths(config, actors)
        records = tfrecord_source.read_records(paths, config, is_training, input_context)
        size = tfrecord_source.parsed_size_bytes(paths)
    parallel = config.data.num_parallel_calls
    clips = records.map(clip_record.parse, num_parallel_calls=parallel)
    clips = clips.map(
        lambda clip: clip_validation.check_clip(clip, config.data.modality),
        num_parallel_calls=parallel,
    )
    clips = face_pairing.relabel(clips, config.data)
    # Parsed but not augmented: every epoch draws new slices and augmentations from it.
    clips = clips.cache() if size <= config.data.cache_max_mb * 2**20 else clips
    if config.data.video_dataset:
        clips = face_pairing.with_faces(clips, config, split == TRAIN, is_training, seed)
    return clips


def parsed_clips(
    config: config_lib.Config,
    split: str,
    fold: int | str | None = None,
    actors: Sequence[int] | None = None,
) -> tf.data.Dataset:
    """The parsed, checked records of one split, unbatched, in a fixed order (no shuffling).

    What evaluation and the int8 calibration score window by window
    (`mrpn_tf.inference.window_scoring`): the same records `build_dataset` reads.

    Args:
      config: the run config.
      split: "train" or "val".
      fold: fold number or "all"; None for `config.data.fold`.
      actors: explicit actor ids instead of the fold's split.

    Returns:
      Dataset of `clip_record.parse` dicts.
    """
    _check_split(split)
    actors = split_actors(config.data, split, fold) if actors is None else actors
    return _parsed_clips(config, split, actors, False, None, config.data.seed)


def _batches(
    examples: tf.data.Dataset, batch_size: int, config: config_lib.Config, is_training: bool
) -> tf.data.Dataset:
    """Training: full batches, optional bucketing. Evaluation: every clip once, full batches."""
    if is_training:
        return batching.batch_examples(
            examples, batch_size, config, True, config.data.bucket_boundaries_s
        )
    batches = batching.batch_examples(examples, batch_size, config, drop_remainder=False)
    return batching.pad_to_full_batches(batches, batch_size)


def build_dataset(
    config: config_lib.Config,
    split: str,
    fold: int | str | None = None,
    is_training: bool | None = None,
    input_context: tf.distribute.InputContext | None = None,
    actors: Sequence[int] | None = None,
) -> tf.data.Dataset:
    """Builds the batched dataset of one split of one fold.

    Args:
      config: the run config (`data`, `video`, `audio`, `train.batch_size` = global batch).
      split: "train" or "val".
      fold: fold number or "all"; None for `config.data.fold`.
      is_training: augment, shuffle, pair and drop the remainder; None means split == "train".
      input_context: from `strategy.distribute_datasets_from_function`: shards the input and
        divides the global batch per replica.
      actors: explicit actor ids instead of the fold's split (tests, quick experiments).

    Returns:
      Dataset of (features, targets, weights) batches (module docstring); one pass is one
      epoch, and each pass draws new shuffles, slices, pairings and augmentations.
    """
    _check_split(split)
    is_training = split == TRAIN if is_training is None else is_training
    actors = split_actors(config.data, split, fold) if actors is None else actors
    batch_size = config.train.batch_size
    pipeline_id = 0
    if input_context is not None:
        batch_size = input_context.get_per_replica_batch_size(batch_size)
        pipeline_id = input_context.input_pipeline_id
    seed = config.data.seed + _PIPELINE_SEED_STRIDE * pipeline_id
    clips = _parsed_clips(config, split, actors, is_training, input_context, seed)
    if is_training:
        clips = clips.shuffle(config.data.shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
    clips = tf.data.Dataset.zip((clips, seeds))
    if is_training:
        clips = pairing.pair_across_clips(
            clips, config.data.pairing_prob, config.data.shuffle_buffer, seed
        )
    examples = clips.map(
        lambda clip, clip_seed: clip_features.clip_example(clip, clip_seed, config, is_training),
        num_parallel_calls=config.data.num_parallel_calls,
        deterministic=not is_training,
    )
    batches = _batches(examples, batch_size, config, is_training)
    if is_training and config.data.mixup_alpha > 0:
        batches = _mixed(batches, config.data, seed)
    return batches.prefetch(tf.data.AUTOTUNE)


def _mixed(batches: tf.data.Dataset, data: config_lib.DataConfig, seed: int) -> tf.data.Dataset:
    """Mixup of every training batch, from a stateless seed per batch (`mixup.mix_batch`)."""
    num_classes = len(label_sets.run_labels(data))
    alpha = data.mixup_alpha
    # Its own stream of seeds, apart from the per-clip seeds above.
    seeds = tf.data.Dataset.random(seed=seed + 1, rerandomize_each_iteration=True).batch(2)
    return tf.data.Dataset.zip((batches, seeds)).map(
        lambda batch, batch_seed: mixup.mix_batch(*batch, alpha, num_classes, batch_seed),
        num_parallel_calls=data.num_parallel_calls,
        deterministic=False,
    )
