"""`python -m mrpn_tf.pretrain`: pretrain an extractor (paper 4.2) and save its weights.

    python -m mrpn_tf.pretrain faces --fer2013 FER2013 --config pipelines/fer2013_faces.yaml
    python -m mrpn_tf.pretrain speakers --root VoxCeleb1/wav [--out A.weights.h5]   # or LibriSpeech
        [--config pipelines/ravdess_mrpn.yaml] [--epochs N] [--batch-size B] [section.key=value ...]

The extractor is built for the run config's crop size, spectrogram shape and width; name the
saved file in that run as `model.video_extractor_weights=` / `model.audio_extractor_weights=`.
"""

from __future__ import annotations

import argparse
import os
import sys

from mrpn_tf import cli
from mrpn_tf.config import loading

PRETRAINED_DIR = "pretrained"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m mrpn_tf.pretrain", description=__doc__.splitlines()[0])
    tasks = parser.add_subparsers(dest="task", required=True)
    faces = tasks.add_parser("faces", help="FER-2013 expressions -> video extractor")
    faces.add_argument("--fer2013", default="",
                       help="fer2013.csv (emotion, pixels, Usage) or the Kaggle folder (train/, test/); "
                            "default: the config's data.root")
    speakers = tasks.add_parser("speakers", help="speaker ID -> audio extractor")
    speakers.add_argument("--root", required=True,
                          help="VoxCeleb (<speaker>/<video>/<utterance>.wav) or LibriSpeech (<speaker>-<chapter>-<n>.flac) folder")
    speakers.add_argument("--crops", type=int, default=4, help="1-s crops per utterance per epoch")
    faces.add_argument("--epochs", type=int, help="default: the config's train.epochs")
    faces.add_argument("--batch-size", type=int, help="default: the config's train.batch_size")
    speakers.add_argument("--epochs", type=int, default=30)
    speakers.add_argument("--batch-size", type=int, default=64)
    for task in (faces, speakers):
        task.add_argument("--out", help=f"weights file (default {PRETRAINED_DIR}/<task>-...weights.h5)")
        task.add_argument("--config", action="append", default=[], help="run file(s) of the MRPN run")
        task.add_argument("overrides", nargs="*", help="section.key=value overrides")
    return parser.parse_args(argv)


def default_out(task: str, config) -> str:
    """pretrained/faces-112px-w1.weights.h5 or pretrained/speakers-256x250-w1.weights.h5."""
    width = config.model.width_multiplier
    if task == "faces":
        shape = f"{config.video.crop_size}px"
        width = config.model.video_width_multiplier or width
    else:
        shape = f"{config.audio.freq_bins}x{config.audio.frames_per_segment}"
    return os.path.join(PRETRAINED_DIR, f"{task}-{shape}-w{width:g}.weights.h5")


@cli.config_errors_exit
def main(argv=None) -> int:
    args = parse_args(argv)
    config = loading.load_config(args.config, args.overrides)
    from mrpn_tf.data.media import model_store
    from mrpn_tf.training.pretraining import pretrain_tasks  # TensorFlow after the arguments

    out = args.out or default_out(args.task, config)
    try:
        if args.task == "faces":
            config.train.epochs = args.epochs or config.train.epochs
            config.train.batch_size = args.batch_size or config.train.batch_size
            fer_path = args.fer2013 or config.data.root
            if not fer_path:
                raise ValueError("no FER-2013 data: give --fer2013 PATH or data.root=PATH")
            result = pretrain_tasks.pretrain_faces(fer_path, config, out)
        else:
            result = pretrain_tasks.pretrain_speakers(args.root, config, out, args.epochs,
                                                      args.batch_size, args.crops)
    except (ValueError, FileNotFoundError, model_store.ModelUnavailableError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    key = "video" if args.task == "faces" else "audio"
    print(f"{out}: validation accuracy {result['val_accuracy']:.1%} after {result['epochs']} epochs")
    print(f"use it with  model.{key}_extractor_weights={out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
