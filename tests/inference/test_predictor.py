"""predict on real files: .mp4, .avi, the real CREMA-D .flv clips, a clip without audio, one
without a face, and the files it must refuse - with the SavedModel and with a .tflite file."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from mrpn_tf import predict as predict_cli
from mrpn_tf.data import clip_preparation
from mrpn_tf.inference import clip_loader
from mrpn_tf.inference import predictor as predictor_lib
from mrpn_tf.inference import signature_keys as keys
from mrpn_tf.inference import windowing
from tests.export import media_files


@pytest.fixture(scope="module")
def tflite_predictor(exported, face_model_path):
    return predictor_lib.Predictor.load(exported["tflite_fp32"], face_model_path, num_threads=1)


def check_prediction(result: predictor_lib.ClipPrediction, labels: list[str], windows: int) -> None:
    assert list(result.probabilities) == labels
    assert sum(result.probabilities.values()) == pytest.approx(1.0, abs=1e-4)
    assert result.label == max(result.probabilities, key=result.probabilities.get)
    assert len(result.windows) == windows
    mean = np.mean([list(w.probabilities.values()) for w in result.windows], axis=0)
    np.testing.assert_allclose(list(result.probabilities.values()), mean, atol=1e-6)


def test_savedmodel_and_tflite_agree_on_an_mp4(savedmodel_predictor, tflite_predictor, videos, tiny_run):
    clip = clip_loader.load_clip(videos["mp4"], savedmodel_predictor.config)
    duration = windowing.clip_duration(clip.frames, clip.waveform, savedmodel_predictor.spec)
    windows = len(windowing.window_starts(duration, savedmodel_predictor.spec))
    from_savedmodel = savedmodel_predictor.predict_clip(clip)
    from_tflite = tflite_predictor.predict_clip(clip)
    for result in (from_savedmodel, from_tflite):
        check_prediction(result, tiny_run.labels, windows)
        assert result.branch == predictor_lib.CENTRAL and not result.note
    np.testing.assert_allclose(
        list(from_tflite.probabilities.values()), list(from_savedmodel.probabilities.values()), atol=1e-3
    )


def test_clip_without_audio_falls_back_to_the_video_side_head(savedmodel_predictor, videos, tiny_run, loaded):
    result = savedmodel_predictor.predict_file(videos["silent"])
    assert result.branch == "v side head" and "no audio track" in result.note and "N2" in result.note
    clip = clip_loader.load_clip(videos["silent"], savedmodel_predictor.config)
    assert clip.waveform is None and clip.missing == "audio"
    batch, _ = windowing.raw_windows(clip.frames, None, savedmodel_predictor.spec)
    direct = loaded.signatures[keys.VIDEO_ONLY](**batch)[keys.PROBABILITIES].numpy()
    np.testing.assert_allclose(list(result.probabilities.values()), direct.mean(axis=0), atol=1e-6)


def test_clip_without_a_face_falls_back_to_the_audio_side_head(savedmodel_predictor, videos, loaded):
    # noise.mp4 has a video track (noise, no face) and an audio track (a tone).
    clip = clip_loader.load_clip(videos["no_face"], savedmodel_predictor.config)
    assert clip.frames is None and clip.waveform is not None and clip.missing == "video"
    assert clip.missing_reason == "no face detected in any frame"
    result = savedmodel_predictor.predict_clip(clip)
    assert result.branch == "a side head"
    assert result.note == "no face detected in any frame: scored by the a side head (N2)"
    batch, _ = windowing.raw_windows(None, clip.waveform, savedmodel_predictor.spec)
    direct = loaded.signatures[keys.AUDIO_ONLY](**batch)[keys.PROBABILITIES].numpy()
    np.testing.assert_allclose(list(result.probabilities.values()), direct.mean(axis=0), atol=1e-6)
    # A video-only model has no other stream: the clip is still refused.
    with pytest.raises(clip_preparation.ClipError, match="noise.mp4: no face detected"):
        clip_loader.load_clip(videos["no_face"], savedmodel_predictor.config, "video")


class _CentralOnly:
    """An N0 export's backend: the central branch only, no side heads."""

    def __init__(self, metadata):
        self.metadata = {**metadata, "network": "N0"}

    def signatures(self):
        return {keys.SERVING_DEFAULT, keys.FEATURES}

    def window_probabilities(self, signature, windows):
        raise AssertionError("an N0 model must not score a clip without audio")


def test_n0_refuses_a_clip_without_audio(savedmodel_predictor, videos, face_model_path):
    n0 = predictor_lib.Predictor(_CentralOnly(savedmodel_predictor.metadata), face_model_path)
    with pytest.raises(predictor_lib.PredictError, match="no audio track.*N0.*refused") as error:
        n0.predict_file(videos["silent"])
    assert videos["silent"] in str(error.value)


def test_n0_refuses_a_clip_without_a_face(savedmodel_predictor, videos, face_model_path):
    n0 = predictor_lib.Predictor(_CentralOnly(savedmodel_predictor.metadata), face_model_path)
    with pytest.raises(predictor_lib.PredictError, match="no face detected in any frame, and this N0 .*refused"):
        n0.predict_file(videos["no_face"])


def test_cli_json_on_mp4_avi_and_the_real_flv_clips(exported, videos, shared_dir, face_model_path, capsys, tiny_run):
    paths = [videos["mp4"], videos["avi"]] + media_files.cremad_clips(shared_dir)
    status = predict_cli.main(paths + ["--model", exported["savedmodel"], "--json", "--face-model", face_model_path])
    assert status == 0
    results = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["path"] for r in results] == paths
    for r in results:
        assert r["label"] in tiny_run.labels and r["windows"] and r["branch"] == predictor_lib.CENTRAL
        assert sum(r["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)
        assert {"start_s", "end_s", "label", "probabilities"} <= set(r["windows"][0])


def test_cli_names_bad_files_and_goes_on(exported, videos, face_model_path, capsys):
    paths = [videos["garbage"], videos["no_face"], "/nonexistent/clip.avi", videos["silent"]]
    status = predict_cli.main(paths + ["--model", exported["tflite_int8_full"], "--face-model", face_model_path])
    assert status == 1
    out, err = capsys.readouterr()
    for bad in (paths[0], paths[2]):
        assert f"error: {bad}:" in err
    assert "unreadable or corrupt" in err and "does not exist" in err and "no face" not in err
    assert f"{videos['silent']}:" in out and "note: no audio track" in out and "window 1" in out
    assert f"{videos['no_face']}: " in out and "a side head" in out
    assert "note: no face detected in any frame: scored by the a side head (N2)" in out


def test_cli_refuses_a_model_path_that_is_no_export(tmp_path, capsys):
    assert predict_cli.main(["x.mp4", "--model", str(tmp_path)]) == 2
    assert "not a SavedModel folder" in capsys.readouterr().err


def test_load_clip_error_names_the_file(videos, savedmodel_predictor):
    with pytest.raises(clip_preparation.ClipError, match="garbage.mp4: .*unreadable or corrupt"):
        clip_loader.load_clip(videos["garbage"], savedmodel_predictor.config)


def test_every_head_answers_on_a_real_clip_and_the_fusion_is_predicts_answer(
        savedmodel_predictor, videos, loaded, shared_dir, tmp_path):
    """predict_heads: va is what predict answers; v and a are the side heads on one stream."""
    from mrpn_tf.studies import real_clips

    clip = savedmodel_predictor.load_file(videos["mp4"])
    answers = savedmodel_predictor.predict_heads(clip)
    assert list(answers) == ["va", "v", "a"]
    assert answers["va"] == savedmodel_predictor.predict_clip(clip)
    for head, signature in keys.SIDE_HEAD_SIGNATURES.items():
        batch, _ = windowing.raw_windows(clip.frames if head == "v" else None,
                                         clip.waveform if head == "a" else None,
                                         savedmodel_predictor.spec)
        direct = loaded.signatures[signature](**batch)[keys.PROBABILITIES].numpy().mean(axis=0)
        np.testing.assert_allclose(list(answers[head].probabilities.values()), direct, atol=1e-6)
        assert answers[head].branch == f"{head} side head"
    # A clip with one stream: the head that stands in, alone.
    silent = savedmodel_predictor.predict_heads(savedmodel_predictor.load_file(videos["silent"]))
    assert list(silent) == ["v"] and silent["v"].branch == "v side head"
    # The study's table: one line per real CREMA-D clip, truth from the name.
    paths = media_files.cremad_clips(shared_dir)[:2]
    rows = real_clips.score_clips(savedmodel_predictor, paths)
    assert [row["truth"] for row in rows] == [real_clips.truth_of(p) for p in paths]
    assert real_clips.truth_of("1001_DFA_ANG_XX.flv") == "angry"
    assert real_clips.truth_of("01-01-02-01-01-01-21.mp4") == "calm"
    written = real_clips.write(rows, "tiny", str(tmp_path / "clips"))
    table = open(written["md"]).read().splitlines()
    assert table[2] == "| clip | truth | va | v | a |" and table[-1].startswith("| right | | ")
    assert len(table) == 4 + len(paths) + 1


@pytest.mark.parametrize("quarters", [1, 2, 3])
def test_a_phone_clip_stored_sideways_gets_the_upright_clips_answer(savedmodel_predictor, videos, tmp_path,
                                                                   quarters):
    """A real face clip whose pixels are stored turned, with the display matrix phones write."""
    from mrpn_tf.data.media import decode, encode

    source = decode.decode_clip(videos["mp4"], 15, 16000, max_frame_side=640)
    stored = np.stack([np.rot90(f, k=-quarters) for f in source.frames])
    phone = encode.write_media(str(tmp_path / f"phone{quarters}.mp4"), stored, 15,
                               source.pcm16.astype(np.float32) / 32768.0, 16000,
                               display_rotation=90 * quarters)
    upright = encode.write_media(str(tmp_path / "upright.mp4"), source.frames, 15,
                                 source.pcm16.astype(np.float32) / 32768.0, 16000)
    turned, plain = (savedmodel_predictor.predict_file(p) for p in (phone, upright))
    assert turned.branch == plain.branch == predictor_lib.CENTRAL
    # The crops are the upright clip's (the tiny model's answers alone could agree by chance):
    # read sideways, the face would be cropped turned, or not found.
    crops = [np.concatenate(list(savedmodel_predictor.load_file(p, streamed=True).frame_pieces()))
             .astype(np.float32) for p in (phone, upright)]
    assert np.abs(crops[0] - crops[1]).mean() < 8.0
    assert np.abs(np.rot90(crops[1], k=1, axes=(1, 2)) - crops[1]).mean() > 3 * np.abs(crops[0] - crops[1]).mean()
    np.testing.assert_allclose(list(turned.probabilities.values()), list(plain.probabilities.values()),
                               atol=0.03)


@pytest.mark.parametrize("damage", ["saved_model.pb", "variables", "tflite"])
def test_a_damaged_model_is_one_error_line_and_exit_2(exported, tmp_path, capsys, damage):
    """A SavedModel or .tflite cut in half: `predict` names the file, no traceback."""
    import shutil

    from mrpn_tf import predict as predict_cli

    if damage == "tflite":
        folder = tmp_path / "tflite"
        shutil.copytree(os.path.dirname(exported["tflite_fp32"]), folder)
        target = model = str(folder / os.path.basename(exported["tflite_fp32"]))
    else:
        model = str(tmp_path / "savedmodel")
        shutil.copytree(exported["savedmodel"], model)
        target = (os.path.join(model, "saved_model.pb") if damage == "saved_model.pb" else
                  os.path.join(model, "variables", "variables.data-00000-of-00001"))
    data = open(target, "rb").read()
    with open(target, "wb") as f:
        f.write(data[: len(data) // 2])
    with pytest.raises(predictor_lib.ModelLoadError, match="truncated or corrupt"):
        predictor_lib.load_backend(model)
    assert predict_cli.main(["any.mp4", "--model", model]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {model}: the model cannot be loaded")
