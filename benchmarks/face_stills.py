"""A face model on a folder of stills, as `predict` runs it: speed, and accuracy where the folder
names the classes.

    python benchmarks/face_stills.py --model released/fer2013_faces/1 \
        --folder ../shared/data/fer2013/validation [--limit N] [--threads 1]

Every image under FOLDER/<class>/ (or FOLDER itself) goes through `Predictor.predict_stills`,
the path of `python -m mrpn_tf.predict FOLDER`: decode (Pillow), detect and crop the face
(BlazeFace), then one model call per 64 stills. Printed: images per second for the loading
(decode + detect + crop) and for the model, the images refused, and - where the subfolders are
the model's class names (FER-2013's Kaggle layout) - the accuracy and per-class recall, which
for PublicTest must match the face run's own report (`summary.json`, "detector crops").
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from mrpn_tf.data.media import still_image
from mrpn_tf.inference import predictor as predictor_lib


def list_images(folder: str, limit: int) -> list[tuple[str, str]]:
    """(path, class folder or "") of the images under `folder`, in name order."""
    found = []
    for root, _, names in sorted(os.walk(folder)):
        label = os.path.relpath(root, folder) if root != folder else ""
        found += [(os.path.join(root, n), label) for n in sorted(names) if still_image.is_image(n)]
    if limit:
        found = found[:: max(1, len(found) // limit)][:limit]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="SavedModel folder or .tflite file")
    parser.add_argument("--folder", required=True)
    parser.add_argument("--limit", type=int, default=0, help="images at most, spread over the folder")
    parser.add_argument("--threads", type=int, default=None, help="TFLite interpreter threads")
    parser.add_argument("--face-model", default="")
    args = parser.parse_args()
    images = list_images(args.folder, args.limit)
    predictor = predictor_lib.Predictor.load(args.model, args.face_model, args.threads)
    paths = [p for p, _ in images]
    load_s = model_s = 0.0
    results = []
    for start in range(0, len(paths), predictor_lib.STILL_BATCH):
        t0 = time.perf_counter()
        loaded = predictor.load_stills(paths[start : start + predictor_lib.STILL_BATCH])
        t1 = time.perf_counter()
        results += predictor.score_stills(loaded)
        load_s, model_s = load_s + t1 - t0, model_s + time.perf_counter() - t1
    refused = [r for r in results if isinstance(r, Exception)]
    whole = sum(1 for r in results if not isinstance(r, Exception))
    print(f"{len(paths)} images from {args.folder}; model {args.model}")
    print(f"  load (decode + detect + crop): {len(paths) / load_s:8.1f} images/s")
    print(f"  model ({predictor_lib.STILL_BATCH} per call):       {whole / max(model_s, 1e-9):8.1f} images/s")
    print(f"  refused: {len(refused)}" + "".join(f"\n    {e}" for e in refused[:5]))
    labels = predictor.labels
    scored = [(label, [r.probabilities[c] for c in labels])
              for (_, label), r in zip(images, results) if not isinstance(r, Exception)]
    if scored and all(label in labels for label, _ in scored):
        truth = np.array([labels.index(label) for label, _ in scored])
        guess = np.array([int(np.argmax(r)) for _, r in scored])
        total = len([1 for _, label in images if label in labels])
        print(f"  accuracy: {np.mean(truth == guess):.2%} of the scored, "
              f"{np.sum(truth == guess) / total:.2%} counting refusals as wrong")
        for c, name in enumerate(labels):
            mask = truth == c
            if mask.any():
                print(f"    {name:9s} recall {np.mean(guess[mask] == c):.2%} ({mask.sum()})")


if __name__ == "__main__":
    main()
