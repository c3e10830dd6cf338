"""The tf.distribute strategy of a run, and which worker writes the run folder.

  * `TF_CONFIG` set (a cluster spec): MultiWorkerMirroredStrategy, one replica per local
    device on every worker, gradients all-reduced across workers.
  * otherwise: MirroredStrategy over the visible GPUs, or over the logical CPU devices when
    there is no GPU (one, unless `split_cpu` made more: the tests mirror over two).

The model, its optimizer and its metrics are created inside `strategy.scope()`; the global
batch is the per-replica batch (`train.batch_size`) times `num_replicas_in_sync`.

The strategy must be created before TensorFlow runs any op: MultiWorkerMirroredStrategy
configures the runtime's collective ops, and `split_cpu` the device list.
"""

from __future__ import annotations

import json
import os

import keras
import tensorflow as tf

TF_CONFIG = "TF_CONFIG"


def split_cpu(num_devices: int) -> None:
    """Splits the physical CPU into `num_devices` logical devices (before TF initializes).

    Lets MirroredStrategy run several replicas on a CPU-only machine, as the tests do.

    Args:
      num_devices: logical CPU devices to create.

    Raises:
      RuntimeError: TensorFlow has already initialized its devices.
    """
    (cpu,) = tf.config.list_physical_devices("CPU")
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(num_devices)]
    )


def build_strategy() -> tf.distribute.Strategy:
    """The strategy for this process (module docstring).

    Returns:
      MultiWorkerMirroredStrategy when `TF_CONFIG` is set, else MirroredStrategy over the
      GPUs or, without GPUs, over the logical CPU devices.
    """
    if os.environ.get(TF_CONFIG):
        return tf.distribute.MultiWorkerMirroredStrategy()
    devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    return tf.distribute.MirroredStrategy([device.name for device in devices])


def uses_gpu(strategy: tf.distribute.Strategy) -> bool:
    """Whether the strategy's replicas run on GPUs."""
    return any("GPU" in device.upper() for device in strategy.extended.worker_devices)


def _task() -> tuple[str, int, dict]:
    """(task type, task index, cluster) from `TF_CONFIG`; ("", 0, {}) without a cluster."""
    spec = json.loads(os.environ.get(TF_CONFIG) or "{}")
    task = spec.get("task", {})
    return str(task.get("type", "")), int(task.get("index", 0)), spec.get("cluster", {})


def is_chief() -> bool:
    """Whether this process writes the run folder: the single process, or the cluster's chief.

    A cluster without a "chief" task uses worker 0 as its chief, as Keras and TF do.
    """
    task_type, index, cluster = _task()
    if not task_type or task_type == "chief":
        return True
    return task_type == "worker" and index == 0 and "chief" not in cluster


def worker_name() -> str:
    """This process's task in the cluster, e.g. "worker-1" ("" without a cluster)."""
    task_type, index, _ = _task()
    return f"{task_type}-{index}" if task_type else ""


def in_multi_worker_mode(strategy: tf.distribute.Strategy) -> bool:
    """Whether Keras treats `strategy` as a cluster (MultiWorkerMirroredStrategy over > 1 task).

    The same test as Keras's own (`_collective_all_reduce_multi_worker`), which decides how a
    step's logs are reduced.
    """
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return False
    return bool(strategy.extended._in_multi_worker_mode())  # pylint: disable=protected-access


def _as_vector(value):
    value = tf.convert_to_tensor(value)
    return tf.reshape(value, [1]) if value.shape.rank == 0 else value


def make_step_logs_reducible(model: keras.Model, strategy: tf.distribute.Strategy) -> None:
    """Lets Keras 3 reduce a step's logs across workers (call before `fit`).

    Keras 3.15 reduces the per-replica logs of a train / test step in a cluster with
    `strategy.reduce("MEAN", value, axis=0)`, which raises "Invalid reduction dimension 0 for
    input with 0 dimensions" on the scalar loss and metric values every step returns. Each
    scalar is returned as a [1] vector instead; the mean over axis 0 of the replicas' vectors
    is the scalar mean across replicas, the value a single worker reports. Outside a cluster
    nothing changes (Keras then reduces the scalars itself).

    Args:
      model: the compiled model about to be fit.
      strategy: the run's strategy.
    """
    if not in_multi_worker_mode(strategy):
        return
    for name in ("train_step", "test_step"):
        step = getattr(model, name)

        def vector_logs(data, step=step):
            return tf.nest.map_structure(_as_vector, step(data))

        # An instance attribute shadows the method that make_train_function / make_test_function read.
        object.__setattr__(model, name, vector_logs)
