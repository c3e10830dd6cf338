"""The offline demo's data: synthesized, prepared and cached on first use.

`python -m mrpn_tf.train` with no run file trains the tiny config on the synthetic demo set
(`mrpn_tf.demo`: cartoon actors in RAVDESS naming). Any run whose `data.dataset` is
"demo" and that names no prepared folder gets the demo data from the cache
(`$MRPN_CACHE`, default ~/.cache/mrpn_tf):

    <cache>/demo/                       the synthesized clips (generated once)
    <cache>/prepared/demo-<settings>/   their `prepare` shards for these video / audio
                                        settings (resumable, reused by later runs)

Validation uses the demo fold's held-out actors (`data.fold`, default 1: actors 1 and 2).
"""

from __future__ import annotations

import hashlib
import json
import os

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import prepare_job
from mrpn_tf import demo
from mrpn_tf.data.datasets import DEMO
from mrpn_tf.demo import demo_set
from mrpn_tf.data.media import model_store

PREPARED_DIR = "prepared"
# Synthesis and prepare run clips in parallel on the demo machine's two cores.
WORKERS = 2


class DemoDataError(RuntimeError):
    """The demo data could not be made; the message says why (e.g. no face model offline)."""


def needs_demo_data(config: config_lib.Config) -> bool:
    """Whether the run reads the demo set and names no prepared folder of its own."""
    data = config.data
    return data.dataset == DEMO and data.source == "tfrecord" and not data.prepared_dir


def prepared_dir_for(config: config_lib.Config) -> str:
    """The cached prepared folder for the run's prepare settings (frame rate, crop, ...).

    The generator version is part of the key: clips made by another version of the demo
    generator are regenerated in place, and their old shards must not be read for them.
    """
    wanted = {**prepare_job.settings(config, DEMO), "generator": demo_set.GENERATOR_VERSION}
    settings = json.dumps(wanted, sort_keys=True)
    digest = hashlib.sha256(settings.encode()).hexdigest()[:10]
    cache = os.path.dirname(demo.default_demo_dir())
    return os.path.join(cache, PREPARED_DIR, f"demo-{digest}")


def ensure_demo_data(config: config_lib.Config) -> None:
    """Synthesizes and prepares the demo set into the cache (both resumable, both cached).

    Sets `data.root` and `data.prepared_dir` of `config` to the cached folders.

    Args:
      config: a run config with `data.dataset == "demo"`; its video / audio settings decide
        the prepared folder.

    Raises:
      DemoDataError: the cache folder holds something else, or the face model for `prepare`
        is not available offline (the message says to set MRPN_FACE_MODEL).
    """
    root = config.data.root or demo.default_demo_dir()
    prepared = prepared_dir_for(config)
    try:
        demo.synthesize(root, workers=WORKERS)
        index = prepare_job.run(config, DEMO, root, prepared, workers=WORKERS)
    except (model_store.ModelUnavailableError, demo_set.DemoFolderError, ValueError) as e:
        raise DemoDataError(f"cannot make the demo data: {e}") from e
    if not index["shards"]:
        raise DemoDataError(f"prepare kept no clip of {root}; see {prepared}/index.json")
    config.data.root, config.data.prepared_dir = root, prepared
