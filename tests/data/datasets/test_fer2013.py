"""FER-2013 read as distributed: the CSV and the Kaggle folders give the same faces."""

import os

import numpy as np
import pytest

from mrpn_tf.data.datasets import fer2013
from tests.data.datasets import fer_files


def _sorted(fer_set):
    order = np.lexsort((fer_set.images.reshape(len(fer_set), -1).sum(1), fer_set.labels))
    return fer_set.images[order], fer_set.labels[order]


def test_csv_and_folders_give_the_same_faces_per_usage(tmp_path):
    rows = fer_files.faces()
    from_csv = fer2013.read_fer2013(fer_files.write_csv(str(tmp_path / "fer2013.csv"), rows))
    from_folders = fer2013.read_fer2013(fer_files.write_folders(str(tmp_path / "kaggle"), rows))
    assert {u: len(s) for u, s in from_csv.items()} == {"Training": 14, "PublicTest": 7, "PrivateTest": 7}
    assert set(from_folders) == set(from_csv)
    for usage in from_csv:
        images_a, labels_a = _sorted(from_csv[usage])
        images_b, labels_b = _sorted(from_folders[usage])
        np.testing.assert_array_equal(labels_a, labels_b)
        np.testing.assert_array_equal(images_a, images_b)  # PNG is lossless
    assert from_folders["Training"].sources[0].startswith(str(tmp_path / "kaggle" / "train"))
    assert from_csv["PublicTest"].sources[0].endswith(":16")  # header + 14 Training rows


def test_labels_follow_the_challenge_numbering(tmp_path):
    rows = [("Training", label, np.full((48, 48), 10 * label, np.uint8)) for label in range(7)]
    faces = fer2013.read_fer2013(fer_files.write_folders(str(tmp_path), rows))["Training"]
    for image, label in zip(faces.images, faces.labels):
        assert image[0, 0] == 10 * label
    assert fer2013.EMOTIONS[4] == "sad" and fer2013.EMOTIONS[6] == "neutral"


def test_validation_folder_is_public_test(tmp_path):
    rows = [("Training", 1, np.zeros((48, 48), np.uint8)), ("PublicTest", 2, np.zeros((48, 48), np.uint8))]
    root = fer_files.write_folders(str(tmp_path), rows)
    os.rename(os.path.join(root, "test"), os.path.join(root, "validation"))
    assert set(fer2013.read_fer2013(root)) == {"Training", "PublicTest"}


def test_bad_csv_rows_name_the_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("emotion,pixels,Usage\n3,1 2 3,Training\n")
    with pytest.raises(ValueError, match="bad.csv:2: expected 2304 pixels"):
        fer2013.read_fer2013(str(bad))
    (tmp_path / "cols.csv").write_text("label,pixels\n")
    with pytest.raises(ValueError, match="cols.csv: no column emotion, Usage"):
        fer2013.read_fer2013(str(tmp_path / "cols.csv"))


def test_bad_folders_and_images_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing: no FER-2013"):
        fer2013.read_fer2013(str(tmp_path / "nothing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no train, validation, test folder"):
        fer2013.read_fer2013(str(tmp_path / "empty"))
    folder = tmp_path / "kaggle" / "train" / "happy"
    folder.mkdir(parents=True)
    (folder / "broken.jpg").write_bytes(b"no jpeg")
    with pytest.raises(ValueError, match="broken.jpg: not a decodable image"):
        fer2013.read_fer2013(str(tmp_path / "kaggle"))
