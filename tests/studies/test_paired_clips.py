"""studies/paired_clips: a FER face and a RAVDESS voice of one label, written as an .mp4."""

from __future__ import annotations

import os
import types

import numpy as np

from mrpn_tf.config import config as config_lib
from mrpn_tf.data.datasets import fer2013
from mrpn_tf.data.media import decode
from mrpn_tf.data.media import encode
from mrpn_tf.studies import paired_clips
from tests.data.datasets import fer_files

SHARED7 = ("neutral", "happy", "sad", "angry", "fearful", "disgust", "surprised")


def test_each_voice_gets_a_face_of_its_label_in_a_video_of_its_length(tmp_path):
    fer_root = fer_files.write_folders(str(tmp_path / "fer"), fer_files.faces())
    voices = tmp_path / "Actor_01"
    voices.mkdir()
    rate = 16000
    for emotion, seconds in (("02", 1.5), ("08", 2.0)):  # calm, surprised
        tone = 0.3 * np.sin(2 * np.pi * 220 * np.arange(int(seconds * rate)) / rate)
        encode.write_media(str(voices / f"03-01-{emotion}-01-01-01-01.wav"), None, 0, tone, rate,
                           audio_codec="pcm_s16le")
    config = config_lib.tiny()
    config.data.labels = SHARED7
    config.data.label_map = ("ravdess.calm=neutral", "fer2013.fear=fearful",
                             "fer2013.surprise=surprised")
    predictor = types.SimpleNamespace(config=config)
    out = tmp_path / "clips"
    out.mkdir()
    clips = paired_clips.make_clips(predictor, fer_root, fer2013.PUBLIC_TEST,
                                    paired_clips.voice_files([str(voices)]), str(out), 96, seed=0)
    assert [c["truth"] for c in clips] == ["neutral", "surprised"]
    for clip, folder, seconds in zip(clips, ("neutral", "surprise"), (1.5, 2.0)):
        assert f"{os.sep}{folder}{os.sep}" in clip["face"]  # FER's own class folder
        decoded = decode.decode_clip(clip["path"], paired_clips.VIDEO_FPS, rate, max_frame_side=640)
        assert decoded.frames.shape[1:3] == (96, 96)
        assert abs(len(decoded.frames) / paired_clips.VIDEO_FPS - seconds) < 0.2
        assert abs(len(decoded.pcm16) / rate - seconds) < 0.2
