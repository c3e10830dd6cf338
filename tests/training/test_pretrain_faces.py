"""`pretrain faces`: FER-2013 (CSV or folders) -> a face VM run folder, its report, the extractor's
weights for the video branch, and an export that predict runs on a still image."""

import json
import os
import pathlib

import numpy as np
import pytest
from PIL import Image

from mrpn_tf import model as model_lib
from mrpn_tf import predict
from mrpn_tf import pretrain
from mrpn_tf.config import run_files
from mrpn_tf.data.datasets import fer2013 as fer_data
from mrpn_tf.export import run_export
from mrpn_tf.model import layer_names
from mrpn_tf.training import run_dir as run_dir_lib
from mrpn_tf.training.pretraining import face_report
from mrpn_tf.data import fer2013_faces
from tests.data.datasets import fer_files

FACES_RUN_FILE = str(pathlib.Path(__file__).resolve().parents[2] / "pipelines" / "fer2013_faces.yaml")
# The run file's model at test size: the crop and width of the tiny variant, one epoch.
SMALL = ["video.crop_size=48", "model.width_multiplier=0.125", "model.scoring_units=16",
         "train.epochs=1", "train.batch_size=4", "export.calibration_windows=4"]


@pytest.fixture(scope="module")
def face_run(tmp_path_factory, face_model_path):
    """A finished one-epoch face run on a tiny FER-2013 CSV: (run folder, weights, argv)."""
    root = tmp_path_factory.mktemp("faces")
    csv_path = fer_files.write_csv(str(root / "fer2013.csv"), fer_files.faces())
    weights = str(root / "faces.weights.h5")
    argv = ["faces", "--fer2013", csv_path, "--config", FACES_RUN_FILE, "--out", weights, *SMALL,
            f"video.face_model={face_model_path}", f"data.prepared_dir={root / 'cache'}",
            f"train.run_dir={root / 'run'}"]
    assert pretrain.main(argv) == 0
    return str(root / "run"), weights, argv


def test_run_folder_reports_publictest_per_cropping(face_run):
    run, _, _ = face_run
    summary = json.load(open(os.path.join(run, run_dir_lib.SUMMARY_NAME)))
    assert set(summary["publictest"]) == {
        "detector crops", "detector crops + flip", "whole images", "whole images + flip"}
    for scores in summary["publictest"].values():
        assert np.sum(scores["confusion"]) == 7  # the 7 PublicTest faces
        assert set(scores["recall"]) == set(fer_data.EMOTIONS)
    assert summary["val_accuracy"] == summary["publictest"]["detector crops"]["accuracy"]
    assert summary["faces_found"]["Training"][1] == 14 and summary["faces_found"]["PublicTest"][1] == 7
    assert os.path.isfile(os.path.join(run, face_report.CONFUSION_NAME))
    assert os.path.isfile(os.path.join(run, face_report.CURVES_NAME))
    labels = json.load(open(os.path.join(run, run_dir_lib.LABELS_NAME)))
    assert labels == {"dataset": "fer2013", "labels": list(fer_data.EMOTIONS)}


def test_boxes_are_cached_and_a_finished_run_reruns_to_the_same_model(face_run, capsys):
    run, weights, argv = face_run
    cached = [f for f in os.listdir(os.path.join(os.path.dirname(run), "cache")) if f.endswith(".boxes.npz")]
    assert len(cached) == 2  # Training and PublicTest
    before = open(weights, "rb").read()
    history = open(os.path.join(run, run_dir_lib.HISTORY_NAME)).read()
    os.remove(os.path.join(run, run_dir_lib.SUMMARY_NAME))  # a run killed after its last epoch
    assert pretrain.main(argv) == 0
    assert open(os.path.join(run, run_dir_lib.HISTORY_NAME)).read() == history  # no epoch added
    assert open(weights, "rb").read() == before


def test_extractor_weights_load_into_the_video_branch_of_n2(face_run):
    run, weights, _ = face_run
    config = run_files.load_run_config([FACES_RUN_FILE], SMALL)
    config.model.network = "N2"
    config.model.aggregator = "lstm"
    fresh = model_lib.build_model(config, 8).get_layer(layer_names.extractor("v")).layer.get_weights()
    config.model.video_extractor_weights = weights
    loaded = model_lib.build_model(config, 8).get_layer(layer_names.extractor("v")).layer.get_weights()
    import keras

    trained = keras.saving.load_model(os.path.join(run, run_dir_lib.MODEL_NAME))
    for a, b in zip(loaded, trained.get_layer(layer_names.extractor("v")).layer.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(loaded, fresh))


def test_the_exported_face_model_predicts_stills_alike_in_savedmodel_and_tflite(
        face_run, tmp_path, shared_dir, capsys):
    run, _, _ = face_run
    paths = run_export.export_run(run, out_dir=str(tmp_path / "saved"))
    folder = shared_dir / "data" / "fer2013" / "validation" / "happy"
    faces = sorted(str(folder / name) for name in os.listdir(folder))[:3]
    photo = tmp_path / "photo.png"  # a face inside a larger grey picture
    canvas = np.full((200, 260, 3), 128, np.uint8)
    canvas[60:156, 80:176] = np.repeat(np.kron(fer_data.read_image_grey(faces[0]), np.ones((2, 2), np.uint8))[..., None], 3, -1)
    Image.fromarray(canvas).save(photo)
    answers = {}
    for key in ("savedmodel", "tflite_int8_full"):
        assert predict.main([*faces, str(photo), "--model", paths[key], "--json"]) == 0
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert [line["path"] for line in lines] == faces + [str(photo)]
        assert all(set(line["probabilities"]) == set(fer_data.EMOTIONS) for line in lines)
        assert all(line["branch"] == "central branch" for line in lines)
        answers[key] = np.array([list(line["probabilities"].values()) for line in lines])
    np.testing.assert_allclose(answers["tflite_int8_full"], answers["savedmodel"], atol=0.08)


def test_a_network_that_is_not_a_vm_is_refused(tmp_path, face_model_path, capsys):
    csv_path = fer_files.write_csv(str(tmp_path / "fer.csv"), fer_files.faces())
    code = pretrain.main(["faces", "--fer2013", csv_path, "--config", FACES_RUN_FILE, *SMALL,
                          "model.network=N2", f"train.run_dir={tmp_path / 'run'}"])
    assert code == 1 and "model.network=VM, not N2" in capsys.readouterr().err


def test_detector_crops_of_real_fer_faces(shared_dir, face_model_path):
    """BlazeFace finds the faces of real FER images, and with the run file's margin the crop
    frames about the whole 48 x 48 image."""
    folder = shared_dir / "data" / "fer2013" / "validation" / "surprise"
    paths = sorted(str(folder / name) for name in os.listdir(folder))[:40]
    faces = fer_data.FerSet(np.stack([fer_data.read_image_grey(p) for p in paths]),
                            np.full(len(paths), 5, np.int32), paths)
    config = run_files.load_run_config([FACES_RUN_FILE], [])
    boxes, found = fer2013_faces.detect_boxes(faces, face_model_path, config.video.face_margin,
                                        config.video.min_face_score)
    assert found.mean() >= 0.8
    sides = boxes[found, 2] - boxes[found, 0]
    assert 40 <= np.median(sides) <= 60
    whole = fer2013_faces.crops(faces, boxes, 48, whole=True)
    np.testing.assert_array_equal(whole[~found], fer2013_faces.crops(faces, boxes, 48)[~found])
    assert np.abs(whole[0].astype(int) - faces.images[0]).mean() < 1  # the whole image, as it is


def test_no_face_detector_is_a_clear_error(tmp_path, capsys, monkeypatch):
    from mrpn_tf.data.media import model_store

    def offline(*args, **kwargs):
        raise model_store.ModelUnavailableError("no face detector here (offline): set MRPN_FACE_MODEL")

    monkeypatch.setattr(model_store, "resolve_face_model", offline)
    csv_path = fer_files.write_csv(str(tmp_path / "fer.csv"), fer_files.faces())
    code = pretrain.main(["faces", "--fer2013", csv_path, "--config", FACES_RUN_FILE, *SMALL,
                          f"data.prepared_dir={tmp_path / 'cache'}", f"train.run_dir={tmp_path / 'run'}"])
    assert code == 1 and "set MRPN_FACE_MODEL" in capsys.readouterr().err
