"""Live-stream latency on real clips: per-hop latency (p50 / p95) and the real-time factor.

    python benchmarks/stream.py [--model PATH] [--variant tiny] [--hop 0.5] [--realtime]

The real CREMA-D clips of ../shared (six 2-2.3-s FLV clips of one actor, 480x360 at 29.97
fps, MP3) are joined into one continuous stream (H.264 + AAC, source size and rate), which
`mrpn_tf.stream` then reads as it would a camera: every frame decoded, the face detected and
tracked on the model's fps grid, one window scored per hop. Read at full speed first (the
real-time factor is then the wall time per second of stream), then, with `--realtime`, paced
as a live source (the latency then counts waiting behind a busy machine as a viewer would).

Without `--model`, an untrained model of `--variant` is exported to a temp folder (SavedModel
and an fp32 .tflite; latency does not depend on the weights). `--backend` picks which the
stream uses. The CPU line of `runtime.describe_cpu()` comes first.
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
import tempfile

import numpy as np

from mrpn_tf import runtime
from mrpn_tf.config import config as config_lib
from mrpn_tf.data import datasets
from mrpn_tf.data.media import decode
from mrpn_tf.data.media.encode import write_media
from mrpn_tf.inference import predictor as predictor_lib
from mrpn_tf.export import run_export
from mrpn_tf.model import build_model
from mrpn_tf.stream import session as session_lib
from mrpn_tf.stream import source as source_lib

SHARED = os.environ.get("MRPN_SHARED", os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
CLIP_FPS = 30000 / 1001  # the CREMA-D FLV clips' rate
CLIP_RATE = 44100


def real_stream(out_dir: str) -> tuple[str, float]:
    """The CREMA-D clips joined into one .mp4 at their own size and rates; (path, seconds)."""
    paths = sorted(glob.glob(os.path.join(SHARED, "data", "cremad", "VideoFlash", "*.flv")))
    if not paths:
        sys.exit(f"no CREMA-D clips under {SHARED}/data/cremad/VideoFlash")
    clips = [decode.decode_clip(p, CLIP_FPS, CLIP_RATE, max_frame_side=640) for p in paths]
    frames, audio = [], []
    for clip in clips:  # each clip's audio cut or padded to its video, so the two stay in step
        samples = int(round(len(clip.frames) / CLIP_FPS * CLIP_RATE))
        frames.append(clip.frames)
        audio.append(np.resize(clip.pcm16, samples).astype(np.float32) / 32768.0)
    path = write_media(os.path.join(out_dir, "cremad_joined.mp4"), np.concatenate(frames), CLIP_FPS,
                       np.concatenate(audio), CLIP_RATE)
    return path, sum(len(f) for f in frames) / CLIP_FPS


def exported_model(variant: str, out_dir: str) -> dict[str, str]:
    """An untrained model of the variant, exported as SavedModel + fp32 .tflite."""
    config = config_lib.variant(variant)
    config.export.tflite_variants = ("fp32",)  # no int8: it would need calibration data
    labels = list(datasets.label_names(datasets.DEMO))
    model = build_model(config, len(labels))
    return run_export.export_model(model, config, labels, datasets.DEMO, f"stream_{variant}", 1, out_dir)


def run(predictor, path: str, hop_s, realtime: bool):
    """One pass of the stream; returns the report."""
    hops = []
    spec = session_lib.stream_spec(predictor, hop_s)
    source = source_lib.FileSource(path, realtime=realtime)
    report = session_lib.StreamSession(predictor, source, spec, hops.append).run()
    faces = sum(h.face for h in hops)
    print(f"\n-- {'paced in real time' if realtime else 'full speed'}: {faces}/{len(hops)} hops saw the face")
    print(report.format_text())
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None, help="an export (SavedModel folder or .tflite)")
    parser.add_argument("--variant", default="tiny", choices=sorted(config_lib.CONFIG_VARIANTS))
    parser.add_argument("--backend", default="savedmodel", choices=["savedmodel", "tflite_fp32"])
    parser.add_argument("--hop", type=float, default=None, help="seconds between answers (default: the export's)")
    parser.add_argument("--realtime", action="store_true", help="also run paced as a live source")
    parser.add_argument("--threads", type=int, default=None, help="TFLite interpreter threads")
    parser.add_argument("--face-model", default=os.path.join(SHARED, "models", "face_detection_short_range.tflite"))
    args = parser.parse_args()
    print(f"CPU: {runtime.describe_cpu()}")
    with tempfile.TemporaryDirectory(prefix="mrpn_stream_bench_") as out_dir:
        path, seconds = real_stream(out_dir)
        model = args.model or exported_model(args.variant, out_dir)[args.backend]
        predictor = predictor_lib.Predictor.load(model, args.face_model, args.threads)
        print(f"model {args.model or f'untrained {args.variant} ({args.backend})'}; stream of {seconds:.1f} s "
              f"(6 CREMA-D clips, 480x360 @ 29.97 fps); window {predictor.spec.seconds:g} s, "
              f"hop {args.hop or predictor.spec.hop_seconds:g} s, faces at {predictor.config.video.fps:g} fps")
        run(predictor, path, args.hop, realtime=False)
        if args.realtime:
            run(predictor, path, args.hop, realtime=True)


if __name__ == "__main__":
    main()
