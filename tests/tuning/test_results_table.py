"""Results table: golden Markdown from hand-made rows, and rows from KerasTuner trials."""

import keras_tuner
from keras_tuner.engine import trial as trial_module

from mrpn_tf.tuning import objective
from mrpn_tf.tuning import results_table
from mrpn_tf.tuning.results_table import TrialRow


def test_golden_markdown():
    rows = [
        TrialRow("1", "COMPLETED", 0.6667, 1.2345, 2, {"model.aggregator": "transformer", "train.learning_rate": 0.000123}),
        TrialRow("0", "COMPLETED", 0.5, 1.5, 1, {"model.aggregator": "lstm", "train.learning_rate": 0.001}),
        TrialRow("2", "FAILED", None, None, None, {"model.aggregator": "a|b"}, note="ResourceExhaustedError: OOM"),
    ]
    text = results_table.format_markdown(rows, ["model.aggregator", "train.learning_rate"], ["# Search x"])
    assert text == (
        "# Search x\n"
        "\n"
        "| rank | trial | val_va_accuracy | val_loss | epoch | model.aggregator | train.learning_rate | status |\n"
        "|---:|---|---:|---:|---:|---|---|---|\n"
        "| 1 | 1 | 0.667 | 1.23 | 2 | transformer | 0.000123 | COMPLETED |\n"
        "| 2 | 0 | 0.5 | 1.5 | 1 | lstm | 0.001 | COMPLETED |\n"
        "| – | 2 | – | – | – | a\\|b | – | FAILED: ResourceExhaustedError: OOM |\n"
    )


def make_trial(trial_id, status, accuracy=None, message=None, values=None):
    hp = keras_tuner.HyperParameters()
    hp.Choice("model.aggregator", ["lstm", "transformer"])
    hp.values.update(values or {})
    trial = trial_module.Trial(hp, trial_id=trial_id, status=status)
    trial.message = message
    if accuracy is not None:
        for name, value in ((objective.OBJECTIVE, accuracy), (objective.VAL_LOSS, 1.0), ("epoch", 3.0)):
            trial.metrics.register(name)
            trial.metrics.update(name, value)
    return trial


def test_rows_from_trials_best_first_failures_last():
    trials = [
        make_trial("0", "COMPLETED", 0.25),
        make_trial("1", "FAILED", message="Traceback ...\nValueError: boom\n"),
        make_trial("2", "COMPLETED", 0.75, values={"model.aggregator": "transformer", "tuner/epochs": 2}),
    ]
    rows = results_table.rows_from_trials(trials)
    assert [r.trial_id for r in rows] == ["2", "0", "1"]
    assert (rows[0].objective, rows[0].val_loss, rows[0].epoch) == (0.75, 1.0, 3)
    assert rows[2].note == "ValueError: boom" and rows[0].note == ""
    text = results_table.format_markdown(rows, ["model.aggregator"])
    assert "| model.aggregator | tuner/epochs | status |" in text  # Hyperband's budget column
