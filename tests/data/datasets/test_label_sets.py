"""The run's labels and each corpus's map onto them (data/datasets/label_sets.py)."""

from __future__ import annotations

import numpy as np
import pytest

from mrpn_tf.config import config as config_lib
from mrpn_tf.data.datasets import label_sets

SHARED7 = ("neutral", "happy", "sad", "angry", "fearful", "disgust", "surprised")
REAL_PEOPLE_MAP = ("ravdess.calm=neutral", "fer2013.fear=fearful", "fer2013.surprise=surprised")


def _data(**changes) -> config_lib.DataConfig:
    data = config_lib.DataConfig(dataset="ravdess", video_dataset="fer2013", labels=SHARED7,
                                 label_map=REAL_PEOPLE_MAP)
    for key, value in changes.items():
        setattr(data, key, value)
    return data


def test_a_run_of_one_corpus_keeps_its_own_classes():
    data = config_lib.DataConfig(dataset="cremad")
    assert label_sets.run_labels(data) == ("angry", "disgust", "fearful", "happy", "neutral", "sad")
    assert label_sets.is_identity(label_sets.label_ids(data, "cremad"))
    label_sets.check(data)


def test_ravdess_and_fer_onto_the_seven_shared_emotions():
    data = _data()
    label_sets.check(data)
    # RAVDESS: neutral calm happy sad angry fearful disgust surprised; calm -> neutral.
    np.testing.assert_array_equal(label_sets.label_ids(data, "ravdess"), [0, 0, 1, 2, 3, 4, 5, 6])
    # FER: angry disgust fear happy sad surprise neutral.
    np.testing.assert_array_equal(label_sets.label_ids(data, "fer2013"), [3, 5, 4, 1, 2, 6, 0])
    assert label_sets.mapped_names(label_sets.emotion_mapping(data, "ravdess")) == "calm->neutral"


def test_a_dropped_emotion_and_the_errors_that_name_the_fix():
    dropped = _data(label_map=("ravdess.calm=", "fer2013.fear=fearful", "fer2013.surprise=surprised"))
    assert label_sets.label_ids(dropped, "ravdess")[1] == label_sets.DROPPED
    with pytest.raises(ValueError, match=r"ravdess's emotions calm are not among data.labels.*"
                                         r"'ravdess.<emotion>=<label>'"):
        label_sets.check(_data(label_map=REAL_PEOPLE_MAP[1:]))
    with pytest.raises(ValueError, match="'joyful' is not one of data.labels"):
        label_sets.check(_data(label_map=("ravdess.calm=joyful",) + REAL_PEOPLE_MAP[1:]))
    with pytest.raises(ValueError, match="fer2013 has no emotion 'contempt'"):
        label_sets.check(_data(label_map=REAL_PEOPLE_MAP + ("fer2013.contempt=angry",)))
    with pytest.raises(ValueError, match="maps cremad, which this run does not read"):
        label_sets.check(_data(label_map=REAL_PEOPLE_MAP + ("cremad.sad=sad",)))
    with pytest.raises(ValueError, match="expected '<dataset>.<emotion>=<label>'"):
        label_sets.check(_data(label_map=("calm=neutral",)))
    with pytest.raises(ValueError, match="repeats a name"):
        label_sets.check(_data(labels=SHARED7 + ("sad",)))
