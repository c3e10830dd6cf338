"""A run's config from several run files: a named run, then small override files, then key=value.

    python -m mrpn_tf.train --config pipelines/ravdess_mrpn.yaml \
        --config pipelines/overrides/n0.yaml --config pipelines/overrides/bilstm.yaml data.fold=3

The first file is a run file (it may pick the `variant:`); each later file holds only the
keys it changes (`pipelines/overrides/`: the networks N0, N1, AM, VM and the aggregators) and
is applied in order, then the command-line overrides. Unknown keys are errors, as everywhere.
"""

from __future__ import annotations

from typing import Sequence

from mrpn_tf.config import config as config_lib
from mrpn_tf.config import overrides


def _apply_override_file(config: config_lib.Config, path: str) -> None:
    tree = overrides.read_run_tree(path, what="override file")
    if "variant" in tree:
        raise overrides.ConfigError(f"{path}: only the first --config file may set the variant")
    overrides.apply_tree(config, tree, path)


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
