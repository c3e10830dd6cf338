"""Real-time pacing on a fake clock: frames are held until due, late ones are not."""

import pytest

from mrpn_tf.stream.pacing import MAX_SKEW_S, RealtimePacer, time_ordered


class FakeClock:
    def __init__(self):
        self.now = 100.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_frames_are_released_at_start_plus_their_time():
    clock = FakeClock()
    pacer = RealtimePacer(clock, clock.sleep)
    assert pacer.wait(0.0) == 100.0 and clock.slept == []
    clock.now += 0.1  # 0.1 s of work
    assert pacer.wait(0.5) == pytest.approx(100.5)
    assert clock.slept == [pytest.approx(0.4)] and pacer.idle_s == pytest.approx(0.4)


def test_a_late_frame_is_not_held_and_keeps_its_due_time():
    clock = FakeClock()
    pacer = RealtimePacer(clock, clock.sleep)
    pacer.wait(0.0)
    clock.now += 2.0  # fell behind
    assert pacer.wait(1.0) == pytest.approx(101.0)  # due a second ago: the latency counts it
    assert clock.slept == [] and pacer.idle_s == 0.0


class _Frame:
    def __init__(self, kind, time):
        self.kind, self.time = kind, time


def test_streams_are_merged_in_time_order_as_devices_deliver_them():
    # A file whose muxer wrote the video a second ahead of the audio.
    file_order = [_Frame("video", t / 10) for t in range(10)] + [_Frame("audio", t / 10 + 0.05) for t in range(10)]
    merged = list(time_ordered(file_order, ["video", "audio"]))
    assert [f.time for f in merged] == sorted(f.time for f in file_order)


def test_a_stream_that_ended_early_holds_the_other_back_by_the_skew_at_most():
    frames = [_Frame("audio", 0.0)] + [_Frame("video", t / 10) for t in range(100)]  # audio ended
    read = []

    def file_order():
        for frame in frames:
            read.append(frame.time)
            yield frame

    released = []
    for frame in time_ordered(file_order(), ["video", "audio"]):
        assert max(read) - frame.time <= MAX_SKEW_S + 0.1 + 1e-9  # one frame of float slack
        released.append(frame)
    assert len(released) == len(frames)
