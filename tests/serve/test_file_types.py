"""Uploads are told apart by their content: every format predict reads is recognised from its
first bytes, and a file whose name lies is not."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from mrpn_tf.data.media import still_image
from mrpn_tf.data.media.encode import write_media
from mrpn_tf.serve import file_types


def _write_images(folder) -> dict[str, str]:
    rgb = np.random.default_rng(0).integers(0, 256, (32, 48, 3), np.uint8)
    paths = {}
    for fmt, ext in (("JPEG", ".jpg"), ("PNG", ".png"), ("GIF", ".gif"), ("WEBP", ".webp"), ("TIFF", ".tif"),
                     ("BMP", ".bmp")):
        paths[ext] = str(folder / f"picture{ext}")
        Image.fromarray(rgb).save(paths[ext], format=fmt)
    return paths


def test_every_picture_format_predict_reads_is_an_image(tmp_path):
    for ext, path in _write_images(tmp_path).items():
        found = file_types.sniff_file(path)
        assert found.kind == file_types.IMAGE and found.extension == ext, path
        assert still_image.is_image("upload" + found.extension)  # predict takes it for a still


@pytest.mark.parametrize("name, codecs, extension", [
    ("clip.mp4", ("libx264", "aac"), ".mp4"),
    ("clip.mkv", ("libx264", "aac"), ".mkv"),
    ("clip.webm", ("libvpx", "libopus"), ".mkv"),
    ("clip.avi", ("mpeg4", "pcm_s16le"), ".avi"),
    ("clip.flv", ("flv", "mp3"), ".flv"),
    ("clip.ts", ("mpeg2video", "mp2"), ".ts"),
])
def test_video_containers_are_media(tmp_path, name, codecs, extension):
    frames = np.zeros((6, 64, 64, 3), np.uint8)
    tone = 0.1 * np.sin(np.arange(48000) / 10.0)
    rate = 48000 if codecs[1] == "libopus" else 44100
    path = write_media(str(tmp_path / name), frames, 10.0, tone[:rate], rate, *codecs)
    assert file_types.sniff_file(path) == file_types.FileType(file_types.MEDIA, extension,
                                                              file_types.sniff_file(path).name)


@pytest.mark.parametrize("name, codec, extension", [
    ("sound.wav", "pcm_s16le", ".wav"), ("sound.mp3", "mp3", ".mp3"), ("sound.flac", "flac", ".flac"),
    ("sound.ogg", "libopus", ".ogg"), ("sound.m4a", "aac", ".mp4"),
])
def test_audio_files_are_media(tmp_path, name, codec, extension):
    rate = 48000 if codec == "libopus" else 44100
    tone = 0.1 * np.sin(np.arange(rate) / 10.0)
    path = write_media(str(tmp_path / name), None, 10.0, tone, rate, audio_codec=codec)
    found = file_types.sniff_file(path)
    assert found.kind == file_types.MEDIA and found.extension == extension


def test_the_real_crema_d_clip_is_an_flv(shared_dir):
    clip = shared_dir / "data" / "cremad" / "VideoFlash" / "1001_DFA_ANG_XX.flv"
    assert file_types.sniff_file(str(clip)).extension == ".flv"


@pytest.mark.parametrize("content", [
    b"This is a text file with a video's name.\n" * 20,
    b"GOOD MORNING " * 100,  # starts with 0x47, an MPEG-TS sync byte, but only once
    b"BM not a bitmap" * 10,
    b"",
    b"RIFF\x00\x00\x00\x00JUNK",
])
def test_other_content_is_no_format_whatever_its_name(tmp_path, content):
    path = tmp_path / "notes.mp4"
    path.write_bytes(content)
    assert file_types.sniff_file(str(path)) is None
