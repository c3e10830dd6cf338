"""Committed folds: actor-disjoint, each actor validated once, balanced, and regenerable."""

import collections
import importlib.resources
import json

import pytest

from mrpn_tf.data.datasets import ravdess
from mrpn_tf.data.folds import folds, make_folds

DATASETS = ("ravdess", "cremad", "demo")


@pytest.mark.parametrize("dataset", DATASETS)
def test_folds_are_disjoint_and_validate_every_actor_once(dataset):
    all_actors = set(folds.actor_genders(dataset))
    loaded = folds.load_folds(dataset)
    validated = collections.Counter(a for f in loaded for a in f.val_actors)
    assert set(validated) == all_actors and set(validated.values()) == {1}
    for k, f in enumerate(loaded, start=1):
        assert f.index == k and f.dataset == dataset
        assert not set(f.train_actors) & set(f.val_actors)
        assert set(f.train_actors) | set(f.val_actors) == all_actors
        assert list(f.train_actors) == sorted(f.train_actors)


@pytest.mark.parametrize("dataset, num_folds", [("ravdess", 12), ("demo", 4)])
def test_pair_folds_follow_table_1(dataset, num_folds):
    loaded = folds.load_folds(dataset)
    genders = folds.actor_genders(dataset)
    assert len(loaded) == num_folds
    for k in range(1, num_folds + 1):
        f = folds.fold(dataset, k)
        assert f.val_actors == (2 * k - 1, 2 * k) and f.name == f"A{2 * k - 1},{2 * k}"
        assert [genders[a] for a in f.val_actors] == ["M", "F"]
        assert len(f.train_actors) == 2 * num_folds - 2
    assert genders == {a: ravdess.actor_gender(a) for a in range(1, 2 * num_folds + 1)}


def test_cremad_folds_are_tenths_balanced_by_gender():
    loaded = folds.load_folds("cremad")
    genders = folds.actor_genders("cremad")
    assert sorted(genders) == list(range(1001, 1092))
    assert collections.Counter(genders.values()) == {"M": 48, "F": 43}
    assert [f.name for f in loaded] == [f"S{k}" for k in range(1, 10)]
    for f in loaded:
        males = sum(genders[a] == "M" for a in f.val_actors)
        assert len(f.val_actors) in (10, 11)
        # Within one actor of the dataset's 48:43 share for a fold of this size.
        assert abs(males - len(f.val_actors) * 48 / 91) < 1


def test_cremad_committed_genders_match_the_published_table():
    genders = folds.actor_genders("cremad")
    # Spot checks against VideoDemographics.csv: first, last, and runs of each sex.
    actors = (1001, 1002, 1005, 1034, 1047, 1070, 1090, 1091)
    assert [genders[a] for a in actors] == list("MFMMFMMF")


@pytest.mark.parametrize("dataset, num_folds", [("ravdess", 12), ("cremad", 9), ("demo", 4)])
def test_bad_fold_number_names_the_range(dataset, num_folds):
    for k in (0, num_folds + 1):
        with pytest.raises(ValueError, match=f"folds 1..{num_folds}; got fold {k}"):
            folds.fold(dataset, k)


@pytest.mark.parametrize("dataset", DATASETS)
def test_fold_all_trains_every_actor_and_validates_none(dataset):
    every = folds.fold(dataset, folds.ALL)
    assert every.train_actors == tuple(sorted(folds.actor_genders(dataset))) and every.val_actors == ()
    assert every.index == every.name == "all"
    clips = _ravdess_clips(range(24, 0, -1))
    assert folds.split(clips, "ravdess", folds.ALL) == (clips, [])


def test_unknown_dataset_has_no_folds():
    with pytest.raises(ValueError, match="'iemocap'"):
        folds.load_folds("iemocap")


def _ravdess_clips(actors):
    names = [f"03-01-{e:02d}-01-01-01-{a:02d}.wav" for a in actors for e in (1, 5)]
    return [ravdess.parse_name(name) for name in names]


def test_split_by_actor_keeps_order():
    clips = _ravdess_clips(range(24, 0, -1))
    train, val = folds.split(clips, "ravdess", 3)
    assert {c.actor for c in val} == {5, 6} and len(val) == 4
    assert len(train) == 44 and not {c.actor for c in train} & {5, 6}
    assert train == [c for c in clips if c.actor not in (5, 6)]


def test_split_refuses_actors_outside_the_fold_file():
    with pytest.raises(ValueError, match=r"actors \[9\]"):
        folds.split(_ravdess_clips([1, 9]), "demo", 1)


def test_deal_by_gender_golden():
    genders = {1: "M", 2: "M", 3: "F", 4: "F", 5: "U", 6: "M"}
    # Males 1, 2, 6 -> folds 0, 1, 0; females continue at fold 1: 3 -> 1, 4 -> 0; then 5 -> 1.
    assert make_folds.deal_by_gender(genders, 2) == [[1, 4, 6], [2, 3, 5]]


def test_deal_with_unknown_genders_still_gives_tenths():
    dealt = make_folds.deal_by_gender({a: "U" for a in range(1001, 1092)}, 9)
    assert sorted(len(v) for v in dealt) == [10] * 8 + [11]
    assert sorted(a for v in dealt for a in v) == list(range(1001, 1092))


def test_regenerating_gives_the_committed_files(tmp_path):
    written = make_folds.main(["--out-dir", str(tmp_path)])
    assert len(written) == len(DATASETS)
    package = importlib.resources.files("mrpn_tf.data.folds")
    for dataset in DATASETS:
        name = folds.fold_file_name(dataset)
        regenerated = (tmp_path / name).read_text(encoding="utf-8")
        assert regenerated == (package / name).read_text(encoding="utf-8")
        assert json.loads(regenerated) == make_folds.build_spec(dataset)


def test_fold_files_document_their_method():
    for dataset in DATASETS:
        spec = folds.load_spec(dataset)
        assert spec["dataset"] == dataset and spec["method"] and spec["gender_source"]
    assert "round-robin" in folds.load_spec("cremad")["method"]
    assert "CheyneyComputerScience/CREMA-D" in folds.load_spec("cremad")["gender_source"]
