"""The evaluation's figures: confusion matrices and the t-SNE of the deep features (Fig. 5).

Paper Fig. 5 shows t-SNE embeddings of the deep features coloured by emotion: image modality
only (left), audio only (middle) and the fused features (right). `tsne_figure` draws the same
panels from the feature model's f_v, f_a and fused g_va. matplotlib's Agg backend: no display
needed.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
import numpy as np  # noqa: E402
from sklearn import manifold  # noqa: E402

# Panel titles of Fig. 5, by feature-model key.
FEATURE_TITLES = {"f_v": "image modality", "f_a": "audio modality", "fused": "fused"}
HEAD_TITLES = {"v": "video head", "a": "audio head", "va": "fusion head"}
# t-SNE needs perplexity < number of points; 30 is sklearn's default for larger sets.
MAX_PERPLEXITY = 30.0


def confusion_figure(
    matrices: Mapping[str, Sequence[Sequence[int]]], class_names: Sequence[str], path: str
) -> str:
    """One confusion-matrix panel per head (rows: true class, columns: predicted), as PNG.

    Args:
      matrices: head -> confusion matrix (counts).
      class_names: names in label order.
      path: PNG file to write.

    Returns:
      `path`.
    """
    heads = list(matrices)
    fig, axes = plt.subplots(1, len(heads), figsize=(5.2 * len(heads), 4.8), squeeze=False)
    for ax, head in zip(axes[0], heads):
        counts = np.asarray(matrices[head])
        ax.imshow(counts, cmap="Blues")
        for (i, j), value in np.ndenumerate(counts):
            color = "white" if value > counts.max() / 2 else "black"
            ax.text(j, i, str(value), ha="center", va="center", color=color, fontsize=8)
        ticks = np.arange(len(class_names))
        ax.set_xticks(ticks, class_names, rotation=60, ha="right", fontsize=8)
        ax.set_yticks(ticks, class_names, fontsize=8)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        accuracy = np.trace(counts) / max(counts.sum(), 1)
        ax.set_title(f"{HEAD_TITLES.get(head, head)}: {accuracy:.1%}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def embed_2d(features: np.ndarray, seed: int = 0) -> np.ndarray:
    """t-SNE of [N, D] features to [N, 2] (perplexity lowered for small sets).

    Raises:
      ValueError: fewer than 3 points, too few for a t-SNE.
    """
    if len(features) < 3:
        raise ValueError(f"t-SNE needs at least 3 clips, got {len(features)}")
    perplexity = min(MAX_PERPLEXITY, (len(features) - 1) / 3.0)
    tsne = manifold.TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed)
    return tsne.fit_transform(np.asarray(features, np.float64))


def tsne_figure(
    features: Mapping[str, np.ndarray],
    labels: np.ndarray,
    class_names: Sequence[str],
    path: str,
    seed: int = 0,
) -> str:
    """Paper Fig. 5: one t-SNE panel per feature set, points coloured by true emotion, as PNG.

    Args:
      features: feature key ("f_v", "f_a", "fused") -> [N, D].
      labels: int [N] true classes.
      class_names: names in label order.
      path: PNG file to write.
      seed: t-SNE random state.

    Returns:
      `path`.
    """
    keys = [key for key in FEATURE_TITLES if key in features] + [
        key for key in features if key not in FEATURE_TITLES
    ]
    fig, axes = plt.subplots(1, len(keys), figsize=(5 * len(keys), 4.6), squeeze=False)
    colors = plt.get_cmap("tab10")
    for ax, key in zip(axes[0], keys):
        points = embed_2d(features[key], seed)
        for label, name in enumerate(class_names):
            chosen = labels == label
            if chosen.any():
                ax.scatter(*points[chosen].T, s=14, color=colors(label % 10), label=f"{label}: {name}")
        ax.set_title(FEATURE_TITLES.get(key, key))
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0][-1].legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
