"""`python -m mrpn_tf.studies.real_clips`: every head's answer on real clips, against the truth.

    python -m mrpn_tf.studies.real_clips ../shared/data/cremad/VideoFlash \
        --model released/real_people/1 --out results/real_people/cremad_clips

Each file is scored as `predict` scores it, and for a clip with a face and a voice each head
answers on its own: the fusion (va), the face side head on the picture alone (v) and the
voice side head on the sound alone (a) (`Predictor.predict_heads`). The truth is read from
the file name (CREMA-D `AAAA_SSS_EEE_II.flv`, RAVDESS `MM-VC-EE-...`), as the dataset's
emotion name; one the model has no class for (CREMA-D has no "surprised", the shared labels
no "calm") is shown and counted as a miss. Written: `<out>.md`, a table per clip with each
head's answer and the probability it gives the truth, and `<out>.json`, the same with every
class's probability. A few clips give no accuracy; they show whether faces in video frames
and voices in another corpus are read as the training corpora were.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Optional, Sequence

from mrpn_tf.data.datasets import cremad
from mrpn_tf.data.datasets import manifest
from mrpn_tf.data.datasets import ravdess

HEADS = ("va", "v", "a")


def truth_of(path: str) -> str:
    """The emotion a CREMA-D or RAVDESS file name gives (its dataset's emotion name).

    Raises:
      manifest.ClipNameError: neither naming fits.
    """
    try:
        return cremad.EMOTIONS[cremad.EMOTION_CODES.index(cremad.parse_codes(path).emotion)]
    except manifest.ClipNameError:
        return ravdess.EMOTIONS[int(ravdess.parse_codes(path).emotion) - 1]


def score_clips(predictor, paths: Sequence[str]) -> list[dict[str, Any]]:
    """Per clip: path, truth, and per head its label, the truth's probability, every
    probability and the branch that answered (`Predictor.predict_heads`)."""
    rows = []
    for path in paths:
        answers = predictor.predict_heads(predictor.load_file(path))
        truth = truth_of(path)
        rows.append({
            "path": path,
            "truth": truth,
            "heads": {head: {"label": a.label, "p_truth": a.probabilities.get(truth),
                             "probabilities": a.probabilities, "branch": a.branch,
                             "note": a.note}
                      for head, a in answers.items()},
        })
    return rows


def to_markdown(rows: Sequence[dict[str, Any]], model: str) -> str:
    """One line per clip: the truth, then each head's answer (p of the truth), ✓ when right."""
    heads = [h for h in HEADS if any(h in row["heads"] for row in rows)]
    lines = [f"**Every head's answer on real clips** (model `{model}`)", "",
             "| clip | truth | " + " | ".join(heads) + " |",
             "|---|---|" + "---|" * len(heads)]
    right = {h: 0 for h in heads}
    for row in rows:
        cells = []
        for head in heads:
            answer = row["heads"].get(head)
            if answer is None:
                cells.append("–")
                continue
            hit = answer["label"] == row["truth"]
            right[head] += hit
            p = answer["p_truth"]
            p_text = "no such class" if p is None else f"p(truth) {p:.2f}"
            cells.append(f"{answer['label']}{' ✓' if hit else ''} ({p_text})")
        lines.append(f"| {os.path.basename(row['path'])} | {row['truth']} | " + " | ".join(cells) + " |")
    lines.append("| right | | " + " | ".join(f"{right[h]} / {len(rows)}" for h in heads) + " |")
    return "\n".join(lines) + "\n"


def write(rows: Sequence[dict[str, Any]], model: str, out: str) -> dict[str, str]:
    """Writes `<out>.md` and `<out>.json`; returns their paths."""
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    paths = {"md": f"{out}.md", "json": f"{out}.json"}
    with open(paths["md"], "w") as f:
        f.write(to_markdown(rows, model))
    with open(paths["json"], "w") as f:
        json.dump({"model": model, "clips": list(rows)}, f, indent=1)
    return paths


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mrpn_tf.studies.real_clips",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", help="clips or folders of clips (CREMA-D or RAVDESS names)")
    parser.add_argument("--model", required=True, help="SavedModel folder or .tflite file")
    parser.add_argument("--out", required=True, help="output prefix (writes .md and .json)")
    parser.add_argument("--face-model", default="", help="BlazeFace .tflite")
    args = parser.parse_args(argv)
    from mrpn_tf import files
    from mrpn_tf.inference import predictor as predictor_lib

    paths = files.expand_paths(args.files)
    predictor = predictor_lib.Predictor.load(args.model, args.face_model)
    rows = score_clips(predictor, paths)
    written = write(rows, args.model, args.out)
    print(open(written["md"]).read())
    print(f"wrote {written['md']} and {written['json']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
