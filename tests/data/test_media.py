"""PyAV decode (fps grid, resampling, scaling, broken files), face track and crop."""

import numpy as np
import pytest

from mrpn_tf.data.media import decode, face_crop, face_track
from mrpn_tf.data.media.encode import write_media
from mrpn_tf.data.media.face_detector import Detection


def _frames(num, height=240, width=320):
    # frame t has brightness 4*t in its red channel, so decoded frames reveal their source index
    frames = np.zeros([num, height, width, 3], np.uint8)
    frames[..., 0] = (4 * np.arange(num) % 256)[:, None, None]
    return frames


def _tone(seconds, rate, channels=1, freq=440.0):
    t = np.arange(int(seconds * rate)) / rate
    wave = 0.5 * np.sin(2 * np.pi * freq * t)
    return np.stack([wave] * channels, axis=1) if channels > 1 else wave


@pytest.mark.parametrize("source_fps, seconds", [(30, 2.0), (29.97, 2.0), (10, 2.0), (15, 1.2)])
def test_frames_land_on_the_target_grid(tmp_path, source_fps, seconds):
    num = int(round(source_fps * seconds))
    path = write_media(str(tmp_path / "v.mp4"), _frames(num), source_fps)
    clip = decode.decode_clip(path, fps=15, sample_rate=16000, max_frame_side=640)
    assert abs(len(clip.frames) - 15 * seconds) <= 1
    # each output slot k shows the source frame nearest to k / 15 s
    red = clip.frames[:, 100, 100, 0].astype(int)
    expected = 4 * np.minimum(np.round(np.arange(len(red)) / 15 * source_fps), num - 1)
    assert np.abs(red - expected).max() <= 4 + 2  # one source frame of tolerance + codec error


def test_audio_is_resampled_to_16k_mono_with_duration_kept(tmp_path):
    path = write_media(str(tmp_path / "s.mp4"), _frames(30), 15, _tone(2.0, 44100, channels=2), 44100)
    clip = decode.decode_clip(path, fps=15, sample_rate=16000, max_frame_side=640)
    assert clip.pcm16.dtype == np.int16 and clip.pcm16.ndim == 1
    assert abs(len(clip.pcm16) - 2.0 * 16000) < 0.05 * 16000  # AAC adds a few ms of priming
    spectrum = np.abs(np.fft.rfft(clip.pcm16[4000:20000].astype(float)))
    assert abs(np.argmax(spectrum) - 440) < 2  # 16000 samples at 16 kHz: bin k is k Hz


def test_wav_48k_audio_only(tmp_path):
    path = write_media(str(tmp_path / "a.wav"), None, 0, _tone(1.5, 48000), 48000, audio_codec="pcm_s16le")
    clip = decode.decode_clip(path, fps=15, sample_rate=16000, max_frame_side=640)
    assert not clip.has_video and clip.frames.shape[0] == 0
    assert len(clip.pcm16) == 24000


def test_large_frames_are_scaled_by_the_decoder(tmp_path):
    path = write_media(str(tmp_path / "big.mp4"), _frames(3, 2160, 3840), 10)
    clip = decode.decode_clip(path, fps=10, sample_rate=16000, max_frame_side=640)
    assert clip.frames.shape[1:] == (360, 640, 3)
    assert clip.source_size == (3840, 2160)


def test_separate_audio_file_replaces_the_track(tmp_path):
    video = write_media(str(tmp_path / "v.mp4"), _frames(20), 10, _tone(2.0, 44100, freq=300), 44100)
    other = write_media(str(tmp_path / "a.wav"), None, 0, _tone(1.0, 16000, freq=1000), 16000, audio_codec="pcm_s16le")
    clip = decode.decode_clip(video, fps=10, sample_rate=16000, max_frame_side=640, audio_path=other)
    assert len(clip.pcm16) == 16000


@pytest.mark.parametrize(
    "content, reason",
    [(b"", "empty file"), (b"\x00garbage" * 100, "unreadable or corrupt")],
)
def test_broken_files_name_the_file(tmp_path, content, reason):
    path = tmp_path / "broken.mp4"
    path.write_bytes(content)
    with pytest.raises(decode.MediaError, match=f"broken.mp4.*{reason}"):
        decode.decode_clip(str(path), fps=15, sample_rate=16000, max_frame_side=640)


@pytest.mark.parametrize("suffix, reason", [(".mp4", "corrupt"), (".flv", "truncated")])
def test_truncated_file_is_a_named_error(tmp_path, suffix, reason):
    # an .mp4 cut short loses its index (written last); an .flv decodes up to the cut
    path = write_media(str(tmp_path / f"t{suffix}"), _frames(60), 30, _tone(2.0, 44100), 44100,
                       video_codec="flv" if suffix == ".flv" else "libx264",
                       audio_codec="libmp3lame" if suffix == ".flv" else "aac")
    data = open(path, "rb").read()
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(decode.MediaError, match=f"cut{suffix}.*{reason}"):
        decode.decode_clip(str(cut), fps=15, sample_rate=16000, max_frame_side=640)
    complete = decode.decode_clip(path, fps=15, sample_rate=16000, max_frame_side=640)
    assert abs(complete.video_seconds - 2.0) < 0.1


def _det(x0, y0, side, score=0.9):
    return Detection(x0, y0, x0 + side, y0 + side, score)


def test_track_prefers_the_large_central_face_and_ignores_the_other():
    big, small = _det(110, 70, 100), _det(10, 10, 30)
    detections = [[small, big], [big], [small, _det(112, 72, 100)]]
    boxes, detected = face_track.select_track(detections, (320, 240))
    assert detected.all()
    assert np.allclose(boxes[:, 0], [110, 110, 112])


def test_track_interpolates_gaps_and_holds_the_ends():
    detections = [[], [_det(100, 50, 80)], [], [], [_det(130, 50, 80)], []]
    boxes, detected = face_track.select_track(detections, (320, 240))
    assert detected.tolist() == [False, True, False, False, True, False]
    assert np.allclose(boxes[:, 0], [100, 100, 110, 120, 130, 130])


def test_no_face_anywhere_gives_no_track():
    boxes, detected = face_track.select_track([[], []], (320, 240))
    assert boxes is None and not detected.any()


def test_smoothing_has_no_lag_on_a_steady_motion():
    boxes = np.stack([np.arange(10.0) * 5] * 4, axis=1)
    smoothed = face_track.smooth(boxes, 0.5)
    assert np.allclose(smoothed[3:7], boxes[3:7], atol=1.0)  # forward+backward cancel the lag
    jitter = boxes + np.array([3, -3] * 5)[:, None]
    assert np.abs(face_track.smooth(jitter, 0.5) - boxes)[2:-2].max() < 3


def test_track_of_a_clip_keeps_its_recorded_boxes():
    # Golden boxes of prepare's track (select_track, smooth 0.5, margin 0.25), recorded before
    # its per-frame steps were shared with the live track: prepare's crops must not move.
    detections = [
        [Detection(10, 10, 30, 34, 0.6)],  # a small face at the edge, not the main one
        [Detection(100, 60, 160, 132, 0.9), Detection(12, 11, 31, 35, 0.7)],
        [],
        [Detection(106, 62, 166, 134, 0.8), Detection(250, 20, 290, 70, 0.95)],
        [Detection(110, 61, 171, 135, 0.85)],
        [],
    ]
    boxes, detected = face_track.select_track(detections, (320, 240))
    squares = face_track.square_with_margin(face_track.smooth(boxes, 0.5), 0.25)
    assert detected.tolist() == [False, True, False, True, True, False]
    np.testing.assert_allclose(squares, [
        [76.65625, 42.140625, 184.75, 150.234375],
        [77.3125, 42.28125, 185.5, 150.46875],
        [79.375, 42.8125, 187.75, 151.1875],
        [81.625, 43.25, 190.375, 152.0],
        [83.6875, 42.6875, 193.9375, 152.9375],
        [84.34375, 42.59375, 194.96875, 153.21875],
    ], atol=1e-9)


def test_square_with_margin():
    box = face_track.square_with_margin(np.array([[100.0, 50.0, 140.0, 130.0]]), 0.25)[0]
    assert np.allclose(box, [120 - 60, 90 - 60, 120 + 60, 90 + 60])  # side 80 x 1.5


def test_crop_maps_the_box_and_replicates_past_the_edge():
    frame = np.zeros([100, 100, 3], np.uint8)
    frame[40:60, 40:60] = 255
    crops = face_crop.crop_faces(frame[None], np.array([[30.0, 30.0, 70.0, 70.0]]), 40)
    assert crops.shape == (1, 40, 40, 3)
    assert crops[0, 20, 20, 0] == 255 and crops[0, 2, 2, 0] == 0
    edge = face_crop.crop_faces(frame[None] + 10, np.array([[-20.0, -20.0, 20.0, 20.0]]), 20)
    assert (edge == 10).all()  # replicated border, never black padding
    jpegs = face_crop.encode_jpeg(crops, 90)
    assert jpegs[0][:2] == b"\xff\xd8" and jpegs == face_crop.encode_jpeg(crops, 90)


def _picture(height=64, width=96):
    """An asymmetric picture: a bright block in the top-left corner, a mid-grey right half."""
    frame = np.full([height, width, 3], 30, np.uint8)
    frame[:, width // 2:] = 128
    frame[: height // 4, : width // 4] = 250
    return frame


@pytest.mark.parametrize("quarters", [1, 2, 3])
def test_a_phone_clip_stored_sideways_is_decoded_upright(tmp_path, quarters):
    """The pixels stored turned, the display matrix saying how to turn them back (phones)."""
    upright = np.stack([_picture()] * 8)
    stored = np.stack([np.rot90(f, k=-quarters) for f in upright])
    path = write_media(str(tmp_path / f"phone{quarters}.mp4"), stored, 15,
                       display_rotation=90 * quarters)
    plain = write_media(str(tmp_path / "upright.mp4"), upright, 15)
    rotated_frames = decode.decode_clip(path, 15, 16000, max_frame_side=640).frames
    upright_frames = decode.decode_clip(plain, 15, 16000, max_frame_side=640).frames
    assert rotated_frames.shape == upright_frames.shape == (8, 64, 96, 3)
    assert np.abs(rotated_frames.astype(int) - upright_frames.astype(int)).mean() < 3
    assert rotated_frames[:, 4, 4, 0].min() > 200  # the bright block is back top-left


def test_upright_turns_by_the_display_rotation():
    picture = _picture(4, 6)
    assert decode.upright(picture, 0) is picture
    np.testing.assert_array_equal(decode.upright(picture, 90), np.rot90(picture, 1))
    np.testing.assert_array_equal(decode.upright(picture, -90), np.rot90(picture, 3))
    np.testing.assert_array_equal(decode.upright(picture, 180.0), np.rot90(picture, 2))


@pytest.mark.parametrize("keep", [0.5, 100])
def test_a_wav_cut_short_is_a_named_error_whatever_ffmpeg_computes(tmp_path, keep):
    """FFmpeg takes a WAV's duration from its size; the RIFF header still says what was written."""
    path = write_media(str(tmp_path / "speech.wav"), None, 0, _tone(3.0, 16000), 16000,
                       audio_codec="pcm_s16le")
    assert abs(decode.wav_declared_seconds(path) - 3.0) < 0.01
    data = open(path, "rb").read()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[: int(len(data) * keep) if keep < 1 else keep])
    for decode_fn in (lambda p: decode.decode_clip(p, 15, 16000, 640),
                      lambda p: decode.decode_audio(p, 16000)):
        with pytest.raises(decode.MediaError, match=r"cut\.wav.*truncated: decoded .* of the 3\.00 s"):
            decode_fn(str(cut))
    assert len(decode.decode_audio(path, 16000)) == 48000  # the whole file is fine
    assert decode.wav_declared_seconds(str(tmp_path)) is None  # not a file, not a WAV

