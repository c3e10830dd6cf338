"""The interference experiment's data: one demo set per q, fuzzy for chosen actors, prepared.

    <out>/data/q<q>/       demo clips (mrpn_tf.demo) in which each clip of a fuzzy actor
                           carries, with probability q, the fuzzy modality's cue of another class
    <out>/prepared/q<q>/   their `prepare` shards

The generator draws each clip's content, its duration and its fuzzy swap from independent
random streams (clip_plan.py). So the sets of all q share every clean clip, and a clip swapped
at q = 0.3 is swapped, to the same wrong class, at q = 0.6: moving along q changes fuzzy cues
and nothing else.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from mrpn_tf.config import config as config_lib
from mrpn_tf.data.datasets import DEMO
from mrpn_tf.demo import demo_set
from mrpn_tf.studies import interference_runs
from mrpn_tf.demo import demo_run

DATA_DIR = "data"
PREPARED_DIR = "prepared"
# 8 actors (the demo fold file's) and 2 clips per actor and emotion: 96 training clips on
# fold 1, a third fewer than the offline demo's, so that a short budget stays below the ceiling
# where harm would not show. Spelled out rather than the generator's defaults, so that the
# experiment does not change when the demo does. The generator's seed is fixed: the
# experiment's seeds vary training, never the data.
ACTORS = 8
CLIPS_PER_EMOTION = 2
DATA_SEED = 0


@dataclasses.dataclass(frozen=True)
class FuzzySetting:
    """Which clips may lie, and in which modality.

    Attributes:
      modality: "video" (the face shows another class) or "audio" (the voice does).
      actors: the training actors whose clips may carry the wrong cue.
    """

    modality: str
    actors: tuple[int, ...]


def data_settings(fuzzy: FuzzySetting) -> dict[str, Any]:
    """What decides the clips of every q (the experiment folder records it)."""
    return {"generator_version": demo_set.GENERATOR_VERSION, "actors": ACTORS,
            "clips_per_emotion": CLIPS_PER_EMOTION, "seed": DATA_SEED,
            "fuzzy_modality": fuzzy.modality, "fuzzy_actors": sorted(fuzzy.actors)}


def folders(out_dir: str, q: float) -> tuple[str, str]:
    """(demo folder, prepared folder) of one q inside the experiment folder."""
    name = interference_runs.q_name(q)
    return os.path.join(out_dir, DATA_DIR, name), os.path.join(out_dir, PREPARED_DIR, name)


def make_data(
    config: config_lib.Config, out_dir: str, q: float, fuzzy: FuzzySetting, workers: int = 2
) -> tuple[str, str]:
    """Synthesizes and prepares the demo set of one q (both resumable, both cached).

    Args:
      config: the experiment's config (its video / audio settings shape the shards).
      out_dir: the experiment folder.
      q: probability of a wrong cue per clip of a fuzzy actor.
      fuzzy: the fuzzy modality and actors.
      workers: clips synthesized and prepared in parallel.

    Returns:
      (demo folder, prepared folder).

    Raises:
      DemoDataError: the folders hold something else, or the face model for `prepare` is not
        available offline (the message says to set MRPN_FACE_MODEL).
    """
    from mrpn_tf.data import prepare_job  # MediaPipe and PyAV: only when data is made
    from mrpn_tf.data.media import model_store

    root, prepared = folders(out_dir, q)
    try:
        demo_set.synthesize(root, ACTORS, CLIPS_PER_EMOTION, DATA_SEED, fuzzy_actors=fuzzy.actors,
                            fuzzy_modality=fuzzy.modality, fuzzy_prob=q, workers=workers)
        index = prepare_job.run(config, DEMO, root, prepared, workers=workers)
    except (model_store.ModelUnavailableError, demo_set.DemoFolderError, ValueError) as e:
        raise demo_run.DemoDataError(f"cannot make the data of q={q:g}: {e}") from e
    kept = sum(len(shard["clips"]) for shard in index["shards"])
    if not kept:
        raise demo_run.DemoDataError(f"prepare kept no clip of {root}; see {prepared}/index.json")
    print(f"q={q:g}: {kept} clips prepared in {prepared}, {len(index['skipped'])} skipped")
    return root, prepared
