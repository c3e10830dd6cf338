"""The one config loader: variant defaults, a run file, override files, then key=value.

    python -m mrpn_tf.train --config pipelines/ravdess_mrpn.yaml \
        --config pipelines/overrides/n0.yaml --config pipelines/overrides/bilstm.yaml data.fold=3

A run file (`pipelines/*.yaml`) holds only what differs from a variant's defaults:

    variant: tiny          # optional; "default" when absent
    model:
      aggregator: transformer

The first file is the run file (it may pick the `variant:`); each later file holds only the
keys it changes (`pipelines/overrides/`: the networks N0, N1, AM, VM and the aggregators) and
is applied in order, then the command-line overrides (`keys.parse_override`). Unknown keys are
errors, as everywhere; the result is validated (`validation.validate`).
"""

from __future__ import annotations

import os
from typing import Any, Iterable, Mapping, Sequence

import yaml

from mrpn_tf.config import config as config_lib
from mrpn_tf.config import keys
from mrpn_tf.config import validation
from mrpn_tf.config.config import ConfigError


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


def load_config(
    config_files: str | os.PathLike | Sequence[str | os.PathLike] | None = (),
    overrides: Iterable[str] = (),
    variant: str | None = None,
    skip_sections: Iterable[str] = (),
) -> config_lib.Config:
    """The resolved, validated config of a run (module docstring).

    Args:
      config_files: the run file, then override files (one path, a list, or none: the
        variant's defaults).
      overrides: `section.key=value` strings, applied last.
      variant: defaults when no run file names one ("default" or "tiny").
      skip_sections: top-level run-file sections that another command reads and that are
        not settings: `python -m mrpn_tf.tune` passes ("tune",), its search space. Every
        other caller passes none, so there such a section stays an unknown-key error.

    Returns:
      The resolved `Config`.

    Raises:
      ConfigError: an unreadable file, an unknown key, a wrong type or a broken invariant
        (the message names the file or the override).
    """
    if config_files is None:
        paths = []
    elif isinstance(config_files, (str, os.PathLike)):
        paths = [config_files]
    else:
        paths = list(config_files)
    tree: dict[str, Any] = {}
    if paths:
        skipped = set(skip_sections)
        tree = {k: v for k, v in read_run_tree(paths[0]).items() if k not in skipped}
    config = config_lib.variant(str(tree.pop("variant", None) or variant or "default"))
    keys.apply_tree(config, tree, str(paths[0]) if paths else "defaults")
    for path in paths[1:]:
        override = read_run_tree(path, what="override file")
        if "variant" in override:
            raise ConfigError(f"{path}: only the first --config file may set the variant")
        keys.apply_tree(config, override, str(path))
    for text in overrides:
        key, value = keys.parse_override(text)
        keys.set_value(config, key, value, source=f"override {text!r}")
    validation.validate(config)
    return config
