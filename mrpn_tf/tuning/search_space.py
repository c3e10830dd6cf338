"""The hyperparameter search space: dotted config keys and the values each may take.

A run file declares it under `tune:`, one entry per hyperparameter, named by the config key
it sets (the `key=value` names of the command line):

    tune:
      model.aggregator: {choice: [lstm, bilstm, transformer]}
      model.residual_perceptron: boolean          # alias: true -> N2, false -> N1
      model.scoring_units: {int: [64, 512], step: 64}
      model.dropout: {float: [0.0, 0.5], step: 0.1}
      train.learning_rate: {float: [1e-5, 1e-3], sampling: log}

Kinds: `{choice: [v, ...]}` (strings or numbers of one type), `{int: [lo, hi]}` and
`{float: [lo, hi]}` (optional `step:`, and `sampling:` linear | log | reverse_log, where a log
`step` is a factor, as in KerasTuner), and the word `boolean`. A run file without `tune:`
searches `DEFAULT_SPACE`. Every name and every value it can take is checked against the
config before a trial runs (`check_against`): a name that maps onto no config key, a value
the config refuses and an empty space are errors.

Aliases name a choice the config spells differently: `model.residual_perceptron` is the
Residual Perceptron of paper eq. 6 on (network N2, eq. 9) or off (N1, eq. 8).

This module does not import TensorFlow: the command line checks the space before it starts.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
from typing import Any, Mapping

from mrpn_tf.config import config as config_lib
from mrpn_tf.config import keys as config_keys
from mrpn_tf.config import validation

CHOICE, INT, FLOAT, BOOLEAN = "choice", "int", "float", "boolean"
SAMPLINGS = ("linear", "log", "reverse_log")
# Hyperband's own entries in a trial's values (budget, bracket); they are not config keys.
TUNER_PREFIX = "tuner/"

# The search of the issue, at the paper's scale; each range brackets the paper's (or the
# config's) value so the baseline can win. `python -m mrpn_tf.tune` uses it when the run file
# has no `tune:` section.
DEFAULT_SPACE: dict[str, Any] = {
    "model.aggregator": {CHOICE: ["lstm", "bilstm", "transformer"]},  # paper 4.3 and 4.6
    "model.residual_perceptron": BOOLEAN,  # N2 (eq. 9) vs N1 (eq. 8)
    "model.scoring_units": {INT: [64, 512], "step": 64},  # Scoring's hidden width (eq. 2)
    "model.dropout": {FLOAT: [0.0, 0.5], "step": 0.1},
    "train.learning_rate": {FLOAT: [1e-5, 1e-3], "sampling": "log"},  # paper: 5e-5
    "train.weight_decay": {FLOAT: [1e-6, 1e-2], "sampling": "log"},
    # Eq. 5 weights. The side heads' weights may reach 0 (no side loss); the fusion head,
    # the one the objective scores, keeps a positive weight.
    "model.loss_weight_v": {FLOAT: [0.0, 1.0], "step": 0.25},
    "model.loss_weight_a": {FLOAT: [0.0, 1.0], "step": 0.25},
    "model.loss_weight_va": {FLOAT: [0.5, 2.0], "step": 0.5},
    "data.min_slice_s": {FLOAT: [0.5, 2.0], "step": 0.5},  # paper 3.3 item 2: 1 s
    "data.pairing_prob": {FLOAT: [0.0, 0.5], "step": 0.1},  # paper 1.4 point 2
}


class SearchSpaceError(ValueError):
    """The search space is malformed or does not fit the config; the message says how."""


@dataclasses.dataclass(frozen=True)
class Alias:
    """A hyperparameter whose values stand for values of another config key."""

    key: str
    values: Mapping[Any, Any]


ALIASES = {
    # Paper eq. 6: the Residual Perceptron is what turns N1 (eq. 8) into MRPN N2 (eq. 9).
    "model.residual_perceptron": Alias("model.network", {True: "N2", False: "N1"}),
}


@dataclasses.dataclass(frozen=True)
class Hyperparameter:
    """One entry of the space.

    Attributes:
      name: the dotted config key (or an alias in `ALIASES`).
      kind: "choice", "int", "float" or "boolean".
      values: the choices (choice), (lo, hi) (int, float) or (True, False) (boolean).
      step: grid step of int / float ranges (a factor for log sampling), or None.
      sampling: "linear", "log" or "reverse_log" (int / float).
    """

    name: str
    kind: str
    values: tuple
    step: float | int | None = None
    sampling: str = "linear"

    @property
    def config_key(self) -> str:
        """The config key this hyperparameter sets."""
        return ALIASES[self.name].key if self.name in ALIASES else self.name

    def config_value(self, value: Any) -> Any:
        """The config value for a hyperparameter value (through the alias, if any).

        Raises:
          ConfigError: a value the alias does not define.
        """
        if self.name not in ALIASES:
            return value
        alias = ALIASES[self.name]
        # Types must match too: 1 == True in Python, but a choice of 1 is not `boolean`.
        if not any(type(key) is type(value) and key == value for key in alias.values):
            raise config_lib.ConfigError(f"{self.name} takes {' or '.join(map(repr, alias.values))} "
                                        f"(write it as `boolean`), got {value!r}")
        return alias.values[value]

    def declare(self, hp: Any) -> Any:
        """Registers this entry on a `keras_tuner.HyperParameters` and returns its value."""
        if self.kind == CHOICE:
            return hp.Choice(self.name, list(self.values))
        if self.kind == BOOLEAN:
            return hp.Boolean(self.name)
        lo, hi = self.values
        declare = hp.Int if self.kind == INT else hp.Float
        options = {"step": self.step} if self.step is not None else {}
        return declare(self.name, lo, hi, sampling=self.sampling, **options)

    def to_dict(self) -> Any:
        """The entry in run-file form (`parse_entry` reads it back)."""
        if self.kind == BOOLEAN:
            return BOOLEAN
        entry: dict[str, Any] = {self.kind: list(self.values)}
        if self.step is not None:
            entry["step"] = self.step
        if self.kind != CHOICE:
            entry["sampling"] = self.sampling
        return entry


def _number(value: Any, kind: str, where: str) -> int | float:
    """A range bound or step; YAML 1.1 reads `1e-5` as text, which is still a number here."""
    error = SearchSpaceError(f"{where}: {value!r} is not {'an int' if kind == INT else 'a float'}")
    if isinstance(value, bool):
        raise error
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise error from None
    if kind == INT:
        if not number.is_integer():
            raise error
        return int(number)
    return number


def _choice_values(values: Any, where: str) -> tuple:
    if not isinstance(values, (list, tuple)) or not values:
        raise SearchSpaceError(f"{where}: `choice` needs a non-empty list of values")
    if any(isinstance(v, bool) for v in values):
        raise SearchSpaceError(f"{where}: write a true/false hyperparameter as `boolean`")
    if not all(isinstance(v, (str, int, float)) for v in values):
        raise SearchSpaceError(f"{where}: choices must be strings or numbers, got {list(values)}")
    if all(isinstance(v, (int, float)) for v in values) and not all(isinstance(v, int) for v in values):
        values = [float(v) for v in values]  # [0, 0.5]: one type, as KerasTuner requires
    if len({type(v) for v in values}) > 1:
        raise SearchSpaceError(f"{where}: choices mix strings and numbers: {list(values)}")
    if len(set(values)) != len(values):
        raise SearchSpaceError(f"{where}: repeated choices in {list(values)}")
    return tuple(values)


def _range(entry: Mapping[str, Any], kind: str, where: str) -> Hyperparameter:
    bounds = entry[kind]
    if not isinstance(bounds, (list, tuple)) or len(bounds) != 2:
        raise SearchSpaceError(f"{where}: `{kind}` needs [low, high], got {bounds!r}")
    lo, hi = (_number(b, kind, where) for b in bounds)
    if lo >= hi:
        raise SearchSpaceError(f"{where}: `{kind}` range [{lo}, {hi}] is empty (low must be < high)")
    sampling = entry.get("sampling", "linear")
    if sampling not in SAMPLINGS:
        raise SearchSpaceError(f"{where}: sampling {sampling!r}; expected one of {', '.join(SAMPLINGS)}")
    if sampling != "linear" and lo <= 0:
        raise SearchSpaceError(f"{where}: {sampling} sampling needs low > 0, got {lo}")
    step = entry.get("step")
    if step is not None:
        step = _number(step, kind, where)
        if step <= 0:
            raise SearchSpaceError(f"{where}: step must be > 0, got {step}")
    return Hyperparameter("", kind, (lo, hi), step, sampling)


def parse_entry(name: str, entry: Any) -> Hyperparameter:
    """One `tune:` entry (module docstring) as a `Hyperparameter`.

    Raises:
      SearchSpaceError: an unknown kind or option, or values of the wrong shape.
    """
    where = f"tune: {name}"
    if entry == BOOLEAN:
        return Hyperparameter(name, BOOLEAN, (True, False))
    if not isinstance(entry, Mapping):
        raise SearchSpaceError(f"{where}: expected `boolean` or a mapping such as "
                               f"{{choice: [...]}}, {{int: [lo, hi]}}, {{float: [lo, hi]}}; got {entry!r}")
    kinds = [k for k in (CHOICE, INT, FLOAT) if k in entry]
    if len(kinds) != 1:
        raise SearchSpaceError(f"{where}: name exactly one of choice, int, float; got {sorted(entry)}")
    kind = kinds[0]
    allowed = {kind} if kind == CHOICE else {kind, "step", "sampling"}
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise SearchSpaceError(f"{where}: unknown option(s) {', '.join(unknown)} for `{kind}`; "
                               f"allowed: {', '.join(sorted(allowed))}")
    if kind == CHOICE:
        return Hyperparameter(name, CHOICE, _choice_values(entry[CHOICE], where))
    return dataclasses.replace(_range(entry, kind, where), name=name)


@dataclasses.dataclass(frozen=True)
class SearchSpace:
    """The hyperparameters of a search, in declaration order."""

    hyperparameters: tuple[Hyperparameter, ...]

    @property
    def names(self) -> list[str]:
        """The hyperparameter names, in declaration order."""
        return [h.name for h in self.hyperparameters]

    def declare(self, hp: Any) -> dict[str, Any]:
        """Registers every entry on a `keras_tuner.HyperParameters`; returns name -> value."""
        return {h.name: h.declare(hp) for h in self.hyperparameters}

    def apply(self, config: config_lib.Config, values: Mapping[str, Any]) -> config_lib.Config:
        """A copy of `config` with the hyperparameter values set (aliases resolved).

        Args:
          config: the base config; not changed.
          values: name -> value, e.g. a trial's `hp.values`; Hyperband's `tuner/` entries
            are ignored.

        Returns:
          The new, validated config.

        Raises:
          ConfigError: a value the config refuses (`check_against` finds these up front).
        """
        result = copy.deepcopy(config)
        by_name = {h.name: h for h in self.hyperparameters}
        for name, value in values.items():
            if name.startswith(TUNER_PREFIX):
                continue
            entry = by_name[name]
            if isinstance(value, float):
                value = float(f"{value:.12g}")  # 0.30000000000000004 -> 0.3 from a step grid
            config_keys.set_value(result, entry.config_key, entry.config_value(value),
                                source=f"hyperparameter {name}")
        validation.validate(result)
        return result

    def to_dict(self) -> dict[str, Any]:
        """The space in run-file form."""
        return {h.name: h.to_dict() for h in self.hyperparameters}

    def check_against(self, config: config_lib.Config, source: str = "tune") -> None:
        """Refuses names that map onto no config key and values the config refuses.

        Each hyperparameter's choices (or both ends of its range) are set, one at a time,
        on a copy of `config` and the config's invariants are checked.

        Args:
          config: the base config of the search.
          source: where the space came from, for messages.

        Raises:
          SearchSpaceError: the first problem, naming the hyperparameter.
        """
        keys = config_keys.valid_keys(config)
        for entry in self.hyperparameters:
            if entry.config_key not in keys:
                raise SearchSpaceError(f"{source}: hyperparameter {entry.name!r} maps onto no config "
                                       f"key{_nearest_names(entry.name, keys)}")
            for value in entry.values:  # the choices, or both ends of a range
                try:
                    self.apply(config, {entry.name: value})
                except config_lib.ConfigError as e:
                    raise SearchSpaceError(f"{source}: {entry.name}={value!r} does not fit the config: {e}") from e


def _nearest_names(name: str, keys: list[str]) -> str:
    """"; did you mean ...?" over the config keys and the aliases, or "" when nothing is near."""
    near = difflib.get_close_matches(name, keys + list(ALIASES), n=3, cutoff=0.6)
    return f"; did you mean {', '.join(near)}?" if near else (
        "; a hyperparameter is named by the config key it sets (e.g. model.aggregator) or by an "
        f"alias ({', '.join(ALIASES)})")


def parse_space(tree: Any, source: str = "tune") -> SearchSpace:
    """The `tune:` section of a run file as a `SearchSpace`.

    Args:
      tree: the section: hyperparameter name -> entry (module docstring).
      source: where it came from, for messages.

    Returns:
      The space, entries in file order.

    Raises:
      SearchSpaceError: not a mapping, empty, or a malformed entry.
    """
    if tree is None or tree == {}:
        raise SearchSpaceError(f"{source}: the search space is empty; name at least one "
                               "hyperparameter under `tune:` (or drop the section for the default space)")
    if not isinstance(tree, Mapping):
        raise SearchSpaceError(f"{source}: `tune:` must map hyperparameter names to entries, "
                               f"got {type(tree).__name__}")
    for name in tree:
        if not isinstance(name, str) or "." not in name:
            raise SearchSpaceError(f"{source}: hyperparameter {name!r} is not a dotted config key "
                                   "such as model.aggregator (write `tune:` entries flat, not nested)")
    return SearchSpace(tuple(parse_entry(name, entry) for name, entry in tree.items()))


def default_space() -> SearchSpace:
    """`DEFAULT_SPACE` as a `SearchSpace`."""
    return parse_space(DEFAULT_SPACE, source="default search space")
