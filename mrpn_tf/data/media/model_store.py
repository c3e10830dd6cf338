"""Finds the BlazeFace face-detector model: explicit path, environment, cache, or download.

Order: `video.face_model` in the config → `$MRPN_FACE_MODEL` → the cache
(`$MRPN_CACHE/models`, default `~/.cache/mrpn_tf/models`) → download from MediaPipe's model
storage into the cache, checked against a pinned SHA-256. Offline with none of these, the
error says how to provide the file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pathlib
import urllib.error
import urllib.request

from mrpn_tf import files

FACE_MODEL_ENV = "MRPN_FACE_MODEL"
CACHE_ENV = "MRPN_CACHE"


@dataclasses.dataclass(frozen=True)
class ModelAsset:
    """A downloadable model file pinned by its checksum."""

    filename: str
    url: str
    sha256: str
    size: int


# MediaPipe Tasks' BlazeFace short-range detector, version 1 of the float16 model. The URL
# is versioned (not ".../latest/") so that the checksum below stays valid.
BLAZE_FACE_SHORT_RANGE = ModelAsset(
    filename="blaze_face_short_range.tflite",
    url=(
        "https://storage.googleapis.com/mediapipe-models/face_detector/"
        "blaze_face_short_range/float16/1/blaze_face_short_range.tflite"
    ),
    sha256="b4578f35940bf5a1a655214a1cce5cab13eba73c1297cd78e1a04c2380b0152f",
    size=229746,
)


class ModelUnavailableError(RuntimeError):
    """No usable model file could be found or downloaded."""


def cache_dir() -> pathlib.Path:
    """The cache folder for downloaded models ($MRPN_CACHE/models or ~/.cache/mrpn_tf/models)."""
    root = os.environ.get(CACHE_ENV) or os.path.join(pathlib.Path.home(), ".cache", "mrpn_tf")
    return pathlib.Path(root) / "models"


def sha256_of(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(asset: ModelAsset, dest_dir: str | os.PathLike, timeout_s: float = 30.0) -> str:
    """Downloads `asset` into `dest_dir` atomically and verifies its checksum.

    Returns:
      The path of the verified file.

    Raises:
      ModelUnavailableError: network failure or checksum mismatch (nothing is left behind).
    """
    os.makedirs(dest_dir, exist_ok=True)
    dest = os.path.join(dest_dir, asset.filename)
    try:
        with files.atomic_path(dest, suffix=".part") as tmp:
            with open(tmp, "wb") as out, urllib.request.urlopen(asset.url, timeout=timeout_s) as r:
                out.write(r.read())
            got = sha256_of(tmp)
            if got != asset.sha256:  # raising removes the .part file
                raise ModelUnavailableError(
                    f"{asset.url}: checksum mismatch (sha256 {got}, expected {asset.sha256})"
                )
        return dest
    except (urllib.error.URLError, OSError, TimeoutError) as e:
        raise ModelUnavailableError(f"cannot download {asset.url}: {e}") from e


def _check_file(path: str, where: str) -> str:
    if not os.path.isfile(path):
        raise ModelUnavailableError(f"face model {path} (from {where}) does not exist")
    return path


def resolve_face_model(configured: str = "", allow_download: bool = True) -> str:
    """Returns the path of a BlazeFace short-range model file.

    Args:
      configured: `video.face_model` from the config; "" to look further.
      allow_download: whether to fetch the model when neither path nor cache has it.

    Returns:
      A path to an existing .tflite file.

    Raises:
      ModelUnavailableError: with instructions when no model can be had.
    """
    if configured:
        return _check_file(configured, "video.face_model")
    if os.environ.get(FACE_MODEL_ENV):
        return _check_file(os.environ[FACE_MODEL_ENV], f"${FACE_MODEL_ENV}")
    cached = cache_dir() / BLAZE_FACE_SHORT_RANGE.filename
    if cached.is_file() and sha256_of(cached) == BLAZE_FACE_SHORT_RANGE.sha256:
        return str(cached)
    if allow_download:
        try:
            return download(BLAZE_FACE_SHORT_RANGE, cache_dir())
        except ModelUnavailableError as e:
            reason = str(e)
    else:
        reason = "downloading is disabled"
    raise ModelUnavailableError(
        f"No BlazeFace face-detector model available ({reason}). Provide one in any of "
        f"these ways: set video.face_model=PATH, or export {FACE_MODEL_ENV}=PATH, or place "
        f"{BLAZE_FACE_SHORT_RANGE.filename} (sha256 {BLAZE_FACE_SHORT_RANGE.sha256}) in "
        f"{cache_dir()}; it is published at {BLAZE_FACE_SHORT_RANGE.url}"
    )
