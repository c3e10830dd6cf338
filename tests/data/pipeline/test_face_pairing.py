"""Cross-corpus pairing: voices of one corpus, faces of another, by label (face_pairing.py).

The voices are the tiny synthetic demo set (RAVDESS labels) of tests/training; the faces a
tiny FER-2013 in its Kaggle folders (2 Training and 1 PublicTest face per class).
"""

from __future__ import annotations

import collections

import keras
import numpy as np
import pytest
import tensorflow as tf

from mrpn_tf.data import clip_record
from mrpn_tf.data import features
from mrpn_tf.data.pipeline import dataset_builder
from mrpn_tf.data.pipeline import face_pairing
from mrpn_tf.data.pipeline import video_frames
from mrpn_tf.training import preflight
from tests.data.datasets import fer_files
from tests.training import conftest as training_conftest

SHARED7 = ("neutral", "happy", "sad", "angry", "fearful", "disgust", "surprised")
LABEL_MAP = ("demo.calm=neutral", "fer2013.fear=fearful", "fer2013.surprise=surprised")

prepared_dir = training_conftest.prepared_dir


@pytest.fixture(scope="module")
def fer_root(tmp_path_factory) -> str:
    return fer_files.write_folders(str(tmp_path_factory.mktemp("fer")), fer_files.faces())


def _config(prepared_dir, fer_root, tmp_path, face_model_path, **changes):
    config = training_conftest.training_config(prepared_dir, str(tmp_path / "run"), **changes)
    config.data.video_dataset = "fer2013"
    config.data.video_root = fer_root
    config.data.video_prepared_dir = str(tmp_path / "boxes")
    config.data.labels = SHARED7
    config.data.label_map = LABEL_MAP
    config.video.face_model = face_model_path
    return config


def _faces(clips) -> list[tuple[str, int, int]]:
    return [(c[clip_record.CLIP_ID].decode(), int(c[clip_record.LABEL]),
             int(c[face_pairing.FACE_INDEX])) for c in clips.as_numpy_iterator()]


def test_validation_pairs_each_voice_with_a_fixed_publictest_face_of_its_label(
        prepared_dir, fer_root, tmp_path, face_model_path):
    config = _config(prepared_dir, fer_root, tmp_path, face_model_path)
    table = face_pairing.face_table(config, training=False)
    assert list(table.counts) == [1] * 7  # one PublicTest face per class
    assert all("PublicTest_" in source for source in table.sources)
    clips = dataset_builder.parsed_clips(config, "val")
    first = _faces(clips)
    # Demo labels 0 (neutral), 2 (happy), 5 (fearful) -> run labels 0, 1, 4.
    assert sorted(label for _, label, _ in first) == [0, 1, 4]
    for _, label, index in first:
        assert table.labels[index] == label
    assert _faces(clips) == first  # the same pairs every pass
    clip = next(iter(clips))
    assert clip[clip_record.FRAMES].shape == [1]  # a still face is one frame
    decoded = video_frames.decode_frames(clip[clip_record.FRAMES], config.video.crop_size)
    assert decoded.shape == [1, config.video.crop_size, config.video.crop_size, 3]
    assert clip[clip_record.FRAMES][0].numpy() == table.jpegs[int(clip[face_pairing.FACE_INDEX])]


def test_training_draws_training_faces_of_the_label_anew_every_epoch(
        prepared_dir, fer_root, tmp_path, face_model_path):
    config = _config(prepared_dir, fer_root, tmp_path, face_model_path)
    table = face_pairing.face_table(config, training=True)
    assert list(table.counts) == [2] * 7 and all("Training_" in s for s in table.sources)
    records = dataset_builder.parsed_clips(config, "train").map(
        lambda clip: {k: v for k, v in clip.items() if k != face_pairing.FACE_INDEX})
    drawn = face_pairing.with_faces(records, config, training_faces=True, redraw=True, seed=3)
    epochs = [_faces(drawn) for _ in range(4)]
    for epoch in epochs:
        # Demo calm (label 1) became neutral (0); every face has its voice's label.
        assert sorted(label for _, label, _ in epoch) == [0, 0, 1, 2, 3, 4, 5, 6]
        assert all(table.labels[index] == label for _, label, index in epoch)
    assert len({tuple(sorted(epoch)) for epoch in epochs}) > 1  # drawn again
    choices = collections.Counter(i for epoch in epochs for _, _, i in epoch)
    assert len(choices) > 8  # both faces of a label are drawn


def test_the_training_batches_carry_faces_and_the_shared_labels(
        prepared_dir, fer_root, tmp_path, face_model_path):
    config = _config(prepared_dir, fer_root, tmp_path, face_model_path)
    config.video.crop_size = 64  # faces are cropped at the run's size, whatever was prepared
    inputs, targets, weights = next(iter(dataset_builder.build_dataset(config, "train")))
    assert inputs[features.VIDEO].shape[1:] == [1, 64, 64, 3]
    np.testing.assert_array_equal(inputs[features.VIDEO_MASK], np.ones([2, 1]))
    assert inputs[features.AUDIO].shape[0] == 2
    assert set(targets) == {features.V, features.A, features.VA}
    assert int(tf.reduce_max(targets[features.VA])) < len(SHARED7)


def test_a_dropped_emotion_leaves_the_data_and_the_counts(
        prepared_dir, fer_root, tmp_path, face_model_path):
    config = _config(prepared_dir, fer_root, tmp_path, face_model_path)
    config.data.label_map = ("demo.calm=",) + LABEL_MAP[1:]
    labels = [label for _, label, _ in _faces(dataset_builder.parsed_clips(config, "train"))]
    assert sorted(labels) == [0, 1, 2, 3, 4, 5, 6]  # the calm clip is gone
    full = _config(prepared_dir, fer_root, tmp_path, face_model_path)
    assert preflight.split_sizes(config).train_clips == preflight.split_sizes(full).train_clips - 1
    preflight.check_modalities(config)  # N2 reads video: the paired faces provide it


def test_a_label_without_faces_and_a_missing_root_are_clear_errors(
        prepared_dir, fer_root, tmp_path, face_model_path):
    config = _config(prepared_dir, fer_root, tmp_path, face_model_path)
    config.data.labels = SHARED7 + ("calm",)
    config.data.label_map = LABEL_MAP[1:]
    with pytest.raises(ValueError, match="no PublicTest faces for label.*calm"):
        face_pairing.face_table(config, training=False)
    config = _config(prepared_dir, fer_root, tmp_path, face_model_path)
    config.data.video_root = ""
    with pytest.raises(ValueError, match="needs data.video_root"):
        face_pairing.face_table(config, training=True)


def test_an_n2_of_paired_corpora_trains_and_reports_every_head(
        prepared_dir, fer_root, tmp_path, face_model_path):
    """The whole run: paired faces, the shared labels, the face model's averaging video side."""
    from mrpn_tf.model import layer_names
    from mrpn_tf.training import run_dir as run_dir_lib
    from mrpn_tf.training import strategy as strategy_lib
    from mrpn_tf.training import task

    config = _config(prepared_dir, fer_root, tmp_path, face_model_path)
    config.model.network = "N2"
    config.model.video_aggregator = "average"
    config.model.video_width_multiplier = 0.25
    summary = task.train(config, strategy_lib.build_strategy())
    assert set(summary["val"]) == {features.V, features.A, features.VA}
    run = run_dir_lib.RunDir(config.train.run_dir)
    assert run_dir_lib.read_run_labels(run) == ("demo", list(SHARED7))
    model = keras.saving.load_model(run.model_path)
    assert model.output[features.VA].shape[-1] == len(SHARED7)
    kinds = {head: model.get_layer(layer_names.aggregator(head)).get_config()["kind"]
             for head in (features.V, features.A)}
    assert kinds == {features.V: "average", features.A: "lstm"}


def test_the_real_people_run_file_pairs_fer_faces_with_ravdess_voices():
    """pipelines/real_people.yaml: both corpora on the seven shared emotions, calm as neutral,
    the shipped face model's extractor, crop, margin and aggregator on the video side."""
    import os

    from mrpn_tf.config import loading
    from mrpn_tf.data.datasets import label_sets

    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    config = loading.load_config([os.path.join(repo, "pipelines", "real_people.yaml")])
    label_sets.check(config.data)
    assert label_sets.run_labels(config.data) == SHARED7
    assert label_sets.emotion_mapping(config.data, "ravdess")["calm"] == "neutral"
    assert (config.data.dataset, config.data.video_dataset) == ("ravdess", "fer2013")
    face = loading.load_config([os.path.join(repo, "pipelines", "fer2013_faces.yaml")])
    assert (config.video.crop_size, config.video.face_margin) == (face.video.crop_size, face.video.face_margin)
    assert config.model.video_aggregator == face.model.aggregator
    assert config.model.video_width_multiplier == face.model.width_multiplier
    assert os.path.isfile(os.path.join(repo, config.model.video_extractor_weights))
