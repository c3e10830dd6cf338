"""Named runs and command-line overrides on top of the typed config.

A run file (`pipelines/*.yaml`) holds only what differs from a variant's defaults:

    variant: tiny          # optional; "default" when absent
    model:
      aggregator: transformer

`key=value` overrides use dotted keys (`model.aggregator=transformer`). Values are parsed as
YAML scalars and checked against the field's type. An unknown key is an error naming the
nearest valid keys, never silently ignored.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import os
from typing import Any, Iterable, Mapping

import yaml

from mrpn_tf import files
from mrpn_tf.config import config as config_lib

RESOLVED_CONFIG_NAME = "config.yaml"


class ConfigError(ValueError):
    """A run file or override does not fit the config schema."""


def valid_keys(config: config_lib.Config) -> list[str]:
    """All dotted keys of the config, e.g. 'model.aggregator'."""
    return [
        f"{section.name}.{field.name}"
        for section in dataclasses.fields(config)
        for field in dataclasses.fields(getattr(config, section.name))
    ]


def _unknown_key_error(key: str, config: config_lib.Config, source: str) -> ConfigError:
    keys = valid_keys(config) + [f.name for f in dataclasses.fields(config)]
    near = difflib.get_close_matches(key, keys, n=3, cutoff=0.5)
    if not near:  # a bare field name ("aggregator") still points to its dotted key
        leaf = key.rsplit(".", 1)[-1]
        near = [k for k in keys if k.rsplit(".", 1)[-1] == leaf][:3]
    hint = f"; did you mean {', '.join(near)}?" if near else ""
    return ConfigError(f"{source}: unknown config key {key!r}{hint}")


def _number_from_text(value: Any, kind: type) -> Any:
    """YAML 1.1 reads '1e-3' as text; numbers written that way are still numbers."""
    if isinstance(value, str):
        try:
            return kind(value)
        except ValueError:
            return value
    return value


def _coerce(value: Any, default: Any, key: str, source: str, words: tuple = ()) -> Any:
    """Checks `value` against the type of the field's default and converts it.

    A value among the field's `words` (config_lib.WORDS, e.g. data.fold "all") is kept as it is.
    """
    if isinstance(value, str) and value in words:
        return value
    if isinstance(default, (int, float)) and not isinstance(default, bool):
        value = _number_from_text(value, type(default))
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
    elif isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif isinstance(default, float):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif isinstance(default, str):
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        if value is None:
            return ""
    elif isinstance(default, tuple):
        if isinstance(value, (list, tuple)):
            return tuple(value)
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
    expected = " or ".join([type(default).__name__] + [repr(word) for word in words])
    raise ConfigError(f"{source}: {key} expects {expected}, got {value!r} ({type(value).__name__})")


def set_value(config: config_lib.Config, key: str, value: Any, source: str = "override") -> None:
    """Sets dotted `key` on `config` in place, type-checked."""
    parts = key.split(".")
    if len(parts) != 2:
        raise _unknown_key_error(key, config, source)
    section_name, field_name = parts
    section = getattr(config, section_name, None)
    fields = {f.name: f for f in dataclasses.fields(section)} if dataclasses.is_dataclass(section) else {}
    if field_name not in fields:
        raise _unknown_key_error(key, config, source)
    field = fields[field_name]
    # The declared default fixes the type: the current value may be one of the field's words.
    default = getattr(section, field_name) if field.default is dataclasses.MISSING else field.default
    words = tuple(field.metadata.get(config_lib.WORDS, ()))
    setattr(section, field_name, _coerce(value, default, key, source, words))


def _flatten(tree: Mapping[str, Any], source: str, prefix: str = "") -> dict[str, Any]:
    flat = {}
    for name, value in tree.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, source, prefix=f"{key}."))
        else:
            flat[key] = value
    return flat


def parse_override(text: str) -> tuple[str, Any]:
    """Splits 'a.b=value' and parses the value as a YAML scalar ('3' -> 3, 'true' -> True)."""
    if "=" not in text:
        raise ConfigError(f"override {text!r} is not of the form section.key=value")
    key, raw = text.split("=", 1)
    return key.strip(), yaml.safe_load(raw) if raw.strip() else ""


def read_run_tree(path: str | os.PathLike, what: str = "run file") -> dict[str, Any]:
    """The sections of a YAML run (or override) file, as a dict.

    Raises:
      ConfigError: the file cannot be read or parsed, or is not a mapping (the message names
        the file as `what`).
    """
    try:
        with open(path) as f:
            tree = yaml.safe_load(f) or {}
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"{path}: cannot read {what}: {e}") from e
    if not isinstance(tree, Mapping):
        raise ConfigError(f"{path}: expected a mapping of sections, got {type(tree).__name__}")
    return dict(tree)


def apply_tree(config: config_lib.Config, tree: Mapping[str, Any], source: str) -> None:
    """Sets every leaf `section: {key: value}` of `tree` on `config` (typed, unknown keys refused)."""
    for key, value in _flatten(tree, source).items():
        set_value(config, key, value, source=source)


def load_config(
    run_file: str | os.PathLike | None = None,
    overrides: Iterable[str] = (),
    variant: str | None = None,
    skip_sections: Iterable[str] = (),
) -> config_lib.Config:
    """Builds the resolved config: variant defaults, then the run file, then overrides.

    Args:
      run_file: optional YAML file in `pipelines/` (its `variant:` picks the defaults).
      overrides: `section.key=value` strings, applied last.
      variant: defaults to start from when the run file names none ("default" or "tiny").
      skip_sections: top-level run-file sections that another command reads and that are
        not settings: `python -m mrpn_tf.tune` passes ("tune",), its search space. Every
        other caller passes none, so there such a section stays an unknown-key error.

    Returns:
      The resolved `Config`.

    Raises:
      ConfigError: unknown key, wrong type, or unreadable run file (the message names it).
    """
    tree: dict[str, Any] = {}
    if run_file is not None:
        skipped = set(skip_sections)
        tree = {k: v for k, v in read_run_tree(run_file).items() if k not in skipped}
    config = config_lib.variant(str(tree.pop("variant", None) or variant or "default"))
    apply_tree(config, tree, str(run_file))
    for text in overrides:
        key, value = parse_override(text)
        set_value(config, key, value, source=f"override {text!r}")
    validate(config)
    return config


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


def to_dict(config: config_lib.Config) -> dict[str, Any]:
    """Plain nested dict (tuples as lists), suitable for YAML / JSON."""
    tree = dataclasses.asdict(config)
    return json.loads(json.dumps(tree))


def config_hash(config: config_lib.Config) -> str:
    """Short stable hash of the resolved config (recorded in exports and indexes)."""
    text = json.dumps(to_dict(config), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def save_resolved(config: config_lib.Config, out_dir: str | os.PathLike) -> str:
    """Writes the resolved config as `config.yaml` in `out_dir`; returns its path.

    The file is a complete run file: `load_config(path)` gives back an equal config.
    """
    os.makedirs(out_dir, exist_ok=True)
    return files.write_atomic(os.path.join(out_dir, RESOLVED_CONFIG_NAME),
                              yaml.safe_dump(to_dict(config), sort_keys=False))
