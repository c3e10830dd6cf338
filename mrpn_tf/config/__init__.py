"""Run configuration: typed dataclasses (`config.py`) and run files / overrides (`overrides.py`)."""

from mrpn_tf.config.config import (  # noqa: F401
    AudioConfig,
    Config,
    DataConfig,
    ExportConfig,
    ModelConfig,
    TrainConfig,
    VideoConfig,
    tiny,
    variant,
)
from mrpn_tf.config.overrides import (  # noqa: F401
    ConfigError,
    config_hash,
    load_config,
    save_resolved,
    to_dict,
)
