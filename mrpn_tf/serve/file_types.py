"""What an upload is, from its first bytes: a picture, or a video or audio container.

The name a client gives a file says nothing it can be held to: a text file renamed .mp4 is
still text. The leading bytes of every format predict reads are fixed by its specification
(a JPEG starts FF D8 FF, an MP4's first box is `ftyp`, a WAV is RIFF....WAVE, ...), so the
upload is stored under the extension of the format it holds, which is also how predict tells
a still image (`still_image.is_image`) from a clip. A video container may hold audio only (an
.m4a is an MP4): whether a clip has pictures is for the decoder to say, not the magic.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

IMAGE = "image"
MEDIA = "media"  # a video or audio container: what it holds is probed (upload.py)
# Bytes read to recognise a format: an MPEG transport stream is told by the sync byte that
# starts each of its 188-byte packets, three of them; every other signature ends by byte 15.
HEAD_BYTES = 512
_TS_PACKET = 188


@dataclasses.dataclass(frozen=True)
class FileType:
    """A recognised format."""

    kind: str  # IMAGE or MEDIA
    extension: str  # the upload's name on disk ends with it
    name: str  # for messages


def _riff(head: bytes, form: bytes) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == form


def _mp3_frame(head: bytes) -> bool:
    """An MPEG audio frame header: 11 sync bits, a layer and a bitrate index that exist."""
    if len(head) < 3 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    layer, bitrate = (head[1] >> 1) & 0x3, head[2] >> 4
    return layer != 0 and bitrate not in (0, 0xF)


def _adts(head: bytes) -> bool:
    return len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0


# (test, type), first match wins: the picture formats of still_image.EXTENSIONS, then the
# containers PyAV / FFmpeg decode that cameras, phones, recorders and datasets write.
_SIGNATURES = (
    (lambda h: h[:3] == b"\xff\xd8\xff", FileType(IMAGE, ".jpg", "JPEG image")),
    (lambda h: h[:8] == b"\x89PNG\r\n\x1a\n", FileType(IMAGE, ".png", "PNG image")),
    (lambda h: h[:6] in (b"GIF87a", b"GIF89a"), FileType(IMAGE, ".gif", "GIF image")),
    (lambda h: _riff(h, b"WEBP"), FileType(IMAGE, ".webp", "WebP image")),
    (lambda h: h[:4] in (b"II*\x00", b"MM\x00*"), FileType(IMAGE, ".tif", "TIFF image")),
    (lambda h: h[:2] == b"BM" and h[14:15] in (b"\x0c", b"\x28", b"\x34", b"\x38", b"\x6c", b"\x7c"),
     FileType(IMAGE, ".bmp", "BMP image")),
    (lambda h: h[4:8] == b"ftyp", FileType(MEDIA, ".mp4", "MP4 / QuickTime")),
    (lambda h: h[4:8] in (b"moov", b"mdat", b"wide", b"free"), FileType(MEDIA, ".mov", "QuickTime")),
    (lambda h: h[:4] == b"\x1a\x45\xdf\xa3", FileType(MEDIA, ".mkv", "Matroska / WebM")),
    (lambda h: h[:4] == b"FLV\x01", FileType(MEDIA, ".flv", "FLV")),
    (lambda h: _riff(h, b"AVI "), FileType(MEDIA, ".avi", "AVI")),
    (lambda h: _riff(h, b"WAVE") or h[:4] == b"RF64", FileType(MEDIA, ".wav", "WAV audio")),
    (lambda h: h[:4] == b"FORM" and h[8:12] in (b"AIFF", b"AIFC"), FileType(MEDIA, ".aiff", "AIFF audio")),
    (lambda h: h[:4] == b"fLaC", FileType(MEDIA, ".flac", "FLAC audio")),
    (lambda h: h[:4] == b"OggS", FileType(MEDIA, ".ogg", "Ogg")),
    (lambda h: h[:3] == b"ID3" or _mp3_frame(h), FileType(MEDIA, ".mp3", "MP3 audio")),
    (_adts, FileType(MEDIA, ".aac", "AAC audio")),
    (lambda h: h[:4] == b"\x00\x00\x01\xba", FileType(MEDIA, ".mpg", "MPEG program stream")),
    (lambda h: len(h) > 2 * _TS_PACKET and all(h[i] == 0x47 for i in (0, _TS_PACKET, 2 * _TS_PACKET)),
     FileType(MEDIA, ".ts", "MPEG transport stream")),
    (lambda h: h[:8] == b"\x30\x26\xb2\x75\x8e\x66\xcf\x11", FileType(MEDIA, ".wmv", "ASF / WMV")),
)


def sniff(head: bytes) -> Optional[FileType]:
    """The format whose signature `head` (a file's first `HEAD_BYTES`) carries, or None."""
    for test, file_type in _SIGNATURES:
        if test(head):
            return file_type
    return None


def sniff_file(path: str) -> Optional[FileType]:
    """`sniff` of a file's first bytes."""
    with open(path, "rb") as f:
        return sniff(f.read(HEAD_BYTES))
