"""Feature keys shared by the input pipeline, the model, losses, metrics and signatures.

The one place these names are spelled: feature keys are module constants, never repeated
string literals. The model imports them; nobody else redefines them.

Inputs (what `build_dataset` yields as features and the model takes):
  VIDEO       float32 [B, T, H, W, 3] face crops scaled to [0, 1]
  VIDEO_MASK  float32 [B, T]  1 for a real frame, 0 for padding
  AUDIO       float32 [B, S, 256, 250] log-magnitude spectrogram segments (freq x time)
  AUDIO_MASK  float32 [B, S]  1 for a real segment, 0 for padding

Targets, one per head of MRPN (paper eq. 5: L = L_v + L_a + L_va); all hold the clip label:
  V, A, VA    int32 [B]
"""

from __future__ import annotations

# Inputs, keyed by modality.
VIDEO = "video"
VIDEO_MASK = "video_mask"
AUDIO = "audio"
AUDIO_MASK = "audio_mask"

# Targets, keyed by head: video-only scoring, audio-only scoring, fusion component.
V = "v"
A = "a"
VA = "va"

INPUT_KEYS = (VIDEO, VIDEO_MASK, AUDIO, AUDIO_MASK)
HEAD_KEYS = (V, A, VA)
