"""The stream tests' model and videos: the session's tiny exported N2 (tests/export/tiny_export.py),
and clips of a real face (stream_media.py)."""

from __future__ import annotations

import pytest

from mrpn_tf.inference import predictor as predictor_lib
from tests.export import media_files
from tests.stream import stream_media


@pytest.fixture(scope="module")
def clips(shared_dir, tmp_path_factory) -> dict[str, str]:
    """The real CREMA-D clip and the videos made from it."""
    source = media_files.cremad_clips(shared_dir)[0]
    return {"flv": source, **stream_media.write_clips(source, str(tmp_path_factory.mktemp("stream_clips")))}


@pytest.fixture(scope="module")
def predictor(exported, face_model_path) -> predictor_lib.Predictor:
    """The tiny SavedModel's predictor."""
    return predictor_lib.Predictor.load(exported["savedmodel"], face_model_path)
