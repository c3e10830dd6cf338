"""The overlay draws in its corner panel only, at any frame size, in every state."""

import numpy as np
import pytest

from mrpn_tf.stream import overlay
from mrpn_tf.stream.scorer import HopResult

LABELS = ["neutral", "happy", "sad", "angry"]


def _result(**kwargs):
    probabilities = {"neutral": 0.1, "happy": 0.6, "sad": 0.2, "angry": 0.1}
    fields = dict(t=2.0, start=0.0, label="happy", probabilities=probabilities, face=True, face_ratio=1.0,
                  branch="central branch", fallback=False)
    return HopResult(**{**fields, **kwargs})


@pytest.mark.parametrize("height, width", [(240, 320), (1080, 1920), (120, 90)])
@pytest.mark.parametrize("state", ["listening", "answer", "fallback", "error"])
def test_only_the_panel_changes(height, width, state):
    results = {
        "listening": None,
        "answer": _result(),
        "fallback": _result(face=False, face_ratio=0.0, branch="a side head", fallback=True,
                            note="no face detected in any frame: scored by the a side head (N2)"),
        "error": _result(label=None, probabilities=None, error="no face, and this N0 model has no side head"),
    }
    image = np.full((height, width, 3), 200, np.uint8)
    overlay.draw(image, results[state], LABELS, first_answer_s=2.0)
    changed = np.argwhere((image != 200).any(axis=2))
    assert len(changed) > 0
    assert changed[:, 0].max() < height * 0.75 and changed[:, 1].max() < max(width * 0.6, 120)
    assert (image[-1, -1] == 200).all()
