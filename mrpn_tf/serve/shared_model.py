"""The one loaded export every request of the server shares.

Uploads and live streams run in threads of their own, and all of them score through one
`Predictor`, so a file is answered exactly as `predict` answers it and a live window as
`stream` scores it. The model calls themselves run one at a time (`SerializedBackend`): a
TFLite interpreter must not be entered by two threads at once, and on a few cores two
concurrent SavedModel calls would only share the same cores. The face detectors are per
thread already (`clip_preparation.detector_for`, one per `StreamSession`).
"""

from __future__ import annotations

import dataclasses
import os
import threading
from typing import Optional

import numpy as np

from mrpn_tf.inference import predictor as predictor_lib
from mrpn_tf.inference import windowing
from mrpn_tf.stream import scorer as scorer_lib
from mrpn_tf.stream import session as session_lib


class SerializedBackend:
    """An export's backend (`predictor.Backend`) whose model calls run one at a time."""

    def __init__(self, backend: predictor_lib.Backend):
        self.backend = backend
        self.metadata = backend.metadata
        self._lock = threading.Lock()

    def signatures(self) -> set[str]:
        return self.backend.signatures()

    def window_probabilities(self, signature: str, windows: dict[str, np.ndarray]) -> np.ndarray:
        with self._lock:
            return self.backend.window_probabilities(signature, windows)


@dataclasses.dataclass
class SharedModel:
    """The loaded export, and the live window."""

    path: str
    predictor: predictor_lib.Predictor
    live_spec: windowing.WindowSpec  # the export's window, with the server's hop

    def info(self) -> dict:
        """What a client needs to know of the model (`GET /api/model`, the live `ready`)."""
        metadata, config = self.predictor.metadata, self.predictor.config
        return {
            "model": f"{metadata.get('name', os.path.basename(self.path))}/{metadata.get('version', '')}".rstrip("/"),
            "network": metadata["network"], "heads": list(metadata["heads"]),
            "labels": list(self.predictor.labels),
            "window_s": self.live_spec.seconds, "hop_s": self.live_spec.hop_seconds,
            "fps": config.video.fps, "max_frame_side": config.video.max_frame_side,
            "sample_rate": config.audio.sample_rate,
        }


def load(path: str, face_model: str = "", threads: Optional[int] = None,
         hop_s: Optional[float] = None) -> SharedModel:
    """Loads an export as `predict` does, and traces it before the first request.

    Args:
      path: SavedModel folder or .tflite file.
      face_model: BlazeFace .tflite ("" = as `prepare` finds it).
      threads: TFLite interpreter threads.
      hop_s: seconds between live answers (None: the export's hop).

    Raises:
      FileNotFoundError, ValueError: as `Predictor.load` (predictor.ModelLoadError is one).
    """
    backend = SerializedBackend(predictor_lib.load_backend(path, threads))
    predictor = predictor_lib.Predictor(backend, face_model)
    spec = session_lib.stream_spec(predictor, hop_s)
    scorer_lib.warm_up(predictor, spec)
    return SharedModel(path, predictor, spec)
