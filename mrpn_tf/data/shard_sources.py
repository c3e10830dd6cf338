"""What a shard was made from: its clips' files, each with its size and modification time.

`prepare` records the sources of every shard in the shard's sidecar (and all of them in the
index), and a rerun keeps a shard only when its planned sources are exactly the recorded ones.
One source per clip, its path relative to the dataset root (so the same folder named another
way, or moved, is the same source):

    {"path": "Actor_03/01-01-05-01-01-01-03.mp4", "size": 1484721, "mtime_ns": 1700000000123456789}

and, where the clip's audio is a file of its own (CREMA-D's AudioWAV), the same three fields of
that file under "audio".

Why size and mtime_ns and no content hash: a hash reads every byte of the dataset (RAVDESS
alone is 25 GB of video) on every rerun, only to learn in most cases that nothing changed; the
size and the nanosecond modification time are one `stat` per file and change whenever a file is
rewritten, replaced, re-encoded or cut short, as `make` and `rsync` rely on. What they miss is a
file replaced by one of the same size carrying the old time (`cp -p`, `rsync -t` of another
version); `touch` such a file to have its shard redone.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Iterable, Optional, Sequence


def stat_record(path: str, root: str) -> dict[str, Any]:
    """{"path" (relative to `root`), "size", "mtime_ns"} of one file; a missing file has None
    for both (the clip is then skipped as missing, and the record differs from any later one)."""
    try:
        stat = os.stat(path)
        size, mtime_ns = stat.st_size, stat.st_mtime_ns
    except OSError:
        size = mtime_ns = None
    return {"path": os.path.relpath(path, root), "size": size, "mtime_ns": mtime_ns}


def clip_source(info, root: str) -> dict[str, Any]:
    """The source record of one manifest entry (`ClipInfo`: path, and audio_path or None)."""
    record = stat_record(info.path, root)
    audio_path: Optional[str] = getattr(info, "audio_path", None)
    if audio_path:
        record["audio"] = stat_record(audio_path, root)
    return record


def clip_sources(clips: Iterable, root: str) -> list[dict[str, Any]]:
    """Source records of the clips, sorted by path."""
    root = os.path.abspath(root)
    return sorted((clip_source(info, root) for info in clips), key=lambda s: s["path"])


@dataclasses.dataclass(frozen=True)
class SourceChanges:
    """How two sets of source records differ, by clip path (each list sorted)."""

    added: list[str]
    changed: list[str]
    removed: list[str]

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def describe(self) -> str:
        """E.g. "2 clips added, 1 changed, 3 removed" (only the kinds that occur)."""
        kinds = [(len(self.added), "added"), (len(self.changed), "changed"), (len(self.removed), "removed")]
        return counted(kinds, "clip") or "no clip changed"


def counted(counts: Sequence[tuple[int, str]], noun: str) -> str:
    """[(2, "added"), (0, "changed"), (1, "removed")], "clip" -> "2 clips added, 1 removed"."""
    present = [(n, what) for n, what in counts if n]
    if not present:
        return ""
    (n, what), rest = present[0], present[1:]
    return ", ".join([f"{n} {noun}{'' if n == 1 else 's'} {what}"] + [f"{n} {w}" for n, w in rest])


def compare(old: Sequence[dict[str, Any]], new: Sequence[dict[str, Any]]) -> SourceChanges:
    """What was added, changed (size, time or separate audio file) and removed from `old` to `new`.

    Args:
      old: the recorded source records.
      new: the source records of the clips as they are now.

    Returns:
      The clip paths in each category.
    """
    before = {s["path"]: s for s in old}
    after = {s["path"]: s for s in new}
    return SourceChanges(
        added=sorted(set(after) - set(before)),
        changed=sorted(p for p in set(after) & set(before) if after[p] != before[p]),
        removed=sorted(set(before) - set(after)),
    )
