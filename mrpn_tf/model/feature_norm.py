"""FeatureNorm: the statistical normalization unit of paper 3.1 (item 3).

"All instances of FeatureNorm unit are implemented as batch normalization units" (paper 3.1,
observation 1). A named subclass rather than a bare BatchNormalization so that every FeatureNorm
of eqs. 2-9 can be found in a model (and counted by the tests) apart from the BatchNorms inside
the ResNet-18 extractors.
"""

from __future__ import annotations

import keras

from mrpn_tf.model.resnet18 import BN_MOMENTUM


@keras.saving.register_keras_serializable(package="mrpn_tf")
class FeatureNorm(keras.layers.BatchNormalization):
    """Batch normalization of feature vectors [B, D] (f-hat = FeatureNorm(f), eqs. 3, 6-9).

    Takes BatchNormalization's arguments and config; the moving averages default to the
    extractors' momentum (resnet18.BN_MOMENTUM, torchvision's value) instead of Keras's 0.99.
    """

    def __init__(self, momentum: float = BN_MOMENTUM, **kwargs):
        super().__init__(momentum=momentum, **kwargs)
