"""Trains every network (N0, N1, N2, AM, VM) of the tiny config for a few steps, as they train.

    python -m tests.training.default_settings_run

Run by test_default_settings.py in a subprocess with TensorFlow's default settings, so that a
native crash in a kernel (the oneDNN heap corruption of resnet18.Subsample2D's docstring) fails
that test with this process's output instead of killing pytest. Each step prints a line, so
the output ends where a crash happened. The batches mimic the pipeline's: odd and even clip
counts, padded frames and segments (the masked gather gives the CNNs batches of 1, 3, 5 ...),
and the per-head gradients of one persistent tape, the pattern that first crashed.
"""

import numpy as np

NETWORKS = ("N0", "N1", "N2", "AM", "VM")
# (video frames per clip, audio segments per clip) of each step's clips; 0-length clips are
# not made by the pipeline (it skips clips without frames or audio).
STEPS = (((1,), (1,)), ((2, 1, 2), (1, 2, 1)), ((3, 2), (2, 1)), ((1, 2, 2, 1, 3), (1, 1, 2, 1, 1)))


def batch(config, model, video_lengths, audio_lengths, rng):
    """Padded inputs and labels for clips of the given lengths, narrowed to the model's keys."""
    from mrpn_tf.data import features
    from tests.model.conftest import padded_batch

    seed = int(rng.integers(1 << 31))
    size, a = config.video.crop_size, config.audio
    video, video_mask = padded_batch((size, size, 3), video_lengths, max(video_lengths), seed)
    audio, audio_mask = padded_batch((a.freq_bins, a.frames_per_segment), audio_lengths,
                                     max(audio_lengths), seed + 1)
    everything = {features.VIDEO: video, features.VIDEO_MASK: video_mask,
                  features.AUDIO: audio, features.AUDIO_MASK: audio_mask}
    labels = rng.integers(0, 8, size=len(video_lengths)).astype(np.int32)
    return {k: everything[k] for k in model.input}, {head: labels for head in model.output}


def main() -> None:
    import keras
    import tensorflow as tf

    from mrpn_tf.config import config as config_lib
    from mrpn_tf.training import task

    rng = np.random.default_rng(0)
    for network in NETWORKS:
        config = config_lib.tiny()
        config.model.network = network
        keras.utils.set_random_seed(0)
        model = task.build_compiled_model(config, num_classes=8)
        for step, (video_lengths, audio_lengths) in enumerate(STEPS):
            inputs, targets = batch(config, model, video_lengths, audio_lengths, rng)
            logs = model.train_on_batch(inputs, targets, return_dict=True)
            assert np.isfinite(logs["loss"]), (network, step, logs)
            print(f"{network} train step {step}: {len(video_lengths)} clips, loss {logs['loss']:.3f}",
                  flush=True)
        # Each head's gradient from one persistent tape, as the gradient-routing tests take them.
        inputs, targets = batch(config, model, (2, 3, 1), (1, 2, 1), rng)
        loss_fn = keras.losses.SparseCategoricalCrossentropy()
        with tf.GradientTape(persistent=True) as tape:
            outputs = model(inputs, training=True)
            losses = {head: loss_fn(targets[head], outputs[head]) for head in outputs}
        for head, loss in losses.items():
            grads = tape.gradient(loss, model.trainable_weights)
            assert all(g is None or np.all(np.isfinite(g)) for g in grads), (network, head)
        print(f"{network} per-head gradients of {sorted(losses)}: finite", flush=True)
    print("all networks trained")


if __name__ == "__main__":
    main()
