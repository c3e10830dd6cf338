"""The live face track: prepare's per-frame steps run forward, frame by frame."""

import numpy as np
import pytest

from mrpn_tf.data.media import face_track
from mrpn_tf.data.media.face_detector import Detection
from mrpn_tf.data.media.live_face_track import LiveFaceTrack

SIZE = (320, 240)


def _det(x0, y0, side, score=0.9):
    return Detection(x0, y0, x0 + side, y0 + side, score)


def _run(track, detections):
    return [track.update(faces, SIZE) for faces in detections]


def test_without_smoothing_it_gives_prepares_boxes_when_the_face_is_always_found():
    # One face, found in every frame, moving: the clip track and the live track agree exactly.
    detections = [[_det(100 + 3 * t, 60 + t, 80 + t), _det(10, 10, 20)] for t in range(12)]
    boxes, _ = face_track.select_track(detections, SIZE)
    expected = face_track.square_with_margin(face_track.smooth(boxes, 1.0), 0.25)
    live = _run(LiveFaceTrack(smoothing=1.0, margin=0.25, reanchor_after=4), detections)
    np.testing.assert_array_equal(np.stack([f.box for f in live]), expected)
    assert all(f.detected for f in live)


def test_smoothing_is_the_forward_half_of_prepares():
    detections = [[_det(100 + 5 * t, 60, 80)] for t in range(8)]
    raw = np.stack([face_track.detection_box(faces[0]) for faces in detections])
    forward = raw.copy()
    for t in range(1, len(raw)):
        forward[t] = face_track.ema_step(forward[t - 1], raw[t], 0.5)
    live = _run(LiveFaceTrack(smoothing=0.5, margin=0.25, reanchor_after=4), detections)
    np.testing.assert_allclose(np.stack([f.box for f in live]), face_track.square_with_margin(forward, 0.25))


def test_no_box_before_the_first_face_then_held_through_misses():
    detections = [[], [], [_det(100, 60, 80)], [], [], [_det(102, 60, 80)]]
    live = _run(LiveFaceTrack(smoothing=1.0, margin=0.0, reanchor_after=10), detections)
    assert [f.box is None for f in live] == [True, True, False, False, False, False]
    assert [f.detected for f in live] == [False, False, True, False, False, True]
    np.testing.assert_array_equal(live[4].box, live[2].box)  # held, not moved


def test_another_face_is_ignored_while_the_tracked_one_is_in_view():
    detections = [[_det(100, 60, 80)], [_det(101, 60, 80), _det(220, 20, 90, score=0.99)]]
    live = _run(LiveFaceTrack(smoothing=1.0, margin=0.0, reanchor_after=1), detections)
    assert live[1].box[0] == pytest.approx(101)


def test_the_track_restarts_on_a_face_elsewhere_only_after_the_patience():
    elsewhere = _det(220, 20, 60)
    detections = [[_det(60, 60, 80)]] + [[elsewhere]] * 4
    live = _run(LiveFaceTrack(smoothing=1.0, margin=0.0, reanchor_after=3), detections)
    assert [f.detected for f in live] == [True, False, False, True, True]
    assert [f.box[0] for f in live] == [60, 60, 60, 220, 220]


def test_patience_must_be_positive():
    with pytest.raises(ValueError, match="reanchor_after=0"):
        LiveFaceTrack(0.5, 0.25, reanchor_after=0)
