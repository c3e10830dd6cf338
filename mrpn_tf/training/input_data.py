"""The input of `fit`, `evaluate` and `predict`: `build_dataset` narrowed to one model's keys.

`build_dataset` yields every input (video, audio and their masks) and a target and weight for
every head (v, a, va). A network uses a subset (N0: the va head; AM: audio inputs and the a
head), and Keras wants exactly the model's inputs and outputs, so the elements are narrowed
to the model's keys here.

Under a strategy each input pipeline is built by `distribute_datasets_from_function`: the
pipeline reads its own share of the shards and batches `global batch / replicas` clips, where
the global batch is `train.batch_size` (per replica) times the number of replicas. Epochs
are cut to an exact number of global steps (`exact_epochs`).
"""

from __future__ import annotations

import copy
from typing import Sequence

import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.data.pipeline import dataset_builder
from mrpn_tf.training import resume


def with_global_batch(config: config_lib.Config, replicas: int) -> config_lib.Config:
    """A copy of `config` whose `train.batch_size` is the global batch of `replicas` replicas.

    Args:
      config: the run config; `train.batch_size` is the per-replica batch.
      replicas: `strategy.num_replicas_in_sync`.

    Returns:
      The copy `build_dataset` takes (it divides the global batch by the replicas again).
    """
    scaled = copy.deepcopy(config)
    scaled.train.batch_size = config.train.batch_size * replicas
    return scaled


def select_keys(
    dataset: tf.data.Dataset, input_keys: Sequence[str], output_keys: Sequence[str]
) -> tf.data.Dataset:
    """Keeps the model's inputs and its heads' targets and weights.

    Args:
      dataset: (features, targets, weights) batches from `build_dataset`.
      input_keys: the model's input names.
      output_keys: the model's output (head) names.

    Returns:
      The same batches with only those keys.
    """
    def select(inputs, targets, weights):
        return (
            {key: inputs[key] for key in input_keys},
            {key: targets[key] for key in output_keys},
            {key: weights[key] for key in output_keys},
        )

    return dataset.map(select, num_parallel_calls=tf.data.AUTOTUNE)


def model_dataset(
    config: config_lib.Config,
    split: str,
    input_keys: Sequence[str],
    output_keys: Sequence[str],
    input_context: tf.distribute.InputContext | None = None,
) -> tf.data.Dataset:
    """One split of `data.fold`, narrowed to a model's keys.

    Args:
      config: the run config; `train.batch_size` is the global batch when `input_context`
        is given (`with_global_batch`), else the batch.
      split: "train" (shuffled, augmented, full batches) or "val" (every clip once, padded
        with weight-0 clips to full batches).
      input_keys: the model's input names.
      output_keys: the model's output names.
      input_context: from `distribute_datasets_from_function`, or None.

    Returns:
      Dataset of (inputs, targets, weights) batches; one pass is one epoch.
    """
    dataset = dataset_builder.build_dataset(config, split, input_context=input_context)
    return select_keys(dataset, input_keys, output_keys)


def steps_per_epoch(clips: int, batch_size: int, replicas: int, split: str) -> int:
    """Global steps of one epoch of a split.

    Training drops the remainder: floor(clips / global batch). Evaluation sees every clip:
    ceil(clips / batch) per-replica batches (the last one padded), grouped by replica.

    Args:
      clips: clips in the split.
      batch_size: per-replica batch.
      replicas: replicas fed by one input pipeline (all of them on a single worker).
      split: "train" or "val".

    Returns:
      Steps per epoch.
    """
    if split == dataset_builder.TRAIN:
        return clips // (batch_size * replicas)
    return -(-(-(-clips // batch_size)) // replicas)


def _zeroed(inputs, targets, weights):
    """A padding batch: every mask, target and weight 0, so it changes no metric."""
    return tf.nest.map_structure(tf.zeros_like, (inputs, targets, weights))


def exact_epochs(
    dataset: tf.data.Dataset, split: str, steps: int, replicas: int, replayed_epochs: int = 0
) -> tf.data.Dataset:
    """Makes one pass of `steps` global steps per epoch, with no step short of data.

    Keras 3's `fit` on a dataset of unknown size runs one extra optimizer step per epoch on
    an empty batch (the step that meets the end of the data still applies AdamW's update),
    and replicas that run out of data at different times leave a step with empty replicas.
    So the training data repeats, cut into epochs of exactly `steps` global steps (`fit`'s
    `steps_per_epoch` keeps one iterator over it), and the evaluation data is padded with
    all-zero-weight batches to exactly `steps` global steps (`validation_steps`).

    Args:
      dataset: one input pipeline's per-replica batches, one pass = one epoch.
      split: "train" or "val".
      steps: global steps per epoch (`steps_per_epoch`).
      replicas: replicas this pipeline feeds.
      replayed_epochs: training epochs already done by a resumed run: their random draws
        are replayed first (resume.replay_input_draws), so the next epoch draws what it
        would have drawn in an uninterrupted run.

    Returns:
      Training: an endless dataset whose k-th `steps * replicas` batches are epoch k.
      Evaluation: a dataset of exactly `steps * replicas` batches.
    """
    batches = steps * replicas
    if split == dataset_builder.TRAIN:
        resume.replay_input_draws(dataset, replayed_epochs)
        return dataset.take(batches).repeat()
    padding = dataset.take(1).map(_zeroed).repeat()
    return dataset.concatenate(padding).take(batches)


def distributed_dataset(
    config: config_lib.Config,
    strategy: tf.distribute.Strategy,
    split: str,
    input_keys: Sequence[str],
    output_keys: Sequence[str],
    steps: int,
    replayed_epochs: int = 0,
) -> tf.distribute.DistributedDataset:
    """`model_dataset` for every input pipeline of `strategy`, in exact epochs (module docstring).

    Args:
      config: the run config; `train.batch_size` is per replica.
      strategy: the run's strategy.
      split: "train" or "val".
      input_keys: the model's input names.
      output_keys: the model's output names.
      steps: global steps per epoch (`steps_per_epoch`).
      replayed_epochs: epochs a resumed run has already trained (training only).

    Returns:
      The distributed dataset to pass to `fit` with `steps_per_epoch` / `validation_steps`.
    """
    scaled = with_global_batch(config, strategy.num_replicas_in_sync)

    def pipeline(context: tf.distribute.InputContext) -> tf.data.Dataset:
        replicas = context.num_replicas_in_sync // context.num_input_pipelines
        dataset = model_dataset(scaled, split, input_keys, output_keys, context)
        return exact_epochs(dataset, split, steps, replicas, replayed_epochs)

    return strategy.distribute_datasets_from_function(pipeline)
