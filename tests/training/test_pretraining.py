"""Speaker pretraining on a tiny speaker folder: the saved weights load into the MRPN branch
they were made for (the face task: test_pretrain_faces.py)."""

import os
import pathlib
import wave

import numpy as np
import pytest

from mrpn_tf import model as model_lib
from mrpn_tf import pretrain
from mrpn_tf.config import config as config_lib
from mrpn_tf.model import layer_names
from mrpn_tf.training.pretraining import speakers

DEMO_RUN_FILE = str(pathlib.Path(__file__).resolve().parents[2] / "pipelines" / "demo.yaml")


def write_wav(path, seconds, tone_hz, rate=16000):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    t = np.arange(int(seconds * rate)) / rate
    pcm = (0.3 * np.sin(2 * np.pi * tone_hz * t) * 32767).astype(np.int16)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


@pytest.fixture
def speaker_root(tmp_path):
    for s, tone in (("id00001", 150.0), ("id00002", 300.0)):
        for video in ("vidA", "vidB"):
            write_wav(tmp_path / s / video / "00001.wav", 1.3, tone)
    return str(tmp_path)


def _branch_weights(config, head):
    model = model_lib.build_model(config, 8)
    return model.get_layer(layer_names.extractor(head)).layer.get_weights()


def test_split_by_video_holds_out_each_speakers_last_video(speaker_root):
    utterances, names = speakers.scan_speakers(speaker_root)
    assert names == ["id00001", "id00002"]
    train, val = speakers.split_by_video(utterances)
    assert {u.video for u in train} == {"vidA"} and {u.video for u in val} == {"vidB"}


@pytest.mark.slow
def test_pretrain_speakers_weights_load_into_the_audio_branch(tmp_path, speaker_root):
    out = str(tmp_path / "speakers.weights.h5")
    code = pretrain.main(["speakers", "--root", speaker_root, "--out", out, "--config",
                          DEMO_RUN_FILE, "--epochs", "1", "--batch-size", "2", "--crops", "2"])
    assert code == 0
    config = config_lib.tiny()
    config.model.audio_extractor_weights = out
    from mrpn_tf.training.pretraining import extractor_training

    saved = extractor_training.build_extractor(config, "audio")
    saved.load_weights(out)
    for a, b in zip(_branch_weights(config, "a"), saved.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_pretrain_reports_bad_input(tmp_path, capsys):
    assert pretrain.main(["speakers", "--root", str(tmp_path / "none")]) == 1
    assert "does not exist" in capsys.readouterr().err
