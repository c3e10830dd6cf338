"""The models in released/: small, each with a complete model card, and they answer as their cards
say - the face model on real FER-2013 PublicTest faces and on the real CREMA-D videos."""

from __future__ import annotations

import json
import os
import pathlib

import numpy as np

from mrpn_tf import model as model_lib
from mrpn_tf import predict as predict_cli
from mrpn_tf.config import config as config_lib
from mrpn_tf.inference import predictor as predictor_lib
from mrpn_tf.model import layer_names
from mrpn_tf.stream import __main__ as stream_cli
from tests.export import media_files

RELEASED = pathlib.Path(__file__).resolve().parents[1] / "released"
FACE_MODEL = RELEASED / "fer2013_faces" / "1"
FACE_TFLITE = RELEASED / "fer2013_faces_tflite" / "1" / "fer2013_faces_raw_int8_full.tflite"
# What a model card must say (issue 25): the data, the weights' licence, the accuracy and on
# which split, the command that reproduces it, and the CPU it was measured on.
CARD_SECTIONS = ("## Data", "## Licence", "## Accuracy", "## Reproduce", "## Measured on")
# The N2 of real people holds the face model's ResNet-18 (11 MB of float32 weights) and four
# signatures with their preprocessing graphs: 17 MB.
MAX_MODEL_BYTES = 20 * 1024 * 1024
# CREMA-D emotion codes as FER-2013 class names (CREMA-D has no "surprise").
CREMAD_AS_FER = {"ANG": "angry", "DIS": "disgust", "FEA": "fear", "HAP": "happy", "NEU": "neutral", "SAD": "sad"}


def _models() -> list[pathlib.Path]:
    return sorted(p for p in RELEASED.iterdir() if (p / "MODEL_CARD.md").is_file())


def _size(path: pathlib.Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else path.stat().st_size


def test_every_released_model_has_a_complete_card_and_is_small():
    models = _models()
    assert models, "released/ holds no model with a MODEL_CARD.md"
    for folder in models:
        card = (folder / "MODEL_CARD.md").read_text()
        missing = [s for s in CARD_SECTIONS if s not in card]
        assert not missing, f"{folder.name}/MODEL_CARD.md lacks {missing}"
        for version in (p for p in folder.iterdir() if p.is_dir()):
            assert (version / "saved_model.pb").is_file()
            assert _size(version) <= MAX_MODEL_BYTES, f"{version}: {_size(version)} bytes"
        tflite = RELEASED / f"{folder.name}_tflite"
        for f in tflite.rglob("*.tflite") if tflite.is_dir() else ():
            assert _size(f) <= MAX_MODEL_BYTES, f"{f}: {_size(f)} bytes"


def test_the_face_extractor_starts_the_video_branch_of_an_n2():
    """The shipped F_v loads into a tiny N2 whose video side is 0.5 wide (its audio side 0.125)."""
    config = config_lib.tiny()
    config.video.crop_size = 96
    config.model.video_width_multiplier = 0.5
    fresh = model_lib.build_model(config, 8).get_layer(layer_names.extractor("v")).layer
    config.model.video_extractor_weights = str(RELEASED / "fer2013_faces" / "extractor-96px-w0.5.weights.h5")
    loaded = model_lib.build_model(config, 8).get_layer(layer_names.extractor("v")).layer
    assert loaded.output.shape[-1] == 256
    assert all(a.shape == b.shape for a, b in zip(loaded.get_weights(), fresh.get_weights()))
    assert not any(np.array_equal(a, b) for a, b in zip(loaded.get_weights()[:1], fresh.get_weights()[:1]))


def _publictest_sample(shared_dir, per_class: int) -> list[tuple[str, str]]:
    root = shared_dir / "data" / "fer2013" / "validation"
    sample = []
    for emotion in sorted(os.listdir(root)):
        names = sorted(os.listdir(root / emotion))
        sample += [(str(root / emotion / n), emotion) for n in names[:: max(1, len(names) // per_class)][:per_class]]
    return sample


def test_the_face_model_reads_real_faces_and_its_tflite_agrees(shared_dir, face_model_path):
    sample = _publictest_sample(shared_dir, per_class=12)  # 84 faces, 12 per class
    paths = [p for p, _ in sample]
    answers = {}
    for name, model in (("savedmodel", FACE_MODEL), ("tflite", FACE_TFLITE)):
        predictor = predictor_lib.Predictor.load(str(model), face_model_path, num_threads=2)
        results = predictor.predict_stills(paths)
        assert not [r for r in results if isinstance(r, Exception)]
        answers[name] = np.array([[r.probabilities[c] for c in predictor.labels] for r in results])
        labels = predictor.labels
    truth = np.array([labels.index(e) for _, e in sample])
    accuracy = np.mean(answers["savedmodel"].argmax(1) == truth)
    # The card's PublicTest accuracy is ~0.67 on balanced classes less (disgust is rare and
    # hard); a random model scores 1/7. 84 faces put the 95 % interval at about +-0.1.
    assert accuracy >= 0.5, accuracy
    assert np.mean(answers["tflite"].argmax(1) == answers["savedmodel"].argmax(1)) >= 0.9


def test_the_face_model_answers_the_real_cremad_videos(shared_dir, face_model_path, capsys):
    clips = media_files.cremad_clips(shared_dir)
    assert predict_cli.main([*clips, "--model", str(FACE_MODEL), "--json", "--face-model", face_model_path]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["path"] for line in lines] == clips
    for line in lines:
        assert line["branch"] == "central branch" and len(line["windows"]) >= 1
    truth = [CREMAD_AS_FER[os.path.basename(c).split("_")[2]] for c in clips]
    correct = sum(line["label"] == t for line, t in zip(lines, truth))
    assert correct >= 2, [(line["label"], t) for line, t in zip(lines, truth)]  # chance: 1 of 6


def test_the_face_model_streams_from_a_camera(shared_dir, face_model_path, capsys):
    """A real CREMA-D face played as a camera (lavfi stands in: no machine here has one)."""
    clip = media_files.cremad_clips(shared_dir)[3]  # 1001_DFA_HAP_XX, 2 s
    status = stream_cli.main(["--camera", f"lavfi:movie={clip}", "--json", "--hop", "0.5",
                              "--model", str(FACE_MODEL), "--face-model", face_model_path])
    out, err = capsys.readouterr()
    assert status == 0, err
    hops = [json.loads(line) for line in out.splitlines()]
    assert hops and all(h["face"] and h["branch"] == predictor_lib.CENTRAL for h in hops)
    assert all(list(h["probabilities"]) == ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
               for h in hops)


def test_a_released_model_finds_the_face_detector_from_any_folder(tmp_path, monkeypatch, face_model_path,
                                                                  shared_dir):
    """A run's video.face_model is a path on the machine that trained it (here a relative
    one): a user's predictor, run from another folder, finds the detector as prepare does."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MRPN_FACE_MODEL", face_model_path)
    metadata = json.loads((FACE_MODEL / "assets" / "metadata.json").read_text())
    assert metadata["config"]["video"]["face_model"]  # the trainer's path is recorded ...
    predictor = predictor_lib.Predictor.load(str(FACE_MODEL))
    assert predictor.config.video.face_model == ""  # ... and not used where it does not exist
    clip = media_files.cremad_clips(shared_dir)[0]
    assert predictor.predict_file(clip).label in predictor.labels


REAL_PEOPLE = RELEASED / "real_people" / "1"
RAVDESS_AM = RELEASED / "ravdess_am" / "1"
CREMAD_RECORD = RELEASED.parent / "results" / "real_people" / "cremad_clips.json"
SHARED7 = ["neutral", "happy", "sad", "angry", "fearful", "disgust", "surprised"]


def test_the_real_people_n2_answers_the_real_cremad_clips_as_recorded(shared_dir, face_model_path):
    """Every head on the six real CREMA-D clips, as results/real_people/cremad_clips.md reports."""
    from mrpn_tf.studies import real_clips

    predictor = predictor_lib.Predictor.load(str(REAL_PEOPLE), face_model_path)
    assert predictor.labels == SHARED7 and predictor.metadata["network"] == "N2"
    rows = real_clips.score_clips(predictor, media_files.cremad_clips(shared_dir))
    recorded = json.loads(CREMAD_RECORD.read_text())["clips"]
    assert [os.path.basename(r["path"]) for r in rows] == [os.path.basename(r["path"]) for r in recorded]
    for row, record in zip(rows, recorded):
        assert list(row["heads"]) == ["va", "v", "a"]  # a face and a voice: every head answers
        for head, answer in row["heads"].items():
            expected = record["heads"][head]["probabilities"]
            got = answer["probabilities"]
            np.testing.assert_allclose([got[c] for c in SHARED7], [expected[c] for c in SHARED7],
                                       atol=5e-3, err_msg=f"{row['path']} {head}")


def test_the_real_people_n2_reads_an_mp4_by_both_a_photo_by_its_face_a_voice_or_faceless_clip_by_its_voice(
        shared_dir, face_model_path, tmp_path):
    predictor = predictor_lib.Predictor.load(str(REAL_PEOPLE), face_model_path)
    photo = _publictest_sample(shared_dir, per_class=1)[3][0]  # a FER-2013 PublicTest face
    wav = str(shared_dir / "data" / "ravdess-speech" / "Actor_01" / "03-01-05-01-01-01-01.wav")
    no_face = media_files.write_unusable(str(tmp_path))["no_face"]  # noise with a tone
    mp4 = media_files.write_variants(media_files.cremad_clips(shared_dir)[4], str(tmp_path))["mp4"]
    branches = {path: predictor.predict_file(path) for path in (photo, wav, no_face, mp4)}
    assert branches[mp4].branch == predictor_lib.CENTRAL  # a real face and voice: the fusion
    assert branches[photo].branch == "v side head"
    assert branches[wav].branch == "a side head" and branches[no_face].branch == "a side head"
    assert "no face" in branches[no_face].note
    assert all(r.label in SHARED7 for r in branches.values())


def test_the_ravdess_am_hears_speech_in_any_file(shared_dir, face_model_path):
    predictor = predictor_lib.Predictor.load(str(RAVDESS_AM), face_model_path)
    assert predictor.metadata["network"] == "AM" and len(predictor.labels) == 8
    wav = str(shared_dir / "data" / "ravdess-speech" / "Actor_01" / "03-01-05-01-01-01-01.wav")
    flv = media_files.cremad_clips(shared_dir)[0]  # the audio track of a video
    for path in (wav, flv):
        result = predictor.predict_file(path)
        assert result.branch == predictor_lib.CENTRAL and result.label in predictor.labels
