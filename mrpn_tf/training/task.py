"""One training run: checks, run folder, model in the strategy scope, `fit`, best model, summary.

    train(config, strategy)
      preflight checks (preflight.py)          -> clear errors before anything trains
      run folder: config.yaml, labels.json     (run_dir.py)
      model + AdamW + losses, in strategy.scope()
      fit on the fold's training split, validating on its held-out actors, with the
        callbacks of callbacks.py; a killed run resumes from backup/ (resume.py)
      model.keras <- the checkpoint of the best epoch by validation loss
      exact validation metrics of model.keras, export (export.on_train_end), summary.json

Paper 4.2 settings come from the config: AdamW at 5e-5, learning rate halved after ten epochs
without a lower validation loss; the loss is eq. 5 with the configured head weights.
"""

from __future__ import annotations

import importlib
import os
import time
from typing import Any, Sequence

import keras
import tensorflow as tf

from mrpn_tf import model as model_lib
from mrpn_tf.config import config as config_lib
from mrpn_tf.data import datasets
from mrpn_tf.data.folds import folds
from mrpn_tf.data.pipeline import dataset_builder
from mrpn_tf.training import accelerator
from mrpn_tf.training import callbacks as callbacks_lib
from mrpn_tf.training import evaluation
from mrpn_tf.training import history
from mrpn_tf.training import input_data
from mrpn_tf.training import optimizer as optimizer_lib
from mrpn_tf.training import preflight
from mrpn_tf.training import replica_batches
from mrpn_tf.training import resume
from mrpn_tf.training import run_dir as run_dir_lib
from mrpn_tf.training import strategy as strategy_lib
from mrpn_tf.training import summary as summary_lib

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
    loss, loss_weights = model_lib.compile_losses(config.model)
    model.compile(
        optimizer=optimizer_lib.build_optimizer(config.train),
        loss=loss,
        loss_weights=loss_weights,
        weighted_metrics={
            head: [keras.metrics.SparseCategoricalAccuracy(name=ACCURACY)] for head in model.output
        },
        jit_compile=False,  # XLA, when asked for, is auto-clustering (accelerator.py)
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
    """`model.fit` on the fold's training split, validating on its held-out actors.

    Resumes from `run_dir.backup_dir` when it holds a backup (resume.py).

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
    val_steps = input_data.steps_per_epoch(sizes.val_clips, batch, local, dataset_builder.VAL)
    done = resume.epochs_done(run_dir.backup_dir)
    if done:
        print(f"resuming {run_dir.root} after epoch {done}")
    resume.trim_history(run_dir.history_path, done)
    train = input_data.distributed_dataset(
        config, strategy, dataset_builder.TRAIN, inputs, heads, train_steps, replayed_epochs=done)
    val = input_data.distributed_dataset(config, strategy, dataset_builder.VAL, inputs, heads, val_steps)
    callbacks = callbacks_lib.build_callbacks(config, run_dir) + list(extra_callbacks)
    replica_batches.build_before_fit(model, strategy)
    with strategy.scope():
        model.fit(train, validation_data=val, epochs=config.train.epochs, callbacks=callbacks,
                  steps_per_epoch=train_steps, validation_steps=val_steps, shuffle=False,
                  verbose="auto")


def save_best_model(model: keras.Model, run_dir: run_dir_lib.RunDir) -> int:
    """Loads the best epoch's checkpoint into `model` and saves it as model.keras.

    Returns:
      The best epoch, 1-based.
    """
    best = history.best_epoch(history.read_history(run_dir.history_path))
    model.load_weights(run_dir.checkpoint_path(best))
    model.save(run_dir.model_path)
    return best


def export(run_dir: run_dir_lib.RunDir) -> dict[str, str]:
    """Exports the run with the export package's `export_run` (serving and TFLite files).

    Returns:
      Export name -> path, as `export_run` reports them.
    """
    exporter = importlib.import_module(preflight.EXPORT_MODULE)  # checked by preflight
    return dict(exporter.export_run(run_dir.root))


def _summary(config, run_dir, sizes, strategy, best, val_metrics, exports, started) -> dict:
    rows = history.read_history(run_dir.history_path)
    heads = list(val_metrics)
    final = history.head_values(rows[-1], heads)
    final["loss"] = rows[-1].get("val_loss")
    return {
        "run_dir": run_dir.root,
        "dataset": config.data.dataset,
        "network": config.model.network,
        "fold": config.data.fold,
        "fold_name": folds.fold(config.data.dataset, config.data.fold).name,
        "train_clips": sizes.train_clips,
        "val_clips": sizes.val_clips,
        "replicas": strategy.num_replicas_in_sync,
        "global_batch_size": config.train.batch_size * strategy.num_replicas_in_sync,
        "epochs_trained": len(rows),
        "best_epoch": best,
        "val": val_metrics,
        "final_epoch": final,
        "model": run_dir.model_path,
        "exports": exports,
        "wall_time_s": round(time.time() - started, 1),
    }


def train(
    config: config_lib.Config,
    strategy: tf.distribute.Strategy,
    extra_callbacks: Sequence[keras.callbacks.Callback] = (),
) -> dict[str, Any]:
    """Trains, evaluates and (optionally) exports one run (module docstring).

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
    accelerator.apply_switches(config.train)
    with strategy.scope():
        model = build_compiled_model(config, len(datasets.label_names(config.data.dataset)))
    fit(model, config, strategy, run_dir, sizes, extra_callbacks)
    best = save_best_model(model, run_dir)
    if not strategy_lib.is_chief():
        return {"run_dir": run_dir.root, "best_epoch": best}
    # The saved model, outside the strategy: the numbers describe the file that is shipped.
    saved = keras.saving.load_model(run_dir.model_path)
    val_metrics = evaluation.head_metrics(evaluation.predict_split(saved, config))
    exports = export(run_dir) if config.export.on_train_end else {}
    summary = _summary(config, run_dir, sizes, strategy, best, val_metrics, exports, started)
    summary_lib.write_summary(run_dir, summary)
    return summary
