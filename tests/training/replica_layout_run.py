"""Fits the tiny N2 for a few steps with 2 replicas, laid out in one process or in two workers.

    python -m tests.training.replica_layout_run single OUT.npz
    TF_CONFIG=... python -m tests.training.replica_layout_run worker OUT.npz

`single`: MirroredStrategy over 2 logical CPU devices in this process. `worker`: this process
is one of two MultiWorkerMirroredStrategy workers (one replica each; `TF_CONFIG` names the
cluster). Either way replica r gets the same batch at step s (`replica_batch(s, r)`), the
global batch is their union and the model, optimizer and seed are the run's (the task's
`build_compiled_model`), so both layouts must end at the same weights. The chief writes them,
with the initial weights and the loss Keras logged, to OUT.npz.
"""

import sys

import numpy as np

from mrpn_tf.training import strategy as strategy_lib

STEPS = 3
REPLICAS = 2
PER_REPLICA_BATCH = 2
SEED = 7


def replica_batch(config, heads, step: int, replica: int) -> tuple[dict, dict]:
    """The batch replica `replica` trains on at step `step`: a fixed function of the two."""
    from mrpn_tf.data import features

    rng = np.random.default_rng(1000 * step + replica)
    b, size, a = PER_REPLICA_BATCH, config.video.crop_size, config.audio
    frames, segments = 3, 2
    video_mask = np.ones((b, frames), np.float32)
    video_mask[0, -1] = 0.0  # one padded frame: the masked gather is on the path
    inputs = {
        features.VIDEO: rng.random((b, frames, size, size, 3), dtype=np.float32),
        features.VIDEO_MASK: video_mask,
        features.AUDIO: rng.standard_normal((b, segments, a.freq_bins, a.frames_per_segment)).astype(np.float32),
        features.AUDIO_MASK: np.ones((b, segments), np.float32),
    }
    labels = rng.integers(0, 8, size=b).astype(np.int32)
    return inputs, {head: labels for head in heads}


def main(layout: str, out_path: str) -> None:
    if layout == "single":
        strategy_lib.split_cpu(REPLICAS)
    distribution = strategy_lib.build_strategy()
    assert distribution.num_replicas_in_sync == REPLICAS, distribution.num_replicas_in_sync

    import keras
    import tensorflow as tf

    from mrpn_tf.config import config as config_lib
    from mrpn_tf.training import task

    config = config_lib.tiny()
    config.model.network = "N2"
    config.model.dropout = 0.0  # the only random draw of a training step
    keras.utils.set_random_seed(SEED)
    with distribution.scope():
        model = task.build_compiled_model(config, num_classes=8)

    def pipeline(context: tf.distribute.InputContext) -> tf.data.Dataset:
        local = context.num_replicas_in_sync // context.num_input_pipelines
        first = context.input_pipeline_id * local
        # Per-replica batches in the order the strategy hands them out: step by step, this
        # pipeline's replicas in turn.
        batches = [replica_batch(config, list(model.output), step, first + r) for step in range(STEPS) for r in range(local)]
        inputs = {k: np.stack([x[k] for x, _ in batches]) for k in batches[0][0]}
        targets = {k: np.stack([y[k] for _, y in batches]) for k in batches[0][1]}
        return tf.data.Dataset.from_tensor_slices((inputs, targets))

    initial = model.get_weights()
    dataset = distribution.distribute_datasets_from_function(pipeline)
    history = task.fit_distributed(model, distribution, dataset, epochs=1, steps_per_epoch=STEPS,
                                      verbose=0)
    if strategy_lib.is_chief():
        weights = {f"w{i}": w for i, w in enumerate(model.get_weights())}
        weights.update({f"initial_w{i}": w for i, w in enumerate(initial)})
        np.savez(out_path, loss=np.asarray(history.history["loss"]), **weights)


if __name__ == "__main__":
    main(*sys.argv[1:3])
