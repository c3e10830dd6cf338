"""Padding and masks, bucketing, and evaluation batches that never drop or repeat a clip."""

import numpy as np
import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import features
from mrpn_tf.data.pipeline import batching
from tests.data.pipeline import map_equivalence

CONFIG = config_lib.tiny()
SIZE = CONFIG.video.crop_size
LENGTHS = [(3, 2), (7, 1), (5, 4), (1, 3), (8, 2)]  # (frames, segments) of clips 0..4


def examples() -> tf.data.Dataset:
    """Clip i: frames and segments filled with i + 1 (never 0, so padding is recognisable)."""

    def generate():
        for i, (frames, segments) in enumerate(LENGTHS):
            inputs = {
                features.VIDEO: np.full([frames, SIZE, SIZE, 3], i + 1.0, np.float32),
                features.VIDEO_MASK: np.ones([frames], np.float32),
                features.AUDIO: np.full([segments, 256, 250], i + 1.0, np.float32),
                features.AUDIO_MASK: np.ones([segments], np.float32),
            }
            yield inputs, {h: i for h in features.HEAD_KEYS}, {h: 1.0 for h in features.HEAD_KEYS}

    signature = (
        {
            features.VIDEO: tf.TensorSpec([None, SIZE, SIZE, 3], tf.float32),
            features.VIDEO_MASK: tf.TensorSpec([None], tf.float32),
            features.AUDIO: tf.TensorSpec([None, 256, 250], tf.float32),
            features.AUDIO_MASK: tf.TensorSpec([None], tf.float32),
        },
        {h: tf.TensorSpec([], tf.int32) for h in features.HEAD_KEYS},
        {h: tf.TensorSpec([], tf.float32) for h in features.HEAD_KEYS},
    )
    return tf.data.Dataset.from_generator(generate, output_signature=signature)


def test_masks_mark_exactly_the_padding():
    batches = list(batching.batch_examples(examples(), 3, CONFIG, drop_remainder=False))
    seen = 0
    for inputs, targets, _ in batches:
        for row, clip in enumerate(targets[features.VA].numpy()):
            frames, segments = LENGTHS[clip]
            for key, mask_key, length in (
                (features.VIDEO, features.VIDEO_MASK, frames),
                (features.AUDIO, features.AUDIO_MASK, segments),
            ):
                mask = inputs[mask_key][row].numpy()
                np.testing.assert_array_equal(mask, np.arange(len(mask)) < length)
                steps = inputs[key][row].numpy().reshape(len(mask), -1)
                np.testing.assert_array_equal(steps[:length], clip + 1)  # real steps intact
                np.testing.assert_array_equal(steps[length:], 0.0)  # padding is zeros
            seen += 1
    assert seen == len(LENGTHS)


def test_training_batches_drop_the_remainder():
    batches = list(batching.batch_examples(examples(), 2, CONFIG, drop_remainder=True))
    assert len(batches) == 2 and all(b[0][features.VIDEO].shape[0] == 2 for b in batches)


def test_evaluation_pads_the_last_batch_and_keeps_every_clip_once():
    batched = batching.batch_examples(examples(), 3, CONFIG, drop_remainder=False)
    padded = batching.pad_to_full_batches(batched, 3)
    assert padded.element_spec[0][features.VIDEO].shape[0] == 3  # static batch size
    clips, padding = [], 0
    for inputs, targets, weights in padded:
        for row in range(3):
            if weights[features.VA][row] == 1.0:
                clips.append(int(targets[features.VA][row]))
            else:
                padding += 1
                assert weights[features.V][row] == weights[features.A][row] == 0.0
                assert float(tf.reduce_sum(inputs[features.VIDEO_MASK][row])) == 0.0
                assert float(tf.reduce_sum(inputs[features.AUDIO_MASK][row])) == 0.0
    assert sorted(clips) == list(range(len(LENGTHS))) and padding == 1


def test_bucketing_groups_by_duration():
    # Longer stream at 8 fps, 1-s segments with a 0.2-s hop: clip 0 has 3 frames (0.375 s)
    # and 2 segments (1.2 s) -> 1200 ms, and so on.
    durations_ms = [1200, 1000, 1600, 1400, 1200]
    bucketed = batching.batch_examples(
        examples(), 2, CONFIG, drop_remainder=False, bucket_boundaries_s=(1.3,)
    )
    batches = [sorted(t[features.VA].numpy().tolist()) for _, t, _ in bucketed]
    assert sorted(sum(batches, [])) == list(range(len(LENGTHS)))
    for batch in batches:
        assert len({durations_ms[c] < 1300 for c in batch}) == 1  # one bucket per batch
    assert [2, 3] in batches


def test_clip_duration_is_the_longer_stream():
    durations_ms = [1200, 1000, 1600, 1400, 1200]
    for example, expected in zip(examples(), durations_ms):
        assert int(batching.clip_duration_ms(example, CONFIG)) == expected


def test_batch_ops_same_eagerly_and_in_dataset_map():
    example = next(iter(examples()))
    map_equivalence.assert_same_eager_and_in_map(
        lambda *e: batching.clip_duration_ms(e, CONFIG), *example
    )
    partial = next(iter(batching.batch_examples(examples(), 2, CONFIG, drop_remainder=False)))
    map_equivalence.assert_same_eager_and_in_map(
        lambda v: batching.pad_batch_axis(v, 5), partial[0][features.AUDIO_MASK]
    )
