"""A video file -> the raw streams the exported models take, with `prepare`'s own code.

`open_clip` reads a file as `prepare` does, in two passes (data/clip_scan.py): PyAV decodes
it, BlazeFace finds the faces and prepare's whole-clip track picks the one to crop, then the
crops go through prepare's JPEG encoding and the pipeline's `video_frames.decode_frames`, and
the audio is resampled to 16 kHz by libswresample: predict sees the same crops and the same
float waveform as training and evaluation did (tests/inference/test_long_clips.py ties them
to `prepare_clip`'s records). `load_clip` holds the same streams whole in memory.

A file without an audio track (or without video) comes back with the stream it has only;
the predictor decides whether a side head can score it. A
video in which no face is ever found is a missing video stream too (the model sees faces, not
frames): it comes back with its audio only, and says why (`LoadedClip.missing_reason`).
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import numpy as np

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import clip_preparation
from mrpn_tf.data import clip_scan
from mrpn_tf.data import datasets
from mrpn_tf.data.media import face_image
from mrpn_tf.data.media import still_image
from mrpn_tf.inference import windowing

# `clip_preparation.ClipError.reason` when the stream a modality needs is absent.
NO_AUDIO_REASONS = ("no audio stream", "audio stream has no decodable samples")
NO_VIDEO_REASONS = ("no video stream",)
NO_FACE_REASON = clip_preparation.NO_FACE
STILL_REASON = "a still image (no audio)"
NO_FACE_IN_IMAGE = "no face detected in the image"
# An image at most this size (BlazeFace's own input side) holds one face crop, not a scene.
FACE_CROP_MAX_SIDE = 128
# Audio recorded at this rate or below has no band above 4 kHz, which the model's 16-kHz
# training speech always has (telephone and many voice-message recordings).
NARROW_BAND_HZ = 8000
WHOLE_IMAGE_NOTE = "no face detected; a picture this small is taken as a face crop and scored whole"


class _Streams:
    """What a clip's streams say of themselves (shared by LoadedClip and StreamedClip)."""

    @property
    def missing(self) -> Optional[str]:
        """"audio" or "video" when the file lacks that stream (or any face), else None."""
        if not self.has_audio:
            return datasets.AUDIO
        if not self.has_video:
            return datasets.VIDEO
        return None

    @property
    def missing_reason(self) -> str:
        """Why a stream is missing ("no audio track", "no face detected in any frame"), or ""."""
        if self.missing is None:
            return ""
        if self.still:
            return STILL_REASON
        if self.dropped:
            return self.dropped
        if self.missing == datasets.VIDEO and self.no_face:
            return NO_FACE_REASON
        return f"no {self.missing} track"


@dataclasses.dataclass
class LoadedClip(_Streams):
    """One file's raw streams; a stream the file lacks is None."""

    path: str
    frames: Optional[np.ndarray]  # uint8 [T, crop, crop, 3] face crops at video.fps
    waveform: Optional[np.ndarray]  # float32 [N] in [-1, 1) at audio.sample_rate
    no_face: bool = False  # frames is None because no face was found in the video
    still: bool = False  # a still image: one frame, no audio
    note: str = ""  # how the still was framed, when not by a detected face
    dropped: str = ""  # why a stream the file has was not used (e.g. audio too short)

    @property
    def has_video(self) -> bool:
        return self.frames is not None

    @property
    def has_audio(self) -> bool:
        return self.waveform is not None

    @property
    def num_frames(self) -> int:
        return 0 if self.frames is None else len(self.frames)

    @property
    def num_samples(self) -> int:
        return 0 if self.waveform is None else len(self.waveform)

    def frame_pieces(self):
        """The face crops, in pieces of consecutive frames (here: one piece)."""
        return iter([self.frames])

    def waveform_pieces(self):
        """The waveform, in pieces of consecutive samples (here: one piece)."""
        return iter([self.waveform])


@dataclasses.dataclass
class StreamedClip(_Streams):
    """One file's streams, read when scored (`open_clip`): its frames are never all in memory.

    `frame_pieces` / `waveform_pieces` decode the file again each time they are called
    (clip_scan.py's second pass) and give what `load_clip` gives, piece by piece.
    """

    path: str
    scan: clip_scan.ClipScan
    config: config_lib.Config
    has_video: bool  # the face crops are scored
    has_audio: bool  # the waveform is scored
    no_face: bool = False
    dropped: str = ""
    still: bool = False
    note: str = ""

    @property
    def num_frames(self) -> int:
        return self.scan.num_frames if self.has_video else 0

    @property
    def num_samples(self) -> int:
        return self.scan.num_samples if self.has_audio else 0

    def frame_pieces(self):
        return (crop[None] for crop in clip_scan.face_crops(self.scan, self.config.video))

    def waveform_pieces(self):
        return clip_scan.waveform_chunks(self.scan, self.config.audio.sample_rate)


def _too_short(seconds: float) -> str:
    return f"audio too short to score ({seconds:.2f} s; at least {windowing.MIN_AUDIO_S} s)"


def open_clip(path: str, config: config_lib.Config, modality: str = datasets.AV) -> StreamedClip:
    """`load_clip`'s streams, read in two passes instead of held (clip_scan.py): the first
    decodes the file, detects its faces and counts its samples now; the crops and samples
    are decoded again when scored. Same streams, fallbacks and errors as `load_clip`.

    Raises:
      clip_preparation.ClipError: as `load_clip`; also audio too short to score with no
        picture to score instead.
    """
    wants_video = modality in (datasets.AV, datasets.VIDEO)
    wants_audio = modality in (datasets.AV, datasets.AUDIO)
    scan = clip_scan.scan_clip(path, config, faces=wants_video)
    reasons = {}
    if wants_video:
        if not scan.has_video:
            reasons[datasets.VIDEO] = NO_VIDEO_REASONS[0]
        elif scan.boxes is None:
            reasons[datasets.VIDEO] = NO_FACE_REASON
    if wants_audio:
        if not scan.has_audio:
            reasons[datasets.AUDIO] = NO_AUDIO_REASONS[0]
        elif scan.num_samples == 0:
            reasons[datasets.AUDIO] = NO_AUDIO_REASONS[1]
        elif scan.num_samples / config.audio.sample_rate < windowing.MIN_AUDIO_S:
            reasons[datasets.AUDIO] = _too_short(scan.num_samples / config.audio.sample_rate)
    use_video = wants_video and datasets.VIDEO not in reasons
    use_audio = wants_audio and datasets.AUDIO not in reasons
    if not (use_video or use_audio):
        raise clip_preparation.ClipError(path, ", and ".join(reasons.values()))
    dropped = reasons.get(datasets.AUDIO, "") if modality == datasets.AV else ""
    if dropped in NO_AUDIO_REASONS:
        dropped = ""  # said as "no audio track"
    note = ""
    if use_audio and 0 < scan.source_rate <= NARROW_BAND_HZ:
        note = (f"narrow-band audio ({scan.source_rate} Hz: nothing above "
                f"{scan.source_rate // 2000} kHz, where the model's training speech has energy): "
                f"the voice's answer is less reliable than its probabilities suggest")
    return StreamedClip(path, scan, config, use_video, use_audio,
                        no_face=reasons.get(datasets.VIDEO) == NO_FACE_REASON, dropped=dropped, note=note)


def load_clip(path: str, config: config_lib.Config, modality: str = datasets.AV) -> LoadedClip:
    """`open_clip`'s streams, decoded whole into memory: the same crops, samples, fallbacks,
    notes and errors as the window-by-window reading, as arrays.

    Args:
      path: .mp4, .flv, .avi, ... file.
      config: the exported run's config (video and audio sections).
      modality: streams wanted: "av", or "video" / "audio" for a single-modality model.

    Returns:
      The LoadedClip; with "av", a file lacking one stream (or in which no face is found)
      comes back with the other only.

    Raises:
      clip_preparation.ClipError: unreadable or corrupt file, no usable stream, or no face
        found in a "video" clip (the message names the file).
    """
    opened = open_clip(path, config, modality)
    frames = np.concatenate(list(opened.frame_pieces())) if opened.has_video else None
    waveform = np.concatenate(list(opened.waveform_pieces())) if opened.has_audio else None
    return LoadedClip(path, frames, waveform, no_face=opened.no_face, note=opened.note,
                      dropped=opened.dropped)


def load_image(path: str, video: config_lib.VideoConfig) -> LoadedClip:
    """A still image as a one-frame clip without audio: its face cropped as a frame's.

    Args:
      path: .jpg, .png, ... file (`still_image.EXTENSIONS`).
      video: the exported run's video settings (`crop_size`, `face_margin`, `max_frame_side`,
        the detector).

    Returns:
      LoadedClip with frames uint8 [1, crop, crop, 3], no waveform, `still` set.

    Raises:
      clip_preparation.ClipError: an unreadable image, or no face in an image larger than a
        face crop (names the file).
    """
    try:
        image = still_image.read_image(path, video.max_frame_side)
    except still_image.ImageError as e:
        raise clip_preparation.ClipError(path, e.reason) from e
    detector = clip_preparation.detector_for(video)
    box = face_image.face_box(detector, image.rgb, video.face_margin)
    note = ""
    if box is None:
        if max(image.rgb.shape[:2]) > FACE_CROP_MAX_SIDE:
            raise clip_preparation.ClipError(path, NO_FACE_IN_IMAGE)
        box, note = face_image.whole_image_box(*image.rgb.shape[:2]), WHOLE_IMAGE_NOTE
    crop = face_image.crop(image.rgb, box, video.crop_size)
    return LoadedClip(path, crop[None], None, still=True, note=note)
