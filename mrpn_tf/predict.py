"""`python -m mrpn_tf.predict FILE [FILE ...] --model PATH [--json]`: emotion of each file.

FILE may also be a folder: its files are taken in name order (not its subfolders).

PATH is an exported SavedModel folder (`savedmodels/<name>/<version>`) or one of its .tflite
files. FILE is a video (.mp4, .flv, .avi, ...) or, for a model that hears, an audio file
(.wav, .mp3, .flac, ... at any sample rate). Each file is decoded, the face cropped and the
audio resampled to the model's rate (libswresample) by `prepare`'s code, scored window by
window (read twice rather than held: memory does not grow with the file's length), and its
label, class probabilities and per-window probabilities are printed; `--json` prints one JSON
object per file instead (path, label, probabilities: class -> p, windows with their own
branch, branch, note). Where one stream ends before the other, the windows past its end are
scored by the other's side head, and the note says so; audio too short to score (< 0.25 s)
is not scored, and narrow-band audio (recorded at <= 8 kHz) gets a note. An audio-only model (AM) takes the audio track of a video and ignores its
picture. A file that cannot be scored (unreadable, no usable stream, a missing stream the
model cannot do without) gets a message naming it (with `--json`, also a line with its path
and `error`), the others are still scored, and the exit status is 1. A video without an audio
track is scored by the video side head of an N1 / N2 model, an audio file, a video without a
video track or without a detectable face by its audio side head; the output says so (`note`).
A still image (.jpg, .png, .gif, ...) is a one-frame clip without audio: its face is cropped
as a video frame's, and it is scored by a VM, or by the video side head of an N1 / N2; an N0
or an AM refuses it, and an image without a face is an error line. Consecutive images are
scored in batches (one model call per 64), the detector and model loaded once.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Optional, Sequence

from mrpn_tf import files
from mrpn_tf.data import clip_preparation
from mrpn_tf.data.media import model_store
from mrpn_tf.data.media import still_image
from mrpn_tf.inference import predictor as predictor_lib


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Command-line arguments (module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m mrpn_tf.predict", description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="video (.mp4, .flv, ...), audio (.wav, .mp3, ...) or image (.jpg, .png, "
                             "...) files, or folders of them")
    parser.add_argument("--model", required=True, help="SavedModel folder or .tflite file")
    parser.add_argument("--json", action="store_true", help="one JSON object per file")
    parser.add_argument("--face-model", default="", help="BlazeFace .tflite (default: as prepare finds it)")
    parser.add_argument("--threads", type=int, default=None, help="TFLite interpreter threads")
    return parser.parse_args(argv)


def format_text(result: predictor_lib.ClipPrediction) -> str:
    """The human-readable report of one clip."""
    top = result.probabilities[result.label]
    lines = [f"{result.path}: {result.label} ({top:.2f}) - {result.branch}, {len(result.windows)} window(s)"]
    if result.note:
        lines.append(f"  note: {result.note}")
    lines.append("  " + "  ".join(f"{name} {p:.3f}" for name, p in result.probabilities.items()))
    for i, window in enumerate(result.windows, start=1):
        scores = " ".join(f"{p:.2f}" for p in window.probabilities.values())
        lines.append(f"  window {i} {window.start_s:5.2f}-{window.end_s:5.2f} s: {window.label:10s} [{scores}]")
    return "\n".join(lines)


def file_groups(paths: Sequence[str]) -> list[list[str]]:
    """Runs of up to `STILL_BATCH` consecutive still images (scored together), and every other
    file alone."""
    groups: list[list[str]] = []
    for path in paths:
        if (still_image.is_image(path) and groups and still_image.is_image(groups[-1][0])
                and len(groups[-1]) < predictor_lib.STILL_BATCH):
            groups[-1].append(path)
        else:
            groups.append([path])
    return groups


def _predict_one(predictor: predictor_lib.Predictor, path: str):
    """The clip's ClipPrediction, or the error that stopped it."""
    try:
        return predictor.predict_file(path)
    except (clip_preparation.ClipError, predictor_lib.PredictError) as e:
        return e


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Scores every file; returns 0 when all were scored, 1 when one failed, 2 on a bad model."""
    args = parse_args(argv)
    try:
        predictor = predictor_lib.Predictor.load(args.model, args.face_model, args.threads)
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    failed = 0
    for group in file_groups(files.expand_paths(args.files)):
        try:
            if still_image.is_image(group[0]):
                results = predictor.predict_stills(group)
            else:
                results = [_predict_one(predictor, group[0])]
        except model_store.ModelUnavailableError as e:  # no face detector: no face can be found
            print(f"error: {e}", file=sys.stderr)
            return 2
        for path, result in zip(group, results):
            if isinstance(result, Exception):
                failed += 1
                print(f"error: {result}", file=sys.stderr)
                if args.json:
                    print(json.dumps({"path": path, "error": str(result)}), flush=True)
                continue
            print(json.dumps(result.as_json()) if args.json else format_text(result), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
