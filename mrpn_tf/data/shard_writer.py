"""Writes TFRecord shards atomically, each with a JSON sidecar that marks it finished.

A shard is written to `<name>.tmp` and renamed into place; its sidecar `<name>.json` (the
clips it holds and the clips of its group that were skipped) is written the same way, after
the shard. A shard counts as finished only when its sidecar exists, so an interrupted run
leaves no half shard, and a rerun redoes exactly the unfinished ones.
"""

from __future__ import annotations

import json
import os
from typing import Any, Iterable, Optional

import tensorflow as tf

from mrpn_tf import files

SIDECAR_SUFFIX = ".json"


def sidecar_path(shard_path: str) -> str:
    """The sidecar file of a shard."""
    return shard_path + SIDECAR_SUFFIX


def write_shard(shard_path: str, records: Iterable[bytes]) -> int:
    """Writes serialized records to `shard_path` atomically; returns how many were written.

    An empty `records` writes no file (a group whose every clip was skipped has no shard).
    """
    count = 0
    with files.atomic_path(shard_path) as tmp:
        with tf.io.TFRecordWriter(tmp) as writer:
            for record in records:
                writer.write(record)
                count += 1
        if not count:
            os.remove(tmp)
    return count


def finished(shard_path: str) -> Optional[dict[str, Any]]:
    """The sidecar of a finished shard, or None when the shard must be (re)written."""
    side = sidecar_path(shard_path)
    if not os.path.isfile(side):
        return None
    try:
        with open(side) as f:
            payload = json.load(f)
    except (OSError, json.JSONDecodeError):
        return None
    if payload.get("clips") and not os.path.isfile(shard_path):
        return None
    return payload
