"""Still images (a photo, a FER face) decoded to uint8 RGB, as a video frame is.

Pillow decodes every format a user is likely to hand over (JPEG, PNG, BMP, GIF, WebP, TIFF)
and says so when a file is corrupt or truncated, where OpenCV would return a half-grey image.
What comes out is what the face detector gets from a decoded video frame:
  - uint8 RGB: CMYK, palette, grey and alpha images are converted; a 16-bit PNG is scaled
    from 0..65535 to 0..255 (Pillow's own conversion of 16-bit to 8-bit clips instead);
  - upright: the EXIF orientation of a phone photo is applied;
  - at most `max_side` on its long side (`video.max_frame_side`, what the decoder scales
    video frames to): a JPEG is decoded at a reduced scale (`draft`), so a 20-megapixel photo
    costs little more than a small one;
  - the first frame of an animated GIF (`frames` in `StillImage` says how many it has).
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np
from PIL import Image, ImageOps

from mrpn_tf.data.media import decode

# Files read as stills by predict (by extension; anything else is a clip).
EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff")


class ImageError(decode.MediaError):
    """An image that cannot be read; the message names the file and the problem."""


@dataclasses.dataclass
class StillImage:
    """One decoded image: uint8 RGB [H, W, 3], and how many frames the file holds."""

    rgb: np.ndarray
    frames: int = 1


def is_image(path: str) -> bool:
    """Whether predict reads `path` as a still (by its extension)."""
    return os.path.splitext(path)[1].lower() in EXTENSIONS


def _to_rgb(image: Image.Image) -> np.ndarray:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        values = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I;16") or values.max() > 255 else 255.0
        grey = np.clip(np.round(values * (255.0 / top)), 0, 255).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=-1)
    if image.mode == "F":
        grey = np.clip(np.asarray(image, dtype=np.float64), 0.0, 255.0).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=-1)
    return np.asarray(image.convert("RGB"), dtype=np.uint8)


def read_image(path: str, max_side: int) -> StillImage:
    """Decodes an image file (module docstring).

    Args:
      path: the file.
      max_side: the long side's limit in pixels (0 = none).

    Returns:
      The StillImage.

    Raises:
      ImageError: no such file, not an image, corrupt or truncated, too large to decode, or
        empty (the message names the file and the problem).
    """
    if not os.path.isfile(path):
        raise ImageError(path, "no such file")
    try:
        with Image.open(path) as image:
            frames = int(getattr(image, "n_frames", 1))
            if max_side and image.format == "JPEG":
                image.draft("RGB", (max_side, max_side))  # decode at 1/2, 1/4 or 1/8 scale
            image.load()  # raises on a truncated or corrupt file
            image = ImageOps.exif_transpose(image)
            if max_side and max(image.size) > max_side:
                image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
            rgb = _to_rgb(image)
    except Image.DecompressionBombError as e:
        raise ImageError(path, f"image too large to decode ({e})") from e
    except (OSError, SyntaxError, ValueError) as e:  # Pillow's errors for unreadable files
        raise ImageError(path, f"not a readable image ({e})") from e
    if rgb.size == 0:
        raise ImageError(path, "empty image")
    return StillImage(np.ascontiguousarray(rgb), frames)
