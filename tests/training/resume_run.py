"""Trains the same tiny run twice: straight through, and killed after epoch 1 then resumed.

    python -m tests.training.resume_run PREPARED_DIR ROOT

Run in a subprocess: `train.deterministic` switches op determinism on for the whole process.
Writes ROOT/straight and ROOT/killed run folders.
"""

import sys

import keras

from mrpn_tf.training import strategy as strategy_lib
from mrpn_tf.training import task
from tests.training import conftest


class Killed(Exception):
    """Stands for the process being killed."""


class KillAfterFirstEpoch(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 0:
            raise Killed()


def config_for(prepared_dir: str, run_dir: str):
    """2 epochs of one step (all 8 training clips in one batch) of VM: the resume machinery
    does not depend on the network and the video-only one trains fastest; it has dropout,
    time slicing and video augmentation."""
    return conftest.training_config(prepared_dir, run_dir, train__epochs=2, train__batch_size=8,
                                    train__deterministic=True, model__network="VM")


def main(prepared_dir: str, root: str) -> None:
    strategy = strategy_lib.build_strategy()
    task.train(config_for(prepared_dir, f"{root}/straight"), strategy)
    try:
        task.train(config_for(prepared_dir, f"{root}/killed"), strategy, [KillAfterFirstEpoch()])
    except Killed:
        pass
    else:
        raise AssertionError("the run was not stopped")
    task.train(config_for(prepared_dir, f"{root}/killed"), strategy)


if __name__ == "__main__":
    main(*sys.argv[1:3])
