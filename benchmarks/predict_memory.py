"""Peak memory of `predict` on a long 720p clip: it must not grow with the clip's length.

    python benchmarks/predict_memory.py [--minutes 10] [--model released/real_people/1]

A clip of `--minutes` minutes is written first (H.264 1280x720 at 30 fps + AAC 16 kHz): a
real CREMA-D face from ../shared, enlarged onto a 720p canvas and looped, with its voice looped
beside it, encoded frame by frame (never held whole) for one minute, whose packets are then
copied end to end for the rest. Then `python -m mrpn_tf.predict` scores
it in a child process, and the child's peak resident memory (getrusage ru_maxrss) and wall
time are printed, with the CPU. predict reads a file in two passes (clip_scan.py), so its
peak is set by the model and one batch of windows, not by the clip: compare `--minutes 1`,
`10` and `60`. The goal (reliability issue): <= 1.5 GB for 10 minutes and for an hour.

`--whole` scores the clip as predict did before (all frames decoded into memory first,
`Predictor.load_file`), for the figure to compare with; keep it to a minute or two.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import av
import cv2
import numpy as np

from mrpn_tf import runtime
from mrpn_tf.data.media import decode

WIDTH, HEIGHT, FPS, RATE = 1280, 720, 30, 16000
_WHOLE = (
    "import sys, json; from mrpn_tf.inference import predictor as p; "
    "m = p.Predictor.load(sys.argv[1]); "
    "print(json.dumps(m.predict_clip(m.load_file(sys.argv[2])).as_json()))"
)


def write_long_clip(path: str, source: str, minutes: float) -> str:
    """`minutes` of the source face (720p canvas) and voice, looped, encoded as it goes."""
    clip = decode.decode_clip(source, FPS, RATE, max_frame_side=HEIGHT)
    canvas = np.full([HEIGHT, WIDTH, 3], 40, np.uint8)
    frames = []
    for frame in clip.frames:  # the face enlarged to the canvas's height, centred
        frame = cv2.resize(frame, (frame.shape[1] * HEIGHT // frame.shape[0], HEIGHT))
        page = canvas.copy()
        x = (WIDTH - frame.shape[1]) // 2
        page[: frame.shape[0], x : x + frame.shape[1]] = frame
        frames.append(page)
    voice = clip.pcm16.astype(np.float32) / 32768.0
    with av.open(path, "w") as container:
        video = container.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        video.options = {"preset": "ultrafast", "threads": "2"}
        audio = container.add_stream("aac", rate=RATE, layout="mono")
        total = int(minutes * 60 * FPS)
        sample = 0
        for k in range(total):
            picture = av.VideoFrame.from_ndarray(frames[k % len(frames)], format="rgb24")
            for packet in video.encode(picture):
                container.mux(packet)
            while sample < (k + 1) * RATE // FPS:  # the voice kept level with the picture
                start = sample % len(voice)
                chunk = voice[start : start + 1024][None]
                block = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk), format="fltp", layout="mono")
                block.sample_rate, block.pts = RATE, sample
                for packet in audio.encode(block):
                    container.mux(packet)
                sample += chunk.shape[1]
            if k % (60 * FPS) == 0:
                print(f"  writing: {k / FPS / 60:.0f} of {minutes:g} min", flush=True)
        for stream in (video, audio):
            for packet in stream.encode(None):
                container.mux(packet)
    return path


def loop_clip(segment: str, path: str, times: int) -> str:
    """`segment` repeated `times` times, its packets copied with shifted times (no re-encoding:
    an hour takes a minute to write, where encoding it takes longer than scoring it)."""
    with av.open(segment) as source:  # each stream's span, priming packets (pts < 0) included
        starts = {s.index: 0 for s in source.streams}
        ends = dict(starts)
        for p in source.demux():
            if p.pts is not None:
                starts[p.stream.index] = min(starts[p.stream.index], p.pts)
                ends[p.stream.index] = max(ends[p.stream.index], p.pts + (p.duration or 0))
        spans = {index: ends[index] - starts[index] for index in ends}
    with av.open(path, "w") as out:
        with av.open(segment) as source:
            streams = {s.index: out.add_stream_from_template(s) for s in source.streams}
        for k in range(times):
            with av.open(segment) as source:
                for p in source.demux():
                    if p.dts is None:
                        continue
                    index = p.stream.index
                    p.pts, p.dts = p.pts + k * spans[index], p.dts + k * spans[index]
                    p.stream = streams[index]
                    out.mux(p)
    return path


def measure(command: list[str]) -> tuple[float, float, str]:
    """(peak RSS in GB of the child, wall seconds, its stdout)."""
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - began
    if done.returncode:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return peak_kb / 1e6, wall, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--model", default="released/real_people/1")
    parser.add_argument("--shared", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
    parser.add_argument("--whole", action="store_true", help="the former whole-clip path instead")
    parser.add_argument("--keep", default="", help="write the clip here and keep it")
    args = parser.parse_args()
    print(runtime.describe_cpu())
    sources = sorted(glob.glob(os.path.join(args.shared, "data", "cremad", "VideoFlash", "*.flv")))
    if not sources:
        sys.exit(f"no CREMA-D clips under {args.shared}/data/cremad/VideoFlash")
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or os.path.join(tmp, f"long_{args.minutes:g}min.mp4")
        if not os.path.exists(path):
            began = time.perf_counter()
            if args.minutes > 1 and float(args.minutes).is_integer():  # one minute, looped
                segment = write_long_clip(os.path.join(tmp, "minute.mp4"), sources[0], 1)
                loop_clip(segment, path, int(args.minutes))
            else:
                write_long_clip(path, sources[0], args.minutes)
            print(f"clip: {args.minutes:g} min 1280x720 30 fps, {os.path.getsize(path) / 1e6:.0f} MB, "
                  f"written in {time.perf_counter() - began:.0f} s")
        if args.whole:
            command = [sys.executable, "-c", _WHOLE, args.model, path]
        else:
            command = [sys.executable, "-m", "mrpn_tf.predict", path, "--model", args.model, "--json"]
        peak, wall, out = measure(command)
        answer = json.loads(out.strip().splitlines()[-1])
        print(f"{'whole clip' if args.whole else 'predict'}: peak RSS {peak:.2f} GB, {wall:.0f} s wall "
              f"({args.minutes * 60 / wall:.1f}x real time), {len(answer['windows'])} windows, "
              f"answer {answer['label']} ({answer['branch']})")


if __name__ == "__main__":
    main()
