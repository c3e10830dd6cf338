"""predict on audio files with an audio-only (AM) export: .wav at 16 and 48 kHz, .mp3, .flac,
the audio track of a video, and a file that is no media.

The AM model is the tiny one, fitted here to tell two synthetic voices apart (the demo's
speech synthesis, happy and sad) and its BatchNorm statistics recomputed, so that its answers
depend on what it hears: then "nearly the same probabilities" for two copies of one voice
means something, measured against how far apart the two voices are scored.
"""

from __future__ import annotations

import contextlib
import io
import json

import keras
import numpy as np
import pytest

from mrpn_tf import predict as predict_cli
from mrpn_tf.config import config as config_lib
from mrpn_tf.data import datasets
from mrpn_tf.data import features
from mrpn_tf.data.media import decode
from mrpn_tf.data.media.encode import write_media
from mrpn_tf.demo import emotion_cues
from mrpn_tf.demo import voice
from mrpn_tf.export import run_export
from mrpn_tf.inference import window_scoring
from mrpn_tf.inference import windowing
from mrpn_tf.model import build_model
from mrpn_tf.model import compile_losses
from mrpn_tf.training import precise_bn

RATE = 16000
EMOTIONS = ("happy", "sad")  # trained as labels 0 and 1
LABELS = list(datasets.label_names("demo"))


def _voice(emotion: str) -> np.ndarray:
    timbre = voice.VoiceTimbre(base_f0=120.0, tract=1.0, tilt_db=0.0, breathiness=0.02, rate=1.0)
    cue = emotion_cues.voice_cue(emotion)
    return voice.synthesize_voice(timbre, cue, "01", 3.0, RATE, np.random.default_rng(1)).samples


def _pcm(path: str) -> np.ndarray:
    return decode.decode_audio(path, RATE).astype(np.float64) / 32768.0


@pytest.fixture(scope="module")
def audio_files(tmp_path_factory) -> dict[str, str]:
    """Each voice as 16-kHz PCM WAV; the happy one also resampled by libswresample to 48 kHz
    (as a dataset's 48-kHz original would be) and to 44.1 kHz for an MP3 (libmp3lame's default
    64 kbit/s there; at 16 kHz it would take 24 kbit/s, which cuts the upper bands the
    spectrogram reads), as FLAC, and in an MP4 with a video track; the 48-kHz samples written
    as if they were 16 kHz (a file 3x too slow, what a resampling error would give); and
    bytes that are no media."""
    out = tmp_path_factory.mktemp("audio")
    files = {f"{e}16": write_media(str(out / f"{e}16.wav"), None, 0, _voice(e), RATE, audio_codec="pcm_s16le")
             for e in EMOTIONS}
    happy = _pcm(files["happy16"])
    happy48 = decode.decode_audio(files["happy16"], 48000) / 32768.0
    files["happy48"] = write_media(str(out / "happy48.wav"), None, 0, happy48, 48000, audio_codec="pcm_s16le")
    files["slow"] = write_media(str(out / "slow.wav"), None, 0, happy48, RATE, audio_codec="pcm_s16le")
    files["mp3"] = write_media(str(out / "happy.mp3"), None, 0, decode.decode_audio(files["happy16"], 44100) / 32768.0,
                               44100, audio_codec="libmp3lame")
    files["flac"] = write_media(str(out / "happy.flac"), None, 0, happy, RATE, audio_codec="flac")
    frames = np.full((45, 64, 64, 3), 128, np.uint8)  # 3 s at 15 fps
    files["mp4"] = write_media(str(out / "happy.mp4"), frames, 15.0, happy, RATE)
    files["garbage"] = str(out / "garbage.wav")
    with open(files["garbage"], "wb") as f:
        f.write(b"RIFF, but not really" * 50)
    return files


@pytest.fixture(scope="module")
def am_export(audio_files, tmp_path_factory) -> str:
    """A SavedModel of the tiny AM, fitted on the windows of the two 16-kHz voices."""
    config = config_lib.tiny()
    config.model.network = "AM"
    config.export.tflite_variants = ()  # the SavedModel is what predict loads here
    config.export.raw_tflite_variants = ()
    keras.utils.set_random_seed(0)
    model = build_model(config, len(LABELS))
    loss, loss_weights = compile_losses(config.model)
    model.compile(keras.optimizers.Adam(1e-2), loss=loss, loss_weights=loss_weights)
    spec, to_features = windowing.window_spec(config), window_scoring.features_function(config, [features.A])
    windows = [windowing.raw_windows(None, _pcm(audio_files[f"{e}16"]).astype(np.float32), spec)[0]
               for e in EMOTIONS]
    inputs = [{k: v for k, v in to_features(w).items() if k in model.input} for w in windows]
    x = {k: np.concatenate([i[k] for i in inputs]) for k in inputs[0]}
    y = np.concatenate([np.full(len(i[features.AUDIO]), label) for label, i in enumerate(inputs)])
    # 8 full-batch steps: the voices' windows are told apart (p ~0.94) short of saturation.
    model.fit(x, {features.A: y}, batch_size=len(y), epochs=8, verbose=0)
    precise_bn.recompute(model, [x])
    out = str(tmp_path_factory.mktemp("savedmodels"))
    return run_export.export_model(model, config, LABELS, "demo", "am", 1, out)["savedmodel"]


@pytest.fixture(scope="module")
def scored(audio_files, am_export) -> tuple[int, dict[str, dict]]:
    """predict --json on every file, one call: (exit status, file name -> its JSON object)."""
    names = ["happy16", "sad16", "happy48", "mp3", "flac", "garbage", "mp4", "slow"]
    paths = [audio_files[n] for n in names]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = predict_cli.main(paths + ["--model", am_export, "--json"])
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["path"] for line in lines] == paths  # one line per file, in order
    assert f"error: {audio_files['garbage']}:" in err.getvalue()
    return status, dict(zip(names, lines))


def test_every_audio_file_is_scored_and_a_bad_one_is_an_error_line(scored):
    status, results = scored
    assert status == 1  # one file failed, the others were scored
    assert set(results["garbage"]) == {"path", "error"}
    assert "unreadable or corrupt" in results["garbage"]["error"]
    for name, result in results.items():
        if name == "garbage":
            continue
        probabilities = result["probabilities"]
        assert list(probabilities) == LABELS, name
        assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-5), name
        assert result["label"] == max(probabilities, key=probabilities.get), name
        assert result["branch"] == "central branch" and result["windows"], name


def _p(result: dict) -> np.ndarray:
    return np.array(list(result["probabilities"].values()))


def test_48k_copy_scores_as_the_16k_file(scored):
    _, results = scored
    assert (results["happy16"]["label"], results["sad16"]["label"]) == (LABELS[0], LABELS[1])
    happy = _p(results["happy16"])
    between_voices = np.abs(happy - _p(results["sad16"])).max()
    between_rates = np.abs(happy - _p(results["happy48"])).max()  # measured 0.005
    assert between_voices > 0.5  # the model tells the voices apart (measured 0.95)
    assert between_rates < 0.02
    assert results["happy48"]["label"] == results["happy16"]["label"]
    # The same samples at the wrong rate are another sound: the comparison would see it.
    assert np.abs(happy - _p(results["slow"])).max() > 0.3


def test_other_containers_of_the_same_samples(scored):
    _, results = scored
    # FLAC is lossless: the very samples of the WAV, so the very same scores.
    np.testing.assert_allclose(_p(results["flac"]), _p(results["happy16"]), atol=1e-6)
    # MP3 at 44.1 kHz and a video's AAC track (lossy): the same voice, the same label.
    for name in ("mp3", "mp4"):
        assert results[name]["label"] == results["happy16"]["label"], name
        assert np.abs(_p(results[name]) - _p(results["happy16"])).max() < 0.1, name


def test_text_output_names_each_audio_file(audio_files, am_export, capsys):
    assert predict_cli.main([audio_files["sad16"], "--model", am_export]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{audio_files['sad16']}: {LABELS[1]} (") and "central branch" in out
