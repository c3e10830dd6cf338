"""One scoring path: what `evaluate` reports per clip is what `predict` answers for that clip.

`evaluation.predict_split` (evaluate, summary.json, crossval) runs the run's model.keras on
the prepared records; `Predictor.predict_clip` runs an export (the SavedModel's signatures,
or a .tflite window model behind `raw_to_features`). Both must give each clip the same
probabilities: the same windows, the same per-window preprocessing, the same mean.
"""

from __future__ import annotations

import numpy as np
import pytest

from mrpn_tf.data import features
from mrpn_tf.inference import clip_loader
from mrpn_tf.inference import predictor as predictor_lib
from mrpn_tf.inference import window_scoring
from mrpn_tf.inference import windowing
from mrpn_tf.training import evaluation

# Every actor of the tiny run (conftest.py): clips of 1.5 s (shorter than a window, padded),
# 2.0 s (one window) and 2.5 s (two overlapping windows).
ACTORS = list(range(1, 9))


@pytest.fixture(scope="module")
def evaluated(tiny_run, trained) -> evaluation.Predictions:
    return evaluation.predict_split(trained, tiny_run.config, actors=ACTORS)


@pytest.fixture(scope="module")
def raw_clips(tiny_run) -> list[window_scoring.RawClip]:
    return list(window_scoring.split_clips(tiny_run.config, "val", actors=ACTORS))


def test_the_clips_span_one_and_several_windows(raw_clips, tiny_run):
    spec = windowing.window_spec(tiny_run.config)
    counts = [
        len(windowing.window_starts(windowing.clip_duration(c.frames, c.waveform, spec), spec))
        for c in raw_clips
    ]
    assert len(raw_clips) == len(ACTORS) and set(counts) == {1, 2}
    assert min(len(c.frames) for c in raw_clips) < spec.frames  # a padded window too


@pytest.mark.parametrize("backend", ["savedmodel", "tflite_fp32"])
def test_evaluate_equals_predict_clip_per_clip(backend, exported, evaluated, raw_clips):
    predictor = predictor_lib.Predictor.load(exported[backend], num_threads=1)
    predicted = np.array([
        list(predictor.predict_clip(clip_loader.LoadedClip(f"clip{i}", c.frames, c.waveform)).probabilities.values())
        for i, c in enumerate(raw_clips)
    ])
    assert evaluated.labels.tolist() == [c.label for c in raw_clips]
    np.testing.assert_allclose(evaluated.probabilities[features.VA], predicted, atol=1e-5)
    # Not a tie that any two scorings would pass: the clips' answers differ from each other.
    assert np.ptp(predicted, axis=0).max() > 1e-2


def test_evaluated_side_heads_equal_predict_without_the_other_stream(exported, evaluated, raw_clips):
    # A clip missing a stream goes to a side head in predict; evaluate reports both side heads
    # of every clip: the same windows of the one stream, so the same probabilities.
    predictor = predictor_lib.Predictor.load(exported["savedmodel"])
    for head, keep in ((features.V, "frames"), (features.A, "waveform")):
        predicted = []
        for i, c in enumerate(raw_clips):
            clip = clip_loader.LoadedClip(
                f"clip{i}", c.frames if keep == "frames" else None, c.waveform if keep == "waveform" else None
            )
            result = predictor.predict_clip(clip)
            assert result.branch == f"{head} side head"
            predicted.append(list(result.probabilities.values()))
        np.testing.assert_allclose(evaluated.probabilities[head], np.array(predicted), atol=1e-5)
