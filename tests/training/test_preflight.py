"""Bad input is a clear error before training starts (nothing is trained or written)."""

import os
import pathlib

import pytest

from mrpn_tf import train
from mrpn_tf.config import config as config_lib
from mrpn_tf.training import preflight
from mrpn_tf.training import strategy as strategy_lib
from mrpn_tf.training import task
from tests.training import conftest

DEMO_RUN_FILE = str(pathlib.Path(__file__).resolve().parents[2] / "pipelines" / "demo.yaml")


@pytest.fixture(scope="module")
def strategy():
    return strategy_lib.build_strategy()


def _refused(config, strategy, match):
    with pytest.raises(preflight.PreflightError, match=match):
        task.train(config, strategy)
    assert not os.path.exists(config.train.run_dir), "a refused run must write nothing"


def test_fold_without_validation_clips(tmp_path, strategy):
    only_training = conftest.write_demo_prepared(tmp_path / "p", conftest.TRAIN_CLIPS, config_lib.tiny())
    config = conftest.training_config(only_training, str(tmp_path / "run"))
    _refused(config, strategy, r"demo fold 1 has no validation clips .* actors \[1, 2\]")


def test_fold_all_without_prepared_clips(tmp_path, strategy):
    empty = conftest.write_demo_prepared(tmp_path / "p", [], config_lib.tiny())
    config = conftest.training_config(empty, str(tmp_path / "run"), data__fold="all")
    _refused(config, strategy, r"data.fold=all trains on every demo clip in .*/p, and it holds 0, "
                               "fewer than one global batch of 2")


def test_fold_all_with_early_stopping(prepared_dir, tmp_path, strategy):
    config = conftest.training_config(prepared_dir, str(tmp_path / "run"), data__fold="all",
                                      train__early_stopping_patience=3)
    _refused(config, strategy, "early_stopping_patience=3 stops on validation loss, and "
                               "data.fold=all has no validation split")


def test_prepared_folder_with_another_crop_size(prepared_dir, tmp_path, strategy):
    config = conftest.training_config(prepared_dir, str(tmp_path / "run"))
    config.video.crop_size = 64
    _refused(config, strategy, "prepared with crop_size=48 but the config has video.crop_size=64")


def test_prepared_folder_with_another_sample_rate(prepared_dir, tmp_path, strategy):
    config = conftest.training_config(prepared_dir, str(tmp_path / "run"))
    config.audio.sample_rate, config.audio.frames_per_segment = 8000, 125
    _refused(config, strategy, "sample_rate=16000 but the config has audio.sample_rate=8000")


def test_missing_pretrained_weights(prepared_dir, tmp_path, strategy):
    config = conftest.training_config(prepared_dir, str(tmp_path / "run"))
    config.model.audio_extractor_weights = str(tmp_path / "speakers.weights.h5")
    _refused(config, strategy, "model.audio_extractor_weights=.*speakers.weights.h5.*no such file")


def test_too_few_training_clips_for_one_batch(prepared_dir, tmp_path, strategy):
    config = conftest.training_config(prepared_dir, str(tmp_path / "run"), train__batch_size=16)
    _refused(config, strategy, "8 training clips .* fewer than one global batch of 16")


def test_network_reading_a_missing_modality(prepared_dir, tmp_path, strategy):
    config = conftest.training_config(prepared_dir, str(tmp_path / "run"))
    config.model.network, config.data.modality = "N2", "audio"
    _refused(config, strategy, "model.network=N2 reads video")


def test_gpu_switches_without_gpu(prepared_dir, tmp_path, strategy):
    config = conftest.training_config(prepared_dir, str(tmp_path / "run"))
    config.train.mixed_precision = True
    _refused(config, strategy, "train.mixed_precision=true needs a GPU")


def test_run_folder_of_another_run(prepared_dir, tmp_path, strategy):
    config = conftest.training_config(prepared_dir, str(tmp_path / "run"))
    os.makedirs(config.train.run_dir)
    from mrpn_tf.config import resolved

    other = conftest.training_config(prepared_dir, str(tmp_path / "run"))
    other.model.network = "N1"
    resolved.save_resolved(other, config.train.run_dir)
    with pytest.raises(preflight.PreflightError, match="model.network: run has 'N1', now 'N2'"):
        task.train(config, strategy)


def test_cli_exit_codes_and_messages(prepared_dir, tmp_path, capsys):
    assert train.main(["--config", DEMO_RUN_FILE, "model.nework=N1"]) == 2
    assert "did you mean model.network" in capsys.readouterr().err
    code = train.main(["--config", DEMO_RUN_FILE, f"data.prepared_dir={prepared_dir}",
                       f"train.run_dir={tmp_path / 'run'}", "export.on_train_end=false",
                       "model.video_extractor_weights=/no/faces.weights.h5"])
    assert code == 1
    assert "model.video_extractor_weights='/no/faces.weights.h5': no such file" in capsys.readouterr().err
    assert train.main(["--config", DEMO_RUN_FILE, "data.fold=al"]) == 2
    assert "data.fold expects int or 'all', got 'al'" in capsys.readouterr().err
