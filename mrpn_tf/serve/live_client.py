"""One client's live stream: stream's own `StreamSession` over the frames the client pushes.

The session (mrpn_tf/stream/session.py) runs in a thread of its own and does for the browser's
camera and microphone exactly what `python -m mrpn_tf.stream --camera ... --mic ...` does: fps
grid, face tracking, the rolling window, the scorer. Its answers go back to the client as they
come. When it falls behind (live_source.py), everything waiting is dropped, the client is
told which span was skipped, and a new session starts at the newest frame: its first answer
comes one window later. At the end the client gets stream's report of all its sessions.
"""

from __future__ import annotations

import math
import queue
import time
from typing import Callable, Optional

from mrpn_tf.data.media import model_store
from mrpn_tf.serve import live_protocol
from mrpn_tf.serve import live_source
from mrpn_tf.serve import shared_model
from mrpn_tf.stream import report as report_lib
from mrpn_tf.stream import scorer as scorer_lib
from mrpn_tf.stream import session as session_lib
from mrpn_tf.stream import source as source_lib

# Messages that may wait for the session: ~20 s of pictures at 16 fps and sound in 0.1-s
# chunks. Past it, new messages are refused (and skipped with the rest when the session next
# looks); the bound keeps a stalled session from holding a growing pile of pictures.
INBOX_MESSAGES = 512


class LiveClient:
    """A client's frames in, its answers out (module docstring).

    Args:
      model: the server's model.
      start: the streams the client sends.
      send: called from the session's thread with each message for the client; None last.
      max_lag_s: how long a frame may wait before the session skips ahead.
      name: the stream's name in messages.
    """

    def __init__(self, model: shared_model.SharedModel, start: live_protocol.Start,
                 send: Callable[[Optional[dict]], None], max_lag_s: float, name: str = "live"):
        heads = model.predictor.metadata["heads"]
        takes = {"v": start.video_fps is not None, "a": start.sample_rate is not None}
        if not any(takes.get(head) for head in heads):
            raise live_protocol.ProtocolError(
                f"this {model.predictor.metadata['network']} model takes "
                f"{' and '.join('video' if h == 'v' else 'audio' for h in heads)}, which the start "
                f"message does not send")
        self.model = model
        self.start = start
        self.send = send
        self.max_lag_s = max_lag_s
        self.name = name
        self.inbox: queue.Queue = queue.Queue(INBOX_MESSAGES)
        self.overflow_until = -math.inf  # the newest capture time refused on a full inbox
        self.total = report_lib.StreamReport(model.live_spec.hop_seconds, realtime=True)
        self.dropped_s = 0.0

    def push(self, chunk: live_protocol.Chunk) -> None:
        """Queues a message for the session; never blocks (a full inbox refuses it)."""
        try:
            self.inbox.put_nowait(live_source.Received(chunk, time.monotonic()))
        except queue.Full:
            self.overflow_until = max(self.overflow_until, chunk.time)

    def stop(self) -> None:
        """Ends the stream once the session has taken what waits before it."""
        while True:
            try:
                self.inbox.put_nowait(None)
                return
            except queue.Full:  # a stalled session: what waits is dropped anyway
                self._drain()

    def _drain(self) -> tuple[float, bool]:
        """Drops what waits; returns (the newest capture time dropped, whether it held the end)."""
        newest, ended = -math.inf, False
        while True:
            try:
                item = self.inbox.get_nowait()
            except queue.Empty:
                return newest, ended
            if item is None:
                ended = True
            else:
                newest = max(newest, item.chunk.time)

    def _on_hop(self, origin: float):
        def on_hop(result: scorer_lib.HopResult) -> None:
            answer = result.as_json()
            answer["t"], answer["start"] = round(origin + result.t, 6), round(origin + result.start, 6)
            self.send({"type": "hop", **answer, "dropped_s": round(self.dropped_s, 3)})
        return on_hop

    def _add(self, report: report_lib.StreamReport) -> None:
        total = self.total
        total.latencies_ms += report.latencies_ms
        total.score_ms += report.score_ms
        total.unscored += report.unscored
        total.fallbacks += report.fallbacks
        for field in ("media_s", "wall_s", "idle_s", "cpu_s"):
            setattr(total, field, getattr(total, field) + getattr(report, field))

    def _skip(self, behind: live_source.Behind) -> tuple[float, bool]:
        """Drops what waits after a session fell behind; returns (where to resume, ended)."""
        newest, ended = self._drain()
        resume = max(behind.time_s, newest, self.overflow_until)
        self.dropped_s += resume - behind.time_s
        self.send({"type": "dropped", "from_s": round(behind.time_s, 3), "to_s": round(resume, 3),
                   "seconds": round(resume - behind.time_s, 3), "total_s": round(self.dropped_s, 3),
                   "reason": f"the server was {behind.lag_s:.1f} s behind the stream; it skipped "
                             f"to the newest frames (the window restarts there)"})
        return resume, ended

    def run(self) -> None:
        """Runs sessions until the client stops; sends the report, or the error that ended it."""
        resume, ended = 0.0, False
        try:
            while not ended:
                source = live_source.PushSource(self.name, self.start, self.inbox, self.max_lag_s, resume)
                session = session_lib.StreamSession(
                    self.model.predictor, source, self.model.live_spec, self._on_hop(resume), warm_up=False
                )
                try:
                    self._add(session.run())
                    ended = True
                except live_source.Behind as behind:
                    self._add(session.report)
                    resume, ended = self._skip(behind)
            self.send({"type": "report", **self.total.as_json(), "dropped_s": round(self.dropped_s, 3)})
        except (source_lib.SourceError, model_store.ModelUnavailableError, ValueError) as e:
            self.send({"type": "error", "error": str(e)})
        finally:
            self.send(None)
