"""Every layer of mrpn_tf/model through the shared layer test (layer_test_case.py)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from mrpn_tf.model import aggregator
from mrpn_tf.model import feature_norm
from mrpn_tf.model import fused_batch_norm
from mrpn_tf.model import fusion_component
from mrpn_tf.model import masked_average_pooling
from mrpn_tf.model import masked_time_distributed
from mrpn_tf.model import residual_perceptron
from mrpn_tf.model import resnet18
from mrpn_tf.model import scoring
from mrpn_tf.model import transformer_encoder
from tests.model.layer_test_case import run_layer_test

RNG = np.random.default_rng(0)
SEQUENCE = RNG.normal(size=(2, 5, 6)).astype(np.float32)
MASK = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], np.float32)
VECTORS = RNG.normal(size=(4, 6)).astype(np.float32)


def _wrapped_dense(**kwargs):
    """MaskedTimeDistributed around a small Dense (the CNN in the networks)."""
    layer = kwargs.pop("layer", None) or keras.layers.Dense(4)
    return masked_time_distributed.MaskedTimeDistributed(layer, **kwargs)


CASES = {
    **{f"aggregator-{kind}": (
        aggregator.SequenceAggregator,
        dict(kind=kind, units=8, num_heads=2, num_layers=1, dropout=0.1),
        [SEQUENCE, MASK],
        (2, aggregator.output_dim(kind, 8, 6)),
    ) for kind in aggregator.KINDS},
    "feature_norm": (feature_norm.FeatureNorm, dict(momentum=0.9), VECTORS, (4, 6)),
    "fused_batch_norm": (fused_batch_norm.BatchNormalization, dict(momentum=0.9),
                         RNG.normal(size=(2, 4, 4, 3)).astype(np.float32), (2, 4, 4, 3)),
    "fusion_component": (fusion_component.FusionComponent,
                         dict(hidden_units=8, num_classes=3, dropout=0.2),
                         [VECTORS, VECTORS[:, :4]], (4, 3)),
    "masked_average_pooling": (masked_average_pooling.MaskedAveragePooling, {},
                               [SEQUENCE, MASK], (2, 6)),
    "masked_time_distributed": (_wrapped_dense, dict(gather_valid=False),
                                [SEQUENCE, MASK], (2, 5, 4)),
    "residual_perceptron": (residual_perceptron.ResidualPerceptron, dict(units=6), VECTORS, (4, 6)),
    "subsample2d": (resnet18.Subsample2D, dict(stride=2),
                    RNG.normal(size=(2, 8, 8, 3)).astype(np.float32), (2, 4, 4, 3)),
    "scoring": (scoring.Scoring, dict(hidden_units=8, num_classes=3), VECTORS, (4, 3)),
    "transformer_block": (transformer_encoder.TransformerEncoderBlock,
                          dict(units=6, num_heads=2, dropout=0.1), SEQUENCE, (2, 5, 6)),
    "transformer_encoder": (transformer_encoder.TransformerEncoder,
                            dict(units=8, num_heads=2, num_layers=2, dropout=0.1),
                            [SEQUENCE, MASK], (2, 5, 8)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_layer(name, tmp_path):
    make_layer, kwargs, data, shape = CASES[name]
    run_layer_test(make_layer, kwargs, data, shape, tmp_path)


def test_every_layer_of_the_model_package_is_covered():
    """A new layer class in mrpn_tf/model must get a case above."""
    import inspect

    covered = {make for make, *_ in CASES.values() if isinstance(make, type)}
    covered.add(masked_time_distributed.MaskedTimeDistributed)  # through _wrapped_dense
    modules = [aggregator, feature_norm, fused_batch_norm, fusion_component, masked_average_pooling,
               masked_time_distributed, residual_perceptron, resnet18, scoring, transformer_encoder]
    layers = {obj for module in modules for _, obj in inspect.getmembers(module, inspect.isclass)
              if issubclass(obj, keras.layers.Layer) and obj.__module__ == module.__name__}
    assert layers <= covered, sorted(c.__name__ for c in layers - covered)
