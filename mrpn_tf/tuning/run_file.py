"""A tuning run file: an ordinary run file plus a `tune:` section (the search space).

    variant: tiny
    data: {dataset: demo}
    tune:
      model.aggregator: {choice: [lstm, transformer]}
      train.learning_rate: {float: [1e-4, 1e-2], sampling: log}

Everything but `tune:` is read by the config loader exactly as `python -m mrpn_tf.train`
reads it (the loader is told to skip `tune:`, which it otherwise refuses as an unknown key);
`tune:` is read by `search_space.parse_space`. No section, no file: `DEFAULT_SPACE`.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Sequence

from mrpn_tf.config import config as config_lib
from mrpn_tf.config import loading
from mrpn_tf.tuning import search_space

TUNE_SECTION = "tune"
# No run file: the offline demo's tiny variant, as for `python -m mrpn_tf.train`.
DEMO_VARIANT = "tiny"


@dataclasses.dataclass(frozen=True)
class TuneRun:
    """What a tuning run file resolves to.

    Attributes:
      config: the base config every trial starts from (run file, then overrides).
      space: the search space, checked against `config`.
      variant: the config variant the run file starts from; the best config names it.
      run_file: the run file's path ("" without one).
    """

    config: config_lib.Config
    space: search_space.SearchSpace
    variant: str
    run_file: str


def load_tune_run(run_file: str | os.PathLike | None, cli_overrides: Sequence[str] = ()) -> TuneRun:
    """Reads a tuning run file and checks its search space against its config.

    Args:
      run_file: a run file with an optional `tune:` section, or None for the demo variant.
      cli_overrides: `section.key=value` strings, applied to the base config.

    Returns:
      The base config, the space and the variant.

    Raises:
      ConfigError: the run file or an override does not fit the config.
      SearchSpaceError: an empty or malformed space, a hyperparameter name that maps onto
        no config key, or a value the config refuses.
    """
    tree = loading.read_run_tree(run_file) if run_file is not None else {}
    variant = str(tree.get("variant") or (DEMO_VARIANT if run_file is None else "default"))
    config = loading.load_config(run_file, cli_overrides, variant=variant, skip_sections=(TUNE_SECTION,))
    if TUNE_SECTION in tree:
        source = f"{run_file}: {TUNE_SECTION}"
        space = search_space.parse_space(tree[TUNE_SECTION], source=source)
    else:
        source, space = "default search space", search_space.default_space()
    space.check_against(config, source)
    return TuneRun(config, space, variant, str(run_file or ""))
