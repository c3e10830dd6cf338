"""Fused BatchNormalization: computes what keras.layers.BatchNormalization computes, in one kernel.

Each check runs the fused layer next to Keras's own layer holding the same weights: outputs in
both modes, moving statistics after training steps (Keras averages the biased batch variance,
the kernel returns the Bessel-corrected one), gradients, `fit`, `trainable = False`, `.keras`
and `.weights.h5` files (checkpoints written with Keras's layer load), precise_bn.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from mrpn_tf.model import fused_batch_norm
from mrpn_tf.model import resnet18
from mrpn_tf.training import precise_bn

MOMENTUM = 0.9
EPSILON = 1e-5  # the ResNet's


def _pair(shape, seed=0, **kwargs):
    """A fused layer and a Keras layer, built for `shape`, with the same non-trivial weights."""
    kwargs = {"momentum": MOMENTUM, "epsilon": EPSILON, **kwargs}
    fused = fused_batch_norm.BatchNormalization(**kwargs)
    plain = keras.layers.BatchNormalization(**kwargs)
    fused.build(shape)
    plain.build(shape)
    rng = np.random.default_rng(seed)
    channels = shape[kwargs.get("axis", -1)]
    values = {
        "gamma": rng.uniform(0.5, 1.5, channels),
        "beta": rng.uniform(-0.5, 0.5, channels),
        "moving_mean": rng.uniform(-1.0, 1.0, channels),
        "moving_variance": rng.uniform(0.5, 2.0, channels),
    }
    for layer in (fused, plain):
        for name, value in values.items():
            if getattr(layer, name) is not None:
                getattr(layer, name).assign(value.astype(np.float32))
    return fused, plain


def _inputs(shape, seed=1):
    # Off-centre and not unit scale, like a conv's output, so the statistics matter.
    rng = np.random.default_rng(seed)
    return (3.0 + 2.0 * rng.standard_normal(shape)).astype(np.float32)


def _fused_ops(layer, x, training):
    graph = tf.function(lambda t: layer(t, training=training)).get_concrete_function(
        tf.TensorSpec(x.shape, tf.float32)).graph
    return [op.type for op in graph.get_operations() if op.type.startswith("FusedBatchNorm")]


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("center,scale", [(True, True), (False, True), (True, False)])
def test_outputs_equal_keras(training, center, scale):
    shape = (6, 7, 5, 4)
    fused, plain = _pair(shape, center=center, scale=scale)
    x = _inputs(shape)
    np.testing.assert_allclose(
        fused(x, training=training).numpy(), plain(x, training=training).numpy(),
        rtol=1e-5, atol=1e-5)
    assert _fused_ops(fused, x, training) == ["FusedBatchNormV3"]


@pytest.mark.parametrize("shape", [(8, 6, 5, 4), (3, 1, 1, 16), (1, 1, 1, 4)])
def test_moving_statistics_after_training_steps_equal_keras(shape):
    """Ten training steps on different batches; (3, 1, 1, 16) is the shape of the tiny ResNet's
    last stage on a small input, (1, 1, 1, 4) one value per channel (biased variance 0)."""
    fused, plain = _pair(shape)
    for step in range(10):
        x = _inputs(shape, seed=10 + step)
        fused(x, training=True)
        plain(x, training=True)
    np.testing.assert_allclose(fused.moving_mean.numpy(), plain.moving_mean.numpy(),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fused.moving_variance.numpy(), plain.moving_variance.numpy(),
                               rtol=1e-5, atol=1e-6)


def test_moving_variance_is_the_biased_one():
    """One step at momentum 0 leaves the batch's own statistics, variance divided by n."""
    shape = (4, 3, 2, 5)
    layer = fused_batch_norm.BatchNormalization(momentum=0.0, epsilon=EPSILON)
    x = _inputs(shape)
    layer(x, training=True)
    np.testing.assert_allclose(layer.moving_mean.numpy(), x.mean(axis=(0, 1, 2)), rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), x.var(axis=(0, 1, 2)), rtol=1e-5)


@pytest.mark.parametrize("training", [True, False])
def test_gradients_equal_keras(training):
    shape = (6, 5, 4, 3)
    fused, plain = _pair(shape)
    x = tf.constant(_inputs(shape))
    upstream = tf.constant(np.random.default_rng(2).standard_normal(shape).astype(np.float32))

    def gradients(layer):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(layer(x, training=training) * upstream)
        return tape.gradient(loss, [x, layer.gamma.value, layer.beta.value])

    for got, want in zip(gradients(fused), gradients(plain)):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-4, atol=1e-4)


def _conv_model(batch_norm, seed=0):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((8, 8, 2))
    h = keras.layers.Conv2D(4, 3, padding="same", use_bias=False, name="conv")(inputs)
    h = batch_norm(momentum=MOMENTUM, epsilon=EPSILON, name="bn")(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    outputs = keras.layers.Dense(2, name="dense")(h)
    return keras.Model(inputs, outputs)


def test_fit_equals_keras():
    """Compiled training steps (tf.function, optimizer): the same weights and statistics."""
    rng = np.random.default_rng(3)
    x = (1.0 + rng.standard_normal((24, 8, 8, 2))).astype(np.float32)
    y = rng.standard_normal((24, 2)).astype(np.float32)
    models = [_conv_model(fused_batch_norm.BatchNormalization),
              _conv_model(keras.layers.BatchNormalization)]
    models[1].set_weights(models[0].get_weights())
    for model in models:
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        model.fit(x, y, batch_size=6, epochs=2, shuffle=False, verbose=0)
    for got, want in zip(*(model.weights for model in models)):
        assert got.path == want.path
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-4, atol=1e-5)


def test_non_trainable_layer_runs_in_inference_mode():
    """Keras 3: a BatchNormalization set trainable=False normalizes with its moving statistics
    and does not update them, even when called with training=True."""
    shape = (4, 3, 3, 2)
    fused, plain = _pair(shape)
    fused.trainable = plain.trainable = False
    x = _inputs(shape)
    before = fused.moving_mean.numpy(), fused.moving_variance.numpy()
    got = fused(x, training=True).numpy()
    np.testing.assert_allclose(got, fused(x, training=False).numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(got, plain(x, training=True).numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(fused.moving_mean.numpy(), before[0])
    np.testing.assert_array_equal(fused.moving_variance.numpy(), before[1])


@pytest.mark.parametrize("case", ["2-D", "channels first", "mask", "renorm", "float16"])
def test_keras_call_where_the_kernel_does_not_apply(case):
    shape, kwargs, mask = (6, 7, 5, 4), {}, None
    if case == "2-D":
        shape = (6, 4)
    elif case == "channels first":
        kwargs = {"axis": 1}
    elif case == "mask":
        shape = (6, 7, 4, 4)
        mask = np.random.default_rng(4).random((6, 7, 4)) > 0.3
    elif case == "renorm":
        kwargs = {"renorm": True}
    elif case == "float16":
        kwargs = {"dtype": "mixed_float16"}
    fused, plain = _pair(shape, **kwargs)
    x = _inputs(shape)
    assert not fused.uses_fused_kernel(keras.ops.cast(x, fused.compute_dtype), mask)
    tolerance = 1e-2 if case == "float16" else 1e-5
    for training in (True, False):
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(fused(x, training=training, mask=mask)).astype(np.float32),
            keras.ops.convert_to_numpy(plain(x, training=training, mask=mask)).astype(np.float32),
            rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(fused.moving_variance.numpy(), plain.moving_variance.numpy(),
                               rtol=1e-5, atol=1e-6)


def test_keras_file_round_trip(tmp_path):
    model = _conv_model(fused_batch_norm.BatchNormalization)
    x = _inputs((5, 8, 8, 2))
    model(x, training=True)  # moving statistics away from their initial values
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded.get_layer("bn")) is fused_batch_norm.BatchNormalization
    assert loaded.get_layer("bn").get_config() == model.get_layer("bn").get_config()
    for a, b in zip(model.weights, loaded.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_array_equal(loaded(x, training=False).numpy(), model(x, training=False).numpy())


@pytest.mark.parametrize("direction", ["keras to fused", "fused to keras"])
def test_extractor_checkpoints_load_across_the_two_layers(tmp_path, monkeypatch, direction):
    """A `.weights.h5` of the ResNet-18 built with Keras's BatchNormalization (every checkpoint
    written before this layer) loads into the fused build, and the other way round: Keras files
    weights under the class name, which both call BatchNormalization."""

    def build(fused):
        with monkeypatch.context() as patch:
            if not fused:
                patch.setattr(fused_batch_norm, "BatchNormalization", keras.layers.BatchNormalization)
            return resnet18.resnet18((32, 32, 3), 0.125)

    source = build(fused=direction == "fused to keras")
    target = build(fused=direction == "keras to fused")
    kinds = {type(layer) for layer in target.layers + source.layers
             if isinstance(layer, keras.layers.BatchNormalization)}
    assert kinds == {fused_batch_norm.BatchNormalization, keras.layers.BatchNormalization}
    rng = np.random.default_rng(5)
    for weight in source.weights:
        weight.assign(rng.uniform(0.5, 1.5, weight.shape).astype(np.float32))
    path = str(tmp_path / "extractor.weights.h5")
    source.save_weights(path)
    resnet18.load_extractor_weights(target, path)
    for a, b in zip(source.weights, target.weights):
        assert a.path == b.path
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    x = _inputs((2, 32, 32, 3))
    np.testing.assert_allclose(target(x, training=False).numpy(), source(x, training=False).numpy(),
                               rtol=1e-4, atol=1e-4)


def test_resnet_uses_the_fused_layer():
    model = resnet18.resnet18((32, 32, 3), 0.125)
    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(norms) == 20 and all(type(n) is fused_batch_norm.BatchNormalization for n in norms)
    x = _inputs((2, 32, 32, 3))
    graph = tf.function(lambda t: model(t, training=True)).get_concrete_function(
        tf.TensorSpec(x.shape, tf.float32)).graph
    ops = [op.type for op in graph.get_operations()]
    assert ops.count("FusedBatchNormV3") == 20


def test_precise_bn_recomputes_the_fused_statistics():
    """precise_bn finds the fused layers (a BatchNormalization subclass) and sets them to the
    average of the batch means and biased batch variances, weights untouched."""
    model = _conv_model(fused_batch_norm.BatchNormalization)
    layer = model.get_layer("bn")
    layer.moving_mean.assign(np.full(4, 7.0, np.float32))
    layer.moving_variance.assign(np.full(4, 9.0, np.float32))
    batches = [_inputs((5, 8, 8, 2), seed=20 + i) for i in range(4)]
    conv = [model.get_layer("conv")(x).numpy() for x in batches]
    trainable = [v.numpy() for v in model.trainable_weights]

    assert precise_bn.recompute(model, batches) == 4

    np.testing.assert_allclose(layer.moving_mean.numpy(),
                               np.mean([c.mean(axis=(0, 1, 2)) for c in conv], 0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(),
                               np.mean([c.var(axis=(0, 1, 2)) for c in conv], 0), rtol=1e-5, atol=1e-5)
    assert layer.momentum == MOMENTUM
    for before, after in zip(trainable, model.trainable_weights):
        np.testing.assert_array_equal(before, after.numpy())
    # One batch: inference on it then equals training mode on it.
    precise_bn.recompute(model, batches[:1])
    np.testing.assert_allclose(model(batches[0], training=False).numpy(),
                               model(batches[0], training=True).numpy(), rtol=1e-4, atol=1e-4)
