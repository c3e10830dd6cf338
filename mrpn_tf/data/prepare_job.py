"""The `prepare` job: scan a dataset, prepare every clip once, write per-actor TFRecord shards.

Shards are planned per actor (parts of `data.clips_per_shard` clips), processed in a
deterministic order with clips prepared in parallel threads (PyAV, MediaPipe and OpenCV
release the GIL in their native code), and written atomically. A rerun skips finished shards;
a folder prepared with other settings is refused rather than mixed. Bad clips never stop the
job: each is skipped with its reason, and the index lists them.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import itertools
import os
from typing import Any, Callable, Iterator, Optional, Sequence

import tqdm

from mrpn_tf import files
from mrpn_tf.config import config as config_lib
from mrpn_tf.config import resolved
from mrpn_tf.data import clip_preparation, clip_record, prepared_index, shard_writer
from mrpn_tf.data.datasets import scan_dataset
from mrpn_tf.data.media import model_store

SETTINGS_NAME = "prepare_settings.json"


@dataclasses.dataclass
class ShardPlan:
    """One shard to write: its file (relative to the prepared folder), actor and clips."""

    file: str
    actor: int
    clips: list


def settings(config: config_lib.Config, dataset: str) -> dict[str, Any]:
    """Everything that changes the content of the shards (a mismatch means: do not mix)."""
    v, a = config.video, config.audio
    return {
        "dataset": dataset,
        "modality": config.data.modality,
        "fps": v.fps,
        "crop_size": v.crop_size,
        "face_margin": v.face_margin,
        "box_smoothing": v.box_smoothing,
        "min_face_score": v.min_face_score,
        "max_frame_side": v.max_frame_side,
        "jpeg_quality": v.jpeg_quality,
        "sample_rate": a.sample_rate,
        "clips_per_shard": config.data.clips_per_shard,
    }


def check_settings(out_dir: str, wanted: dict[str, Any]) -> None:
    """Records the settings in a new folder, or refuses a folder prepared differently."""
    files.claim_folder(out_dir, SETTINGS_NAME, wanted, refuse=lambda detail: ValueError(
        f"{out_dir} was prepared with other settings ({detail}); "
        "use another --out folder or delete this one"))


def plan_shards(clips: Sequence, dataset: str, clips_per_shard: int) -> list[ShardPlan]:
    """Groups clips by actor and cuts each group into parts of at most `clips_per_shard`."""
    plans = []
    by_actor = itertools.groupby(sorted(clips, key=lambda c: (c.actor, c.path)), key=lambda c: c.actor)
    for actor, group in by_actor:
        group = list(group)
        for part, start in enumerate(range(0, len(group), clips_per_shard)):
            name = f"{dataset}-actor{actor:04d}-{part:03d}.tfrecord"
            plans.append(ShardPlan(f"{prepared_index.SHARD_DIR}/{name}", actor, group[start : start + clips_per_shard]))
    return plans


def _prepare_one(info, config: config_lib.Config) -> tuple[Optional[bytes], dict[str, Any]]:
    """(serialized record or None, index entry or skip entry). Never raises for one clip."""
    try:
        record = clip_preparation.prepare_clip(info, config)
    except clip_preparation.ClipError as e:
        return None, {"source_path": info.path, "reason": e.reason}
    except model_store.ModelUnavailableError:
        raise  # the machine's problem, not the clip's: recorded as a skip, a rerun would keep it
    except Exception as e:  # a batch job skips and reports whatever one file does
        return None, {"source_path": info.path, "reason": f"unexpected error: {type(e).__name__}: {e}"}
    entry = {
        "clip_id": record.clip_id,
        "source_path": record.source_path,
        "label": record.label,
        "emotion": record.emotion,
        "gender": record.gender,
        "num_frames": len(record.frames),
        "num_samples": int(record.pcm16.size),
        "face_ratio": round(record.face_ratio, 4),
    }
    return clip_record.serialize(record), entry


def _write_plan(plan: ShardPlan, out_dir: str, results: Iterator, progress) -> dict[str, Any]:
    written, skipped = [], []

    def records():
        for _ in plan.clips:
            record, entry = next(results)
            progress.update(1)
            if record is None:
                skipped.append(entry)
                progress.write(f"skipped {entry['source_path']}: {entry['reason']}")
            else:
                written.append(entry)
                yield record

    shard_path = os.path.join(out_dir, plan.file)
    shard_writer.write_shard(shard_path, records())
    sidecar = {"file": plan.file, "actor": plan.actor, "clips": written, "skipped": skipped}
    files.write_json(shard_writer.sidecar_path(shard_path), sidecar)
    return sidecar


def build_index(out_dir: str, dataset: str, wanted: dict, plans, scan_skipped) -> dict[str, Any]:
    """Combines the sidecars of all planned shards into the folder's index."""
    sidecars = [shard_writer.finished(os.path.join(out_dir, p.file)) for p in plans]
    return {
        "dataset": dataset,
        "settings": wanted,
        "shards": [{k: s[k] for k in ("file", "actor", "clips")} for s in sidecars if s and s["clips"]],
        "skipped": list(scan_skipped) + [x for s in sidecars if s for x in s["skipped"]],
    }


def run(
    config: config_lib.Config,
    dataset: str,
    root: str,
    out_dir: str,
    workers: int = 2,
    prepare_fn: Callable = _prepare_one,
) -> dict[str, Any]:
    """Prepares `dataset` under `root` into `out_dir`; returns the index it wrote.

    Args:
      config: run config (data.modality, video, audio sections).
      dataset: "ravdess", "cremad" or "demo".
      root: the dataset folder as distributed.
      out_dir: the prepared folder (shards/, index.json, config.yaml).
      workers: clips prepared in parallel.
      prepare_fn: per-clip function (tests inject interruptions here).

    Raises:
      ValueError / FileNotFoundError: unusable root or a folder prepared with other settings.
      ModelUnavailableError: clips with video and no face-detector model (nothing is written).
    """
    clips, scan_skipped = scan_dataset(dataset, root, config.data.modality)
    if config.data.modality != "audio":
        # Before anything is written: without a face detector every clip would fail, and the
        # skips would stay in the shards after the model is provided.
        model_store.resolve_face_model(config.video.face_model)
    wanted = settings(config, dataset)
    check_settings(out_dir, wanted)
    resolved.save_resolved(config, out_dir)
    os.makedirs(os.path.join(out_dir, prepared_index.SHARD_DIR), exist_ok=True)
    plans = plan_shards(clips, dataset, config.data.clips_per_shard)
    todo = [p for p in plans if shard_writer.finished(os.path.join(out_dir, p.file)) is None]
    pending = [c for p in todo for c in p.clips]
    with concurrent.futures.ThreadPoolExecutor(max(1, workers)) as pool, tqdm.tqdm(
        total=len(pending), desc=f"prepare {dataset}", unit="clip", disable=None
    ) as progress:
        results = pool.map(lambda info: prepare_fn(info, config), pending)
        for plan in todo:
            _write_plan(plan, out_dir, results, progress)
    index = build_index(out_dir, dataset, wanted, plans, [{"source_path": p, "reason": r} for p, r in scan_skipped])
    prepared_index.save(out_dir, index)
    return index
