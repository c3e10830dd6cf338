"""config/loading.py: --config files and key=value overrides -> the run config."""

import pytest

from mrpn_tf.config import config as config_lib
from mrpn_tf.config import loading


def test_run_files_apply_override_files_in_order(tmp_path):
    first = tmp_path / "run.yaml"
    first.write_text("variant: tiny\nmodel:\n  network: N2\n")
    second = tmp_path / "n0.yaml"
    second.write_text("model:\n  network: N0\n  aggregator: bilstm\n")
    config = loading.load_config([str(first), str(second)], ["model.aggregator=transformer"])
    assert (config.model.network, config.model.aggregator, config.video.crop_size) == ("N0", "transformer", 48)
    second.write_text("variant: default\n")
    with pytest.raises(config_lib.ConfigError, match="only the first --config"):
        loading.load_config([str(first), str(second)])
