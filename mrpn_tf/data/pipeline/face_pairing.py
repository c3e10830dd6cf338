"""Cross-corpus pairing: each clip's video replaced by a face of its label from another corpus.

Paper 1.4 point 2 pairs "visual and vocal inputs ... from different movie sources"; this takes
it across corpora, so that a voice corpus (RAVDESS speech) and a face corpus (FER-2013) train
one audio-video model. The two inputs of an example then share only the label, as the paper's
cross-clip pairing does within one dataset (`pairing.py`).

  - The faces: `data.video_dataset` ("fer2013") from `data.video_root`, detector-cropped as
    `prepare` crops a video frame (`data/fer2013_faces.py`), JPEG-encoded by `prepare`'s own
    encoder (`face_crop.encode_jpeg`), grouped by the run's label (`label_sets`). Training draws from the Training faces,
    validation from the PublicTest faces: FER's own split holds on the face side while the
    folds stay the voice corpus's (speaker-disjoint) on the other.
  - The draw: each clip gets one face of its label as a one-frame video. In training a new
    face every epoch (a stateless draw from the clip's per-epoch seed); in evaluation a fixed
    face per clip (from a hash of its id and `data.seed`), so a validation set is the same set
    of pairs every epoch and in every run of that seed.
  - A still face is one frame: a video of the same face repeated would give the same features
    (the face model's averaging aggregator) at many times the work.

It runs on parsed records, before slicing and augmentation, so everything after it (time
slicing, the clip's spatial augmentation, spectrograms, batching) is the pipeline's own.
"""

from __future__ import annotations

import dataclasses
import functools
import os

import numpy as np
import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import clip_record
from mrpn_tf.data import datasets
from mrpn_tf.data.datasets import fer2013 as fer_data
from mrpn_tf.data.datasets import label_sets

# The paired corpora `data.video_dataset` takes.
VIDEO_DATASETS = (datasets.FER2013,)
# Added to a paired clip: the index of its face in the split's `FaceTable`.
FACE_INDEX = "pairing/face_index"
# Which FER usage each split of the voice corpus draws its faces from.
_USAGE = {True: fer_data.TRAINING, False: fer_data.PUBLIC_TEST}


@dataclasses.dataclass(frozen=True)
class FaceTable:
    """One split's faces, grouped by run label.

    Attributes:
      jpegs: object [N] JPEG bytes of the face crops, sorted by run label.
      labels: int64 [N] run label of each face.
      starts: int64 [C] index of each label's first face.
      counts: int64 [C] faces of each label.
      sources: [N] where each face came from (file or CSV line).
    """

    jpegs: np.ndarray
    labels: np.ndarray
    starts: np.ndarray
    counts: np.ndarray
    sources: np.ndarray


@functools.lru_cache(maxsize=2)
def _fer_usages(root: str) -> dict:
    """FER-2013's faces by usage, read once per process (both splits' tables come from it)."""
    return fer_data.read_fer2013(root)


def _jpegs(grey_crops: np.ndarray, quality: int, chunk: int = 1024) -> list[bytes]:
    """Grey crops [N, S, S] as JPEG frames, encoded as `prepare` encodes a clip's crops."""
    from mrpn_tf.data.media import face_crop

    jpegs: list[bytes] = []
    for start in range(0, len(grey_crops), chunk):  # RGB copies a chunk at a time
        rgb = np.repeat(grey_crops[start:start + chunk, ..., None], 3, axis=-1)
        jpegs += face_crop.encode_jpeg(rgb, quality)
    return jpegs


@functools.lru_cache(maxsize=4)
def _table(root: str, usage: str, crop: tuple, cache_dir: str, ids: tuple[int, ...],
           num_classes: int) -> FaceTable:
    """The faces of one usage; `crop` = (crop_size, face_margin, min_face_score, face_model,
    jpeg_quality), hashable so that the table is built once per process."""
    from mrpn_tf.data import fer2013_faces  # the face detector (mediapipe) only when pairing
    from mrpn_tf.data.media import model_store

    size, margin, min_score, face_model, quality = crop
    usages = _fer_usages(root)
    if usage not in usages:
        raise ValueError(f"{root}: no FER-2013 {usage} faces to pair with")
    faces = usages[usage]
    detector = model_store.resolve_face_model(face_model)
    video = config_lib.VideoConfig(face_margin=margin, min_face_score=min_score)
    boxes, _ = fer2013_faces.cached_boxes(faces, usage, video, detector, cache_dir)
    crops = fer2013_faces.crops(faces, boxes, size)
    run_label = np.asarray(ids, np.int64)[faces.labels]
    kept = np.flatnonzero(run_label != label_sets.DROPPED)
    order = kept[np.argsort(run_label[kept], kind="stable")]
    labels = run_label[order]
    counts = np.bincount(labels, minlength=num_classes).astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    jpegs = np.asarray(_jpegs(crops[order], quality), object)
    return FaceTable(jpegs, labels, starts, counts, np.asarray(faces.sources)[order])


def face_table(config: config_lib.Config, training: bool) -> FaceTable:
    """The faces a split of the run draws from (module docstring), built once per process.

    Args:
      config: `data.video_dataset`, `video_root`, `video_prepared_dir`, the labels and maps;
        `video` (crop size, margin, detector, JPEG quality).
      training: the Training faces (else PublicTest).

    Returns:
      The split's `FaceTable`.

    Raises:
      ValueError: an unknown corpus, no such split in it, or a run label without faces.
      FileNotFoundError: `data.video_root` does not exist.
    """
    data, video = config.data, config.video
    if data.video_dataset not in VIDEO_DATASETS:
        raise ValueError(f"data.video_dataset={data.video_dataset!r}; expected one of "
                         f"{', '.join(VIDEO_DATASETS)}")
    if not data.video_root:
        raise ValueError(f"data.video_dataset={data.video_dataset} needs data.video_root "
                         "(its folder or CSV)")
    ids = tuple(int(i) for i in label_sets.label_ids(data, data.video_dataset))
    labels = label_sets.run_labels(data)
    cache_dir = data.video_prepared_dir or os.path.join("prepared", data.video_dataset)
    crop = (video.crop_size, video.face_margin, video.min_face_score, video.face_model,
            video.jpeg_quality)
    table = _table(os.path.abspath(data.video_root), _USAGE[training], crop,
                   os.path.abspath(cache_dir), ids, len(labels))
    bare = [name for name, count in zip(labels, table.counts) if count == 0]
    if bare:
        raise ValueError(f"{data.video_root}: no {_USAGE[training]} faces for label(s) "
                         f"{', '.join(bare)}: map an emotion of {data.video_dataset} onto each "
                         "(data.label_map) or drop those clips")
    return table


def _clip_seed(clip_id: tf.Tensor, seed: int) -> tf.Tensor:
    """A fixed int [2] seed per clip id (evaluation's draw)."""
    bucket = tf.strings.to_hash_bucket_fast(clip_id, 2**31 - 1)
    return tf.stack([bucket, tf.constant(seed, tf.int64)])


def with_faces(
    clips: tf.data.Dataset, config: config_lib.Config, training_faces: bool, redraw: bool,
    seed: int,
) -> tf.data.Dataset:
    """Gives each parsed clip one face of its (run) label as a one-frame video.

    Args:
      clips: parsed clips (`clip_record.parse`) whose `LABEL` is already the run's label.
      config: the run config (`face_table`).
      training_faces: draw from the Training faces (the voice corpus's training split), else
        from the PublicTest faces.
      redraw: a new face every pass (training); else one fixed face per clip id.
      seed: the draws' seed (`data.seed` plus the pipeline's offset).

    Returns:
      The clips with `FRAMES` = [one JPEG face] and `FACE_INDEX` set.
    """
    table = face_table(config, training_faces)
    jpegs = tf.constant(list(table.jpegs), tf.string)
    starts = tf.constant(table.starts)
    counts = tf.constant(table.counts)

    def attach(clip: dict, draw_seed: tf.Tensor) -> dict:
        label = clip[clip_record.LABEL]
        u = tf.random.stateless_uniform([], draw_seed, dtype=tf.float32)
        offset = tf.minimum(tf.cast(u * tf.cast(counts[label], tf.float32), tf.int64),
                            counts[label] - 1)
        index = starts[label] + offset
        clip = dict(clip)
        clip[clip_record.FRAMES] = jpegs[index][None]
        clip[clip_record.NUM_FRAMES] = tf.constant(1, tf.int64)
        clip[FACE_INDEX] = index
        return clip

    parallel = config.data.num_parallel_calls
    if redraw:
        seeds = tf.data.Dataset.random(seed=seed + 7, rerandomize_each_iteration=True).batch(2)
        return tf.data.Dataset.zip((clips, seeds)).map(attach, num_parallel_calls=parallel)
    return clips.map(lambda clip: attach(clip, _clip_seed(clip[clip_record.CLIP_ID], seed)),
                     num_parallel_calls=parallel)


def relabel(clips: tf.data.Dataset, data: config_lib.DataConfig) -> tf.data.Dataset:
    """The clips' labels as the run's (`label_sets`); clips of a dropped emotion removed.

    A run of one corpus's own classes gets `clips` back unchanged.
    """
    ids = label_sets.label_ids(data, data.dataset)
    if label_sets.is_identity(ids):
        return clips
    table = tf.constant(ids)

    def mapped(clip: dict) -> dict:
        clip = dict(clip)
        clip[clip_record.LABEL] = tf.gather(table, clip[clip_record.LABEL])
        return clip

    clips = clips.map(mapped, num_parallel_calls=data.num_parallel_calls)
    return clips.filter(lambda clip: clip[clip_record.LABEL] != label_sets.DROPPED)
