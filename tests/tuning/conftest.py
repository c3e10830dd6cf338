"""A tiny prepared demo folder and tuning run files for the search tests.

Clips are synthetic records (tests/data/pipeline/synthetic_records.py) written as per-actor
shards with an index like `prepare` writes, so no video is decoded. Demo fold 1 validates
actors 1 and 2, fold 2 actors 3 and 4; each fold has at least 8 training clips.
"""

from __future__ import annotations

import pathlib

import pytest
import yaml

from mrpn_tf.config import config as config_lib
from tests.data.pipeline import synthetic_records

# (actor, label, seconds)
CLIPS = [(1, 0, 1.1), (2, 2, 1.3), (2, 5, 1.0), (3, 0, 1.2), (3, 1, 1.0), (4, 2, 1.4), (5, 3, 1.1),
         (6, 4, 1.3), (7, 5, 1.0), (8, 6, 1.2), (8, 7, 1.5)]

# Two hyperparameters that change the graph (N2 / N1) and the optimizer; the transformer
# aggregator traces faster than the LSTM, which keeps a trial short.
SPACE = {
    "model.residual_perceptron": "boolean",
    "train.learning_rate": {"float": [1e-4, 1e-2], "sampling": "log"},
}


@pytest.fixture(scope="session")
def prepared_dir(tmp_path_factory) -> str:
    """The tiny prepared demo folder, shared by the session's tests (read only)."""
    config = config_lib.tiny()
    records = [synthetic_records.make_clip(f"a{actor:02d}-c{i:02d}", label, actor, seconds, config, seed=i)
               for i, (actor, label, seconds) in enumerate(CLIPS)]
    return synthetic_records.write_prepared(str(tmp_path_factory.mktemp("prepared")), records, config)


def write_run_file(folder: pathlib.Path, prepared_dir: str, epochs: int = 1, space=None) -> str:
    """A tuning run file on the tiny config: batch 2, `epochs` epochs, no export."""
    tree = {
        "variant": "tiny",
        "data": {"prepared_dir": prepared_dir, "shuffle_buffer": 16},
        "model": {"aggregator": "transformer"},
        "train": {"batch_size": 2, "epochs": epochs},
        "export": {"on_train_end": False},
        "tune": SPACE if space is None else space,
    }
    path = folder / "tune_run.yaml"
    path.write_text(yaml.safe_dump(tree, sort_keys=False))
    return str(path)
