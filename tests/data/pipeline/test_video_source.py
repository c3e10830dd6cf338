"""`data.source=videos` gives what `data.source=tfrecord` gives, from real CREMA-D clips."""

import copy
import os

import numpy as np
import pytest
import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import clip_preparation
from mrpn_tf.data import features
from mrpn_tf.data.pipeline import dataset_builder
from mrpn_tf.data.pipeline import video_source
from tests.data.pipeline import synthetic_records

ACTOR = 1001  # ../shared/data/cremad/VideoFlash: actor 1001, six emotions, one clip each


@pytest.fixture(scope="module")
def config(shared_dir, face_model_path) -> config_lib.Config:
    config = config_lib.tiny()
    config.data.dataset = "cremad"
    config.data.root = str(shared_dir / "data" / "cremad")
    config.data.source = "videos"
    config.video.face_model = face_model_path
    config.train.batch_size = 4
    return config


@pytest.fixture(scope="module")
def tfrecord_config(config, tmp_path_factory) -> config_lib.Config:
    """The same clips through `prepare_clip` into shards: the tfrecord twin of `config`."""
    entries = video_source.clip_entries(config.data, [ACTOR])
    records = [clip_preparation.prepare_clip(entry, config) for entry in entries]
    prepared = str(tmp_path_factory.mktemp("prepared"))
    synthetic_records.write_prepared(prepared, records, config)
    twin = copy.deepcopy(config)
    twin.data.source = "tfrecord"
    twin.data.prepared_dir = prepared
    return twin


def rows_by_label(dataset: tf.data.Dataset) -> dict[int, dict]:
    rows = {}
    for inputs, targets, weights in dataset:
        for row in np.flatnonzero(weights[features.VA].numpy()):
            label = int(targets[features.VA][row])
            assert label not in rows  # one clip per emotion: a label names a clip
            rows[label] = {key: inputs[key][row].numpy() for key in features.INPUT_KEYS}
    return rows


def test_videos_source_equals_tfrecord_source(config, tfrecord_config):
    from_videos = rows_by_label(dataset_builder.build_dataset(config, "val", actors=[ACTOR]))
    from_shards = rows_by_label(dataset_builder.build_dataset(tfrecord_config, "val", actors=[ACTOR]))
    assert sorted(from_videos) == sorted(from_shards) == list(range(6))
    for label, row in from_videos.items():
        for key in features.INPUT_KEYS:
            np.testing.assert_allclose(row[key], from_shards[label][key], atol=1e-5)


def test_training_from_videos_has_the_same_outputs(config, tfrecord_config):
    from_videos = dataset_builder.build_dataset(config, "train", actors=[ACTOR])
    from_shards = dataset_builder.build_dataset(tfrecord_config, "train", actors=[ACTOR])
    assert from_videos.element_spec == from_shards.element_spec
    batch = next(iter(from_videos))
    assert float(tf.reduce_min(batch[0][features.VIDEO_MASK][:, 0])) == 1.0


def test_unreadable_video_stops_with_its_path(config, tmp_path):
    (tmp_path / "VideoFlash").mkdir()
    broken = tmp_path / "VideoFlash" / "1001_DFA_ANG_XX.flv"
    broken.write_bytes(os.urandom(2048))
    bad = copy.deepcopy(config)
    bad.data.root = str(tmp_path)
    with pytest.raises(tf.errors.OpError, match="1001_DFA_ANG_XX.flv"):
        list(dataset_builder.build_dataset(bad, "val", actors=[ACTOR]))
