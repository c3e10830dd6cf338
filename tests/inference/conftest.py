"""The predict tests' clips and SavedModel predictor (the tiny export of tests/export)."""

from __future__ import annotations

import pytest

from mrpn_tf.inference import predictor as predictor_lib
from tests.export import media_files


@pytest.fixture(scope="module")
def videos(shared_dir, tmp_path_factory) -> dict[str, str]:
    """Re-encoded real-face videos and unusable files (media_files.py)."""
    out = str(tmp_path_factory.mktemp("videos"))
    source = media_files.cremad_clips(shared_dir)[0]
    return {"flv": source, **media_files.write_variants(source, out), **media_files.write_unusable(out)}


@pytest.fixture(scope="module")
def savedmodel_predictor(exported, face_model_path):
    return predictor_lib.Predictor.load(exported["savedmodel"], face_model_path)
