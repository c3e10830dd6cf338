"""Best config: only the differences from its variant, the variant named, loadable by train."""

import pytest
import yaml

from mrpn_tf.config import config as config_lib
from mrpn_tf.config import loading
from mrpn_tf.tuning import best_config


def tuned():
    config = config_lib.tiny()
    config.model.aggregator = "transformer"
    config.model.network = "N1"
    config.train.learning_rate = 3e-4
    config.data.bucket_boundaries_s = (1.0, 2.0)
    config.train.run_dir = "runs/tune/x/trial_3/fold1"
    return config


def test_only_differences_from_the_variant():
    assert best_config.differences(tuned(), config_lib.tiny()) == {
        "data": {"bucket_boundaries_s": [1.0, 2.0]},
        "model": {"network": "N1", "aggregator": "transformer"},
        "train": {"learning_rate": 3e-4},
    }


def test_written_file_loads_back_with_trains_loader(tmp_path):
    path = best_config.write_best_config(str(tmp_path / "best.yaml"), tuned(), "tiny", ["best of 2", "line two"])
    text = open(path).read()
    assert text.startswith(best_config.MARKER + ": best of 2\n# line two\nvariant: tiny\n")
    expected = tuned()
    expected.train.run_dir = ""  # left out: every training run gets its own folder
    # train's loader starts from the tiny variant; the file names it anyway
    assert loading.load_config([path], variant="tiny") == expected
    assert loading.load_config(path) == expected
    assert yaml.safe_load(text)["variant"] == "tiny"


def test_paper_variant_is_named_so_no_loader_default_can_change_it(tmp_path):
    config = config_lib.Config()
    config.model.dropout = 0.2
    path = best_config.write_best_config(str(tmp_path / "b.yaml"), config, "default", ["x"])
    assert loading.load_config([path], variant="tiny") == config


def test_check_writable_refuses_a_hand_written_file(tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text("variant: tiny\n")
    with pytest.raises(FileExistsError, match="not written by the tuner"):
        best_config.check_writable(str(mine))
    ours = best_config.write_best_config(str(tmp_path / "ours.yaml"), tuned(), "tiny", ["x"])
    best_config.check_writable(ours)
    best_config.check_writable(str(tmp_path / "absent.yaml"))
