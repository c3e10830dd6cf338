"""Published numbers to set ours beside: Table 1 of the paper.

Chang & Skarbek, "Multi-modal Residual Perceptron Network for Audio-Video Emotion
Recognition", Sensors 2021, section 4.3, Table 1 (../shared/paper/mrpn-paper.md): RAVDESS
validation accuracy in percent, per actor pair, of the single modalities (AM audio, VM video)
and the joint model (JM = N0), without (NT) and with (T) time augmentation. Their setting:
ResNet-18 extractors pretrained on VoxCeleb (audio) and FER-2013 (faces), LSTM aggregators,
all 60 speech clips of each actor, 22 training actors per fold.
"""

from __future__ import annotations

# The actor pairs, in the order of mrpn_tf/data/folds/ravdess.json (fold k = pair k).
TABLE1_FOLDS = ("A1,2", "A3,4", "A5,6", "A7,8", "A9,10", "A11,12", "A13,14", "A15,16",
                "A17,18", "A19,20", "A21,22", "A23,24")
TABLE1 = {
    "AM(NT)": (70.8, 55.0, 57.5, 74.1, 43.5, 65.8, 59.8, 57.5, 57.5, 55.5, 68.3, 63.3),
    "AM(T)": (71.6, 77.5, 71.6, 90.0, 55.8, 69.1, 70.0, 69.1, 51.6, 63.3, 55.8, 68.3),
    "VM(NT)": (82.5, 70.0, 66.7, 74.1, 80.3, 63.3, 71.3, 60.0, 63.3, 70.8, 65.8, 70.8),
    "VM(T)": (86.6, 75.0, 70.6, 76.6, 87.3, 69.1, 73.3, 65.0, 64.1, 78.3, 66.6, 74.1),
    "JM(NT)": (90.8, 89.1, 85.2, 89.3, 78.5, 85.5, 77.5, 75.5, 76.3, 85.2, 82.8, 80.0),
    "JM(T)": (97.5, 90.3, 87.5, 97.5, 86.5, 87.5, 82.4, 79.6, 83.2, 89.0, 85.5, 84.2),
}


def table1_value(row: str, fold_name: str) -> float:
    """The paper's Table 1 accuracy (percent) of a row ("AM(T)") and actor pair ("A9,10").

    Raises:
      KeyError: no such row or actor pair in Table 1.
    """
    if fold_name not in TABLE1_FOLDS:
        raise KeyError(f"Table 1 has no actor pair {fold_name!r}; it has {', '.join(TABLE1_FOLDS)}")
    return TABLE1[row][TABLE1_FOLDS.index(fold_name)]
