"""The manifest entry every dataset parser produces, and what scanning shares across datasets.

A manifest is the list of `ClipInfo` a dataset scan returns: one entry per clip, with the
labels read from the file name (never from the file's content), plus a list of the files that
were passed over and why. `prepare`, the `data.source=videos` pipeline and the fold split all
consume it.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Iterator, Optional, Sequence

# Dataset names, as in `DataConfig.dataset` and the fold files' names.
RAVDESS = "ravdess"
CREMAD = "cremad"
DEMO = "demo"
# The demo generator's manifest at the top of a demo folder (mrpn_tf.demo.demo_set): a
# scan of that folder does not count it as a skipped file.
DEMO_MANIFEST_NAME = "demo.json"

# Modalities a scan can select (`DataConfig.modality`).
AV = "av"
AUDIO = "audio"
VIDEO = "video"
MODALITIES = (AV, AUDIO, VIDEO)

# Gender codes, as stored in `ClipRecord.gender`.
MALE = "M"
FEMALE = "F"
UNKNOWN_GENDER = "U"

# A skipped file: (path, reason).
Skipped = tuple[str, str]


@dataclasses.dataclass(frozen=True)
class ClipInfo:
    """One clip of a dataset, as described by its file name and the dataset's side tables.

    Attributes:
      path: the clip's media file (video for "av"/"video", the audio file for "audio").
      dataset: "ravdess", "cremad" or "demo".
      actor: actor id as in the file name (RAVDESS 1-24, CREMA-D 1001-1091).
      gender: "M", "F" or "U" (unknown).
      emotion: emotion name, one of `label_names(dataset)`.
      label: class index into `label_names(dataset)`.
      intensity: "normal"/"strong" (RAVDESS), "low"/"medium"/"high"/"unspecified" (CREMA-D).
      statement: the dataset's sentence code ("01"/"02" RAVDESS, e.g. "DFA" CREMA-D).
      modality: "av", "audio" or "video".
      audio_path: a separate file holding this clip's audio; None = the track inside `path`.
      clip_id: the file's stem, unique within a dataset.
    """

    path: str
    dataset: str
    actor: int
    gender: str
    emotion: str
    label: int
    intensity: str
    statement: str
    modality: str
    audio_path: Optional[str]
    clip_id: str


class ClipNameError(ValueError):
    """A file name does not fit the dataset's naming pattern; nothing is guessed from it."""

    def __init__(self, path: str, pattern: str, detail: str):
        super().__init__(
            f"{path}: file name {os.path.basename(path)!r} does not fit the expected "
            f"pattern {pattern} ({detail})"
        )
        self.path = path
        self.pattern = pattern
        self.detail = detail


class EmptyDatasetError(ValueError):
    """A scan found no usable clip; `skipped` says what was passed over and why."""

    def __init__(self, root: str, modality: str, skipped: Sequence[Skipped]):
        reasons = "; ".join(f"{os.path.basename(p)}: {r}" for p, r in skipped[:3])
        detail = f" ({len(skipped)} files skipped, e.g. {reasons})" if skipped else ""
        super().__init__(f"no {modality} clips found under {root}{detail}")
        self.root = root
        self.skipped = list(skipped)


def check_modality(modality: str) -> None:
    """Raises a ValueError naming the valid modalities when `modality` is not one of them."""
    if modality not in MODALITIES:
        raise ValueError(f"unknown modality {modality!r}; expected one of {MODALITIES}")


def require_folder(folder: str) -> str:
    """Returns `folder` as an absolute path.

    Raises:
      FileNotFoundError: the folder is missing (the message names it).
    """
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"dataset folder {folder} does not exist or is not a folder")
    return os.path.abspath(folder)


def walk_files(folder: str) -> Iterator[str]:
    """Yields every non-hidden file under `folder`, in sorted order so scans are deterministic.

    Hidden files (".DS_Store", "._x.mp4" from macOS archives) are not dataset content, so they
    are left out rather than reported.
    """
    for parent, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                yield os.path.join(parent, name)


def clip_id_of(path: str) -> str:
    """The clip id of a media file: its name without the extension."""
    return os.path.splitext(os.path.basename(path))[0]


def sort_clips(clips: Sequence[ClipInfo]) -> list[ClipInfo]:
    """Clips ordered by actor, then clip id (the order `prepare` writes per-actor shards in)."""
    return sorted(clips, key=lambda clip: (clip.actor, clip.clip_id, clip.path))


def finish_scan(
    root: str, modality: str, clips: Sequence[ClipInfo], skipped: Sequence[Skipped]
) -> tuple[list[ClipInfo], list[Skipped]]:
    """Sorts a scan's results; a scan without a single clip is an error, not an empty list.

    Raises:
      EmptyDatasetError: no clip was found (the message names the folder and some reasons).
    """
    skipped = sorted(skipped)
    if not clips:
        raise EmptyDatasetError(root, modality, skipped)
    return sort_clips(clips), skipped
