"""predict on a file reads it window by window (clip_loader.open_clip): the answers equal the
whole-clip path's, streams that end apart are scored to the end of the longer one, and a
clip too short to score is an error."""

from __future__ import annotations

import re

import numpy as np
import pytest
import tensorflow as tf

from mrpn_tf.data import clip_preparation
from mrpn_tf.data import clip_record
from mrpn_tf.data import datasets
from mrpn_tf.data.media import decode
from mrpn_tf.data.media.encode import write_media
from mrpn_tf.data.pipeline import video_frames
from mrpn_tf.inference import clip_loader
from mrpn_tf.inference import predictor as predictor_lib
from mrpn_tf.inference import windowing
from tests.inference.test_predictor import _CentralOnly


def _same_answer(a: predictor_lib.ClipPrediction, b: predictor_lib.ClipPrediction) -> None:
    assert (a.label, a.branch, a.note) == (b.label, b.branch, b.note)
    assert [(w.start_s, w.end_s, w.branch) for w in a.windows] == [(w.start_s, w.end_s, w.branch) for w in b.windows]
    np.testing.assert_allclose([list(w.probabilities.values()) for w in a.windows],
                               [list(w.probabilities.values()) for w in b.windows], atol=1e-5)


@pytest.mark.parametrize("name", ["flv", "mp4", "avi", "silent", "no_face"])
def test_window_by_window_equals_the_whole_clip(savedmodel_predictor, videos, name, monkeypatch):
    """Every kind of clip predict took whole before: the same windows and probabilities, with
    the clip scored two windows per model call (the batching a long clip gets)."""
    monkeypatch.setattr(predictor_lib, "WINDOW_BATCH", 2)
    whole = savedmodel_predictor.predict_clip(savedmodel_predictor.load_file(videos[name]))
    streamed = savedmodel_predictor.predict_file(videos[name])
    assert isinstance(savedmodel_predictor.load_file(videos[name], streamed=True), clip_loader.StreamedClip)
    _same_answer(streamed, whole)


def test_the_second_pass_gives_prepares_crops_and_samples(savedmodel_predictor, videos):
    """The crops and samples predict scores are those of the records `prepare` writes."""
    config = savedmodel_predictor.config
    info = datasets.ClipInfo(path=videos["mp4"], dataset="", actor=0, gender="U", emotion="", label=-1,
                             intensity="", statement="", modality="av", audio_path=None, clip_id="face")
    record = clip_record.parse(tf.constant(clip_record.serialize(clip_preparation.prepare_clip(info, config))))
    whole = clip_loader.LoadedClip(
        videos["mp4"], video_frames.decode_frames(record[clip_record.FRAMES], config.video.crop_size).numpy(),
        record[clip_record.AUDIO_PCM16].numpy())
    streamed = savedmodel_predictor.load_file(videos["mp4"], streamed=True)
    assert (streamed.num_frames, streamed.num_samples) == (whole.num_frames, whole.num_samples)
    np.testing.assert_array_equal(np.concatenate(list(streamed.frame_pieces())), whole.frames)
    np.testing.assert_array_equal(np.concatenate(list(streamed.waveform_pieces())), whole.waveform)
    loaded = savedmodel_predictor.load_file(videos["mp4"])  # the same, held whole
    np.testing.assert_array_equal(loaded.frames, whole.frames)
    np.testing.assert_array_equal(loaded.waveform, whole.waveform)


def _face_frames_and_voice(videos, seconds_of_audio: float):
    clip = decode.decode_clip(videos["mp4"], 15, 16000, max_frame_side=320)
    voice = np.resize(clip.pcm16.astype(np.float32) / 32768.0, int(seconds_of_audio * 16000))
    return clip.frames, voice


def test_one_frame_and_five_seconds_of_voice_are_scored_to_the_end(savedmodel_predictor, videos, tmp_path):
    """The voice outlasts the picture: the windows past the picture go to the audio side head."""
    frames, voice = _face_frames_and_voice(videos, 5.0)
    path = write_media(str(tmp_path / "one_frame.mp4"), frames[:1], 15, voice, 16000)
    result = savedmodel_predictor.predict_file(path)
    assert result.branch == predictor_lib.CENTRAL
    assert result.windows[0].branch == predictor_lib.CENTRAL
    tail = [w for w in result.windows if w.branch == "a side head"]
    assert tail and result.windows[-1].end_s == pytest.approx(5.0, abs=0.1)  # AAC pads
    assert re.search(r"the video ends at 0\.\d\d s and the audio at 5.0\d s", result.note)
    assert "scored by the a side head (N2)" in result.note
    n0 = predictor_lib.Predictor(_CentralOnly(savedmodel_predictor.metadata), savedmodel_predictor.config.video.face_model)
    with pytest.raises(predictor_lib.PredictError, match="one_frame.mp4: the video ends at .*N0 .*refused"):
        n0.predict_file(path)


def test_streams_a_few_frames_apart_keep_todays_windows():
    spec = windowing.WindowSpec(2.0, 1.0, 15.0, 16000, 30, 32000, 6)
    planned = windowing.plan_windows(3.9, 3.93, spec)
    assert [w.start_s for w in planned] == windowing.window_starts(3.9, spec)
    assert all(w.streams == ("v", "a") for w in planned)
    longer_audio = windowing.plan_windows(3.0, 6.5, spec)
    assert [(w.start_s, w.streams) for w in longer_audio] == [
        (0.0, ("v", "a")), (1.0, ("v", "a")), (2.0, ("a",)), (3.0, ("a",)), (4.0, ("a",)), (4.5, ("a",))]
    assert longer_audio[-1].end_s == 6.5


def test_stream_cursor_cuts_pieces_as_the_whole_array():
    rng = np.random.default_rng(3)
    whole = rng.normal(size=1000).astype(np.float32)
    bounds = np.sort(rng.choice(np.arange(1, 1000), 30, replace=False))
    cursor = windowing.StreamCursor(np.split(whole, bounds), rate=100, size=150)
    for start_s in (0.0, 0.5, 2.0, 7.0, 9.5):
        window, real = cursor.window(start_s)
        expected, expected_real = windowing.cut(whole, int(start_s * 100), 150)
        np.testing.assert_array_equal(window, expected)
        assert real == expected_real
    with pytest.raises(ValueError, match="time order"):
        cursor.window(1.0)


def test_audio_too_short_to_score_is_an_error_not_a_zero_second_window(savedmodel_predictor, tmp_path):
    path = write_media(str(tmp_path / "blip.wav"), None, 0, np.zeros(800, np.float32), 16000)
    with pytest.raises(clip_preparation.ClipError, match="blip.wav: .*audio too short to score \\(0\\.\\d\\d s; at least 0.25 s"):
        savedmodel_predictor.predict_file(path)


def test_a_face_with_a_blip_of_sound_is_scored_by_its_face(savedmodel_predictor, videos, tmp_path):
    frames, voice = _face_frames_and_voice(videos, 0.1)
    path = write_media(str(tmp_path / "blip.mp4"), frames, 15, voice, 16000)
    for result in (savedmodel_predictor.predict_file(path), savedmodel_predictor.predict_clip(savedmodel_predictor.load_file(path))):
        assert result.branch == "v side head" and "audio too short to score" in result.note


def test_a_folder_given_as_a_file_is_said_to_be_a_folder(savedmodel_predictor, tmp_path):
    with pytest.raises(clip_preparation.ClipError, match="is a folder, not a media file"):
        savedmodel_predictor.predict_file(str(tmp_path))


def test_narrow_band_audio_gets_a_note(savedmodel_predictor, videos, tmp_path):
    """A voice recorded at 8 kHz has no 4-8 kHz band: said, not silently scored as 16-kHz speech."""
    _, voice = _face_frames_and_voice(videos, 2.0)
    phone = write_media(str(tmp_path / "call.wav"), None, 0, voice[::2], 8000, audio_codec="pcm_s16le")
    wide = write_media(str(tmp_path / "wide.wav"), None, 0, voice, 16000, audio_codec="pcm_s16le")
    narrow = savedmodel_predictor.predict_file(phone)
    assert narrow.branch == "a side head" and "narrow-band audio (8000 Hz: nothing above 4 kHz" in narrow.note
    assert "narrow-band" not in savedmodel_predictor.predict_file(wide).note


@pytest.mark.parametrize("name, codec, gray", [
    ("表情 ünïcode.mkv", "libx264", False), ("clip.webm", "libvpx-vp9", False), ("gray.mp4", "libx264", True)])
def test_other_containers_names_and_grey_video_are_read_as_the_mp4(savedmodel_predictor, videos, tmp_path,
                                                                   name, codec, gray):
    clip = decode.decode_clip(videos["mp4"], 15, 16000, max_frame_side=320)
    frames = clip.frames
    if gray:
        frames = np.repeat(frames.mean(axis=3, keepdims=True).astype(np.uint8), 3, axis=3)
    path = write_media(str(tmp_path / name), frames, 15, clip.pcm16.astype(np.float32) / 32768.0, 16000,
                       video_codec=codec, audio_codec="libopus" if name.endswith(".webm") else "aac")
    result = savedmodel_predictor.predict_file(path)
    plain = savedmodel_predictor.predict_file(videos["mp4"])
    assert result.path == path and result.branch == predictor_lib.CENTRAL and not result.note
    assert len(result.windows) == len(plain.windows)


@pytest.mark.parametrize("cut", [0.5, "100 bytes"])
def test_a_truncated_wav_is_an_error_line_in_predict(savedmodel_predictor, videos, tmp_path, cut):
    _, voice = _face_frames_and_voice(videos, 2.0)
    path = write_media(str(tmp_path / "voice.wav"), None, 0, voice, 16000, audio_codec="pcm_s16le")
    data = open(path, "rb").read()
    with open(path, "wb") as f:
        f.write(data[: 100 if cut == "100 bytes" else len(data) // 2])
    with pytest.raises(clip_preparation.ClipError, match=r"voice.wav: truncated: decoded .* of the 2.00 s"):
        savedmodel_predictor.predict_file(path)


def test_a_truncated_mp4_and_an_empty_file_are_error_lines(savedmodel_predictor, videos, tmp_path):
    data = open(videos["mp4"], "rb").read()
    cut, empty = tmp_path / "cut.mp4", tmp_path / "empty.mp4"
    cut.write_bytes(data[: len(data) * 6 // 10])
    empty.write_bytes(b"")
    with pytest.raises(clip_preparation.ClipError, match="cut.mp4: (truncated|unreadable or corrupt|corrupt)"):
        savedmodel_predictor.predict_file(str(cut))
    with pytest.raises(clip_preparation.ClipError, match=r"empty.mp4: empty file \(0 bytes\)"):
        savedmodel_predictor.predict_file(str(empty))
