"""One training run: checks, run folder, model in the strategy scope, `fit`, best model, summary.

    train(config, strategy)
      preflight checks (preflight.py)          -> clear errors before anything trains
      run folder: config.yaml, labels.json     (run_dir.py)
      model + AdamW + losses, in strategy.scope()
      fit on the fold's training split, validating on its held-out actors, with the
        callbacks of `callbacks.build_callbacks`; a killed run resumes from backup/ (resume.py)
      model.keras <- the checkpoint of the best epoch by validation loss
      exact validation metrics of model.keras, summary.json
(`python -m mrpn_tf.train` then exports the run when `export.on_train_end` is set: training
never imports export.)

`data.fold=all` trains a model for deployment on every actor of the dataset: no validation
split, so no learning-rate halving or early stopping on validation loss, `train.epochs` epochs,
and model.keras is the last epoch's checkpoint; with `train.precise_bn_batches` its BatchNorm
statistics are recomputed from training batches before it is saved (`save_last_model`), as
they are before each validation of a numbered fold. summary.json then has no validation
numbers (null).

Paper 4.2 settings come from the config: AdamW at 5e-5, learning rate halved after ten epochs
without a lower validation loss; the loss is eq. 5 with the configured head weights.

The task's parts live in modules of their own: the optimizer and the cosine schedule
(`optimizer.py`), the GPU switches (`accelerator_switches.py`), the callbacks (`callbacks.py`)
and the build before `fit` that lets replicas take batches of different shapes
(`replica_batches.py`).
"""

from __future__ import annotations

import dataclasses
import os
import time
from typing import Any, Iterator, Sequence

import keras
import tensorflow as tf

from mrpn_tf import model as model_lib
from mrpn_tf import runtime
from mrpn_tf.config import config as config_lib
from mrpn_tf.data.datasets import label_sets
from mrpn_tf.data.folds import folds
from mrpn_tf.data.pipeline import dataset_builder
from mrpn_tf.training import accelerator_switches
from mrpn_tf.training import callbacks as callbacks_lib
from mrpn_tf.training import evaluation
from mrpn_tf.training import input_data
from mrpn_tf.training import optimizer as optimizer_lib
from mrpn_tf.training import precise_bn
from mrpn_tf.training import preflight
from mrpn_tf.training import replica_batches
from mrpn_tf.training import resume
from mrpn_tf.training import history
from mrpn_tf.training import summary as summary_lib
from mrpn_tf.training import run_dir as run_dir_lib
from mrpn_tf.training import strategy as strategy_lib

ACCURACY = "accuracy"


def build_compiled_model(config: config_lib.Config, num_classes: int) -> keras.Model:
    """The configured network, compiled with AdamW, the eq. 5 losses and per-head accuracy.

    Call inside `strategy.scope()`. Accuracy is a weighted metric, so the weight-0 padding
    clips of evaluation batches do not count.

    Args:
      config: model and train sections.
      num_classes: number of emotion classes.

    Returns:
      The compiled model; outputs keyed by head.
    """
    model = model_lib.build_model(config, num_classes)
    soft_targets = config.data.mixup_alpha > 0
    loss, loss_weights = model_lib.compile_losses(
        config.model, soft_targets, config.train.label_smoothing)
    model.compile(
        optimizer=optimizer_lib.build_optimizer(config.train),
        loss=loss,
        loss_weights=loss_weights,
        weighted_metrics={
            head: [model_lib.accuracy_metric(ACCURACY, soft_targets)] for head in model.output
        },
        jit_compile=False,  # XLA, when asked for, is auto-clustering (the GPU switches below)
    )
    return model


def resolve_run_dir(config: config_lib.Config) -> run_dir_lib.RunDir:
    """Fixes `train.run_dir` (a new timestamped folder when empty) and picks this process's folder.

    Raises:
      PreflightError: a multi-worker run without `train.run_dir` (workers must agree on it),
        or a folder holding a finished run or a run with other settings.
    """
    if not config.train.run_dir:
        if os.environ.get(strategy_lib.TF_CONFIG):
            raise preflight.PreflightError("a multi-worker run needs train.run_dir: every worker must name the same folder")
        config.train.run_dir = run_dir_lib.default_root(config)
    run_dir = run_dir_lib.for_worker(
        config.train.run_dir, strategy_lib.is_chief(), strategy_lib.worker_name()
    )
    if os.path.isfile(run_dir.summary_path):
        raise preflight.PreflightError(
            f"{run_dir.root} holds a finished run (summary.json); choose another train.run_dir")
    try:
        run_dir_lib.check_resumable(run_dir, config)
    except ValueError as e:
        raise preflight.PreflightError(str(e)) from e
    return run_dir


def fit(
    model: keras.Model,
    config: config_lib.Config,
    strategy: tf.distribute.Strategy,
    run_dir: run_dir_lib.RunDir,
    sizes: preflight.SplitSizes,
    extra_callbacks: Sequence[keras.callbacks.Callback] = (),
) -> None:
    """`model.fit` on the fold's training split, validating on its held-out actors (if any).

    Resumes from `run_dir.backup_dir` when it holds a backup (resume.py). Without validation
    (`data.fold=all`) nothing recomputes the BatchNorm statistics during `fit`: `save_last_model`
    does it once at the end.

    Args:
      model: compiled in `strategy.scope()`.
      config: the run config.
      strategy: the run's strategy.
      run_dir: the folder this process writes.
      sizes: the fold's clip counts (they fix the steps of an epoch).
      extra_callbacks: appended after the run's own (tests stop a run with one).
    """
    inputs, heads = list(model.input), list(model.output)
    # One input pipeline per worker feeds its local replicas; each worker evaluates its own
    # share of the validation clips, padded to the same number of steps on every worker.
    local = len(strategy.extended.worker_devices)
    batch, replicas = config.train.batch_size, strategy.num_replicas_in_sync
    train_steps = input_data.steps_per_epoch(sizes.train_clips, batch, replicas, dataset_builder.TRAIN)
    done = resume.epochs_done(run_dir.backup_dir)
    if done:
        print(f"resuming {run_dir.root} after epoch {done}")
    resume.trim_history(run_dir.history_path, done)
    train = input_data.distributed_dataset(
        config, strategy, dataset_builder.TRAIN, inputs, heads, train_steps, replayed_epochs=done)
    callbacks = callbacks_lib.build_callbacks(config, run_dir) + list(extra_callbacks)
    if config.train.precise_bn_batches > 0 and strategy_lib.in_multi_worker_mode(strategy):
        raise preflight.PreflightError(
            "train.precise_bn_batches works on one machine only: with TF_CONFIG each worker "
            "would recompute BatchNorm statistics from other batches; set it to 0")
    validation = {}
    if dataset_builder.has_validation(config.data):
        val_steps = input_data.steps_per_epoch(sizes.val_clips, batch, local, dataset_builder.VAL)
        validation = {
            "validation_data": input_data.distributed_dataset(
                config, strategy, dataset_builder.VAL, inputs, heads, val_steps),
            "validation_steps": val_steps,
        }
        if config.train.precise_bn_batches > 0:
            # First, so that every other callback's validation-time view has the new statistics.
            callbacks.insert(0, precise_bn.BeforeValidation(
                lambda: training_inputs(config, model), config.train.precise_bn_batches))
    fit_distributed(model, strategy, train, epochs=config.train.epochs, callbacks=callbacks,
                    steps_per_epoch=train_steps, **validation)


def training_inputs(config: config_lib.Config, model: keras.Model) -> Iterator[dict[str, tf.Tensor]]:
    """The model's inputs of a fresh pass over the training split (augmented as in training).

    What `precise_bn.recompute` takes its BatchNorm statistics from.
    """
    dataset = input_data.model_dataset(
        config, dataset_builder.TRAIN, list(model.input), list(model.output))
    return (features for features, _, _ in dataset)


def fit_distributed(
    model: keras.Model, strategy: tf.distribute.Strategy, data, **fit_kwargs: Any
) -> keras.callbacks.History:
    """`model.fit(data, ...)` under `strategy`, on one device, several, or a cluster's workers.

    Lets Keras reduce the step logs across workers (strategy.py), builds the training state
    (`replica_batches.build_before_fit`: replicas' batches may differ in shape), then fits in the strategy's
    scope, with a progress bar on a terminal and one line per epoch in a log.

    Args:
      model: compiled in `strategy.scope()`.
      strategy: the run's strategy.
      data: a distributed dataset of (inputs, targets[, weights]).
      **fit_kwargs: the rest of `fit`'s arguments (epochs, steps_per_epoch, callbacks, ...).

    Returns:
      `fit`'s History.
    """
    strategy_lib.make_step_logs_reducible(model, strategy)
    replica_batches.build_before_fit(model, strategy)
    fit_kwargs.setdefault("verbose", runtime.progress_verbosity())
    fit_kwargs["callbacks"] = list(fit_kwargs.get("callbacks") or ()) + [callbacks_lib.KeepMallocSettings()]
    with strategy.scope():
        return model.fit(data, shuffle=False, **fit_kwargs)


def save_best_model(model: keras.Model, run_dir: run_dir_lib.RunDir) -> int:
    """Loads the best epoch's checkpoint into `model` and saves it as model.keras.

    Returns:
      The best epoch, 1-based.
    """
    best = history.best_epoch(history.read_history(run_dir.history_path))
    model.load_weights(run_dir.checkpoint_path(best))
    model.save(run_dir.model_path)
    return best


def save_last_model(
    model: keras.Model,
    config: config_lib.Config,
    strategy: tf.distribute.Strategy,
    run_dir: run_dir_lib.RunDir,
) -> int:
    """Loads the last epoch's checkpoint into `model` and saves it as model.keras.

    A run without validation (`data.fold=all`) has no loss to choose an epoch by, and no
    validation before which `precise_bn.BeforeValidation` recomputes the BatchNorm statistics:
    with `train.precise_bn_batches` they are recomputed here, once, from that many training
    batches, so that model.keras and its exports carry the statistics of their own weights
    rather than moving averages lagging them.

    Returns:
      The last epoch, 1-based.
    """
    last = len(history.read_history(run_dir.history_path))
    model.load_weights(run_dir.checkpoint_path(last))
    if config.train.precise_bn_batches > 0:
        with strategy.scope():  # as inside `fit`, where BeforeValidation runs
            used = precise_bn.recompute(
                model, training_inputs(config, model), config.train.precise_bn_batches)
        print(f"BatchNorm statistics of epoch {last} recomputed from {used} training batches")
    model.save(run_dir.model_path)
    return last


@dataclasses.dataclass(frozen=True)
class RunOutcome:
    """What a finished run reports in summary.json, besides its config and history.

    Attributes:
      run_dir: the run folder.
      sizes: the fold's clip counts.
      replicas: replicas in sync (the global batch is `train.batch_size` times this).
      best_epoch: 1-based epoch of model.keras (the last one with `data.fold=all`).
      val_metrics: per head, model.keras on every validation clip once; None without
        validation (`data.fold=all`).
      started: `time.time()` when the run started.
    """

    run_dir: run_dir_lib.RunDir
    sizes: preflight.SplitSizes
    replicas: int
    best_epoch: int
    val_metrics: dict[str, dict[str, float]] | None
    started: float


def _summary(config: config_lib.Config, outcome: RunOutcome) -> dict[str, Any]:
    """summary.json's content (its layout: run_dir.py)."""
    run_dir, sizes, val_metrics = outcome.run_dir, outcome.sizes, outcome.val_metrics
    rows = history.read_history(run_dir.history_path)
    heads = list(model_lib.output_keys(config.model.network))
    final = None
    if val_metrics is not None:
        final = history.head_values(rows[-1], heads)
        final["loss"] = rows[-1].get("val_loss")
    final_train = history.head_values(rows[-1], heads, prefix="")
    final_train["loss"] = rows[-1].get("loss")
    return {
        "run_dir": run_dir.root,
        "dataset": config.data.dataset,
        "network": config.model.network,
        "fold": config.data.fold,
        "fold_name": folds.fold(config.data.dataset, config.data.fold).name,
        "train_clips": sizes.train_clips,
        "val_clips": sizes.val_clips if val_metrics is not None else None,
        "replicas": outcome.replicas,
        "global_batch_size": config.train.batch_size * outcome.replicas,
        "epochs_trained": len(rows),
        "best_epoch": outcome.best_epoch,
        "val": val_metrics,
        "final_epoch": final,
        "final_epoch_train": final_train,
        "model": run_dir.model_path,
        "exports": {},  # filled by the entry point when it exports (mrpn_tf/train.py)
        "wall_time_s": round(time.time() - outcome.started, 1),
    }


def train(
    config: config_lib.Config,
    strategy: tf.distribute.Strategy,
    extra_callbacks: Sequence[keras.callbacks.Callback] = (),
) -> dict[str, Any]:
    """Trains and evaluates one run (module docstring).

    Args:
      config: the resolved config; `train.run_dir` is filled in when empty.
      strategy: from `strategy.build_strategy()`, created before any other TF work.
      extra_callbacks: appended to the run's callbacks.

    Returns:
      The summary (also written to summary.json by the chief).

    Raises:
      PreflightError: a check failed; nothing was trained.
    """
    started = time.time()
    run_dir = resolve_run_dir(config)
    global_batch = config.train.batch_size * strategy.num_replicas_in_sync
    sizes = preflight.check_run(config, global_batch, strategy_lib.uses_gpu(strategy))
    print(f"run folder: {run_dir.root}")
    run_dir_lib.create(run_dir, config)
    keras.utils.set_random_seed(config.train.seed)
    if config.train.deterministic:  # process-wide, and cannot be undone (config comment)
        tf.config.experimental.enable_op_determinism()
    accelerator_switches.apply_switches(config.train)
    with strategy.scope():
        model = build_compiled_model(config, len(label_sets.run_labels(config.data)))
    fit(model, config, strategy, run_dir, sizes, extra_callbacks)
    validating = dataset_builder.has_validation(config.data)
    if validating:
        best = save_best_model(model, run_dir)
    else:
        best = save_last_model(model, config, strategy, run_dir)
    if not strategy_lib.is_chief():
        return {"run_dir": run_dir.root, "best_epoch": best}
    val_metrics = None
    if validating:
        # The saved model, outside the strategy: the numbers describe the file that is shipped.
        saved = keras.saving.load_model(run_dir.model_path)
        val_metrics = evaluation.head_metrics(evaluation.predict_split(saved, config))
    summary = _summary(config, RunOutcome(
        run_dir=run_dir, sizes=sizes, replicas=strategy.num_replicas_in_sync, best_epoch=best,
        val_metrics=val_metrics, started=started))
    summary_lib.write_summary(run_dir, summary)
    return summary
