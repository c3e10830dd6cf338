"""F_m: the ResNet-18 feature extractor applied to one video frame or one audio segment.

Paper 4.2: "CNN extractor architecture is fixed to Resnet-18" for both modalities. This is the
2-D ResNet-18 of He et al. (basic blocks, [2, 2, 2, 2] per stage) without its classifier: the
output is the global average of the last stage, a 512 x width_multiplier feature vector.
Channels-last. A 2-D frame shape (an audio spectrogram segment, freq x time) gets a channel
axis added first, so that the pipeline's [F, N] segments go in as they are.

At width 1.0 with 3 input channels the trainable parameter count is 11,176,512, the same as
torchvision's resnet18 without its 1000-way fc (11,689,512 - 513,000); Keras additionally
counts the 2 x 4,800 BatchNorm moving statistics as non-trainable weights.

All layers are named explicitly, prefixed with the model's name ("v_resnet18_stem_conv"), so
that weight paths stay unique in a model holding one extractor per modality. A `.weights.h5`
file written from one build loads into any other build of the same frame shape and width
(Keras matches the layers by their order, not their names), which is how pretrained extractors
(paper 4.2: FER-2013 faces, VoxCeleb speakers) are brought in.

The BatchNorms are `fused_batch_norm.BatchNormalization`: Keras's layer computed by one
FusedBatchNormV3 kernel (a tiny-AM training step takes 0.67x the time on a 2-core CPU with
256-bin segments, 0.87x with 64: benchmarks/batch_norm.py), with the same weights under the
same paths, so that files written with Keras's BatchNormalization load.
"""

from __future__ import annotations

import os
from typing import Sequence

import keras

from mrpn_tf.model import fused_batch_norm

# ResNet-18: two basic blocks in each of four stages (He et al. 2016, Table 1).
BLOCKS_PER_STAGE = (2, 2, 2, 2)
BASE_WIDTHS = (64, 128, 256, 512)
STEM_WIDTH = 64
# Weight of the running statistics in BatchNorm's moving averages. Keras defaults to 0.99;
# torchvision's ResNet-18 (momentum 0.1 on the new batch) keeps 0.9. At 0.99 the averages that
# inference uses still hold 37 % of their initial (0, 1) after 100 steps: a short run (the
# demo's 12 steps per epoch) then validates at chance while its training accuracy climbs.
BN_MOMENTUM = 0.9


def scaled_width(width: int, width_multiplier: float) -> int:
    """Channel count of a layer whose width-1.0 count is `width`.

    Args:
      width: channels at width_multiplier 1.0.
      width_multiplier: channel scale (tiny config: 0.125 -> 8-16-32-64).

    Returns:
      The scaled count, at least 1.
    """
    return max(1, int(round(width * width_multiplier)))


def feature_dim(width_multiplier: float) -> int:
    """Length of the feature vector the extractor emits (512 at width 1.0)."""
    return scaled_width(BASE_WIDTHS[-1], width_multiplier)


@keras.saving.register_keras_serializable(package="mrpn_tf")
class Subsample2D(keras.layers.Layer):
    """Keeps every `stride`-th row and column of [N, H, W, C]: x[:, ::s, ::s, :].

    A 1x1 convolution with stride s and "same" padding reads exactly these pixels, so
    `Subsample2D(s)` followed by a 1x1 stride-1 convolution computes the same function with the
    same kernel. The projection shortcut is built that way because TF 2.21's oneDNN (v3.7)
    kernel for the weight gradient of a strided 1x1 convolution on AVX-512 CPUs
    (`jit_1x1:avx512_core`, backward_weights) writes outside its buffers when the input channel
    count is not a multiple of 16 and the batch is small, as in the tiny config's 8 -> 16
    shortcut: heap corruption ("double free or corruption", "corrupted size vs. prev_size"),
    "could not create a primitive descriptor for the reorder primitive", or silently wrong
    gradients. A stride-1 1x1 kernel
    takes another code path. `benchmarks/onednn_repro.py` checks whether a TensorFlow build
    still has the bug.
    """

    def __init__(self, stride: int, **kwargs):
        super().__init__(**kwargs)
        self.stride = int(stride)

    def call(self, x):
        return x[:, :: self.stride, :: self.stride, :]

    def compute_output_shape(self, input_shape):
        def reduced(size):
            return None if size is None else -(-size // self.stride)

        n, h, w, c = input_shape
        return (n, reduced(h), reduced(w), c)

    def get_config(self):
        config = super().get_config()
        config.update({"stride": self.stride})
        return config


def _conv_bn(x, filters: int, kernel: int, stride: int, name: str, relu: bool):
    if kernel == 1 and stride > 1:
        # Same function as a strided 1x1 conv, without oneDNN's faulty kernel (Subsample2D).
        x = Subsample2D(stride, name=f"{name}_subsample")(x)
        stride = 1
    # Conv without bias: the BatchNorm right after it has its own shift.
    x = keras.layers.Conv2D(
        filters, kernel, strides=stride, padding="same", use_bias=False,
        kernel_initializer="he_normal", name=f"{name}_conv",
    )(x)
    # Keras's BatchNormalization computed by one FusedBatchNormV3 kernel (fused_batch_norm):
    # same weights, same checkpoint paths, fewer kernels per training step.
    x = fused_batch_norm.BatchNormalization(
        momentum=BN_MOMENTUM, epsilon=1e-5, name=f"{name}_bn"
    )(x)
    if relu:
        x = keras.layers.ReLU(name=f"{name}_relu")(x)
    return x


def _basic_block(x, filters: int, stride: int, name: str):
    """Two 3x3 convs with an identity (or 1x1 projection) shortcut."""
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = _conv_bn(x, filters, 1, stride, f"{name}_downsample", relu=False)
    y = _conv_bn(x, filters, 3, stride, f"{name}_1", relu=True)
    y = _conv_bn(y, filters, 3, 1, f"{name}_2", relu=False)
    y = keras.layers.Add(name=f"{name}_add")([shortcut, y])
    return keras.layers.ReLU(name=f"{name}_out")(y)


def resnet18(
    frame_shape: Sequence[int], width_multiplier: float = 1.0, name: str = "resnet18"
) -> keras.Model:
    """Builds the ResNet-18 extractor for one frame (video) or one segment (audio).

    Args:
      frame_shape: (H, W, C) for an image, or (F, N) for a spectrogram segment, which gets a
        trailing channel axis of 1.
      width_multiplier: scales every channel count (64-128-256-512 at 1.0).
      name: model name.

    Returns:
      A functional model mapping float32 [N, *frame_shape] to [N, feature_dim(width_multiplier)].
    """
    frame_shape = tuple(int(d) for d in frame_shape)
    if len(frame_shape) not in (2, 3):
        raise ValueError(f"frame_shape {frame_shape}: expected (H, W, C) or (F, N)")
    inputs = keras.Input(frame_shape, name=f"{name}_input")
    x = inputs
    if len(frame_shape) == 2:
        x = keras.layers.Reshape(frame_shape + (1,), name=f"{name}_add_channel")(x)
    x = _conv_bn(x, scaled_width(STEM_WIDTH, width_multiplier), 7, 2, f"{name}_stem", relu=True)
    x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name=f"{name}_stem_pool")(x)
    for stage, (blocks, width) in enumerate(zip(BLOCKS_PER_STAGE, BASE_WIDTHS), start=1):
        filters = scaled_width(width, width_multiplier)
        for block in range(1, blocks + 1):
            stride = 2 if stage > 1 and block == 1 else 1
            x = _basic_block(x, filters, stride, f"{name}_stage{stage}_block{block}")
    outputs = keras.layers.GlobalAveragePooling2D(name=f"{name}_avg_pool")(x)
    return keras.Model(inputs, outputs, name=name)


def load_extractor_weights(extractor: keras.Model, path: str) -> None:
    """Loads pretrained extractor weights saved with `extractor.save_weights(path)`.

    Args:
      extractor: a `resnet18(...)` model of the same frame shape and width as the saved one.
      path: a `.weights.h5` file.

    Raises:
      FileNotFoundError: `path` does not exist (the message names the extractor).
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{extractor.name}: extractor weights file {path!r} not found")
    extractor.load_weights(path)
