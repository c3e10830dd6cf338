"""Search space: entries parse into KerasTuner hyperparameters, map onto config keys, and
every malformed entry, unknown name or refused value is an error before a trial runs."""

import keras_tuner
import pytest

from mrpn_tf.config import config as config_lib
from mrpn_tf.tuning import search_space
from mrpn_tf.tuning.search_space import SearchSpaceError


def test_default_space_covers_the_issue_and_fits_both_variants():
    space = search_space.default_space()
    assert space.names == [
        "model.aggregator", "model.residual_perceptron", "model.scoring_units", "model.dropout",
        "train.learning_rate", "train.weight_decay", "model.loss_weight_v", "model.loss_weight_a",
        "model.loss_weight_va", "data.min_slice_s", "data.pairing_prob",
    ]
    space.check_against(config_lib.Config())
    space.check_against(config_lib.tiny())


def test_default_space_brackets_the_paper_values():
    paper = config_lib.Config()
    entries = {h.name: h for h in search_space.default_space().hyperparameters}
    for name, value in [("train.learning_rate", paper.train.learning_rate),
                        ("model.scoring_units", paper.model.scoring_units),
                        ("model.dropout", paper.model.dropout),
                        ("model.loss_weight_va", paper.model.loss_weight_va),
                        ("data.min_slice_s", paper.data.min_slice_s),
                        ("data.pairing_prob", paper.data.pairing_prob)]:
        lo, hi = entries[name].values
        assert lo <= value <= hi, name
    assert paper.model.aggregator in entries["model.aggregator"].values


def test_declare_gives_keras_tuner_hyperparameters():
    space = search_space.parse_space({
        "model.aggregator": {"choice": ["lstm", "transformer"]},
        "model.residual_perceptron": "boolean",
        "model.scoring_units": {"int": [64, 512], "step": 64},
        "train.learning_rate": {"float": ["1e-5", "1e-3"], "sampling": "log"},  # YAML 1.1 text
    })
    hp = keras_tuner.HyperParameters()
    values = space.declare(hp)
    kinds = {p.name: type(p).__name__ for p in hp.space}
    assert kinds == {"model.aggregator": "Choice", "model.residual_perceptron": "Boolean",
                     "model.scoring_units": "Int", "train.learning_rate": "Float"}
    lr = hp.space[3].get_config()
    assert (lr["min_value"], lr["max_value"], lr["sampling"]) == (1e-5, 1e-3, "log")
    assert hp.space[2].get_config()["step"] == 64
    assert values == hp.values


def test_apply_sets_keys_resolves_the_alias_and_leaves_the_base_alone():
    space = search_space.parse_space({
        "model.residual_perceptron": "boolean",
        "model.dropout": {"float": [0.0, 0.5], "step": 0.1},
    })
    base = config_lib.tiny()
    with_rp = space.apply(base, {"model.residual_perceptron": True, "model.dropout": 0.30000000000000004})
    without_rp = space.apply(base, {"model.residual_perceptron": False, "tuner/epochs": 3})
    assert with_rp.model.network == "N2" and without_rp.model.network == "N1"  # eq. 9 vs eq. 8
    assert with_rp.model.dropout == 0.3  # the step grid's float noise is rounded away
    assert base == config_lib.tiny()


def test_round_trip_through_run_file_form():
    space = search_space.default_space()
    assert search_space.parse_space(space.to_dict()) == space


@pytest.mark.parametrize("tree, message", [
    (None, "search space is empty"),
    ({}, "search space is empty"),
    ([1, 2], "must map hyperparameter names"),
    ({"model": {"aggregator": {"choice": ["lstm"]}}}, "not a dotted config key"),
    ({"model.aggregator": ["lstm", "bilstm"]}, "expected `boolean` or a mapping"),
    ({"model.aggregator": {"choice": []}}, "non-empty list"),
    ({"model.aggregator": {"choice": ["lstm", "lstm"]}}, "repeated choices"),
    ({"model.aggregator": {"choice": ["lstm", 3]}}, "mix strings and numbers"),
    ({"data.time_augment": {"choice": [True, False]}}, "as `boolean`"),
    ({"model.dropout": {"float": [0.5, 0.1]}}, "is empty"),
    ({"model.dropout": {"float": [0.1]}}, r"needs \[low, high\]"),
    ({"model.dropout": {"float": [0.0, 0.5], "sampling": "log"}}, "needs low > 0"),
    ({"model.dropout": {"float": [0.1, 0.5], "sampling": "cubic"}}, "sampling 'cubic'"),
    ({"model.dropout": {"float": [0.1, 0.5], "step": 0}}, "step must be > 0"),
    ({"model.dropout": {"float": [0.1, 0.5], "steps": 0.1}}, "unknown option"),
    ({"model.scoring_units": {"int": [64, 512.5]}}, "not an int"),
    ({"model.dropout": {"float": [0.1, 0.5], "int": [1, 2]}}, "exactly one of"),
])
def test_malformed_spaces_are_refused(tree, message):
    with pytest.raises(SearchSpaceError, match=message):
        search_space.parse_space(tree)


@pytest.mark.parametrize("tree, message", [
    ({"model.agregator": {"choice": ["lstm"]}}, "maps onto no config key; did you mean model.aggregator"),
    ({"model.residual": "boolean"}, "did you mean model.residual_perceptron"),
    ({"tuner.kind": "boolean"}, "maps onto no config key; a hyperparameter is named by the config key"),
    ({"model.aggregator": {"choice": ["lstm", "gru"]}}, "model.aggregator='gru' does not fit"),
    ({"data.pairing_prob": {"float": [0.0, 1.5]}}, "data.pairing_prob=1.5 does not fit"),
    ({"model.scoring_units": {"float": [64, 512]}}, "model.scoring_units expects int"),
    ({"model.dropout": "boolean"}, "model.dropout expects float"),
    ({"model.residual_perceptron": {"choice": [1, 0]}}, "takes True or False"),
])
def test_names_and_values_are_checked_against_the_config(tree, message):
    space = search_space.parse_space(tree)
    with pytest.raises(SearchSpaceError, match=message):
        space.check_against(config_lib.tiny())
