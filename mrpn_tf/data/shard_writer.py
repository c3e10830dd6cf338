"""Writes TFRecord shards atomically, each with a JSON sidecar that marks it finished.

A shard is written to `<name>.tmp` and renamed into place; its sidecar `<name>.json` (the
clips it holds, the clips of its group that were skipped, and the sources it was made from,
`shard_sources`) is written the same way, after the shard. A shard counts as finished only
when its sidecar exists, so an interrupted run leaves no half shard, and a rerun redoes exactly
the unfinished ones. A shard to be redone loses its sidecar first (`unfinish`), so a run killed
while rewriting it leaves it unfinished, never an old sidecar over a new shard.

A full disk while writing is an `OSError` with `errno.ENOSPC` whichever writer met it (the
TFRecord writer's `ResourceExhaustedError` is translated), and leaves no temp file.
"""

from __future__ import annotations

import errno
import json
import os
from typing import Any, Iterable, Optional

import tensorflow as tf

from mrpn_tf import files

SIDECAR_SUFFIX = ".json"
SHARD_SUFFIX = ".tfrecord"


def sidecar_path(shard_path: str) -> str:
    """The sidecar file of a shard."""
    return shard_path + SIDECAR_SUFFIX


def write_shard(shard_path: str, records: Iterable[bytes]) -> int:
    """Writes serialized records to `shard_path` atomically; returns how many were written.

    An empty `records` writes no file and removes the shard a former run wrote there (a group
    whose every clip was skipped has no shard).

    Raises:
      OSError: ENOSPC when the disk (or the quota) is full; the temp file is removed and
        `shard_path` is left as it was.
    """
    count = 0
    with files.atomic_path(shard_path) as tmp:
        try:
            with tf.io.TFRecordWriter(tmp) as writer:
                for record in records:
                    writer.write(record)
                    count += 1
        except tf.errors.ResourceExhaustedError as e:
            # TensorFlow reports ENOSPC and EDQUOT of a file write as RESOURCE_EXHAUSTED
            raise OSError(errno.ENOSPC, f"{os.strerror(errno.ENOSPC)} ({e.message})", shard_path) from e
        if not count:
            os.remove(tmp)
    if not count and os.path.exists(shard_path):
        os.remove(shard_path)
    return count


def write_sidecar(shard_path: str, sidecar: dict[str, Any]) -> None:
    """Marks the shard finished with its sidecar (atomically, after the shard is in place)."""
    files.write_json(sidecar_path(shard_path), sidecar)


def read_sidecar(shard_path: str) -> Optional[dict[str, Any]]:
    """The shard's sidecar, or None when it is missing or unreadable."""
    try:
        with open(sidecar_path(shard_path)) as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError):
        return None


def finished(shard_path: str) -> Optional[dict[str, Any]]:
    """The sidecar of a finished shard, or None when the shard must be (re)written."""
    payload = read_sidecar(shard_path)
    if payload is None or (payload.get("clips") and not os.path.isfile(shard_path)):
        return None
    return payload


def unfinish(shard_path: str) -> None:
    """Removes the shard's sidecar (the shard is no longer finished); the shard stays for now."""
    if os.path.exists(sidecar_path(shard_path)):
        os.remove(sidecar_path(shard_path))


def remove(shard_path: str) -> None:
    """Removes a shard and its sidecar, the sidecar first (a kill in between leaves a bare shard)."""
    unfinish(shard_path)
    if os.path.exists(shard_path):
        os.remove(shard_path)


def leftovers(shard_dir: str, planned: Iterable[str]) -> tuple[list[str], list[str]]:
    """(shards not in `planned`, temp files): what a former run left that no plan will write.

    Args:
      shard_dir: the prepared folder's shard folder.
      planned: paths of the shards the run plans.

    Returns:
      Shard paths (the shard, its sidecar, or both exist) and temp file paths, sorted.
    """
    planned = set(planned)
    shards, temps = set(), []
    for name in sorted(os.listdir(shard_dir)):
        path = os.path.join(shard_dir, name)
        if name.endswith(files.TEMP_SUFFIX):
            temps.append(path)
        elif name.endswith(SHARD_SUFFIX + SIDECAR_SUFFIX):
            shards.add(path[: -len(SIDECAR_SUFFIX)])
        elif name.endswith(SHARD_SUFFIX):
            shards.add(path)
    return sorted(shards - planned), temps
