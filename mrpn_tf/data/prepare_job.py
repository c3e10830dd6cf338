"""The `prepare` job: scan a dataset, prepare every clip once, write per-actor TFRecord shards.

Shards are planned per actor (parts of `data.clips_per_shard` clips), processed in a
deterministic order with clips prepared in parallel threads (PyAV, MediaPipe and OpenCV
release the GIL in their native code), and written atomically. A folder prepared with other
settings is refused rather than mixed. Bad clips never stop the job: each is skipped with its
reason, and the index lists them.

Reruns. Each shard's sidecar records its sources (`shard_sources`: every clip file of the
shard, written or skipped, with its size and mtime_ns). A rerun keeps a finished shard whose
sources are exactly the planned ones, and redoes the others: unfinished (an interrupted run
resumes), made from other sources (clips added, changed or gone), or made before source
records existed (such a shard is rewritten once). Shards no plan writes any more are removed.
While shards change the folder has no index.json (a reader is told to rerun prepare), and the
index written last describes exactly the shards on disk: a stale index never stands beside
new shards, even after a kill.

Stopping. An exception (Ctrl-C's KeyboardInterrupt, SIGTERM's as the CLI sets it up) waits
for the clips in flight only, removes the temp file of the shard being written and keeps the
finished shards; a SIGKILL leaves at most temp files, which the next run removes. A full disk
is a `DiskFullError` naming the folder.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import dataclasses
import errno
import itertools
import os
from typing import Any, Callable, Iterator, Optional, Sequence

import tqdm

from mrpn_tf import files
from mrpn_tf.config import config as config_lib
from mrpn_tf.config import resolved
from mrpn_tf.data import clip_preparation, clip_record, prepared_index, shard_sources, shard_writer
from mrpn_tf.data.datasets import scan_dataset
from mrpn_tf.data.media import model_store

SETTINGS_NAME = "prepare_settings.json"


class DiskFullError(RuntimeError):
    """The disk of the prepared folder is full: nothing half-written is left, a rerun resumes."""


@dataclasses.dataclass
class ShardPlan:
    """One shard to write: its file (relative to the prepared folder), actor, clips and their
    source records (`shard_sources`, sorted by path)."""

    file: str
    actor: int
    clips: list
    sources: list


@dataclasses.dataclass
class ShardUpdate:
    """What a run does to the folder a former run left.

    Attributes:
      todo: plans to write (unfinished, or finished from other sources).
      leftovers: shard paths that no plan writes any more (to remove).
      temps: temp files a killed run left (to remove).
      changes: one line per actor whose shards change because their sources did.
    """

    todo: list
    leftovers: list
    temps: list
    changes: list


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


def plan_shards(clips: Sequence, dataset: str, clips_per_shard: int, root: str) -> list[ShardPlan]:
    """Groups clips by actor and cuts each group into parts of at most `clips_per_shard`.

    Args:
      clips: the scan's manifest entries.
      dataset: names the shard files.
      clips_per_shard: most clips in one shard.
      root: the dataset folder (source paths are recorded relative to it).

    Returns:
      The plans, by actor and part; each with its clips' source records as they are now.
    """
    plans = []
    by_actor = itertools.groupby(sorted(clips, key=lambda c: (c.actor, c.path)), key=lambda c: c.actor)
    for actor, group in by_actor:
        group = list(group)
        for part, start in enumerate(range(0, len(group), clips_per_shard)):
            name = f"{dataset}-actor{actor:04d}-{part:03d}{shard_writer.SHARD_SUFFIX}"
            part_clips = group[start : start + clips_per_shard]
            plans.append(ShardPlan(f"{prepared_index.SHARD_DIR}/{name}", actor, part_clips,
                                   shard_sources.clip_sources(part_clips, root)))
    return plans


@dataclasses.dataclass
class _ActorShards:
    """One actor's shards on disk against its plans: what they were made from, what is done."""

    recorded: list = dataclasses.field(default_factory=list)  # sources of its finished shards
    planned: list = dataclasses.field(default_factory=list)  # sources of its plans
    legacy: bool = False  # a finished shard without source records
    done: collections.Counter = dataclasses.field(default_factory=collections.Counter)

    def found(self, sidecar: dict[str, Any], what: str) -> None:
        """A finished shard of the actor that is rewritten or removed."""
        self.recorded += sidecar.get("sources", [])
        self.legacy |= "sources" not in sidecar
        self.done[what] += 1

    def line(self, actor: int) -> str:
        what = ("shards prepared before source records" if self.legacy
                else shard_sources.compare(self.recorded, self.planned).describe())
        done = shard_sources.counted([(self.done[w], w) for w in ("rewritten", "added", "removed")], "shard")
        return f"actor {actor}: {what} -> {done}"


def plan_update(out_dir: str, plans: Sequence[ShardPlan]) -> ShardUpdate:
    """Compares the plans with the shards on disk: what to write, remove and report.

    A plan is kept when its shard is finished with exactly the planned sources. An actor is
    reported when one of its finished shards is stale or no longer planned, or, after a
    finished run (the folder has its index), when it gets shards it did not have; a shard
    without a sidecar in a folder without index is an interrupted run's, resumed silently.
    """
    was_finished = os.path.isfile(prepared_index.index_path(out_dir))
    leftovers, temps = shard_writer.leftovers(
        os.path.join(out_dir, prepared_index.SHARD_DIR), [os.path.join(out_dir, p.file) for p in plans])
    actors = collections.defaultdict(_ActorShards)
    todo = []
    for plan in plans:
        actor = actors[plan.actor]
        actor.planned += plan.sources
        sidecar = shard_writer.finished(os.path.join(out_dir, plan.file))
        if sidecar is not None and sidecar.get("sources") == plan.sources:
            actor.recorded += plan.sources
            continue
        todo.append(plan)
        if sidecar is not None:
            actor.found(sidecar, "rewritten")
        elif was_finished:
            actor.done["added"] += 1
    for path in leftovers:
        sidecar = shard_writer.read_sidecar(path)
        if sidecar is not None and "actor" in sidecar:
            actors[sidecar["actor"]].found(sidecar, "removed")
    changes = [actors[a].line(a) for a in sorted(actors) if actors[a].done]
    return ShardUpdate(todo, leftovers, temps, changes)


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


def _write_plan(plan: ShardPlan, out_dir: str, results: Iterator, progress) -> None:
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
    shard_writer.unfinish(shard_path)  # a stale shard: from here on a kill leaves it unfinished
    shard_writer.write_shard(shard_path, records())
    shard_writer.write_sidecar(shard_path, {"file": plan.file, "actor": plan.actor, "clips": written,
                                            "skipped": skipped, "sources": plan.sources})


def _write_plans(todo: Sequence[ShardPlan], out_dir: str, dataset: str, config: config_lib.Config,
                 workers: int, prepare_fn: Callable) -> None:
    pending = [c for p in todo for c in p.clips]
    with concurrent.futures.ThreadPoolExecutor(max(1, workers)) as pool, tqdm.tqdm(
        total=len(pending), desc=f"prepare {dataset}", unit="clip", disable=None
    ) as progress:
        results = pool.map(lambda info: prepare_fn(info, config), pending)
        try:
            for plan in todo:
                _write_plan(plan, out_dir, results, progress)
        finally:
            # pool.map queued every clip: when writing stops early (Ctrl-C, SIGTERM, a full
            # disk), the queued clips are dropped and only those in flight are waited for.
            pool.shutdown(wait=False, cancel_futures=True)


def build_index(out_dir: str, dataset: str, wanted: dict, plans, scan_skipped, root: str) -> dict[str, Any]:
    """Combines the sidecars of all planned shards into the folder's index."""
    sidecars = [shard_writer.finished(os.path.join(out_dir, p.file)) for p in plans]
    return {
        "dataset": dataset,
        "settings": wanted,
        "root": os.path.abspath(root),
        "shards": [{k: s[k] for k in ("file", "actor", "clips")} for s in sidecars if s and s["clips"]],
        "skipped": list(scan_skipped) + [x for s in sidecars if s for x in s["skipped"]],
        "sources": sorted((x for s in sidecars if s for x in s["sources"]), key=lambda x: x["path"]),
    }


@contextlib.contextmanager
def _disk_full_is_an_error(out_dir: str) -> Iterator[None]:
    """A full disk (or quota) while writing `out_dir` -> DiskFullError, one line naming it."""
    try:
        yield
    except OSError as e:
        if e.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        name = os.path.relpath(e.filename, out_dir) if e.filename else ""
        name = name[: -len(files.TEMP_SUFFIX)] if name.endswith(files.TEMP_SUFFIX) else name
        where = f" while writing {name}" if name else ""
        raise DiskFullError(f"{out_dir}: {os.strerror(e.errno).lower()}{where}; "
                            "free space and rerun: prepare resumes") from e


def run(
    config: config_lib.Config,
    dataset: str,
    root: str,
    out_dir: str,
    workers: int = 2,
    prepare_fn: Callable = _prepare_one,
    report: Optional[Callable[[str], None]] = None,
) -> dict[str, Any]:
    """Prepares `dataset` under `root` into `out_dir`; returns the index it wrote.

    Args:
      config: run config (data.modality, video, audio sections).
      dataset: "ravdess", "cremad" or "demo".
      root: the dataset folder as distributed.
      out_dir: the prepared folder (shards/, index.json, config.yaml).
      workers: clips prepared in parallel.
      prepare_fn: per-clip function (tests inject interruptions here).
      report: called, once the index is written, with one line per actor whose shards were
        redone or removed because their sources changed (`ShardUpdate.changes`), e.g.
        "actor 3: 2 clips added, 1 changed -> 1 shard rewritten, 1 added".

    Raises:
      ValueError / FileNotFoundError: unusable root or a folder prepared with other settings.
      ModelUnavailableError: clips with video and no face-detector model (nothing is written).
      DiskFullError: no space left where the folder is written (finished shards are kept).
    """
    clips, scan_skipped = scan_dataset(dataset, root, config.data.modality)
    if config.data.modality != "audio":
        # Before anything is written: without a face detector every clip would fail, and the
        # skips would stay in the shards after the model is provided.
        model_store.resolve_face_model(config.video.face_model)
    wanted = settings(config, dataset)
    with _disk_full_is_an_error(out_dir):
        check_settings(out_dir, wanted)
        resolved.save_resolved(config, out_dir)
        os.makedirs(os.path.join(out_dir, prepared_index.SHARD_DIR), exist_ok=True)
        plans = plan_shards(clips, dataset, config.data.clips_per_shard, root)
        update = plan_update(out_dir, plans)
        if update.todo or update.leftovers:
            prepared_index.withdraw(out_dir)  # no stale index while the shards change
        for path in update.leftovers:
            shard_writer.remove(path)
        for path in update.temps:
            os.remove(path)
        _write_plans(update.todo, out_dir, dataset, config, workers, prepare_fn)
        scan_skips = [{"source_path": p, "reason": r} for p, r in scan_skipped]
        index = build_index(out_dir, dataset, wanted, plans, scan_skips, root)
        prepared_index.save(out_dir, index)
    if report:
        for line in update.changes:
            report(line)
    return index
