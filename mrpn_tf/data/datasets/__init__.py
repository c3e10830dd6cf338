"""Dataset manifests: which clips a dataset folder holds and their labels, read from file names.

`scan_dataset("ravdess" | "cremad" | "demo", root, modality)` is the one entry point;
`label_names(dataset)` gives the class names in label order.
"""

from __future__ import annotations

from mrpn_tf.data.datasets import cremad, fer2013, ravdess
from mrpn_tf.data.datasets.manifest import (
    AUDIO,
    AV,
    CREMAD,
    DEMO,
    MODALITIES,
    RAVDESS,
    VIDEO,
    ClipInfo,
    ClipNameError,
    EmptyDatasetError,
    Skipped,
)

DATASETS = (RAVDESS, CREMAD, DEMO)
# FER-2013 holds still faces, not clips: `scan_dataset` does not list it (data/datasets/
# fer2013.py reads it), but models trained on it carry its class names.
FER2013 = "fer2013"
_LABEL_NAMES = {RAVDESS: ravdess.EMOTIONS, CREMAD: cremad.EMOTIONS, DEMO: ravdess.EMOTIONS,
                FER2013: fer2013.EMOTIONS}


def _check_dataset(name: str, known=DATASETS) -> None:
    if name not in known:
        raise ValueError(f"unknown dataset {name!r}; expected one of {DATASETS}")


def label_names(dataset: str) -> tuple[str, ...]:
    """Class names in label order (`label_names(d)[clip.label] == clip.emotion`).

    Args:
      dataset: "ravdess", "cremad", "demo" or "fer2013".

    Returns:
      8 RAVDESS names (neutral ... surprised; "demo" shares them), 6 CREMA-D names
      (angry, disgust, fearful, happy, neutral, sad) or FER-2013's 7 (angry ... neutral).
    """
    _check_dataset(dataset, tuple(_LABEL_NAMES))
    return _LABEL_NAMES[dataset]


def scan_dataset(
    name: str, root: str, modality: str = AV
) -> tuple[list[ClipInfo], list[Skipped]]:
    """Lists a dataset folder's clips of one modality.

    Args:
      name: "ravdess", "cremad" or "demo" (RAVDESS naming, own fold file).
      root: the dataset folder as distributed.
      modality: "av", "audio" or "video".

    Returns:
      (clips sorted by actor then clip id, skipped files as (path, reason)).

    Raises:
      ValueError: unknown dataset or modality; EmptyDatasetError when nothing was found.
      FileNotFoundError: the folder is missing.
    """
    _check_dataset(name)
    if name == CREMAD:
        return cremad.scan(root, modality)
    return ravdess.scan(root, modality, dataset=name)


__all__ = [
    "AUDIO",
    "AV",
    "CREMAD",
    "DATASETS",
    "DEMO",
    "FER2013",
    "MODALITIES",
    "RAVDESS",
    "VIDEO",
    "ClipInfo",
    "ClipNameError",
    "EmptyDatasetError",
    "Skipped",
    "label_names",
    "scan_dataset",
]
