"""Video stream: JPEG face crops from a record -> float32 frames in [0, 1].

The model's contract is float32 [T, H, W, 3] scaled to [0, 1]; serving takes frames in that
form directly, so only the record path decodes JPEG.
"""

from __future__ import annotations

import tensorflow as tf


def decode_frames(jpegs: tf.Tensor, crop_size: int) -> tf.Tensor:
    """Decodes one clip's JPEG crops.

    Args:
      jpegs: string [T], one JPEG per frame.
      crop_size: the crop side the record was prepared with (`video.crop_size`); a frame of
        another size is an error, not a silent resize.

    Returns:
      uint8 [T, crop_size, crop_size, 3].
    """
    frames = tf.map_fn(
        lambda jpeg: tf.io.decode_jpeg(jpeg, channels=3),
        jpegs,
        fn_output_signature=tf.TensorSpec([crop_size, crop_size, 3], tf.uint8),
    )
    return tf.ensure_shape(frames, [None, crop_size, crop_size, 3])


def to_unit_float(frames: tf.Tensor) -> tf.Tensor:
    """uint8 (or float) frames -> float32 in [0, 1], the model's input scale."""
    return tf.image.convert_image_dtype(frames, tf.float32)
