"""The non-deep reference row: log-mel statistics per clip, logistic regression per fold."""

import csv
import os

import numpy as np
import pytest

from mrpn_tf.data.media import decode
from mrpn_tf.data.media.encode import write_media
from mrpn_tf.studies import ravdess_reference as ref

RATE = 16000


def _voice(emotion: int, seconds: float, rng, lead_s: float = 0.4, tremolo: bool = True) -> np.ndarray:
    """A harmonic 'voice' whose pitch and brightness depend on the emotion, after near-silence."""
    t = np.arange(int(seconds * RATE)) / RATE
    f0 = 110.0 * 2 ** (emotion / 4)  # a third of an octave apart
    wave = sum((0.6 ** k) * np.sin(2 * np.pi * f0 * (k + 1) * t + rng.uniform(0, 6)) for k in range(6))
    if tremolo:  # emotion-paced
        wave = wave * (1 + 0.5 * np.sin(2 * np.pi * (1 + emotion) * t))
    wave = 0.2 * wave
    wave += 0.01 * rng.standard_normal(len(t))
    silence = 0.001 * rng.standard_normal(int(lead_s * RATE))
    return np.concatenate([silence, wave])


def _tree(root, actors=range(1, 7)):
    rng = np.random.default_rng(0)
    for actor in actors:
        folder = os.path.join(root, f"Actor_{actor:02d}")
        os.makedirs(folder)
        for emotion in range(1, 9):
            for statement in (1, 2):
                name = f"03-01-{emotion:02d}-01-{statement:02d}-01-{actor:02d}.wav"
                # Actor 2 was recorded at 48 kHz: the decoder brings it to 16 kHz.
                path = os.path.join(folder, name)
                wave = _voice(emotion - 1, 1.2 + 0.1 * statement, rng)
                write_media(path, None, 0, wave, RATE, audio_codec="pcm_s16le")
                if actor == 2:  # rewritten at 48 kHz (upsampled by libswresample)
                    wave = decode.decode_audio(path, 48000) / 32768.0
                    write_media(path, None, 0, wave, 48000, audio_codec="pcm_s16le")


def test_features_are_120_statistics_that_drop_the_quiet_frames():
    rng = np.random.default_rng(1)
    voice = _voice(3, 2.0, rng, lead_s=0.0, tremolo=False)  # steady: every frame as loud
    features = ref.clip_features(voice)
    assert features.shape == (ref.NUM_FEATURES,) == (120,)
    # Half a second of digital silence before 2 s of voice (20 % of the frames, under the 30 %
    # dropped) leaves the mean and std of every band almost as they were ...
    padded = ref.clip_features(np.concatenate([np.zeros(RATE // 2), voice]))
    np.testing.assert_allclose(padded[:80], features[:80], atol=0.1)
    # ... where statistics over all frames would be dragged to the log floor (log 1e-10).
    mel = ref.log_mel(np.concatenate([np.zeros(RATE // 2), voice]))
    assert np.abs(mel.mean(0) - features[:40]).min() > 3
    # The level moves only the means, by log(gain^2): std and delta std are level-free.
    louder = ref.clip_features(2.0 * voice)
    np.testing.assert_allclose(louder[:40] - features[:40], np.log(4.0), atol=1e-6)
    np.testing.assert_allclose(louder[40:], features[40:], atol=1e-6)


def test_mel_filterbank_tiles_0_to_8_khz():
    bank = ref.mel_filterbank()
    assert bank.shape == (257, 40)
    assert (bank.max(axis=0) > 0.5).all()  # every band has a peak on the FFT grid
    assert np.argmax(bank[:, 0]) < np.argmax(bank[:, 20]) < np.argmax(bank[:, 39])


@pytest.fixture(scope="module")
def speech_root(tmp_path_factory) -> str:
    """A synthetic tree of actors 1-6, written once (`dataset_features` caches it by root)."""
    root = str(tmp_path_factory.mktemp("speech") / "speech")
    _tree(root)
    return root


def test_reference_row_on_a_synthetic_tree(speech_root, tmp_path, capsys):
    root, out = speech_root, str(tmp_path / "results")
    assert ref.main(["--root", root, "--out", out]) == 0
    # Actors 1-6: folds 1-3 (A1,2 A3,4 A5,6) have their validation actors, the others not.
    with open(os.path.join(out, ref.CSV_NAME), newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["name"] for r in rows] == ["A1,2", "A3,4", "A5,6"]
    assert all((r["train_clips"], r["val_clips"]) == ("64", "32") for r in rows)
    assert all(float(r["C"]) in ref.C_GRID for r in rows)
    # Emotion is in the pitch and the tremolo: the classifier finds it in unseen actors, the
    # 48-kHz actor 2 included.
    accuracy = [float(r["accuracy"]) for r in rows]
    assert min(accuracy) >= 0.75, accuracy
    assert ref.read_reference_csv(os.path.join(out, ref.CSV_NAME)) == pytest.approx(
        {r["name"]: 100 * float(r["accuracy"]) for r in rows})
    with open(os.path.join(out, ref.MD_NAME)) as f:
        md = f.read().splitlines()
    assert md[2] == "| RAVDESS audio | A1,2 | A3,4 | A5,6 | mean |"
    assert md[4].startswith(f"| {ref.ROW_LABEL} | ")
    assert md[4].endswith(f"| {100 * np.mean(accuracy):.1f}% |")
    # A fold whose validation actors are absent is refused, not scored on nothing.
    assert ref.main(["--root", root, "--out", out, "--folds", "4"]) == 1
    assert "A7,8" in capsys.readouterr().err


def test_standardized_per_actor_uses_each_actors_own_clips():
    rng = np.random.default_rng(1)
    actors = np.repeat([1, 2, 3], 10)
    features = rng.normal(size=(30, 4)) * [1, 2, 3, 0] + np.repeat([[0], [5], [-7]], 10, axis=0)
    features[:, 3] = actors  # constant within an actor
    out = ref.standardized_per_actor(features, actors)
    for actor in (1, 2, 3):
        rows = out[actors == actor]
        np.testing.assert_allclose(rows.mean(axis=0), 0, atol=1e-12)
        np.testing.assert_allclose(rows[:, :3].std(axis=0), 1)
        np.testing.assert_array_equal(rows[:, 3], 0)  # only centred
    changed = features.copy()
    changed[actors == 2] *= 10
    np.testing.assert_array_equal(ref.standardized_per_actor(changed, actors)[actors == 1],
                                  out[actors == 1])


def test_speaker_normalization_removes_a_per_actor_offset_the_raw_features_keep():
    # Emotion moves the features by +-1 around each actor's own level; the actors' levels are
    # 4 apart. Only features taken relative to the actor's level carry the emotion across actors.
    rng = np.random.default_rng(2)
    actors = np.repeat(np.arange(1, 21), 40)
    labels = np.tile(np.arange(8), 100)
    level = rng.normal(scale=4.0, size=(21, 6))[actors]
    signal = np.eye(8)[labels][:, :6] * 2.0 - 1.0
    features = level + signal + 0.3 * rng.normal(size=level.shape)
    fold = ref.folds_with_clips(actors, [1])[0]
    raw = ref.run_fold(features, labels, actors, fold)["accuracy"]
    normalized = ref.run_fold(ref.standardized_per_actor(features, actors), labels, actors, fold)
    assert normalized["accuracy"] > raw + 0.2, (raw, normalized["accuracy"])


def test_speaker_norm_row_has_files_and_label_of_its_own(speech_root, tmp_path):
    root, out = speech_root, str(tmp_path / "results")
    assert ref.main(["--root", root, "--out", out, "--folds", "1,2", "--speaker-norm"]) == 0
    assert not os.path.exists(os.path.join(out, ref.CSV_NAME))  # the main row is untouched
    rows = ref.read_reference_csv(os.path.join(out, ref.SPEAKER_NORM_NAME + ".csv"))
    assert list(rows) == ["A1,2", "A3,4"]
    with open(os.path.join(out, ref.SPEAKER_NORM_NAME + ".md")) as f:
        assert f.read().splitlines()[4].startswith(f"| {ref.SPEAKER_NORM_LABEL} | ")
