"""Cross-field invariants of a resolved config, checked once at start-up."""

from __future__ import annotations

from mrpn_tf.config import config as config_lib
from mrpn_tf.config.config import ConfigError


def validate(config: config_lib.Config) -> None:
    """Cross-field invariants, checked once at start-up."""
    a = config.audio
    if a.frequency_scale == "linear" and a.frame_length // 2 + 1 < a.freq_bins:
        raise ConfigError(
            f"audio.freq_bins={a.freq_bins} exceeds the {a.frame_length // 2 + 1} bins of a "
            f"{a.frame_length}-point FFT"
        )
    segment_samples = round(a.segment_s * a.sample_rate)
    expected_frames = -(-segment_samples // a.frame_step)  # ceil: STFT with pad_end
    if a.frames_per_segment != expected_frames:
        raise ConfigError(
            f"audio.frames_per_segment={a.frames_per_segment} but a {a.segment_s}-s segment at "
            f"{a.sample_rate} Hz with hop {a.frame_step} gives {expected_frames} frames"
        )
    hop_samples = a.hop_s * a.sample_rate
    if abs(hop_samples - round(hop_samples)) > 1e-6 or round(hop_samples) % a.frame_step:
        # Segments are cut from one STFT of the whole clip (spectrogram_segments.py).
        raise ConfigError(
            f"audio.hop_s={a.hop_s} is {hop_samples:g} samples at {a.sample_rate} Hz, not a "
            f"multiple of the STFT hop audio.frame_step={a.frame_step}"
        )
    choices = {
        "data.dataset": (config.data.dataset, ("ravdess", "cremad", "demo", "fer2013")),
        "data.source": (config.data.source, ("tfrecord", "videos")),
        "data.modality": (config.data.modality, ("av", "audio", "video")),
        "audio.frequency_scale": (a.frequency_scale, ("linear", "mel")),
        "model.network": (config.model.network, ("N0", "N1", "N2", "AM", "VM")),
        "model.aggregator": (config.model.aggregator, ("lstm", "bilstm", "transformer", "average")),
        "model.video_aggregator": (config.model.video_aggregator,
                                   ("", "lstm", "bilstm", "transformer", "average")),
        "data.video_dataset": (config.data.video_dataset, ("", "fer2013")),
        "model.extractor": (config.model.extractor, ("resnet18",)),
        "train.lr_schedule": (config.train.lr_schedule, ("plateau", "cosine")),
    }
    for key, (value, allowed) in choices.items():
        if value not in allowed:
            raise ConfigError(f"{key}={value!r}; expected one of {', '.join(allowed)}")
    if not 0.0 <= a.freq_warp < 1.0:
        raise ConfigError(f"audio.freq_warp={a.freq_warp} must be in [0, 1)")
    if config.data.min_slice_s <= 0:
        raise ConfigError(f"data.min_slice_s={config.data.min_slice_s} must be > 0")
    if not 0.0 <= config.data.pairing_prob <= 1.0:
        raise ConfigError(f"data.pairing_prob={config.data.pairing_prob} must be in [0, 1]")
    if not 0.0 <= config.train.label_smoothing < 1.0:
        raise ConfigError(f"train.label_smoothing={config.train.label_smoothing} must be in [0, 1)")
    if config.data.mixup_alpha < 0:
        raise ConfigError(f"data.mixup_alpha={config.data.mixup_alpha} must be >= 0 (0 is off)")
