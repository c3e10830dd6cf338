"""Run configuration.

  config      the typed dataclasses, their defaults (the paper's) and the tiny variant
  loading     the one loader: run file, override files, key=value -> a validated Config
  keys        setting one value by its dotted key, typed (what run files and overrides do)
  validation  the cross-field invariants
  resolved    a resolved config as a dict, its hash, the config.yaml a run folder keeps
"""

from mrpn_tf.config.config import (  # noqa: F401
    AudioConfig,
    Config,
    ConfigError,
    DataConfig,
    ExportConfig,
    ModelConfig,
    TrainConfig,
    VideoConfig,
    tiny,
    variant,
)
from mrpn_tf.config.loading import load_config  # noqa: F401
from mrpn_tf.config.resolved import config_hash, save_resolved, to_dict  # noqa: F401
