"""A run's config from several run files: a named run, then small override files, then key=value.

    python -m mrpn_tf.train --config pipelines/ravdess_mrpn.yaml \
        --config pipelines/overrides/n0.yaml --config pipelines/overrides/bilstm.yaml data.fold=3

The first file is a run file (it may pick the `variant:`); each later file holds only the
keys it changes (`pipelines/overrides/`: the networks N0, N1, AM, VM and the aggregators) and
is applied in order, then the command-line overrides. Unknown keys are errors, as everywhere.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import yaml

from mrpn_tf.config import config as config_lib
from mrpn_tf.config import overrides


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat = {}
    for name, value in tree.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{name}."))
        else:
            flat[f"{prefix}{name}"] = value
    return flat


def _apply_override_file(config: config_lib.Config, path: str) -> None:
    try:
        with open(path) as f:
            tree = yaml.safe_load(f) or {}
    except (OSError, yaml.YAMLError) as e:
        raise overrides.ConfigError(f"{path}: cannot read override file: {e}") from e
    if not isinstance(tree, Mapping):
        raise overrides.ConfigError(f"{path}: expected a mapping of sections")
    if "variant" in tree:
        raise overrides.ConfigError(f"{path}: only the first --config file may set the variant")
    for key, value in _flatten(tree).items():
        overrides.set_value(config, key, value, source=path)


def load_run_config(
    config_files: Sequence[str], cli_overrides: Sequence[str] = (), variant: str | None = None
) -> config_lib.Config:
    """The resolved config of a run (module docstring).

    Args:
      config_files: the run file first, then override files; may be empty (variant defaults).
      cli_overrides: `section.key=value` strings, applied last.
      variant: defaults when no run file names one ("default" or "tiny").

    Returns:
      The validated config.

    Raises:
      ConfigError: an unreadable file, an unknown key, a wrong type or a broken invariant.
    """
    files = list(config_files)
    config = overrides.load_config(files[0] if files else None, variant=variant)
    for path in files[1:]:
        _apply_override_file(config, path)
    for text in cli_overrides:
        key, value = overrides.parse_override(text)
        overrides.set_value(config, key, value, source=f"override {text!r}")
    overrides.validate(config)
    return config
