"""`--annotate`: phone clips written upright.

The tiny exported N2 and clips of a real CREMA-D face (conftest.py, stream_media.py).
"""

from __future__ import annotations

import av
import numpy as np
import pytest

from mrpn_tf.inference import predictor as predictor_lib
from mrpn_tf.stream import session as session_lib
from mrpn_tf.stream import source as source_lib
from tests.stream import stream_media


def _run(predictor, path, annotate):
    hops = []
    session = session_lib.StreamSession(
        predictor, source_lib.FileSource(path), session_lib.stream_spec(predictor, None), hops.append, annotate
    )
    session.run()
    return hops


def _frames(path: str) -> np.ndarray:
    with av.open(path) as container:
        return np.stack([frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)])


@pytest.fixture(scope="module")
def phone_clips(clips, tmp_path_factory) -> dict[int, str]:
    """The real face as a 144 x 192 portrait, stored upright (0) and turned 1, 2, 3 quarters."""
    frames, audio = stream_media.portrait(clips["flv"])
    folder = tmp_path_factory.mktemp("phone")
    return {q: stream_media.write_turned(str(folder / f"turned{q}.mp4"), frames, audio, q) for q in range(4)}


def test_a_phone_clip_stored_sideways_is_annotated_upright(predictor, phone_clips, clips, tmp_path):
    # The turned clips decode to the upright clip's pixels (lossless), so their annotated
    # copies must be the upright clip's, frame for frame, and their scores the same.
    upright_hops = _run(predictor, phone_clips[0], str(tmp_path / "upright.mp4"))
    upright = _frames(str(tmp_path / "upright.mp4"))
    source, _ = stream_media.portrait(clips["flv"])
    assert upright.shape == source.shape == (34, 192, 144, 3)  # height 192, width 144: portrait
    below_panel = (slice(None), slice(96, None), slice(72, None))
    assert np.abs(upright[below_panel].astype(int) - source[below_panel]).mean() < 8  # the picture, upright
    assert np.abs(upright[below_panel].astype(int) - source[:, ::-1, ::-1][below_panel]).mean() > 20
    assert [h.t for h in upright_hops] == pytest.approx([2.0, 2.25])  # a window, then the tail
    for quarters in (1, 2, 3):
        out = str(tmp_path / f"turned{quarters}.mp4")
        hops = _run(predictor, phone_clips[quarters], out)
        np.testing.assert_array_equal(_frames(out), upright)
        assert [(h.t, h.label, h.branch, h.face) for h in hops] == [(h.t, h.label, h.branch, h.face)
                                                                     for h in upright_hops]
        for hop, reference in zip(hops, upright_hops):
            np.testing.assert_allclose(list(hop.probabilities.values()), list(reference.probabilities.values()),
                                       atol=1e-6)
    assert upright_hops[0].face and upright_hops[0].branch == predictor_lib.CENTRAL

