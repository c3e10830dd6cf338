"""Shared test fixtures: paths to ../shared (skipped cleanly when absent), quiet TF logs, and the
session's tiny trained run and its export (tests/export/tiny_export.py: one export per session
for the export, predict and stream tests)."""

import os
import pathlib

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tests.export.tiny_export import (  # noqa: E402, F401 (fixtures)
    central, export_root, exported, loaded, side_heads, tiny_run, trained)

REPO = pathlib.Path(__file__).resolve().parents[1]
SHARED = pathlib.Path(os.environ.get("MRPN_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def shared_dir() -> pathlib.Path:
    """The ../shared folder beside the checkout; tests that need it skip when it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent (a user's checkout has no ../shared)")
    return SHARED


@pytest.fixture(scope="session")
def face_model_path() -> str:
    """BlazeFace short-range model for MediaPipe Tasks, from MRPN_FACE_MODEL or ../shared."""
    path = os.environ.get("MRPN_FACE_MODEL") or str(
        SHARED / "models" / "face_detection_short_range.tflite"
    )
    if not os.path.isfile(path):
        pytest.skip(f"face model {path} is absent")
    return path
