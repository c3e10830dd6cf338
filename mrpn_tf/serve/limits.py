"""What one server accepts and how much work it takes on at once (`python -m mrpn_tf.serve`)."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class ServeLimits:
    """Bounds on uploads, live streams and the results kept for download."""

    # A minute of phone video at ~10 Mbit/s is ~75 MB; more is refused before it is written.
    max_upload_bytes: int = 100 * 2**20
    # predict holds a clip's decoded frames in memory: 60 s x 8 fps x 640x480 RGB is ~440 MB.
    max_duration_s: float = 60.0
    # Files scored at once. The model calls are serialized anyway (shared_model.py), and the
    # decoding and face detection of a second file would only share the same few cores.
    upload_workers: int = 1
    # Uploads waiting for a worker; one more is answered 503 at once rather than queued.
    max_waiting_uploads: int = 4
    # Live streams at once; benchmarks/serve.py measures how many a 2-core machine holds.
    max_live_clients: int = 2
    # A live stream whose next frame has waited longer than this in the server skips to the
    # newest frames (live_source.py): the cost of a slow answer is a gap, not a growing delay.
    max_lag_s: float = 1.0
    # Annotated videos and JSON files are kept this long for download, at most this many.
    result_ttl_s: float = 900.0
    max_results: int = 32

    def __post_init__(self):
        for field in dataclasses.fields(self):
            if not getattr(self, field.name) > 0:
                raise ValueError(f"{field.name}={getattr(self, field.name)}; expected a positive number")
