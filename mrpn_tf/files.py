"""Files every job writes the same way: atomic writes, and folders claimed by their settings.

Atomic writes. A file is written under a temp name beside its final one (`<path>.tmp` by
default) and renamed into place with `os.replace`, which is atomic within one folder: a reader
sees the old file or the new one, never half of one, and a job killed mid-write leaves at most
the temp file, which the next write replaces. When the writer raises, the temp file is removed.

    write_atomic(path, text_or_bytes)       a string or bytes
    write_json(path, value)                 JSON (indent 1, as every record in the project)
    with atomic_path(path) as tmp: ...      anything that writes by path (TFRecordWriter, PyAV)

Inputs named on a command line: `expand_paths` takes each folder as its files in name order.

Claimed folders. A job whose output folder may be rerun (prepare, a training run, a tuner
search, a study) records what decides the folder's content in a file inside it, and a rerun
continues the folder only when that record matches: a rerun with other settings would mix two
jobs in one folder. `claim_folder` is that rule; each job says which file holds the record,
which differences count, and what the refusal says.
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any, Callable, Iterator, Mapping, Optional, Sequence

TEMP_SUFFIX = ".tmp"


class FileError(ValueError):
    """A file a job cannot use: the message is `PATH: reason`, and both stay readable
    (`reason` short and stable, for skip lists and error lines)."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
# An old and a new record -> the differences that refuse the folder, one line each.
DiffFn = Callable[[Any, Mapping[str, Any]], list]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = TEMP_SUFFIX) -> Iterator[str]:
    """Yields a temp path beside `path`; when the block ends, the temp file replaces `path`.

    Args:
      path: the final file.
      suffix: appended to `path` to name the temp file (a writer that picks its format from
        the extension wants it last: ".tmp.mp4").

    Yields:
      The temp path for the block to write. A block that leaves no file there (it wrote
      nothing, or removed what it wrote) leaves `path` as it was.

    When the block raises, the temp file is removed and `path` is left as it was.
    """
    tmp = os.fspath(path) + suffix
    try:
        yield tmp
        if os.path.exists(tmp):
            os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_atomic(path: str | os.PathLike, data: str | bytes) -> str:
    """Writes text (exactly as given, no newline translation) or bytes atomically; returns `path`."""
    with atomic_path(path) as tmp:
        if isinstance(data, bytes):
            with open(tmp, "wb") as f:
                f.write(data)
        else:
            with open(tmp, "w", newline="") as f:
                f.write(data)
    return os.fspath(path)


def write_json(path: str | os.PathLike, value: Any, indent: Optional[int] = 1) -> str:
    """Writes `value` as JSON atomically; returns `path`.

    The value is serialized before the temp file is opened, so a value JSON cannot hold
    raises with no file touched.
    """
    return write_atomic(path, json.dumps(value, indent=indent))


def read_json(path: str) -> Any:
    """The JSON value in `path`."""
    with open(path) as f:
        return json.load(f)


def differences(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Where two records differ, as "a.b: folder has X, now Y" lines, nested dicts key by key."""
    if isinstance(old, dict) and isinstance(new, dict):
        keys = sorted(set(old) | set(new))
        return [d for k in keys for d in differences(old.get(k), new.get(k), f"{prefix}{k}.")]
    return [] if old == new else [f"{prefix.rstrip('.')}: folder has {old!r}, now {new!r}"]


def claim_folder(
    folder: str,
    record_name: str,
    wanted: Mapping[str, Any],
    refuse: Callable[[str], Exception],
    diff: DiffFn = differences,
    read: Callable[[str], Any] = read_json,
    write: bool = True,
    listed: Optional[int] = None,
) -> bool:
    """Claims `folder` for the job described by `wanted`, or refuses it with what differs.

    Args:
      folder: the job's output folder (need not exist).
      record_name: the file in `folder` that records the settings of the job that made it.
      wanted: the settings of the job to run.
      refuse: builds the exception to raise from the differences, joined by "; ".
      diff: (recorded, wanted) -> the differences that refuse the folder; by default every
        value that differs (`differences`). A job passes its own to allow some changes.
      read: reads the record (JSON by default).
      write: whether to create the folder and write `wanted` as a JSON record when there is
        none yet (False when the job writes its record itself, later).
      listed: at most this many differences in the message ("; ..." for the rest).

    Returns:
      True when the folder holds a record of the same job (the job continues it); False when
      it has no record (a new folder, now recorded when `write`).

    Raises:
      The exception `refuse` builds, when the recorded settings differ from `wanted`.
    """
    path = os.path.join(folder, record_name)
    if not os.path.isfile(path):
        if write:
            os.makedirs(folder, exist_ok=True)
            write_json(path, dict(wanted))
        return False
    changed = diff(read(path), wanted)
    if changed:
        shown = changed if listed is None else changed[:listed]
        raise refuse("; ".join(shown) + ("; ..." if len(shown) < len(changed) else ""))
    return True


def expand_paths(paths: Sequence[str]) -> list[str]:
    """The files named, each folder replaced by its files in name order."""
    expanded = []
    for path in paths:
        if os.path.isdir(path):
            expanded += sorted(os.path.join(path, name) for name in os.listdir(path)
                               if os.path.isfile(os.path.join(path, name)))
        else:
            expanded.append(path)
    return expanded
