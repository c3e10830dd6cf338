"""F_m over time: real frames only, padding gives zeros and stays out of BatchNorm."""

import keras
import numpy as np
import pytest

from mrpn_tf.model import masked_time_distributed
from tests.model.conftest import padded_batch


def small_cnn() -> keras.Model:
    inputs = keras.Input((6, 6, 2))
    x = keras.layers.Conv2D(4, 3, name="conv")(inputs)
    x = keras.layers.BatchNormalization(momentum=0.5, name="bn")(x)
    return keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(x))


@pytest.mark.parametrize("gather_valid", [True, False])
def test_real_steps_are_the_cnn_of_each_frame_and_padding_is_zero(gather_valid):
    cnn = small_cnn()
    layer = masked_time_distributed.MaskedTimeDistributed(cnn, gather_valid=gather_valid)
    x, mask = padded_batch((6, 6, 2), lengths=(2, 4), steps=4, seed=0, pad_value=7.0)
    out = layer([x, mask], training=False).numpy()
    assert out.shape == (2, 4, 4)
    np.testing.assert_allclose(out[0, :2], cnn(x[0, :2], training=False), atol=1e-6)
    np.testing.assert_allclose(out[1], cnn(x[1], training=False), atol=1e-6)
    np.testing.assert_array_equal(out[0, 2:], 0.0)


def test_padding_stays_out_of_batchnorm_statistics():
    def moving_mean_after_training_step(steps, gather_valid):
        keras.utils.set_random_seed(1)
        cnn = small_cnn()
        layer = masked_time_distributed.MaskedTimeDistributed(cnn, gather_valid=gather_valid)
        x, mask = padded_batch((6, 6, 2), lengths=(1, 3), steps=steps, seed=0)
        layer([x, mask], training=True)
        return cnn.get_layer("bn").moving_mean.numpy()

    reference = moving_mean_after_training_step(3, True)
    np.testing.assert_allclose(moving_mean_after_training_step(8, True), reference, atol=1e-6)
    # Without the gather the zero padding frames do reach the statistics.
    assert not np.allclose(moving_mean_after_training_step(8, False), reference, atol=1e-4)
