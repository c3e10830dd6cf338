"""studies/real_people: every head per run, and the two questions, from crossval folders."""

from __future__ import annotations

import json
import os

import pytest
import yaml

from mrpn_tf.studies import real_people


def _run(root, fold, name, seed, val):
    folder = os.path.join(root, f"fold{fold}", f"{name}-T")
    os.makedirs(folder)
    with open(os.path.join(folder, "summary.json"), "w") as f:
        json.dump({"fold_name": f"A{2 * fold - 1},{2 * fold}",
                   "val": {h: {"accuracy": a, "loss": 1.0} for h, a in val.items()}}, f)
    with open(os.path.join(folder, "config.yaml"), "w") as f:
        yaml.safe_dump({"train": {"seed": seed}}, f)


def test_heads_and_the_two_questions_over_folds_and_seeds(tmp_path):
    first, second = str(tmp_path / "s1"), str(tmp_path / "s2")
    for root, seed, shift in ((first, 1, 0.0), (second, 2, 0.02)):
        for fold in (1, 2):
            _run(root, fold, "N0", seed, {"va": 0.70 + shift})
            _run(root, fold, "N2", seed, {"v": 0.55, "a": 0.60 + shift, "va": 0.75 + shift})
    runs = real_people.read_runs([first, second])
    columns, rows = real_people.heads_rows(runs)
    assert columns == ["A1,2 / seed 1", "A1,2 / seed 2", "A3,4 / seed 1", "A3,4 / seed 2"]
    assert [label for label, _ in rows] == ["N0 va", "N2 v", "N2 a", "N2 va"]
    answers = real_people.questions(runs)
    assert answers["n2_minus_n0"] == pytest.approx([0.05] * 4)
    assert answers["fusion_gain_n2"] == pytest.approx([0.15] * 4)
    paths = real_people.write(runs, str(tmp_path / "out"))
    questions = open(paths["questions.md"]).read()
    assert "| 2. N2's va minus N0's va, same fold and seed | 4 | +5.0 pts [+5.0, +5.0] | > 0: yes" in questions
    assert ">= 10 points: yes" in questions
    assert os.path.getsize(paths["heads.png"]) > 0
    assert "| N2 va | 75.0% | 77.0% | 75.0% | 77.0% | 76.0% [" in open(paths["heads.md"]).read()
