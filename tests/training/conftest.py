"""A tiny prepared demo folder and tiny training configs for the training tests.

Clips are synthetic records (tests/data/pipeline/synthetic_records.py), written as per-actor
shards with an index like `prepare` writes, so no video is decoded. Demo fold 1 validates
actors 1 and 2 and trains on actors 3-8.
"""

from __future__ import annotations

import pathlib

import pytest

from mrpn_tf.config import config as config_lib
from tests.data.pipeline import synthetic_records

# (actor, label, seconds): 8 training clips (fold 1 trains on actors 3-8) and 3 validation
# clips (actors 1-2), an odd number so that evaluation pads its last batch.
TRAIN_CLIPS = [(3, 0, 1.2), (3, 1, 1.0), (4, 2, 1.4), (5, 3, 1.1), (6, 4, 1.3), (7, 5, 1.0),
               (8, 6, 1.2), (8, 7, 1.5)]
VAL_CLIPS = [(1, 0, 1.1), (2, 2, 1.3), (2, 5, 1.0)]


def write_demo_prepared(folder: pathlib.Path, clips, config: config_lib.Config) -> str:
    """Writes synthetic clips (actor, label, seconds) as a prepared demo folder."""
    records = [
        synthetic_records.make_clip(f"a{actor:02d}-c{i:02d}", label, actor, seconds, config, seed=i)
        for i, (actor, label, seconds) in enumerate(clips)
    ]
    return synthetic_records.write_prepared(str(folder), records, config)


def training_config(prepared_dir: str, run_dir: str, **changes) -> config_lib.Config:
    """The tiny config on a prepared folder: fold 1, batch 2, one epoch, no export.

    Args:
      prepared_dir: the prepared folder.
      run_dir: where the run writes.
      **changes: "section__field" -> value, e.g. train__epochs=2.
    """
    config = config_lib.tiny()
    config.data.prepared_dir = prepared_dir
    config.data.fold = 1
    config.data.shuffle_buffer = 16
    config.train.batch_size = 2
    config.train.epochs = 1
    config.train.run_dir = run_dir
    config.export.on_train_end = False
    for key, value in changes.items():
        section, field = key.split("__")
        setattr(getattr(config, section), field, value)
    return config


@pytest.fixture(scope="session")
def prepared_dir(tmp_path_factory) -> str:
    """The tiny prepared demo folder, shared by the session's tests (read only)."""
    folder = tmp_path_factory.mktemp("prepared")
    return write_demo_prepared(folder, TRAIN_CLIPS + VAL_CLIPS, config_lib.tiny())
