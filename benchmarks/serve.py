"""The web app's live streams: latency per answer, and how many clients one machine holds.

    python benchmarks/serve.py [--model released/real_people/1] [--hop 1] [--seconds 20] [--max-clients 6]

`python -m mrpn_tf.serve` runs in a process of its own, as a user starts it. This process
plays 1, 2, 3, ... browsers at once: each opens the live WebSocket and sends what the page
sends - the real CREMA-D clips of ../shared joined into one stream, as JPEG pictures (quality
0.85, twice the model's frame rate) and 0.1-s chunks of 48-kHz PCM16 - at the pace of a
camera and a microphone, for `--seconds`. The pictures are encoded before the clock starts,
so the clients cost the machine little beside the server.

Per number of clients: the latency of each answer (the server's own, from the window's last
frame arriving to the answer; p50 / p95 / max over all clients), answers per client, seconds
of stream dropped because the server fell behind (live_source.py), and whether they were held
in real time: no stream dropped and every answer before the next was due (latency below the
hop). The last line: the most clients held. The CPU line of `runtime.describe_cpu()` first.
"""

from __future__ import annotations

import argparse
import glob
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time

import numpy as np
from PIL import Image
from websockets.sync import client as ws_client

from mrpn_tf import runtime
from mrpn_tf.data.media import decode
from mrpn_tf.serve import live_protocol

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("MRPN_SHARED", os.path.join(REPO, "..", "shared"))
AUDIO_RATE = 48000  # what a browser's AudioContext captures at
CHUNK_S = 0.1  # the page's chunk of sound


def client_messages(fps: float) -> list[tuple[float, bytes]]:
    """The CREMA-D clips joined, as the page sends them: (due time, message), in time order."""
    paths = sorted(glob.glob(os.path.join(SHARED, "data", "cremad", "VideoFlash", "*.flv")))
    if not paths:
        sys.exit(f"no CREMA-D clips under {SHARED}/data/cremad/VideoFlash")
    clips = [decode.decode_clip(p, fps, AUDIO_RATE, max_frame_side=640) for p in paths]
    messages = []
    for i, frame in enumerate(f for clip in clips for f in clip.frames):
        out = io.BytesIO()
        Image.fromarray(frame).save(out, format="JPEG", quality=85)
        messages.append((i / fps, live_protocol.pack(live_protocol.VIDEO, i / fps, out.getvalue())))
    pcm = np.concatenate([np.resize(c.pcm16, int(round(len(c.frames) / fps * AUDIO_RATE))) for c in clips])
    step = int(CHUNK_S * AUDIO_RATE)
    for start in range(0, len(pcm) - step + 1, step):
        t = start / AUDIO_RATE
        messages.append((t + CHUNK_S, live_protocol.pack(live_protocol.AUDIO, t, pcm[start : start + step].tobytes())))
    return sorted(messages, key=lambda m: m[0])


def play(url: str, start: dict, messages: list, seconds: float, out: dict) -> None:
    """One browser: streams the messages in a loop at their pace for `seconds`, then stops."""
    answers, dropped = [], []
    with ws_client.connect(url, max_size=2**22) as ws:
        ws.send(json.dumps(start))
        ready = json.loads(ws.recv())
        if ready["type"] != "ready":
            out["error"] = ready.get("error", ready)
            return

        def receive():
            for text in ws:
                message = json.loads(text)
                (answers if message["type"] == "hop" else dropped if message["type"] == "dropped" else [])\
                    .append(message)
                if message["type"] in ("report", "error"):
                    out["end"] = message
                    return

        reader = threading.Thread(target=receive, daemon=True)
        reader.start()
        length = messages[-1][0] + 1e-3
        began, loop = time.monotonic(), 0
        while True:
            for due, message in messages:
                t = loop * length + due
                if t > seconds:
                    break
                time.sleep(max(0.0, began + t - time.monotonic()))
                ws.send(_shifted(message, loop * length))
            else:
                loop += 1
                continue
            break
        ws.send(json.dumps({"type": "stop"}))
        reader.join(timeout=120)
    out.update(answers=answers, dropped=dropped)


def _shifted(message: bytes, offset: float) -> bytes:
    """The message with its capture time moved on by `offset` (the next loop of the clips)."""
    kind, t = live_protocol.HEADER.unpack_from(message)
    return live_protocol.HEADER.pack(kind, t + offset) + message[live_protocol.HEADER.size:]


def run_level(url: str, clients: int, start: dict, messages: list, seconds: float, hop_s: float) -> bool:
    """`clients` browsers at once; prints their figures; returns whether all were held."""
    outs = [{} for _ in range(clients)]
    threads = [threading.Thread(target=play, args=(url, start, messages, seconds, out)) for out in outs]
    for thread in threads:
        thread.start()
        time.sleep(0.3)  # people do not press Start in the same millisecond
    for thread in threads:
        thread.join()
    errors = [out["error"] for out in outs if "error" in out]
    latencies = [a["latency_ms"] for out in outs for a in out.get("answers", [])]
    dropped = sum(out.get("end", {}).get("dropped_s", 0.0) for out in outs)
    if errors or not latencies:
        print(f"{clients} client(s): refused or no answer ({errors})")
        return False
    p50, p95, worst = np.percentile(latencies, 50), np.percentile(latencies, 95), max(latencies)
    held = dropped == 0 and worst < 1000 * hop_s
    answers = [len(out.get("answers", [])) for out in outs]
    print(f"{clients} client(s): latency per answer p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {worst:.0f} ms; "
          f"answers per client {min(answers)}-{max(answers)}; dropped {dropped:.1f} s of stream; "
          f"{'held in real time' if held else 'NOT held in real time'}", flush=True)
    return held


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=os.path.join(REPO, "released", "real_people", "1"))
    parser.add_argument("--hop", type=float, default=1.0, help="seconds between live answers")
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds each level streams")
    parser.add_argument("--max-clients", type=int, default=6)
    parser.add_argument("--face-model", default=os.path.join(SHARED, "models", "face_detection_short_range.tflite"))
    args = parser.parse_args()
    print(f"CPU: {runtime.describe_cpu()}")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "mrpn_tf.serve", "--model", args.model, "--port", str(port), "--hop", str(args.hop),
         "--max-live", str(args.max_clients), "--face-model", args.face_model],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONPATH": REPO + os.pathsep + os.environ.get("PYTHONPATH", "")})
    try:
        line = server.stdout.readline()
        while line and not line.startswith("serving"):
            line = server.stdout.readline()
        if not line:
            sys.exit("the server did not start")
        url = f"ws://127.0.0.1:{port}/api/live"
        with ws_client.connect(url) as probe:  # the model's rate, as the page asks for it
            probe.send(json.dumps({"type": "start", "audio": {"sample_rate": AUDIO_RATE}}))
            info = json.loads(probe.recv())
        fps = min(30.0, 2 * info["fps"])
        messages = client_messages(fps)
        print(f"model {info['model']} ({info['network']}); window {info['window_s']:g} s, hop {info['hop_s']:g} s; "
              f"each client sends {fps:g} JPEG pictures/s and 48-kHz sound for {args.seconds:g} s "
              f"(6 CREMA-D clips, 480x360, looped)")
        start = {"type": "start", "video": {"fps": fps}, "audio": {"sample_rate": AUDIO_RATE}}
        held = 0
        for clients in range(1, args.max_clients + 1):
            if not run_level(url, clients, start, messages, args.seconds, info["hop_s"]):
                break
            held = clients
        print(f"live clients held in real time: {held}")
    finally:
        server.terminate()
        server.wait(timeout=60)


if __name__ == "__main__":
    main()
