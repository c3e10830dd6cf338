"""FER-2013 (Goodfellow et al. 2013), the face extractor's pretraining data (paper 4.2), read as
distributed in either of its two forms, through one entry point (`read_fer2013`):

  - the original CSV, columns `emotion` (0..6), `pixels` (48 x 48 = 2304 grey levels separated
    by spaces) and `Usage` ("Training", "PublicTest", "PrivateTest");
  - the Kaggle folder layout (msambare/fer2013, the copy the paper links): `train/<class>/*.jpg`
    and `test/<class>/*.jpg` (or `validation/<class>/*.jpg`), one folder per class named as
    `EMOTIONS` below. `train/` is Training; `validation/` (or `test/`) is the held-out split.
    File names `PublicTest_*` / `PrivateTest_*` keep the original usage where they carry it.

Labels follow the CSV's numbering, the challenge's own: 0 angry, 1 disgust, 2 fear, 3 happy,
4 sad, 5 surprise, 6 neutral. Class names are spelled as the Kaggle folders spell them.
"""

from __future__ import annotations

import csv
import dataclasses
import glob
import os

import cv2
import numpy as np

EMOTIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
SIDE = 48
TRAINING = "Training"
PUBLIC_TEST = "PublicTest"
PRIVATE_TEST = "PrivateTest"
COLUMNS = ("emotion", "pixels", "Usage")
# Kaggle split folder -> usage. A "test"/"validation" file named PrivateTest_* keeps that usage.
SPLIT_FOLDERS = {"train": TRAINING, "validation": PUBLIC_TEST, "test": PUBLIC_TEST}
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp")


@dataclasses.dataclass
class FerSet:
    """The faces of one usage: uint8 grey [N, 48, 48], int32 labels [N], and where each came from
    (a file path, or `csv:LINE`)."""

    images: np.ndarray
    labels: np.ndarray
    sources: list[str]

    def __len__(self) -> int:
        return len(self.labels)


def read_fer2013(path: str) -> dict[str, FerSet]:
    """Reads FER-2013 as distributed, grouped by usage.

    Args:
      path: fer2013.csv, or the Kaggle folder holding train/ and test/ (or validation/).

    Returns:
      usage ("Training", "PublicTest", "PrivateTest"; those present) -> FerSet.

    Raises:
      FileNotFoundError: no such file or folder.
      ValueError: a malformed CSV (the message names the line), a folder with neither split,
        or an image that cannot be decoded or is not 48 x 48 (the message names the file).
    """
    if os.path.isdir(path):
        return _read_folders(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no FER-2013 CSV or folder there")
    return _read_csv(path)


def _group(rows: dict[str, tuple[list, list, list]]) -> dict[str, FerSet]:
    return {usage: FerSet(np.stack(images), np.array(labels, np.int32), sources)
            for usage, (images, labels, sources) in rows.items()}


def _read_csv(path: str) -> dict[str, FerSet]:
    rows: dict[str, tuple[list, list, list]] = {}
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: no column {', '.join(missing)} (expected {', '.join(COLUMNS)})")
        for line, row in enumerate(reader, start=2):
            try:
                pixels = np.array(row["pixels"].split(), dtype=np.uint8)
                label = int(row["emotion"])
            except (ValueError, AttributeError, OverflowError) as e:
                raise ValueError(f"{path}:{line}: unreadable row ({e})") from e
            if pixels.size != SIDE * SIDE or not 0 <= label < len(EMOTIONS):
                raise ValueError(f"{path}:{line}: expected 2304 pixels and an emotion in 0..6, "
                                 f"got {pixels.size} pixels and emotion {label}")
            images, labels, sources = rows.setdefault(row["Usage"], ([], [], []))
            images.append(pixels.reshape(SIDE, SIDE))
            labels.append(label)
            sources.append(f"{path}:{line}")
    return _group(rows)


def _usage(split_usage: str, file_name: str) -> str:
    for usage in (PRIVATE_TEST, PUBLIC_TEST):
        if file_name.startswith(usage + "_"):
            return usage
    return split_usage


def read_image_grey(path: str) -> np.ndarray:
    """One FER face file -> uint8 [48, 48]; ValueError naming the file otherwise."""
    image = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise ValueError(f"{path}: not a decodable image")
    if image.shape != (SIDE, SIDE):
        raise ValueError(f"{path}: FER-2013 faces are {SIDE}x{SIDE}, got {image.shape[1]}x{image.shape[0]}")
    return image


def _read_folders(root: str) -> dict[str, FerSet]:
    splits = [s for s in SPLIT_FOLDERS if os.path.isdir(os.path.join(root, s))]
    if not splits:
        raise ValueError(f"{root}: no {', '.join(SPLIT_FOLDERS)} folder (FER-2013's Kaggle layout)")
    rows: dict[str, tuple[list, list, list]] = {}
    for split in splits:
        for label, emotion in enumerate(EMOTIONS):
            folder = os.path.join(root, split, emotion)
            for path in sorted(glob.glob(os.path.join(folder, "*"))):
                if not path.lower().endswith(IMAGE_EXTENSIONS):
                    continue
                images, labels, sources = rows.setdefault(
                    _usage(SPLIT_FOLDERS[split], os.path.basename(path)), ([], [], []))
                images.append(read_image_grey(path))
                labels.append(label)
                sources.append(path)
    if not rows:
        raise ValueError(f"{root}: no images under {', '.join(splits)}/<{'|'.join(EMOTIONS)}>/")
    return _group(rows)

