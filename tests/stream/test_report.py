"""The end-of-run report: latency percentiles, real-time factor, kept up or not."""

import pytest

from mrpn_tf.stream.report import StreamReport
from mrpn_tf.stream.scorer import HopResult


def _hop(latency_ms, label="happy", fallback=False):
    return HopResult(t=2.0, start=0.0, label=label, probabilities=None, face=True, face_ratio=1.0,
                     branch="", fallback=fallback, latency_ms=latency_ms, score_ms=latency_ms / 2)


def _report(latencies, media_s=10.0, wall_s=10.5, idle_s=8.0, hop_s=0.5):
    report = StreamReport(hop_s, realtime=True, media_s=media_s, wall_s=wall_s, idle_s=idle_s)
    for latency in latencies:
        report.add(_hop(latency))
    return report


def test_percentiles_and_real_time_factor():
    report = _report([10.0 * i for i in range(1, 21)])
    summary = report.as_json()
    assert summary["hops"] == 20 and summary["latency_ms"]["max"] == 200.0
    assert summary["latency_ms"]["p50"] == pytest.approx(105.0)
    assert summary["latency_ms"]["p95"] == pytest.approx(190.5)
    assert summary["real_time_factor"] == pytest.approx(0.25)  # 2.5 s busy for 10 s of stream
    assert summary["kept_up"] and "kept up with real time" in report.format_text()


def test_a_hop_later_than_the_next_one_or_a_slow_machine_did_not_keep_up():
    assert not _report([10.0, 600.0]).kept_up  # an answer came after the next hop was due
    assert not _report([10.0], wall_s=12.0, idle_s=0.0).kept_up  # 1.2 s of work per second
    assert "did NOT keep up" in _report([10.0], wall_s=12.0, idle_s=0.0).format_text()


def test_unscored_and_fallback_hops_are_counted():
    report = StreamReport(2.0, realtime=False)
    report.add(_hop(5.0, label=None))
    report.add(_hop(5.0, fallback=True))
    assert report.unscored == 1 and report.fallbacks == 1
    assert "1 hop(s) scored by a side head, 1 not scored" in report.format_text()
