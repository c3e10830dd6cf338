"""`python -m mrpn_tf.studies.ravdess_reference`: the non-deep reference row of the RAVDESS audio study.

    python -m mrpn_tf.studies.ravdess_reference [--root ../shared/data/ravdess-speech] \
        [--folds 1,2,...] [--out results/ravdess_audio] [--speaker-norm]

What a CNN on RAVDESS speech should beat: multinomial logistic regression on 120 statistics
per clip, on the same actor-pair folds as the AM runs (mrpn_tf/data/folds, A1,2 ... A19,20
for actors 1-20). Per clip, from the 16-kHz mono wave that `prepare` would store (the same
decoder and resampler, so 16- and 48-kHz files give the same numbers):
- log-mel energies of 40 bands (0-8 kHz, HTK mel scale) on 25-ms Hann frames every 10 ms;
- only the louder 70 % of the frames, by frame energy: RAVDESS clips open with about 1 s of
  near-silence and end with some, which would otherwise dominate the statistics;
- over those frames, per band: the mean, the standard deviation, and the standard deviation of
  the frame-to-frame difference (delta) of the log-mel energy.

Features are standardized on the training actors; the inverse regularization C is chosen among
`C_GRID` by a 3-way grouped split of the training actors (the validation actors never choose
anything). The validation actors' accuracy goes to `<out>/reference_logreg.csv` (one row per
fold) and `<out>/reference_logreg.md` (one table row per fold, and the mean).

`--speaker-norm` measures how much of the task is speaker variation: each actor's features are
first standardized over that actor's own clips (speaker normalization), the held-out actors'
included. That uses the held-out actors' clips, never their labels, all at once: a protocol
that needs several recordings of a speaker before it can score one, unlike the AM rows and
`predict`, which score every clip on its own. Its row goes to `reference_logreg_speaker_norm.*`.
"""

from __future__ import annotations

import argparse
import csv
import functools
import os
import sys
import time
from typing import Optional, Sequence

import numpy as np

from mrpn_tf.data import datasets
from mrpn_tf.data.folds import folds as folds_lib
from mrpn_tf.data.media import decode

DEFAULT_ROOT = os.path.join("..", "shared", "data", "ravdess-speech")
DEFAULT_OUT = os.path.join("results", "ravdess_audio")
NAME = "reference_logreg"  # the row's .csv and .md
CSV_NAME = NAME + ".csv"
MD_NAME = NAME + ".md"
ROW_LABEL = "reference: logistic regression on log-mel statistics"
SPEAKER_NORM_NAME = NAME + "_speaker_norm"  # .csv and .md of --speaker-norm
SPEAKER_NORM_LABEL = ("reference, features standardized per actor over the actor's own clips "
                      "(speaker normalization)")
SAMPLE_RATE = 16000
FRAME_LENGTH = 400  # 25 ms
FRAME_STEP = 160  # 10 ms
FFT_LENGTH = 512
NUM_MELS = 40
LOUD_FRACTION = 0.7  # frames kept, the loudest first
C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0)
INNER_SPLITS = 3
LOG_FLOOR = 1e-10
NUM_FEATURES = 3 * NUM_MELS


@functools.lru_cache(maxsize=1)
def mel_filterbank() -> np.ndarray:
    """HTK-mel triangles over 0 .. 8 kHz, [FFT_LENGTH // 2 + 1, NUM_MELS] (tf.signal's)."""
    import tensorflow as tf

    return tf.signal.linear_to_mel_weight_matrix(
        NUM_MELS, FFT_LENGTH // 2 + 1, SAMPLE_RATE, 0.0, SAMPLE_RATE / 2).numpy()


def log_mel(wave: np.ndarray) -> np.ndarray:
    """Log-mel energies of a float wave at 16 kHz: [frames, NUM_MELS] (at least one frame)."""
    import tensorflow as tf

    wave = np.asarray(wave, np.float32)
    if len(wave) < FRAME_LENGTH:
        wave = np.pad(wave, (0, FRAME_LENGTH - len(wave)))
    stft = tf.signal.stft(wave, FRAME_LENGTH, FRAME_STEP, FFT_LENGTH,
                          window_fn=tf.signal.hann_window)
    mel = tf.tensordot(tf.abs(stft) ** 2, mel_filterbank(), 1)
    return np.log(mel.numpy().astype(np.float64) + LOG_FLOOR)


def clip_features(wave: np.ndarray) -> np.ndarray:
    """The 120 statistics of one clip (module docstring): mean, std, delta std per mel band.

    Args:
      wave: float [N] mono at 16 kHz (any scale: only the mean depends on it, by a constant).

    Returns:
      float64 [NUM_FEATURES].
    """
    mel = log_mel(wave)
    energy = np.log(np.exp(mel).sum(axis=1))
    keep = max(1, int(round(LOUD_FRACTION * len(mel))))
    loud = np.sort(np.argsort(-energy, kind="stable")[:keep])  # the loudest frames, in time order
    delta = np.diff(mel, axis=0, prepend=mel[:1])  # delta[t] = mel[t] - mel[t - 1]
    kept, kept_delta = mel[loud], delta[loud]
    return np.concatenate([kept.mean(axis=0), kept.std(axis=0), kept_delta.std(axis=0)])


def dataset_features(root: str, sample_rate: int = SAMPLE_RATE):
    """(features [clips, NUM_FEATURES], labels [clips], actors [clips]) of every speech clip.

    The waves are decoded exactly as `prepare` decodes them (PyAV + libswresample to 16-kHz
    mono PCM16), so a 48-kHz copy of the dataset gives the same features.
    """
    clips, _ = datasets.scan_dataset("ravdess", root, "audio")
    features = np.stack([clip_features(decode.decode_audio(c.path, sample_rate) / 32768.0)
                         for c in clips])
    return (features, np.array([c.label for c in clips], np.int64),
            np.array([c.actor for c in clips], np.int64))


def standardized_per_actor(features: np.ndarray, actors: np.ndarray) -> np.ndarray:
    """Each actor's rows standardized by that actor's own mean and std (speaker normalization).

    A feature that is constant over an actor's clips is only centred.
    """
    out = np.empty_like(features, dtype=np.float64)
    for actor in np.unique(actors):
        rows = actors == actor
        std = features[rows].std(axis=0)
        out[rows] = (features[rows] - features[rows].mean(axis=0)) / np.where(std > 0, std, 1.0)
    return out


def _classifier(c: float):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=5000))


def choose_c(features: np.ndarray, labels: np.ndarray, actors: np.ndarray) -> float:
    """C from `C_GRID` with the best mean accuracy over a grouped (by actor) split of these clips."""
    from sklearn.model_selection import GroupKFold

    splits = list(GroupKFold(n_splits=min(INNER_SPLITS, len(set(actors)))).split(
        features, labels, actors))
    scores = []
    for c in C_GRID:
        hits = [(_classifier(c).fit(features[a], labels[a]).predict(features[b]) == labels[b]).mean()
                for a, b in splits]
        scores.append(np.mean(hits))
    return C_GRID[int(np.argmax(scores))]


def run_fold(features, labels, actors, fold: folds_lib.Fold) -> dict:
    """Trains on the fold's training actors present, scores its validation actors."""
    train = np.isin(actors, fold.train_actors)
    val = np.isin(actors, fold.val_actors)
    c = choose_c(features[train], labels[train], actors[train])
    model = _classifier(c).fit(features[train], labels[train])
    accuracy = float((model.predict(features[val]) == labels[val]).mean())
    return {"fold": fold.index, "name": fold.name, "train_clips": int(train.sum()),
            "val_clips": int(val.sum()), "C": c, "accuracy": accuracy}


def folds_with_clips(actors: np.ndarray, wanted: Optional[Sequence[int]] = None) -> list:
    """The RAVDESS folds whose validation actors all have clips here (or `wanted`, checked)."""
    present = set(actors.tolist())
    all_folds = folds_lib.load_folds("ravdess")
    if wanted is None:
        return [f for f in all_folds if set(f.val_actors) <= present]
    chosen = [folds_lib.fold("ravdess", k) for k in wanted]
    missing = [f.name for f in chosen if not set(f.val_actors) <= present]
    if missing:
        raise ValueError(f"folds {missing}: their validation actors have no clips under the root")
    return chosen


def write_results(rows: Sequence[dict], out: str, source: str,
                  speaker_norm: bool = False) -> tuple[str, str]:
    """`<out>/reference_logreg.csv` and `.md` (`SPEAKER_NORM_NAME`.* for `--speaker-norm`).

    Returns:
      (csv path, md path).
    """
    os.makedirs(out, exist_ok=True)
    stem = os.path.join(out, SPEAKER_NORM_NAME if speaker_norm else NAME)
    csv_path, md_path = stem + ".csv", stem + ".md"
    label = SPEAKER_NORM_LABEL if speaker_norm else ROW_LABEL
    fields = ["fold", "name", "train_clips", "val_clips", "C", "accuracy"]
    with open(csv_path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "accuracy": f"{row['accuracy']:.4f}"})
    mean = 100 * float(np.mean([r["accuracy"] for r in rows]))
    header = ["RAVDESS audio"] + [r["name"] for r in rows] + ["mean"]
    cells = [f"{100 * r['accuracy']:.1f}%" for r in rows] + [f"{mean:.1f}%"]
    lines = ["**Reference row: a non-deep baseline on the AM folds (validation accuracy; "
             "chance 12.5%)**", "",
             "| " + " | ".join(header) + " |",
             "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|",
             f"| {label} | " + " | ".join(cells) + " |", "",
             f"Clips: {source}; per fold {rows[0]['train_clips']} training and "
             f"{rows[0]['val_clips']} validation clips (first fold). C per fold (chosen on the "
             f"training actors): " + ", ".join(f"{r['name']} {r['C']:g}" for r in rows) + ".",
             "Written by `python -m mrpn_tf.studies.ravdess_reference` "
             "(mrpn_tf/studies/ravdess_reference.py says how)."]
    with open(md_path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return csv_path, md_path


def read_reference_csv(path: str) -> dict[str, float]:
    """Fold name -> accuracy in percent, from a `reference_logreg.csv`."""
    with open(path, newline="") as f:
        return {row["name"]: 100 * float(row["accuracy"]) for row in csv.DictReader(f)}


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Computes and writes the reference row (module docstring); returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m mrpn_tf.studies.ravdess_reference",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=DEFAULT_ROOT, help="RAVDESS speech folder (Actor_NN/)")
    parser.add_argument("--folds", default="", help="comma-separated fold numbers "
                        "(default: every fold whose validation actors have clips)")
    parser.add_argument("--out", default=DEFAULT_OUT, help="folder of the CSV and Markdown")
    parser.add_argument("--speaker-norm", action="store_true",
                        help="standardize each actor's features over the actor's own clips "
                        "first (a measurement of speaker variation; module docstring)")
    args = parser.parse_args(argv)
    start = time.monotonic()
    try:
        features, labels, actors = dataset_features(args.root)
        if args.speaker_norm:
            features = standardized_per_actor(features, actors)
        wanted = [int(k) for k in args.folds.split(",")] if args.folds else None
        chosen = folds_with_clips(actors, wanted)
        if not chosen:
            raise ValueError(f"no fold has its validation actors under {args.root}")
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"{len(labels)} clips of {len(set(actors.tolist()))} actors under {args.root}: "
          f"{time.monotonic() - start:.0f} s to decode and describe")
    rows = []
    for fold in chosen:
        rows.append(run_fold(features, labels, actors, fold))
        print(f"fold {fold.index} ({fold.name}): {100 * rows[-1]['accuracy']:.1f}% "
              f"(C {rows[-1]['C']:g}, {rows[-1]['val_clips']} clips)")
    source = f"{len(labels)} clips under {args.root}"
    for path in write_results(rows, args.out, source, args.speaker_norm):
        print(f"written: {path}")
    print(f"mean {100 * np.mean([r['accuracy'] for r in rows]):.1f}% over {len(rows)} folds; "
          f"{time.monotonic() - start:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
