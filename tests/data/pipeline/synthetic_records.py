"""Synthetic clip records and prepared folders for the pipeline tests (no `prepare` needed)."""

from __future__ import annotations

import collections
import os
from typing import Sequence

import numpy as np
import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import clip_record
from mrpn_tf.data import prepared_index


def synthetic_frames(num_frames: int, crop_size: int, seed: int) -> list[bytes]:
    """JPEG frames: a smooth pattern that moves a little per frame (so frames differ)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:crop_size, 0:crop_size] / crop_size
    phase = rng.uniform(0, 2 * np.pi, size=3)
    frames = []
    for t in range(num_frames):
        channels = [0.5 + 0.4 * np.sin(6 * x + 4 * y + p + 0.3 * t) for p in phase]
        image = (np.stack(channels, axis=-1) * 255).astype(np.uint8)
        frames.append(tf.io.encode_jpeg(image, quality=95).numpy())
    return frames


def synthetic_pcm(num_samples: int, sample_rate: int, tone_hz: float, seed: int) -> np.ndarray:
    """int16 tone plus a little noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(num_samples) / sample_rate
    wave = 0.3 * np.sin(2 * np.pi * tone_hz * t) + 0.01 * rng.standard_normal(num_samples)
    return np.round(wave * 32767).astype(np.int16)


def make_clip(
    clip_id: str,
    label: int,
    actor: int,
    duration_s: float,
    config: config_lib.Config,
    audio_s: float | None = None,
    seed: int = 0,
) -> clip_record.ClipRecord:
    """A synthetic clip of `duration_s` (video) and `audio_s` (audio, default the same)."""
    fps, rate = config.video.fps, config.audio.sample_rate
    audio_s = duration_s if audio_s is None else audio_s
    return clip_record.ClipRecord(
        clip_id=clip_id,
        source_path=f"/synthetic/{clip_id}.mp4",
        dataset="demo",
        label=label,
        emotion=f"emotion{label}",
        actor=actor,
        gender="M" if actor % 2 else "F",
        fps=fps,
        face_ratio=1.0,
        frames=synthetic_frames(int(round(duration_s * fps)), config.video.crop_size, seed),
        sample_rate=rate,
        pcm16=synthetic_pcm(int(round(audio_s * rate)), rate, 200.0 + 100.0 * label, seed),
    )


def write_prepared(
    prepared_dir: str, clips: Sequence[clip_record.ClipRecord], config: config_lib.Config
) -> str:
    """Writes per-actor shards and an index.json like `prepare` does; returns the folder."""
    by_actor = collections.defaultdict(list)
    for clip in clips:
        by_actor[clip.actor].append(clip)
    os.makedirs(os.path.join(prepared_dir, prepared_index.SHARD_DIR), exist_ok=True)
    shards = []
    for actor, actor_clips in sorted(by_actor.items()):
        name = f"{prepared_index.SHARD_DIR}/demo-actor{actor:02d}-000.tfrecord"
        with tf.io.TFRecordWriter(os.path.join(prepared_dir, name)) as writer:
            for clip in actor_clips:
                writer.write(clip_record.serialize(clip))
        entries = [{"clip_id": c.clip_id, "label": c.label} for c in actor_clips]
        shards.append({"file": name, "actor": actor, "clips": entries})
    settings = {
        "fps": config.video.fps,
        "crop_size": config.video.crop_size,
        "sample_rate": config.audio.sample_rate,
    }
    index = {"dataset": "demo", "settings": settings, "shards": shards, "skipped": []}
    prepared_index.save(prepared_dir, index)
    return prepared_dir


def record_dict(clip: clip_record.ClipRecord) -> dict[str, tf.Tensor]:
    """The parsed form of a clip, as the pipeline sees it after `clip_record.parse`."""
    return clip_record.parse(tf.constant(clip_record.serialize(clip)))
