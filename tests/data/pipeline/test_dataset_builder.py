"""`build_dataset` on a synthetic prepared folder: outputs, coverage, sharding, consistency."""

import copy

import keras
import numpy as np
import pytest
import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import clip_record
from mrpn_tf.data import features
from mrpn_tf.data.pipeline import clip_features
from mrpn_tf.data.pipeline import dataset_builder
from mrpn_tf.data.pipeline import video_frames
from mrpn_tf.inference import serving_preprocessing
from mrpn_tf.inference import signature_keys
from tests.data.pipeline import synthetic_records

# Ten clips over three actors; label i is unique, so a label identifies its clip.
DURATIONS = [0.6, 1.0, 1.3, 2.2, 0.9, 1.7, 1.1, 2.0, 0.4, 1.5]
ACTORS = [1, 2, 3]
BATCH = 4


def config_for(prepared_dir: str) -> config_lib.Config:
    config = config_lib.tiny()
    config.data.prepared_dir = prepared_dir
    config.train.batch_size = BATCH
    config.data.shuffle_buffer = 16
    return config


@pytest.fixture(scope="module")
def clips() -> list[clip_record.ClipRecord]:
    config = config_lib.tiny()
    return [
        synthetic_records.make_clip(f"c{i}", i, ACTORS[i % 3], d, config, audio_s=d + 0.1 * (i % 2), seed=i)
        for i, d in enumerate(DURATIONS)
    ]


@pytest.fixture(scope="module")
def config(tmp_path_factory, clips) -> config_lib.Config:
    prepared = str(tmp_path_factory.mktemp("prepared"))
    synthetic_records.write_prepared(prepared, clips, config_lib.tiny())
    return config_for(prepared)


def real_rows(batches) -> list[tuple[dict, int]]:
    """(features of one clip, trimmed to its masks; label) for every weight-1 row."""
    rows = []
    for inputs, targets, weights in batches:
        for row in np.flatnonzero(weights[features.VA].numpy()):
            frames = int(inputs[features.VIDEO_MASK][row].numpy().sum())
            segments = int(inputs[features.AUDIO_MASK][row].numpy().sum())
            clip = {
                features.VIDEO: inputs[features.VIDEO][row, :frames].numpy(),
                features.AUDIO: inputs[features.AUDIO][row, :segments].numpy(),
            }
            rows.append((clip, int(targets[features.VA][row])))
    return rows


def test_training_batches_keys_shapes_and_dtypes(config):
    train_config = copy.deepcopy(config)
    train_config.data.pairing_prob = 0.5
    dataset = dataset_builder.build_dataset(train_config, "train", actors=ACTORS)
    inputs, targets, weights = dataset.element_spec
    assert set(inputs) == set(features.INPUT_KEYS)
    assert set(targets) == set(weights) == set(features.HEAD_KEYS)
    assert inputs[features.VIDEO].shape.as_list() == [BATCH, None, 48, 48, 3]
    assert inputs[features.AUDIO].shape.as_list() == [BATCH, None, 256, 250]
    assert inputs[features.VIDEO_MASK].shape.as_list() == [BATCH, None]
    assert all(s.dtype == tf.float32 for s in inputs.values())
    assert all(s.dtype == tf.int32 and s.shape == [BATCH] for s in targets.values())
    batches = list(dataset)
    assert len(batches) == len(DURATIONS) // BATCH  # remainder dropped
    for inputs, targets, _ in batches:
        np.testing.assert_array_equal(targets[features.V], targets[features.VA])
        assert float(tf.reduce_min(inputs[features.VIDEO_MASK][:, 0])) == 1.0


def test_evaluation_covers_every_clip_exactly_once(config):
    dataset = dataset_builder.build_dataset(config, "val", actors=ACTORS)
    assert dataset.element_spec[0][features.VIDEO].shape[0] == BATCH
    for _ in range(2):  # and the same again on a second pass
        labels = [label for _, label in real_rows(dataset)]
        assert sorted(labels) == list(range(len(DURATIONS)))


def test_whole_clip_validation_batches_equal_raw_to_features(config, clips):
    # The batches Keras validates on during `fit` (whole clips, records parsed, decoded,
    # padded and batched by tf.data) hold the features `serving_preprocessing.raw_to_features`
    # makes of the same whole clip (a raw batch of uint8 frames and a waveform, padded and
    # masked in the graph). The video features are also checked against a plain JPEG decode
    # scaled to [0, 1], outside both paths. (Evaluation and predict score windows instead:
    # tests/export/test_scoring_path.py ties those two together.)
    dataset = dataset_builder.build_dataset(config, "val", actors=ACTORS)
    for clip, label in real_rows(dataset):
        record = synthetic_records.record_dict(clips[label])
        frames = tf.stack([tf.io.decode_jpeg(jpeg, channels=3) for jpeg in record[clip_record.FRAMES]])
        waveform = tf.cast(record[clip_record.AUDIO_PCM16], tf.float32)
        raw = {
            signature_keys.FRAMES: frames[None], signature_keys.NUM_FRAMES: tf.shape(frames)[:1],
            signature_keys.WAVEFORM: waveform[None], signature_keys.NUM_SAMPLES: tf.shape(waveform)[:1],
        }
        served = serving_preprocessing.raw_to_features(raw, [features.V, features.A], config)
        np.testing.assert_allclose(clip[features.VIDEO], frames.numpy() / 255.0, atol=1e-6)
        np.testing.assert_allclose(clip[features.VIDEO], served[features.VIDEO][0].numpy(), atol=1e-6)
        np.testing.assert_allclose(clip[features.AUDIO], served[features.AUDIO][0].numpy(), atol=1e-4)


@pytest.mark.parametrize("actors", [ACTORS, [1]])  # 3 shards: by file; 1 shard: by record
def test_input_pipelines_split_the_clips(config, actors):
    labels = []
    for pipeline in range(2):
        context = tf.distribute.InputContext(2, pipeline, num_replicas_in_sync=2)
        dataset = dataset_builder.build_dataset(config, "val", actors=actors, input_context=context)
        assert dataset.element_spec[0][features.VIDEO].shape[0] == BATCH // 2  # per replica
        labels += [label for _, label in real_rows(dataset)]
    expected = [i for i in range(len(DURATIONS)) if ACTORS[i % 3] in actors]
    assert sorted(labels) == expected


def test_training_epochs_draw_new_augmentations(config):
    dataset = dataset_builder.build_dataset(config, "train", actors=ACTORS)
    first = [b[0][features.VIDEO].numpy() for b in dataset]
    second = [b[0][features.VIDEO].numpy() for b in dataset]
    assert any(a.shape != b.shape or not np.allclose(a, b) for a, b in zip(first, second))


def test_bucketing_and_a_fold_split(config):
    bucketed = copy.deepcopy(config)
    bucketed.data.bucket_boundaries_s = (1.25,)
    bucketed.data.time_augment = False  # whole clips: each clip's bucket is fixed
    # 5 clips on each side of 1.25 s; training drops each bucket's remainder: one full batch
    # per bucket, and no batch mixes short and long clips (label i has DURATIONS[i]).
    batches = list(dataset_builder.build_dataset(bucketed, "train", actors=ACTORS))
    assert [int(inputs[features.VIDEO].shape[0]) for inputs, _, _ in batches] == [BATCH, BATCH]
    short = [[DURATIONS[label] <= 1.25 for label in targets[features.VA].numpy()] for _, targets, _ in batches]
    assert all(len(set(sides)) == 1 for sides in short)
    assert sorted(sides[0] for sides in short) == [False, True]
    train = dataset_builder.split_actors(bucketed.data, "train", fold=1)
    val = dataset_builder.split_actors(bucketed.data, "val", fold=1)
    assert train and val and not set(train) & set(val)
    with pytest.raises(ValueError, match="split"):
        dataset_builder.split_actors(bucketed.data, "test")


def test_folder_prepared_with_other_settings_is_refused(config):
    other = copy.deepcopy(config)
    other.video.crop_size = 64
    with pytest.raises(ValueError, match="crop_size=48"):
        dataset_builder.build_dataset(other, "val", actors=ACTORS)


def test_record_without_frames_stops_with_its_path(tmp_path):
    config = config_for(str(tmp_path))
    clip = synthetic_records.make_clip("empty", 1, 1, 1.2, config)
    clip.frames = []
    synthetic_records.write_prepared(str(tmp_path), [clip], config)
    with pytest.raises(tf.errors.InvalidArgumentError, match="zero video frames.*/synthetic/empty.mp4"):
        list(dataset_builder.build_dataset(config, "val", actors=[1]))


def test_keras_fit_and_evaluate_consume_the_dataset(config):
    # A stand-in for the model: dict inputs by modality, dict outputs by head, weights by head.
    inputs = {
        features.VIDEO: keras.Input([None, 48, 48, 3], name=features.VIDEO),
        features.VIDEO_MASK: keras.Input([None], name=features.VIDEO_MASK),
        features.AUDIO: keras.Input([None, 256, 250], name=features.AUDIO),
        features.AUDIO_MASK: keras.Input([None], name=features.AUDIO_MASK),
    }
    video = keras.layers.GlobalAveragePooling3D()(inputs[features.VIDEO])
    audio = keras.layers.GlobalAveragePooling2D()(inputs[features.AUDIO])
    masks = [
        keras.layers.GlobalAveragePooling1D()(keras.layers.Reshape([-1, 1])(inputs[key]))
        for key in (features.VIDEO_MASK, features.AUDIO_MASK)
    ]
    joint = keras.layers.Concatenate()([video, audio, *masks])
    outputs = {head: keras.layers.Dense(10, name=head)(joint) for head in features.HEAD_KEYS}
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer="sgd",
        loss={h: keras.losses.SparseCategoricalCrossentropy(from_logits=True) for h in features.HEAD_KEYS},
        weighted_metrics={h: ["accuracy"] for h in features.HEAD_KEYS},
    )
    model.fit(dataset_builder.build_dataset(config, "train", actors=ACTORS), epochs=1, verbose=0)
    result = model.evaluate(
        dataset_builder.build_dataset(config, "val", actors=ACTORS), verbose=0, return_dict=True
    )
    assert np.isfinite(result["loss"])
