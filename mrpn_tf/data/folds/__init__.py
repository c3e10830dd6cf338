"""Committed actor-disjoint folds (`<dataset>.json`) and the functions that read them."""

from mrpn_tf.data.folds.folds import Fold, actor_genders, fold, load_folds, split

__all__ = ["Fold", "actor_genders", "fold", "load_folds", "split"]
