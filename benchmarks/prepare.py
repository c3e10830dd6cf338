"""Prepare speed: clips/s and x real time, end to end and per stage (decode, detect, crop/encode, write).

    python benchmarks/prepare.py [--workers 2] [--cremad ../shared/data/cremad]

Runs on the offline demo clips (synthesized into a temp folder) and, when present, on the real
CREMA-D clips in ../shared. Target (issue 2): >= 10x real time on 2 cores, end to end.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import tempfile
import time

import numpy as np

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import clip_preparation, clip_record, demo as demo_lib, prepare_job, shard_writer
from mrpn_tf.data.datasets import scan_dataset
from mrpn_tf.data.media import decode, face_crop, face_track

SHARED = pathlib.Path(__file__).resolve().parents[1].parent / "shared"


def stage_times(clips, config) -> dict[str, float]:
    """Seconds spent in each stage over `clips`, one thread."""
    totals = dict.fromkeys(["decode", "detect", "crop_encode", "write"], 0.0)
    detector = clip_preparation.detector_for(config.video)
    with tempfile.TemporaryDirectory() as tmp:
        for info in clips:
            t0 = time.perf_counter()
            d = decode.decode_clip(info.path, config.video.fps, config.audio.sample_rate,
                                   config.video.max_frame_side, getattr(info, "audio_path", None))
            t1 = time.perf_counter()
            detections = [detector.detect(f) for f in d.frames]
            t2 = time.perf_counter()
            boxes, detected = face_track.select_track(detections, d.frames.shape[2:0:-1])
            boxes = face_track.square_with_margin(face_track.smooth(boxes, config.video.box_smoothing), config.video.face_margin)
            jpegs = face_crop.encode_jpeg(face_crop.crop_faces(d.frames, boxes, config.video.crop_size), config.video.jpeg_quality)
            t3 = time.perf_counter()
            record = clip_record.ClipRecord(info.clip_id, info.path, info.dataset, info.label, info.emotion,
                                            info.actor, info.gender, config.video.fps, float(detected.mean()),
                                            jpegs, config.audio.sample_rate, d.pcm16)
            shard_writer.write_shard(os.path.join(tmp, "s.tfrecord"), [clip_record.serialize(record)])
            t4 = time.perf_counter()
            for key, dt in zip(totals, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
                totals[key] += dt
    return totals


def media_seconds(clips, config) -> float:
    return sum(decode.decode_clip(c.path, 1.0, 8000, 64).audio_seconds for c in clips)


def report(name, dataset, root, config, workers) -> None:
    clips, _ = scan_dataset(dataset, root, "av")
    seconds = media_seconds(clips, config)
    stages = stage_times(clips, config)
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        prepare_job.run(config, dataset, root, out, workers=workers)
        wall = time.perf_counter() - start
    print(f"\n{name}: {len(clips)} clips, {seconds:.1f} s of media, crop {config.video.crop_size} px @ {config.video.fps} fps")
    print(f"  end to end, {workers} workers: {wall:.1f} s = {len(clips) / wall:.1f} clips/s = {seconds / wall:.1f}x real time")
    one = sum(stages.values())
    print(f"  one thread: {one:.1f} s = {seconds / one:.1f}x real time; per stage (s per clip):")
    for key, value in stages.items():
        print(f"    {key:<12} {value / len(clips) * 1000:7.1f} ms  ({value / one:5.1%})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cremad", default=str(SHARED / "data" / "cremad"))
    args = parser.parse_args()
    config = config_lib.Config()  # the paper-scale crop; the demo's tiny crop is cheaper still
    with tempfile.TemporaryDirectory() as demo:
        demo_lib.synthesize(demo, actors=2, progress=False)
        report("demo (synthetic, 320x240)", "demo", demo, config, args.workers)
    if os.path.isdir(args.cremad):
        report("CREMA-D (real, 480x360 FLV)", "cremad", args.cremad, config, args.workers)
    print(f"\nnumpy {np.__version__}, {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
