"""A tiny FER-2013 written both ways it is distributed: the CSV and the Kaggle folders."""

from __future__ import annotations

import csv
import os

import cv2
import numpy as np

from mrpn_tf.data.datasets import fer2013

USAGES = (("Training", 14), ("PublicTest", 7), ("PrivateTest", 7))
KAGGLE_SPLIT = {"Training": "train", "PublicTest": "test", "PrivateTest": "test"}


def faces(seed: int = 0) -> list[tuple[str, int, np.ndarray]]:
    """(usage, label, uint8 [48, 48]) rows: smooth random images (they survive JPEG nearly as
    they are), labels cycling through the 7 classes."""
    rng = np.random.default_rng(seed)
    rows = []
    for usage, count in USAGES:
        for i in range(count):
            small = rng.integers(0, 256, (6, 6)).astype(np.uint8)
            rows.append((usage, i % 7, cv2.resize(small, (48, 48), interpolation=cv2.INTER_CUBIC)))
    return rows


def write_csv(path: str, rows) -> str:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["emotion", "pixels", "Usage"])
        for usage, label, image in rows:
            writer.writerow([label, " ".join(map(str, image.ravel())), usage])
    return path


def write_folders(root: str, rows, image_format: str = ".png") -> str:
    """train/<class>/Training_<i>.png, test/<class>/PublicTest_<i>.png / PrivateTest_<i>.png."""
    for i, (usage, label, image) in enumerate(rows):
        folder = os.path.join(root, KAGGLE_SPLIT[usage], fer2013.EMOTIONS[label])
        os.makedirs(folder, exist_ok=True)
        cv2.imwrite(os.path.join(folder, f"{usage}_{i:05d}{image_format}"), image)
    return root
