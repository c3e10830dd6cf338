"""Trains the tiny config for one epoch (two steps) under MirroredStrategy on 2 logical CPUs.

    python -m tests.training.two_device_run PREPARED_DIR RUN_DIR

Run in a subprocess: the logical devices must be made before TensorFlow initializes them.
Prints the run's summary as JSON on its last line.
"""

import json
import sys

from mrpn_tf.training import strategy


def main(prepared_dir: str, run_dir: str) -> None:
    strategy.split_cpu(2)
    distribution = strategy.build_strategy()
    from mrpn_tf.training import task
    from tests.training import conftest

    # 8 training clips, 2 per replica: a global batch of 4, two steps in the epoch.
    config = conftest.training_config(prepared_dir, run_dir)
    summary = task.train(config, distribution)
    print(json.dumps(summary))


if __name__ == "__main__":
    main(*sys.argv[1:3])
