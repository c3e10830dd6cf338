"""config/run_files.py: --config files and key=value overrides -> the run config."""

import pytest

from mrpn_tf.config import run_files


def test_run_files_apply_override_files_in_order(tmp_path):
    first = tmp_path / "run.yaml"
    first.write_text("variant: tiny\nmodel:\n  network: N2\n")
    second = tmp_path / "n0.yaml"
    second.write_text("model:\n  network: N0\n  aggregator: bilstm\n")
    config = run_files.load_run_config([str(first), str(second)], ["model.aggregator=transformer"])
    assert (config.model.network, config.model.aggregator, config.video.crop_size) == ("N0", "transformer", 48)
    second.write_text("variant: default\n")
    with pytest.raises(run_files.overrides.ConfigError, match="only the first --config"):
        run_files.load_run_config([str(first), str(second)])
