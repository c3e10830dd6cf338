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
def test_librispeech_names_flat_or_in_speaker_folders(tmp_path):
    write_wav(tmp_path / "flat" / "103-1240-0000.wav", 1.0, 150.0)
    write_wav(tmp_path / "flat" / "1034-121119-0000.wav", 1.0, 250.0)
    for n in range(3):
        write_wav(tmp_path / "1688" / f"1688-142285-000{n}.wav", 1.0, 350.0)
    utterances, names = speakers.scan_speakers(str(tmp_path))
    assert names == ["103", "1034", "1688"]
    train, val = speakers.split_by_video(utterances)
    # One utterance: its first 80 % trains, its last 20 % validates; several: the last one.
    assert [(u.speaker, u.span) for u in val] == [(0, (0.8, 1.0)), (1, (0.8, 1.0)), (2, (0.0, 1.0))]
    assert [u.path.endswith("0002.wav") for u in val if u.speaker == 2] == [True]
    assert {(u.speaker, u.span) for u in train} == {(0, (0.0, 0.8)), (1, (0.0, 0.8)), (2, (0.0, 1.0))}


def test_a_span_reads_its_share_of_the_recording(tmp_path):
    write_wav(tmp_path / "a" / "v" / "1.wav", 2.0, 200.0)
    whole = speakers.Utterance(str(tmp_path / "a" / "v" / "1.wav"), 0, "v")
    read = speakers._waveform_reader([whole, speakers.Utterance(whole.path, 0, "v", (0.75, 1.0))], 16000)
    np.testing.assert_array_equal(read(1), read(0)[24000:])


def test_the_librispeech_excerpts_hold_out_seconds_of_every_speaker(shared_dir):
    root = shared_dir / "data" / "librispeech-excerpts"
    utterances, names = speakers.scan_speakers(str(root))
    assert len(names) == 261 and len(utterances) == 351
    train, val = speakers.split_by_video(utterances)
    assert {u.speaker for u in val} == set(range(261))
    assert len(train) == 251 + 90 and len(val) == 251 + 10


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
