"""The on-disk clip record: one `tf.train.SequenceExample` per clip in `prepare`'s shards.

This schema is the contract between `prepare` (writer) and the tf.data pipeline (reader).
Context features hold the clip's metadata and its 16-kHz mono audio as little-endian PCM16
bytes (half the size of float32, and exactly what the resampler produced); the feature list
`FRAMES` holds one JPEG-encoded face crop per video frame.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np
import tensorflow as tf

# Feature keys: module constants, never repeated string literals.
CLIP_ID = "clip/id"
SOURCE_PATH = "clip/source_path"
DATASET = "clip/dataset"
LABEL = "clip/label"
EMOTION = "clip/emotion"
ACTOR = "clip/actor"
GENDER = "clip/gender"
FPS = "video/fps"
FACE_RATIO = "video/face_ratio"
NUM_FRAMES = "video/num_frames"
FRAMES = "video/frames"
SAMPLE_RATE = "audio/sample_rate"
NUM_SAMPLES = "audio/num_samples"
AUDIO_PCM16 = "audio/pcm16"


@dataclasses.dataclass
class ClipRecord:
    """One prepared clip, as written to and read back from a shard."""

    clip_id: str
    source_path: str
    dataset: str
    label: int
    emotion: str
    actor: int
    gender: str  # "M", "F" or "U" (unknown)
    fps: float
    face_ratio: float  # fraction of frames with a detected face (others held/interpolated)
    frames: Sequence[bytes]  # JPEG face crops, one per frame
    sample_rate: int
    pcm16: np.ndarray  # int16 mono waveform


def _bytes(value: bytes) -> tf.train.Feature:
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))


def _int(value: int) -> tf.train.Feature:
    return tf.train.Feature(int64_list=tf.train.Int64List(value=[int(value)]))


def _float(value: float) -> tf.train.Feature:
    return tf.train.Feature(float_list=tf.train.FloatList(value=[float(value)]))


def serialize(clip: ClipRecord) -> bytes:
    """Encodes a clip as a serialized SequenceExample."""
    pcm = np.asarray(clip.pcm16, dtype="<i2")
    context = tf.train.Features(
        feature={
            CLIP_ID: _bytes(clip.clip_id.encode()),
            SOURCE_PATH: _bytes(clip.source_path.encode()),
            DATASET: _bytes(clip.dataset.encode()),
            LABEL: _int(clip.label),
            EMOTION: _bytes(clip.emotion.encode()),
            ACTOR: _int(clip.actor),
            GENDER: _bytes(clip.gender.encode()),
            FPS: _float(clip.fps),
            FACE_RATIO: _float(clip.face_ratio),
            NUM_FRAMES: _int(len(clip.frames)),
            SAMPLE_RATE: _int(clip.sample_rate),
            NUM_SAMPLES: _int(pcm.size),
            AUDIO_PCM16: _bytes(pcm.tobytes()),
        }
    )
    frames = tf.train.FeatureList(feature=[_bytes(f) for f in clip.frames])
    example = tf.train.SequenceExample(
        context=context, feature_lists=tf.train.FeatureLists(feature_list={FRAMES: frames})
    )
    return example.SerializeToString()


CONTEXT_SPEC = {
    CLIP_ID: tf.io.FixedLenFeature([], tf.string),
    SOURCE_PATH: tf.io.FixedLenFeature([], tf.string),
    DATASET: tf.io.FixedLenFeature([], tf.string),
    LABEL: tf.io.FixedLenFeature([], tf.int64),
    EMOTION: tf.io.FixedLenFeature([], tf.string),
    ACTOR: tf.io.FixedLenFeature([], tf.int64),
    GENDER: tf.io.FixedLenFeature([], tf.string),
    FPS: tf.io.FixedLenFeature([], tf.float32),
    FACE_RATIO: tf.io.FixedLenFeature([], tf.float32),
    NUM_FRAMES: tf.io.FixedLenFeature([], tf.int64),
    SAMPLE_RATE: tf.io.FixedLenFeature([], tf.int64),
    NUM_SAMPLES: tf.io.FixedLenFeature([], tf.int64),
    AUDIO_PCM16: tf.io.FixedLenFeature([], tf.string),
}
SEQUENCE_SPEC = {FRAMES: tf.io.FixedLenSequenceFeature([], tf.string, allow_missing=True)}


def parse(serialized: tf.Tensor) -> dict[str, tf.Tensor]:
    """Parses one serialized clip into tensors (graph-safe: usable in `Dataset.map`).

    Returns:
      The context features by key, `FRAMES` as a [T] string tensor of JPEGs, and
      `AUDIO_PCM16` decoded to a [N] float32 waveform in [-1, 1).
    """
    context, sequence = tf.io.parse_single_sequence_example(
        serialized, context_features=CONTEXT_SPEC, sequence_features=SEQUENCE_SPEC
    )
    parsed = dict(context)
    parsed[FRAMES] = sequence[FRAMES]
    pcm = tf.io.decode_raw(context[AUDIO_PCM16], tf.int16, little_endian=True)
    parsed[AUDIO_PCM16] = tf.cast(pcm, tf.float32) / 32768.0
    return parsed


def from_parsed(parsed: dict) -> ClipRecord:
    """Eager helper: turns `parse` output back into a `ClipRecord` (tests, inspection)."""
    text = lambda key: parsed[key].numpy().decode()  # noqa: E731
    return ClipRecord(
        clip_id=text(CLIP_ID),
        source_path=text(SOURCE_PATH),
        dataset=text(DATASET),
        label=int(parsed[LABEL]),
        emotion=text(EMOTION),
        actor=int(parsed[ACTOR]),
        gender=text(GENDER),
        fps=float(parsed[FPS]),
        face_ratio=float(parsed[FACE_RATIO]),
        frames=[f for f in parsed[FRAMES].numpy()],
        sample_rate=int(parsed[SAMPLE_RATE]),
        pcm16=np.round(parsed[AUDIO_PCM16].numpy() * 32768.0).astype(np.int16),
    )
