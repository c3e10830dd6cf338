"""Dataset manifests: file-name parsing, scanning temp trees and the real clips in ../shared."""

import collections
import dataclasses
import os
import pathlib

import pytest

from mrpn_tf.data import datasets
from mrpn_tf.data.datasets import cremad, manifest, ravdess


def touch(path: pathlib.Path) -> pathlib.Path:
    """An empty file: scanning reads names only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    return path


def reasons_by_name(skipped):
    return {os.path.basename(path): reason for path, reason in skipped}


def fields(clip):
    """The label fields a golden case checks, in one tuple."""
    return (
        clip.actor, clip.gender, clip.emotion, clip.label, clip.intensity, clip.statement,
        clip.modality,
    )


# ---------------------------------------------------------------- RAVDESS names


@pytest.mark.parametrize(
    "name, expected",
    [
        ("03-01-05-02-01-01-12.wav", (12, "F", "angry", 4, "strong", "01", "audio")),
        ("01-01-08-01-02-02-01.mp4", (1, "M", "surprised", 7, "normal", "02", "av")),
        ("02-01-01-01-01-01-23.mp4", (23, "M", "neutral", 0, "normal", "01", "video")),
        ("01-01-02-02-02-01-24.mp4", (24, "F", "calm", 1, "strong", "02", "av")),
    ],
)
def test_ravdess_golden_names(name, expected):
    clip = ravdess.parse_name(f"/data/Actor_xx/{name}")
    assert fields(clip) == expected
    assert clip.path == f"/data/Actor_xx/{name}"
    assert clip.clip_id == name[:-4]
    assert clip.dataset == "ravdess" and clip.audio_path is None


def test_ravdess_labels_follow_emotion_codes():
    names = datasets.label_names("ravdess")
    assert names == ("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised")
    for code in range(1, 9):
        clip = ravdess.parse_name(f"03-01-{code:02d}-01-01-01-01.wav")
        assert clip.label == code - 1 and names[clip.label] == clip.emotion


def test_demo_parses_with_ravdess_naming_under_its_own_name():
    clip = ravdess.parse_name("Actor_07/01-01-04-02-01-01-07.mp4", dataset="demo")
    assert (clip.dataset, clip.actor, clip.gender, clip.emotion) == ("demo", 7, "M", "sad")
    assert datasets.label_names("demo") == datasets.label_names("ravdess")


@pytest.mark.parametrize(
    "name, detail",
    [
        ("03-01-05-02-01-01.wav", "seven two-digit codes"),
        ("3-1-5-2-1-1-12.wav", "seven two-digit codes"),
        ("03-01-05-02-01-01-12.flac", "seven two-digit codes"),
        ("04-01-05-02-01-01-12.wav", "modality code 04"),
        ("03-03-05-02-01-01-12.wav", "vocal channel code 03"),
        ("03-01-09-02-01-01-12.wav", "emotion code 09"),
        ("03-01-05-03-01-01-12.wav", "intensity code 03"),
        ("03-01-05-02-03-01-12.wav", "statement code 03"),
        ("03-01-05-02-01-00-12.wav", "repetition code 00"),
        ("03-01-05-02-01-01-25.wav", "actor code 25"),
        ("03-01-05-02-01-01-12.mp4", "modality 03 files are .wav"),
        ("01-01-05-02-01-01-12.wav", "modality 01 files are .mp4"),
        ("01-02-05-02-01-01-12.mp4", "song"),
    ],
)
def test_ravdess_bad_names_name_the_file_and_the_pattern(name, detail):
    with pytest.raises(manifest.ClipNameError) as error:
        ravdess.parse_name(f"/data/{name}")
    message = str(error.value)
    assert isinstance(error.value, ValueError)
    assert name in message and ravdess.PATTERN in message and detail in message


# ---------------------------------------------------------------- CREMA-D names


@pytest.mark.parametrize(
    "name, expected",
    [
        ("1001_DFA_ANG_XX.flv", (1001, "M", "angry", 0, "unspecified", "DFA", "av")),
        ("1002_IEO_HAP_HI.wav", (1002, "F", "happy", 3, "high", "IEO", "audio")),
        ("1091_IEO_SAD_LO.mp3", (1091, "F", "sad", 5, "low", "IEO", "audio")),
        ("1090_IEO_FEA_MD.flv", (1090, "M", "fearful", 2, "medium", "IEO", "av")),
        ("1047_WSI_NEU_XX.flv", (1047, "F", "neutral", 4, "unspecified", "WSI", "av")),
        ("1034_TSI_DIS_XX.flv", (1034, "M", "disgust", 1, "unspecified", "TSI", "av")),
    ],
)
def test_cremad_golden_names(name, expected):
    clip = cremad.parse_name(f"/crema/x/{name}")
    assert fields(clip) == expected
    assert clip.clip_id == name[:-4] and clip.dataset == "cremad" and clip.audio_path is None


def test_cremad_label_order_is_alphabetical_codes():
    names = ("angry", "disgust", "fearful", "happy", "neutral", "sad")
    assert datasets.label_names("cremad") == names
    assert list(cremad.EMOTION_CODES) == sorted(cremad.EMOTION_CODES)


def test_cremad_actor_unknown_to_both_tables_is_u():
    clip = cremad.parse_name("1001_DFA_ANG_XX.flv", genders={})
    assert clip.gender == "U"


def test_cremad_audio_file_cannot_be_a_video_clip():
    with pytest.raises(ValueError, match="1001_DFA_ANG_XX.wav"):
        cremad.parse_name("1001_DFA_ANG_XX.wav", modality="av")


@pytest.mark.parametrize(
    "name, detail",
    [
        ("1001-DFA-ANG-XX.flv", "actor_sentence_emotion_intensity"),
        ("1001_DFA_ANG_XX.mp4", "actor_sentence_emotion_intensity"),
        ("1001_DFA_ANG.flv", "actor_sentence_emotion_intensity"),
        ("1000_DFA_ANG_XX.flv", "actor 1000"),
        ("1092_DFA_ANG_XX.flv", "actor 1092"),
        ("1001_ABC_ANG_XX.flv", "sentence ABC"),
        ("1001_DFA_JOY_XX.flv", "emotion JOY"),
        ("1001_DFA_ANG_ZZ.flv", "intensity ZZ"),
    ],
)
def test_cremad_bad_names_name_the_file_and_the_pattern(name, detail):
    with pytest.raises(manifest.ClipNameError) as error:
        cremad.parse_name(f"/crema/VideoFlash/{name}")
    message = str(error.value)
    assert name in message and cremad.PATTERN in message and detail in message


# ---------------------------------------------------------------- RAVDESS scans


@pytest.fixture
def ravdess_tree(tmp_path):
    root = tmp_path / "ravdess"
    for name in [
        "Actor_01/01-01-03-01-01-01-01.mp4",
        "Actor_01/01-01-01-01-02-02-01.mp4",
        "Actor_01/02-01-03-01-01-01-01.mp4",  # video-only: other modality
        "Actor_01/03-01-03-01-01-01-01.wav",  # audio-only: other modality
        "Actor_01/01-02-03-01-01-01-01.mp4",  # song
        "Actor_01/clip final.mp4",  # bad name
        "Actor_01/notes.txt",
        "Actor_01/.DS_Store",  # hidden: not dataset content, not reported
        "Actor_02/01-01-05-02-01-01-02.mp4",
        "Actor_02/01-01-05-02-01-01-03.mp4",  # actor 03 inside Actor_02
        "copy/Actor_02/01-01-05-02-01-01-02.mp4",  # second copy of a clip id
    ]:
        touch(root / name)
    return root


def test_ravdess_scan_keeps_good_clips_and_reports_the_rest(ravdess_tree):
    clips, skipped = datasets.scan_dataset("ravdess", str(ravdess_tree), "av")
    assert [c.clip_id for c in clips] == [
        "01-01-01-01-02-02-01",
        "01-01-03-01-01-01-01",
        "01-01-05-02-01-01-02",
    ]
    assert [c.actor for c in clips] == [1, 1, 2]
    assert all(os.path.isabs(c.path) and os.path.isfile(c.path) for c in clips)
    assert clips[2].path == str(ravdess_tree / "Actor_02" / "01-01-05-02-01-01-02.mp4")
    reasons = reasons_by_name(skipped)
    assert len(skipped) == 7 and ".DS_Store" not in reasons
    assert "song" in reasons["01-02-03-01-01-01-01.mp4"]
    assert "video file (modality 02)" in reasons["02-01-03-01-01-01-01.mp4"]
    assert "audio file (modality 03)" in reasons["03-01-03-01-01-01-01.wav"]
    assert ravdess.PATTERN in reasons["clip final.mp4"]
    assert "not a RAVDESS media file" in reasons["notes.txt"]
    assert "Actor_02 but the name says actor 03" in reasons["01-01-05-02-01-01-03.mp4"]
    copy = str(ravdess_tree / "copy" / "Actor_02" / "01-01-05-02-01-01-02.mp4")
    assert "duplicate of" in dict(skipped)[copy]
    assert [path for path, _ in skipped] == sorted(path for path, _ in skipped)


def test_ravdess_scan_selects_the_requested_modality(ravdess_tree):
    audio, _ = ravdess.scan(str(ravdess_tree), "audio")
    video, _ = ravdess.scan(str(ravdess_tree), "video")
    assert [(c.clip_id, c.modality) for c in audio] == [("03-01-03-01-01-01-01", "audio")]
    assert [(c.clip_id, c.modality) for c in video] == [("02-01-03-01-01-01-01", "video")]


def test_scan_is_deterministic_and_demo_keeps_its_name(ravdess_tree):
    first = datasets.scan_dataset("demo", str(ravdess_tree))
    assert first == datasets.scan_dataset("demo", str(ravdess_tree))
    assert {c.dataset for c in first[0]} == {"demo"}


def test_demo_manifest_is_not_reported_as_a_skipped_file(ravdess_tree):
    from mrpn_tf.demo import demo_set

    assert manifest.DEMO_MANIFEST_NAME == demo_set.MANIFEST_NAME
    touch(ravdess_tree / demo_set.MANIFEST_NAME)
    touch(ravdess_tree / "Actor_01" / demo_set.MANIFEST_NAME)  # not the generator's: reported
    clips, skipped = datasets.scan_dataset("demo", str(ravdess_tree))
    paths = {os.path.relpath(path, ravdess_tree) for path, _ in skipped}
    assert demo_set.MANIFEST_NAME not in paths
    assert os.path.join("Actor_01", demo_set.MANIFEST_NAME) in paths
    # A real RAVDESS folder keeps reporting a stray demo.json.
    _, skipped = datasets.scan_dataset("ravdess", str(ravdess_tree))
    assert demo_set.MANIFEST_NAME in {os.path.relpath(path, ravdess_tree) for path, _ in skipped}


def test_scan_errors_name_the_folder(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError, match=str(missing)):
        datasets.scan_dataset("ravdess", str(missing))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(manifest.EmptyDatasetError, match=str(empty)):
        datasets.scan_dataset("ravdess", str(empty))


def test_scan_without_a_usable_clip_says_why(tmp_path):
    touch(tmp_path / "Actor_01" / "03-01-03-01-01-01-01.wav")
    with pytest.raises(manifest.EmptyDatasetError) as error:
        datasets.scan_dataset("ravdess", str(tmp_path), "av")
    assert "1 files skipped" in str(error.value) and "modality 03" in str(error.value)
    assert len(error.value.skipped) == 1


def test_unknown_dataset_or_modality_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="'iemocap'"):
        datasets.scan_dataset("iemocap", str(tmp_path))
    with pytest.raises(ValueError, match="'stereo'"):
        datasets.scan_dataset("ravdess", str(tmp_path), "stereo")
    with pytest.raises(ValueError, match="'iemocap'"):
        datasets.label_names("iemocap")


def test_clip_info_is_frozen():
    clip = ravdess.parse_name("03-01-05-02-01-01-12.wav")
    with pytest.raises(dataclasses.FrozenInstanceError):
        clip.label = 0


# ---------------------------------------------------------------- CREMA-D scans


@pytest.fixture
def cremad_tree(tmp_path):
    root = tmp_path / "crema"
    for name in [
        "VideoFlash/1001_DFA_ANG_XX.flv",  # has WAV and MP3: WAV wins
        "VideoFlash/1001_DFA_HAP_XX.flv",  # MP3 only
        "VideoFlash/1003_IEO_SAD_HI.flv",  # no separate audio
        "VideoFlash/1001_DFA_ANG_XX.mp4",  # wrong type for VideoFlash
        "VideoFlash/1001_DFA_ANGRY_XX.flv",  # bad name
        "AudioWAV/1001_DFA_ANG_XX.wav",
        "AudioWAV/1004_TIE_NEU_XX.wav",  # no video to pair with
        "AudioMP3/1001_DFA_ANG_XX.mp3",
        "AudioMP3/1001_DFA_HAP_XX.mp3",
        "processedResults/summaryTable.csv",  # not a clip folder: never read
    ]:
        touch(root / name)
    return root


def test_cremad_av_scan_pairs_each_video_with_its_best_audio(cremad_tree):
    clips, skipped = datasets.scan_dataset("cremad", str(cremad_tree), "av")
    audio = {c.clip_id: c.audio_path for c in clips}
    assert audio == {
        "1001_DFA_ANG_XX": str(cremad_tree / "AudioWAV" / "1001_DFA_ANG_XX.wav"),
        "1001_DFA_HAP_XX": str(cremad_tree / "AudioMP3" / "1001_DFA_HAP_XX.mp3"),
        "1003_IEO_SAD_HI": None,
    }
    assert all(c.path.endswith(".flv") and c.modality == "av" for c in clips)
    reasons = reasons_by_name(skipped)
    assert set(reasons) == {"1001_DFA_ANG_XX.mp4", "1001_DFA_ANGRY_XX.flv", "1004_TIE_NEU_XX.wav"}
    assert "not a .flv file" in reasons["1001_DFA_ANG_XX.mp4"]
    assert cremad.PATTERN in reasons["1001_DFA_ANGRY_XX.flv"]
    assert "no VideoFlash/1004_TIE_NEU_XX.flv" in reasons["1004_TIE_NEU_XX.wav"]


def test_cremad_audio_scan_prefers_wav_then_mp3_then_the_video_track(cremad_tree):
    clips, _ = cremad.scan(str(cremad_tree), "audio")
    chosen = {c.clip_id: os.path.relpath(c.path, cremad_tree) for c in clips}
    assert chosen == {
        "1001_DFA_ANG_XX": "AudioWAV/1001_DFA_ANG_XX.wav",
        "1001_DFA_HAP_XX": "AudioMP3/1001_DFA_HAP_XX.mp3",
        "1003_IEO_SAD_HI": "VideoFlash/1003_IEO_SAD_HI.flv",
        "1004_TIE_NEU_XX": "AudioWAV/1004_TIE_NEU_XX.wav",
    }
    assert all(c.modality == "audio" and c.audio_path is None for c in clips)


def test_cremad_video_scan_uses_no_separate_audio(cremad_tree):
    clips, _ = cremad.scan(str(cremad_tree), "video")
    assert len(clips) == 3
    assert all(c.audio_path is None and c.modality == "video" for c in clips)


def test_cremad_demographics_csv_overrides_the_committed_genders(cremad_tree):
    # Deliberately not the real sexes, to see which table was read.
    (cremad_tree / "VideoDemographics.csv").write_text(
        '"ActorID","Age","Sex","Race","Ethnicity"\n'
        '1001,51,"Female","Caucasian","Not Hispanic"\n'
        '1003,21,"Unknown","Caucasian","Not Hispanic"\n'
    )
    clips, _ = cremad.scan(str(cremad_tree), "av")
    genders = {c.clip_id: c.gender for c in clips}
    assert genders == {"1001_DFA_ANG_XX": "F", "1001_DFA_HAP_XX": "F", "1003_IEO_SAD_HI": "U"}
    no_csv = cremad.parse_name("1003_IEO_SAD_HI.flv")
    assert no_csv.gender == "F"  # the committed table


def test_cremad_demographics_without_a_sex_column_is_an_error(cremad_tree):
    csv_path = cremad_tree / "VideoDemographics.csv"
    csv_path.write_text("ActorID,Age\n1001,51\n")
    with pytest.raises(ValueError, match="VideoDemographics.csv.*Sex"):
        cremad.scan(str(cremad_tree))


def test_cremad_without_video_folder_names_it(tmp_path):
    touch(tmp_path / "AudioWAV" / "1001_DFA_ANG_XX.wav")
    with pytest.raises(FileNotFoundError, match="VideoFlash"):
        cremad.scan(str(tmp_path), "av")
    assert len(cremad.scan(str(tmp_path), "audio")[0]) == 1


# ---------------------------------------------------------------- real clips in ../shared


def _shared_data(shared_dir, name):
    """../shared/data/<name>, skipping the test when that folder is absent."""
    root = shared_dir / "data" / name
    if not root.is_dir():
        pytest.skip(f"{root} is absent")
    return root


def test_real_ravdess_speech(shared_dir):
    root = _shared_data(shared_dir, "ravdess-speech")
    clips, skipped = datasets.scan_dataset("ravdess", str(root), "audio")
    assert len(clips) == 1200 and skipped == []
    per_actor = collections.Counter(c.actor for c in clips)
    assert sorted(per_actor) == list(range(1, 21)) and set(per_actor.values()) == {60}
    # Neutral has no strong intensity: 4 clips per actor, every other emotion 8.
    assert collections.Counter(c.label for c in clips) == {0: 80, **{label: 160 for label in range(1, 8)}}
    assert collections.Counter(c.intensity for c in clips) == {"normal": 640, "strong": 560}
    assert all(c.gender == ("M" if c.actor % 2 else "F") for c in clips)
    assert all(c.path.endswith(".wav") for c in clips)
    # Audio-only files (03-01-*) are no audio-video clips: asked for "av", every one is skipped.
    with pytest.raises(manifest.EmptyDatasetError, match="1200 files skipped"):
        datasets.scan_dataset("ravdess", str(root), "av")


def test_real_cremad(shared_dir):
    root = shared_dir / "data" / "cremad"
    if not root.is_dir():
        pytest.skip(f"{root} is absent")
    clips, skipped = datasets.scan_dataset("cremad", str(root), "av")
    # The MP3s there are actor 1002's, the videos actor 1001's: no stem matches.
    assert [(c.actor, c.gender, c.audio_path) for c in clips] == [(1001, "M", None)] * 6
    assert sorted(c.label for c in clips) == list(range(6))
    assert len(skipped) == 6 and all("AudioMP3" in path for path, _ in skipped)
    audio, _ = datasets.scan_dataset("cremad", str(root), "audio")
    assert collections.Counter((c.actor, c.gender, c.path[-4:]) for c in audio) == {
        (1001, "M", ".flv"): 6,
        (1002, "F", ".mp3"): 6,
    }
