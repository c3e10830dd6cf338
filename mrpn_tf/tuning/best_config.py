"""The best configuration of a search, written as a run file for `python -m mrpn_tf.train`.

Like the other `pipelines/*.yaml`, the file holds only what differs from its variant's
defaults, and names the variant explicitly, so it means the same config whichever variant
a loader would otherwise start from. It is the search's base config (run file and
command-line overrides) with the best trial's hyperparameters set; `train.run_dir` is left
out, so every training run gets a folder of its own.

    # Written by python -m mrpn_tf.tune: best of 12 trials (bayesian), runs/tune/x-bayesian
    # val_va_accuracy 0.712 (trial 07, folds 1)
    variant: tiny
    model:
      aggregator: transformer
      ...
"""

from __future__ import annotations

import os
from typing import Any, Sequence

import yaml

from mrpn_tf import files
from mrpn_tf.config import config as config_lib
from mrpn_tf.config import resolved

# First words of every file this module writes: `--best-name` overwrites only such files.
MARKER = "# Written by python -m mrpn_tf.tune"
# Settings of a single run's bookkeeping, not of the configuration that was found.
LEFT_OUT = ("train.run_dir",)


def differences(config: config_lib.Config, reference: config_lib.Config) -> dict[str, dict[str, Any]]:
    """The fields of `config` that differ from `reference`, as {section: {field: value}}.

    Args:
      config: the config to write.
      reference: the variant's defaults.

    Returns:
      Nested plain values (tuples as lists); sections without a difference are absent.
    """
    ours, theirs = resolved.to_dict(config), resolved.to_dict(reference)
    tree: dict[str, dict[str, Any]] = {}
    for section, fields in ours.items():
        for name, value in fields.items():
            if f"{section}.{name}" not in LEFT_OUT and theirs[section][name] != value:
                tree.setdefault(section, {})[name] = value
    return tree


def best_config_text(config: config_lib.Config, variant: str, header: Sequence[str]) -> str:
    """The run file's text: header comments, `variant:`, then the differences.

    Args:
      config: the best configuration.
      variant: the variant its differences are taken from ("default" or "tiny").
      header: comment lines after the marker line (without "# ").

    Returns:
      YAML text that `load_config` turns back into `config` (less `LEFT_OUT`).
    """
    comments = [f"{MARKER}: {header[0]}" if header else MARKER] + [f"# {line}" for line in header[1:]]
    tree = {"variant": variant, **differences(config, config_lib.variant(variant))}
    return "\n".join(comments) + "\n" + yaml.safe_dump(tree, sort_keys=False)


def write_best_config(path: str, config: config_lib.Config, variant: str, header: Sequence[str]) -> str:
    """Writes `best_config_text` to `path` atomically; returns the path."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    return files.write_atomic(path, best_config_text(config, variant, header))


def check_writable(path: str) -> None:
    """Refuses to overwrite a run file that a person wrote (one without `MARKER`).

    Raises:
      FileExistsError: `path` exists and was not written by the tuner.
    """
    if not os.path.exists(path):
        return
    with open(path) as f:
        first = f.readline()
    if not first.startswith(MARKER):
        raise FileExistsError(f"{path} exists and was not written by the tuner; choose another --best-name")
