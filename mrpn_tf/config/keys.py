"""Setting one config value by its dotted key, typed: what run files and overrides both do.

`section.key=value` overrides use dotted keys (`model.aggregator=transformer`). Values are
parsed as YAML scalars and checked against the field's type. An unknown key is an error naming
the nearest valid keys, never silently ignored.
"""

from __future__ import annotations

import dataclasses
import difflib
from typing import Any, Mapping

import yaml

from mrpn_tf.config import config as config_lib
from mrpn_tf.config.config import ConfigError


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

    A value among the field's `words` (config_lib.ALSO_ACCEPTS, e.g. data.fold "all") is kept as it is.
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
    words = tuple(field.metadata.get(config_lib.ALSO_ACCEPTS, ()))
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


def apply_tree(config: config_lib.Config, tree: Mapping[str, Any], source: str) -> None:
    """Sets every leaf `section: {key: value}` of `tree` on `config` (typed, unknown keys refused)."""
    for key, value in _flatten(tree, source).items():
        set_value(config, key, value, source=source)
