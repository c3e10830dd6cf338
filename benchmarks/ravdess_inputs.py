"""What the AM network is given on real RAVDESS speech, measured (issue 15's diagnosis).

    python benchmarks/ravdess_inputs.py [--root ../shared/data/ravdess-speech] \
        [--config pipelines/ravdess_am_cpu.yaml] [--per-actor 60] [--slices 20]

Prints, for the clips under --root (decoded as `prepare` decodes them):
1. the values of the log spectrogram that reach the CNN (the pipeline's own
   `waveform_to_segments` at the run file's settings): per segment mean / std / min / max, the
   share of values at the log floor (log of `audio.log_offset`: zero padding);
2. where the speech is: onset and offset of each clip (the first and last 10-ms frame within
   30 dB of the clip's loudest frame), the share of each 1-s segment (AM(NT)) and of each
   random time-augmentation slice (AM(T), `time_slicing.slice_bounds`'s rule) that lies between
   them;
3. how much of what a linear model reads on these clips the CNN's input conventions keep:
   the reference features (`mrpn_tf.studies.ravdess_reference`) on all 10 folds with a fixed C,
   (a) as the reference computes them, (b) from all frames, silence included, (c) from the
   waveform standardized per clip as the CNN's input is (the clip's level removed), (d) the
   reference features standardized per actor over that actor's clips (speaker normalization,
   which a model can also do on unseen actors given several of their clips).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mrpn_tf.config import loading  # noqa: E402
from mrpn_tf.data import datasets  # noqa: E402
from mrpn_tf.data.media import decode  # noqa: E402
from mrpn_tf.data.pipeline import spectrogram_segments  # noqa: E402
from mrpn_tf.studies import ravdess_reference as ref  # noqa: E402

FRAME = 160  # 10 ms at 16 kHz
ACTIVE_DB = 30.0


def speech_span(pcm: np.ndarray) -> tuple[int, int]:
    """(first, last + 1) sample of the frames within ACTIVE_DB of the loudest 10-ms frame."""
    count = len(pcm) // FRAME
    frames = pcm[: count * FRAME].astype(np.float64).reshape(count, FRAME)
    db = 10 * np.log10(np.mean(frames ** 2, axis=1) + 1e-3)
    active = np.flatnonzero(db >= db.max() - ACTIVE_DB)
    return int(active[0] * FRAME), int((active[-1] + 1) * FRAME)


def inside(start: int, size: int, span: tuple[int, int]) -> float:
    """Share of [start, start + size) inside the speech span."""
    return max(0, min(start + size, span[1]) - max(start, span[0])) / max(size, 1)


def pct(values, qs=(5, 25, 50, 75, 95)) -> str:
    return " ".join(f"p{q} {np.percentile(values, q):.2f}" for q in qs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=ref.DEFAULT_ROOT)
    parser.add_argument("--config", default=os.path.join("pipelines", "ravdess_am_cpu.yaml"))
    parser.add_argument("--per-actor", type=int, default=60, help="clips per actor (first n)")
    parser.add_argument("--slices", type=int, default=20, help="random slices drawn per clip")
    parser.add_argument("--c", type=float, default=0.03, help="fixed C of part 3")
    args = parser.parse_args()
    audio = loading.load_config([args.config]).audio
    clips, _ = datasets.scan_dataset("ravdess", args.root, "audio")
    by_actor: dict[int, list] = {}
    for c in clips:
        by_actor.setdefault(c.actor, []).append(c)
    clips = [c for actor in sorted(by_actor) for c in by_actor[actor][: args.per_actor]]
    start = time.monotonic()
    pcms = [decode.decode_audio(c.path, audio.sample_rate) for c in clips]
    print(f"{len(clips)} clips decoded in {time.monotonic() - start:.0f} s; "
          f"durations {pct([len(p) / audio.sample_rate for p in pcms])} s")

    # 1. The CNN's input values.
    floor = np.log(audio.log_offset)
    stats = []  # per segment: mean, std, min, max, share at floor, position, last?
    for pcm in pcms:
        segs = spectrogram_segments.waveform_to_segments(pcm / 32768.0, audio).numpy()
        for s, seg in enumerate(segs):
            stats.append((seg.mean(), seg.std(), seg.min(), seg.max(),
                          np.mean(seg < floor + 1.0), s, s == len(segs) - 1))
    stats = np.array(stats)
    print(f"\n1. log-spectrogram segments ({len(stats)}, hop {audio.hop_s} s, "
          f"STFT hop {audio.frame_step}); floor log({audio.log_offset:g}) = {floor:.1f}")
    for name, col in (("mean", 0), ("std", 1), ("min", 2), ("max", 3)):
        print(f"   {name:4s}: {pct(stats[:, col])}")
    print(f"   all values: mean {stats[:, 0].mean():.2f}, typical std within a segment "
          f"{np.median(stats[:, 1]):.2f}")
    last = stats[:, 6] == 1
    print(f"   share of values within 1 of the floor: last segments {pct(stats[last, 4])}; "
          f"others {pct(stats[~last, 4], (50, 95))}")

    # 2. Speech vs silence.
    rng = np.random.default_rng(0)
    spans = [speech_span(p) for p in pcms]
    onsets = [a / audio.sample_rate for a, _ in spans]
    tails = [(len(p) - b) / audio.sample_rate for p, (_, b) in zip(pcms, spans)]
    length = int(round(audio.segment_s * audio.sample_rate))
    hop = int(round(audio.hop_s * audio.sample_rate))
    seg_share, seg_pos, slice_share = [], [], []
    for pcm, span in zip(pcms, spans):
        count = int(spectrogram_segments.segment_count(len(pcm), audio))
        for s in range(count):
            seg_share.append(inside(s * hop, length, span))
            seg_pos.append(s)
        for _ in range(args.slices):  # time_slicing.slice_bounds, in numpy
            size = int(rng.integers(min(length, len(pcm)), len(pcm) + 1))
            start = int(rng.integers(0, len(pcm) - size + 1))
            slice_share.append(inside(start, size, span))
    seg_share, seg_pos, slice_share = map(np.array, (seg_share, seg_pos, slice_share))
    print(f"\n2. speech span (frames within {ACTIVE_DB:.0f} dB of the loudest): onset "
          f"{pct(onsets)} s; silence after it {pct(tails)} s")
    print(f"   AM(NT) 1-s segments ({len(seg_share)}): share inside the span {pct(seg_share)}; "
          f"{np.mean(seg_share < 0.25):.0%} of segments under 25 %, "
          f"{np.mean(seg_share == 0):.0%} with none")
    for s in range(int(seg_pos.max()) + 1):
        here = seg_share[seg_pos == s]
        print(f"     segment {s}: {len(here)} segments, mean share {here.mean():.2f}, "
              f"under 25 %: {np.mean(here < 0.25):.0%}")
    print(f"   AM(T) random slices ({len(slice_share)}): share inside the span {pct(slice_share)}; "
          f"{np.mean(slice_share < 0.5):.0%} under 50 %")

    # 3. A linear model on what the CNN's conventions keep.
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    labels = np.array([c.label for c in clips])
    actors = np.array([c.actor for c in clips])

    def all_frames(wave):
        mel = ref.log_mel(wave)
        delta = np.diff(mel, axis=0, prepend=mel[:1])
        return np.concatenate([mel.mean(0), mel.std(0), delta.std(0)])

    def standardized(wave):
        return ref.clip_features((wave - wave.mean()) / max(wave.std(), 1e-8))

    print(f"\n3. logistic regression (C {args.c:g}) on the folds with clips, mean accuracy:")
    for name, fn in (("reference features", ref.clip_features),
                     ("all frames, silence included", all_frames),
                     ("wave standardized per clip (the CNN's input)", standardized),
                     ("reference features standardized per actor", "per_actor")):
        if fn == "per_actor":
            x = np.stack([ref.clip_features(p / 32768.0) for p in pcms])
            for actor in set(actors.tolist()):
                rows = actors == actor
                x[rows] = (x[rows] - x[rows].mean(0)) / (x[rows].std(0) + 1e-8)
        else:
            x = np.stack([fn(p / 32768.0) for p in pcms])
        accs = []
        for fold in ref.folds_with_clips(actors):
            tr, va = np.isin(actors, fold.train_actors), np.isin(actors, fold.val_actors)
            model = make_pipeline(StandardScaler(), LogisticRegression(C=args.c, max_iter=5000))
            accs.append((model.fit(x[tr], labels[tr]).predict(x[va]) == labels[va]).mean())
        print(f"   {name:46s} {100 * np.mean(accs):.1f}%  "
              f"(per fold {' '.join(f'{100 * a:.0f}' for a in accs)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
