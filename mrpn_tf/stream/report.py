"""What a stream run reports at its end: the per-hop latency distribution and whether it kept up.

- latency of a hop: from the arrival of the window's last frame or sample (its due time when
  a file is paced in real time, its capture for a device) to the answer - what a viewer
  waits after the window closes;
- real-time factor: busy seconds (wall time less the waits for frames to arrive) per second
  of stream; below 1, the machine processes the stream faster than it comes. The process's
  CPU seconds are given beside it: busy seconds well above them mean the process waited for
  a CPU that other jobs held;
- kept up: the real-time factor is below 1 and every answer came before the next hop was due
  (latency below the hop), so no backlog ever built up.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import numpy as np

from mrpn_tf.stream.scorer import HopResult

PERCENTILES = (50, 95)


@dataclasses.dataclass
class StreamReport:
    """The figures of one run (module docstring)."""

    hop_s: float
    realtime: bool  # frames were paced (or came from devices) rather than read at full speed
    latencies_ms: list[float] = dataclasses.field(default_factory=list)
    score_ms: list[float] = dataclasses.field(default_factory=list)
    unscored: int = 0  # hops that could not be scored
    fallbacks: int = 0  # hops a side head scored
    media_s: float = 0.0
    wall_s: float = 0.0
    idle_s: float = 0.0
    cpu_s: float = 0.0  # CPU seconds of the process (all its threads) during the run

    def add(self, result: HopResult) -> None:
        """Counts one hop."""
        self.latencies_ms.append(result.latency_ms)
        self.score_ms.append(result.score_ms)
        self.unscored += result.label is None
        self.fallbacks += result.fallback

    @property
    def hops(self) -> int:
        return len(self.latencies_ms)

    @property
    def busy_s(self) -> float:
        return max(self.wall_s - self.idle_s, 0.0)

    @property
    def real_time_factor(self) -> Optional[float]:
        return self.busy_s / self.media_s if self.media_s > 0 else None

    @property
    def kept_up(self) -> bool:
        rtf = self.real_time_factor
        return rtf is not None and rtf < 1.0 and max(self.latencies_ms, default=0.0) < 1000 * self.hop_s

    def percentiles(self, values: list[float]) -> dict[str, float]:
        """{"p50": .., "p95": .., "max": ..} of `values` (empty: {})."""
        if not values:
            return {}
        out = {f"p{q}": float(np.percentile(values, q)) for q in PERCENTILES}
        out["max"] = float(max(values))
        return out

    def as_json(self) -> dict:
        """The summary as a JSON-ready dict."""
        rtf = self.real_time_factor
        return {
            "hops": self.hops, "hop_s": self.hop_s, "unscored": self.unscored, "fallbacks": self.fallbacks,
            "latency_ms": self.percentiles(self.latencies_ms), "score_ms": self.percentiles(self.score_ms),
            "media_s": round(self.media_s, 3), "wall_s": round(self.wall_s, 3), "busy_s": round(self.busy_s, 3),
            "cpu_s": round(self.cpu_s, 3),
            "real_time_factor": None if rtf is None else round(rtf, 4), "realtime": self.realtime,
            "kept_up": self.kept_up,
        }

    def format_text(self) -> str:
        """The human-readable summary, a few lines."""
        pace = "paced in real time" if self.realtime else "read at full speed"
        lines = [f"{self.hops} hop(s) of {self.hop_s:g} s over {self.media_s:.2f} s of stream ({pace}), "
                 f"{self.wall_s:.2f} s wall, {self.busy_s:.2f} s busy"]
        if self.hops:
            latency, score = self.percentiles(self.latencies_ms), self.percentiles(self.score_ms)
            lines.append(
                "latency per hop (window closed -> answer): "
                + ", ".join(f"{k} {v:.0f} ms" for k, v in latency.items())
                + f"; of which crops + model: p50 {score['p50']:.0f} ms"
            )
        if self.unscored or self.fallbacks:
            lines.append(f"{self.fallbacks} hop(s) scored by a side head, {self.unscored} not scored")
        rtf = self.real_time_factor
        if rtf is not None:
            verdict = "kept up with real time" if self.kept_up else "did NOT keep up with real time"
            lines.append(f"real-time factor {rtf:.3f} (busy / stream seconds; {self.cpu_s:.2f} CPU s): {verdict}")
        return "\n".join(lines)
