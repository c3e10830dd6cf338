"""A killed run resumed from its backup ends with the weights of an uninterrupted run.

Both runs (tests/training/resume_run.py) train 2 epochs with time slicing, video augmentation
and dropout on: the resumed run must restore the weights, the optimizer, the dropout seed
states and the callbacks' counters, and replay the input pipeline's random draws of epoch 1.
"""

import csv
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from mrpn_tf import model as model_lib
from mrpn_tf.training import run_dir as run_dir_lib
from tests.training import resume_run

REPO = pathlib.Path(__file__).resolve().parents[2]


def _checkpoint_weights(run_dir, epoch, config):
    model = model_lib.build_model(config, 8)
    model.load_weights(run_dir_lib.RunDir(str(run_dir)).checkpoint_path(epoch))
    return model.get_weights()


def _history(run_dir):
    with open(run_dir_lib.RunDir(str(run_dir)).history_path) as f:
        return list(csv.DictReader(f))


# Three training runs in a subprocess: minutes on 2 cores.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def runs(prepared_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("resume")
    result = subprocess.run([sys.executable, "-m", "tests.training.resume_run", prepared_dir, str(root)],
                            cwd=REPO, capture_output=True, text=True, timeout=900,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert result.returncode == 0, result.stderr[-4000:]
    assert "resuming" in result.stdout and "after epoch 1" in result.stdout
    return root / "straight", root / "killed"


def test_resumed_weights_equal_uninterrupted(runs, prepared_dir):
    straight, killed = runs
    config = resume_run.config_for(prepared_dir, str(straight))
    for epoch in (1, 2):
        for a, b in zip(_checkpoint_weights(straight, epoch, config),
                        _checkpoint_weights(killed, epoch, config)):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_resumed_history_has_each_epoch_once_and_equal_losses(runs):
    straight, killed = runs
    rows_a, rows_b = _history(straight), _history(killed)
    assert [r["epoch"] for r in rows_b] == ["0", "1"]
    for a, b in zip(rows_a, rows_b):
        for key in ("loss", "val_loss", "learning_rate"):
            np.testing.assert_allclose(float(a[key]), float(b[key]), rtol=1e-5)
