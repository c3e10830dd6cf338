"""`python -m mrpn_tf.studies.paired_clips`: a face and a voice of one label as a video file.

    python -m mrpn_tf.studies.paired_clips --model savedmodels/real_people_fold1/1 \
        --fer ../shared/data/fer2013 --usage PublicTest \
        --voices ../shared/data/ravdess-speech/Actor_01 ../shared/data/ravdess-speech/Actor_02 \
        --out results/real_people/paired_clips_fold1

The held-out test of a model of real people pairs a FER-2013 face with a RAVDESS voice of the
same label in one ordinary video: the face still for the length of the speech, the speech as
its sound. This writes such videos (H.264 + AAC .mp4, the face resized to `--side` pixels,
15 fps) for every voice file given, each with a face of its label drawn from the FER split
(`--seed`), and scores them as `predict` does, every head on its own
(`Predictor.predict_heads`): the faces go through the detector and crop of a video frame, the
voice through the resampler, so the number says what a user's file of this kind gets. The
labels and each corpus's map onto them are the model's own (its run config).

Written: `<out>.md` (accuracy of each head, and the share scored by a side head because no
face was found) and `<out>.json` (per clip: voice, face, truth, each head's answer).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from typing import Any, Optional, Sequence

import numpy as np

VIDEO_FPS = 15.0


def voice_files(paths: Sequence[str]) -> list[str]:
    """The RAVDESS speech files named or inside the folders named, sorted."""
    found = []
    for path in paths:
        if os.path.isdir(path):
            found += [os.path.join(path, n) for n in os.listdir(path) if n.endswith(".wav")]
        else:
            found.append(path)
    return sorted(found)


def write_clip(path: str, face: np.ndarray, pcm16: np.ndarray, sample_rate: int, side: int) -> str:
    """A still grey face [48, 48] resized to `side`, for the voice's length, as an .mp4."""
    from PIL import Image

    from mrpn_tf.data.media import encode

    image = Image.fromarray(face, mode="L").resize((side, side), Image.BICUBIC).convert("RGB")
    frames_count = max(1, int(round(len(pcm16) / sample_rate * VIDEO_FPS)))
    frames = np.repeat(np.asarray(image)[None], frames_count, axis=0)
    audio = pcm16.astype(np.float32) / 32768.0
    return encode.write_media(path, frames, VIDEO_FPS, audio, sample_rate)


def make_clips(predictor, fer_root: str, usage: str, voices: Sequence[str], out_dir: str,
               side: int, seed: int) -> list[dict[str, Any]]:
    """Writes one .mp4 per voice (a face of the voice's label from `usage`); returns, per clip,
    its path, voice, face source and truth (the model's label)."""
    from mrpn_tf.data.datasets import fer2013 as fer_data
    from mrpn_tf.data.datasets import label_sets
    from mrpn_tf.data.datasets import ravdess
    from mrpn_tf.data.media import decode

    data = predictor.config.data
    labels = label_sets.run_labels(data)
    faces = fer_data.read_fer2013(fer_root)[usage]
    face_label = label_sets.label_ids(data, "fer2013")[faces.labels]
    voice_label = label_sets.label_ids(data, "ravdess")
    rng = np.random.default_rng(seed)
    clips = []
    for voice in voices:
        label = int(voice_label[int(ravdess.parse_codes(voice).emotion) - 1])
        if label == label_sets.DROPPED:
            continue
        candidates = np.flatnonzero(face_label == label)
        chosen = int(rng.choice(candidates))
        pcm16 = decode.decode_audio(voice, 16000).reshape(-1)
        name = f"{os.path.splitext(os.path.basename(voice))[0]}+{usage}_{chosen:05d}.mp4"
        path = write_clip(os.path.join(out_dir, name), faces.images[chosen], pcm16, 16000, side)
        clips.append({"path": path, "voice": voice, "face": faces.sources[chosen],
                      "truth": labels[label]})
    return clips


def score(predictor, clips: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Each head's answers on the clips and its accuracy (over the clips it answered)."""
    from tqdm import tqdm

    for clip in tqdm(clips, desc="paired clips", unit="clip"):
        answers = predictor.predict_heads(predictor.load_file(clip["path"]))
        clip["answers"] = {head: {"label": a.label, "branch": a.branch, "note": a.note}
                           for head, a in answers.items()}
    heads = {}
    for head in ("va", "v", "a"):
        answered = [c for c in clips if head in c["answers"]]
        if answered:
            right = sum(c["answers"][head]["label"] == c["truth"] for c in answered)
            heads[head] = {"accuracy": right / len(answered), "clips": len(answered)}
    # A clip whose face was not found is scored by the audio side head alone (predict's way):
    # predict's answer is va where there is a face, a elsewhere.
    no_face = sum("va" not in c["answers"] for c in clips)
    answered = [c["answers"].get("va", c["answers"].get("a")) for c in clips]
    right = sum(a is not None and a["label"] == c["truth"] for a, c in zip(answered, clips))
    heads["predict"] = {"accuracy": right / len(clips) if clips else 0.0, "clips": len(clips)}
    return {"heads": heads, "clips": len(clips), "scored_without_face": no_face}


def to_markdown(result: dict[str, Any], model: str, usage: str, side: int) -> str:
    lines = [f"**A still FER-2013 {usage} face ({side} px) with a RAVDESS voice of its label, "
             f"as .mp4 files through predict** (model `{model}`)", "",
             "| head | accuracy | clips |", "|---|---:|---:|"]
    names = {"predict": "predict's answer (va, or a where no face was found)"}
    for head, stats in result["heads"].items():
        lines.append(f"| {names.get(head, head)} | {100 * stats['accuracy']:.1f}% | {stats['clips']} |")
    lines += ["", f"{result['scored_without_face']} of {result['clips']} clips had no face found "
                  "and were scored by the audio side head (predict's fallback)."]
    return "\n".join(lines) + "\n"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mrpn_tf.studies.paired_clips",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="export of a run of paired corpora")
    parser.add_argument("--fer", required=True, help="FER-2013 folder or CSV")
    parser.add_argument("--usage", default="PublicTest", help="FER split of the faces")
    parser.add_argument("--voices", nargs="+", required=True, help="RAVDESS .wav files or folders")
    parser.add_argument("--out", required=True, help="output prefix (.md, .json)")
    parser.add_argument("--side", type=int, default=48, help="face size in the video (px)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--clips-dir", default="", help="keep the .mp4 files here (default: a temp dir)")
    parser.add_argument("--face-model", default="")
    args = parser.parse_args(argv)
    from mrpn_tf.inference import predictor as predictor_lib

    predictor = predictor_lib.Predictor.load(args.model, args.face_model)
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = args.clips_dir or tmp
        os.makedirs(out_dir, exist_ok=True)
        clips = make_clips(predictor, args.fer, args.usage, voice_files(args.voices), out_dir,
                           args.side, args.seed)
        result = score(predictor, clips)
    result["clips_detail"] = clips
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    text = to_markdown(result, args.model, args.usage, args.side)
    with open(f"{args.out}.md", "w") as f:
        f.write(text)
    with open(f"{args.out}.json", "w") as f:
        json.dump(result, f, indent=1)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
