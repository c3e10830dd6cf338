"""A resolved config as data: a plain dict, its hash, and the config.yaml a run folder keeps."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from typing import Any

import yaml

from mrpn_tf import files
from mrpn_tf.config import config as config_lib

RESOLVED_CONFIG_NAME = "config.yaml"


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

    The file is a complete run file: `loading.load_config(path)` gives back an equal config.
    """
    os.makedirs(out_dir, exist_ok=True)
    return files.write_atomic(os.path.join(out_dir, RESOLVED_CONFIG_NAME),
                              yaml.safe_dump(to_dict(config), sort_keys=False))
