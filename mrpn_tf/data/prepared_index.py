"""The index `prepare` writes beside its shards: what was written, and what was skipped and why.

`<prepared_dir>/index.json`:

    {
      "dataset": "ravdess",
      "settings": {"fps": 15.0, "crop_size": 112, "sample_rate": 16000, ...},
      "shards": [
        {"file": "shards/ravdess-actor01-000.tfrecord", "actor": 1,
         "clips": [{"clip_id": ..., "source_path": ..., "label": 4, "emotion": "sad",
                    "gender": "M", "num_frames": 52, "num_samples": 55040,
                    "face_ratio": 1.0}, ...]},
        ...
      ],
      "skipped": [{"source_path": ..., "reason": "no audio stream"}, ...],
      "root": "/data/RAVDESS",
      "sources": [{"path": "Actor_01/01-01-01-01-01-01-01.mp4", "size": 1484721,
                   "mtime_ns": 1700000000123456789}, ...]
    }

Shards are grouped by actor (several parts when an actor has many clips), so a fold's
train / validation split is a choice of files, with no record parsed only to be dropped.

"sources" lists every clip file the shards were made from (written or skipped, relative to
"root", `shard_sources`), so the folder can be compared with the dataset as it is now; a
rerun of `prepare` redoes the shards whose sources changed. Indexes written before source
records have neither "root" nor "sources". The index is written last and withdrawn while a
rerun changes shards: a folder without index.json is one whose prepare has not finished.
"""

from __future__ import annotations

import json
import os
from typing import Any, Iterable

from mrpn_tf import files

INDEX_NAME = "index.json"
SHARD_DIR = "shards"


def index_path(prepared_dir: str | os.PathLike) -> str:
    """Path of the index file inside a prepared folder."""
    return os.path.join(prepared_dir, INDEX_NAME)


def load(prepared_dir: str | os.PathLike) -> dict[str, Any]:
    """Reads `index.json`; a missing or unreadable index is a clear error naming the folder."""
    path = index_path(prepared_dir)
    if not os.path.isfile(path) and os.path.isdir(os.path.join(prepared_dir, SHARD_DIR)):
        raise FileNotFoundError(
            f"{path} not found: prepare has not finished in {prepared_dir} (it was interrupted "
            "or is changing its shards); rerun `python -m mrpn_tf.prepare` to finish it"
        )
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"{path} not found: {prepared_dir} is not a prepared folder "
            "(run `python -m mrpn_tf.prepare` first)"
        )
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: unreadable prepare index: {e}") from e


def save(prepared_dir: str | os.PathLike, index: dict[str, Any]) -> str:
    """Writes the index atomically (temp file + rename); returns its path."""
    return files.write_json(index_path(prepared_dir), index)


def withdraw(prepared_dir: str | os.PathLike) -> None:
    """Removes the index before shards change, so that no reader takes it for the new ones."""
    path = index_path(prepared_dir)
    if os.path.exists(path):
        os.remove(path)


def shard_files(
    prepared_dir: str | os.PathLike, index: dict[str, Any], actors: Iterable[int] | None = None
) -> list[str]:
    """Absolute shard paths, optionally only those of the given actors (a fold's split)."""
    wanted = None if actors is None else set(int(a) for a in actors)
    return [
        os.path.join(prepared_dir, shard["file"])
        for shard in index["shards"]
        if wanted is None or int(shard["actor"]) in wanted
    ]


def clips(index: dict[str, Any], actors: Iterable[int] | None = None) -> list[dict[str, Any]]:
    """Clip entries of the index, optionally only those of the given actors."""
    wanted = None if actors is None else set(int(a) for a in actors)
    return [
        clip
        for shard in index["shards"]
        if wanted is None or int(shard["actor"]) in wanted
        for clip in shard["clips"]
    ]
