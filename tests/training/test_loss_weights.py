"""Loss weights of eq. 5 reach the gradients: w_v = 0 means no L_v gradient."""

import numpy as np
import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import features
from mrpn_tf.model import layer_names
from mrpn_tf.training import task


def _batch(config, clips=2, frames=3, segments=1):
    rng = np.random.default_rng(0)
    size, audio = config.video.crop_size, config.audio
    x = {
        features.VIDEO: rng.random((clips, frames, size, size, 3), np.float32),
        features.VIDEO_MASK: np.ones((clips, frames), np.float32),
        features.AUDIO: rng.standard_normal((clips, segments, audio.freq_bins, audio.frames_per_segment)).astype(np.float32),
        features.AUDIO_MASK: np.ones((clips, segments), np.float32),
    }
    labels = np.array([1, 5], np.int32)
    return x, {h: labels for h in features.HEAD_KEYS}, {h: np.ones(clips, np.float32) for h in features.HEAD_KEYS}


def _loss_and_gradients(weights):
    config = config_lib.tiny()
    config.model.loss_weight_v, config.model.loss_weight_a, config.model.loss_weight_va = weights
    model = task.build_compiled_model(config, 8)
    x, y, w = _batch(config)
    with tf.GradientTape() as tape:
        y_pred = model(x, training=True)
        loss = model.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=w, training=True)
    grads = dict(zip((v.path for v in model.trainable_variables),
                     tape.gradient(loss, model.trainable_variables)))
    return model, loss, grads, y, y_pred


def _side_head_gradient(model, grads, head):
    layer = model.get_layer(layer_names.side_head(head))
    return [grads[v.path] for v in layer.trainable_variables]


def _cross_entropy(y, p):
    return float(np.mean(-np.log(np.clip(p[np.arange(len(y)), y], 1e-7, 1.0))))


def test_zero_video_weight_gives_no_video_side_head_gradient():
    model, _, grads, _, _ = _loss_and_gradients((0.0, 1.0, 1.0))
    assert all(g is None or not np.any(g) for g in _side_head_gradient(model, grads, features.V))
    assert any(np.any(g) for g in _side_head_gradient(model, grads, features.A))


def test_unit_video_weight_gives_a_video_side_head_gradient():
    model, _, grads, _, _ = _loss_and_gradients((1.0, 1.0, 1.0))
    assert any(np.any(g) for g in _side_head_gradient(model, grads, features.V))


def test_total_loss_is_the_weighted_sum_of_head_losses():
    _, loss, _, y, y_pred = _loss_and_gradients((0.0, 0.5, 2.0))
    expected = sum(w * _cross_entropy(y[h], np.asarray(y_pred[h]))
                   for h, w in ((features.V, 0.0), (features.A, 0.5), (features.VA, 2.0)))
    np.testing.assert_allclose(float(loss), expected, rtol=1e-5)
