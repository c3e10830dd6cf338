"""Names of the exported signatures, their raw inputs and their outputs: spelled once, here.

The model's feature inputs keep the keys of `mrpn_tf.data.features` (`video`, `video_mask`,
`audio`, `audio_mask`); this module adds what only the exported graphs have:

  signatures     serving_default (raw clip -> central branch), features (model features ->
                 central branch), video_only / audio_only (raw stream -> side head, N1 / N2)
  raw inputs     frames uint8 [B, T, H, W, 3], num_frames int32 [B],
                 waveform float32 [B, N] (16 kHz, in [-1, 1)), num_samples int32 [B]
  outputs        probabilities float32 [B, C], classes string [B, C], label string [B]

The TFLite window model uses the same signature names on its feature inputs and the same
`probabilities` output.
"""

from __future__ import annotations

from mrpn_tf.data import features

# Signatures.
SERVING_DEFAULT = "serving_default"
FEATURES = "features"
VIDEO_ONLY = "video_only"
AUDIO_ONLY = "audio_only"
# The side head that scores a clip missing the other modality (paper eqs. 8-9, N1 / N2).
SIDE_HEAD_SIGNATURES = {features.V: VIDEO_ONLY, features.A: AUDIO_ONLY}

# Raw inputs: what a client has after decoding a video and cropping the face.
FRAMES = "frames"
NUM_FRAMES = "num_frames"
WAVEFORM = "waveform"
NUM_SAMPLES = "num_samples"
# Raw inputs and model feature inputs of each branch head.
RAW_INPUTS = {features.V: (FRAMES, NUM_FRAMES), features.A: (WAVEFORM, NUM_SAMPLES)}
FEATURE_INPUTS = {
    features.V: (features.VIDEO, features.VIDEO_MASK),
    features.A: (features.AUDIO, features.AUDIO_MASK),
}

# Outputs.
PROBABILITIES = "probabilities"
CLASSES = "classes"
LABEL = "label"
