"""PreciseBN: moving statistics become the average of the batch statistics, weights untouched."""

import keras
import numpy as np
import pytest

from mrpn_tf.training import precise_bn

EPS = 1e-3  # keras.layers.BatchNormalization's default epsilon


def _model() -> keras.Model:
    """Dense -> BN -> Dropout -> Dense -> BN, each BN's moving statistics set far off."""
    keras.utils.set_random_seed(3)
    inputs = keras.Input((4,), name="x")
    h = keras.layers.Dense(3, name="dense1")(inputs)
    h = keras.layers.BatchNormalization(momentum=0.9, name="bn1")(h)
    h = keras.layers.Dropout(0.5, name="drop")(h)
    h = keras.layers.Dense(2, name="dense2")(h)
    outputs = keras.layers.BatchNormalization(momentum=0.9, name="bn2")(h)
    model = keras.Model({"x": inputs}, outputs)
    for name in ("bn1", "bn2"):
        layer = model.get_layer(name)
        layer.gamma.assign(np.linspace(0.5, 1.5, layer.gamma.shape[0]))
        layer.beta.assign(np.linspace(-0.2, 0.3, layer.beta.shape[0]))
        layer.moving_mean.assign(np.full(layer.moving_mean.shape, 7.0))
        layer.moving_variance.assign(np.full(layer.moving_variance.shape, 9.0))
    return model


def _batches(count: int = 5, size: int = 6) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.normal(1.0, 2.0, (size, 4)).astype("float32") for _ in range(count)]


def _expected(model: keras.Model, batches) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per BN layer: the average over batches of the batch mean and biased batch variance, with
    every BN in training mode and dropout off (numpy, from the layers' weights)."""
    w1, b1 = (v.numpy() for v in model.get_layer("dense1").weights)
    w2, b2 = (v.numpy() for v in model.get_layer("dense2").weights)
    bn1 = model.get_layer("bn1")
    stats = {"bn1": [], "bn2": []}
    for x in batches:
        h = x @ w1 + b1
        mean, var = h.mean(0), h.var(0)
        stats["bn1"].append((mean, var))
        z = bn1.gamma.numpy() * (h - mean) / np.sqrt(var + EPS) + bn1.beta.numpy()
        g = z @ w2 + b2
        stats["bn2"].append((g.mean(0), g.var(0)))
    return {name: (np.mean([m for m, _ in s], 0), np.mean([v for _, v in s], 0))
            for name, s in stats.items()}


def test_statistics_are_the_average_of_the_batch_statistics_with_dropout_off():
    model = _model()
    batches = _batches()
    expected = _expected(model, batches)
    trainable = [v.numpy() for v in model.trainable_weights]

    assert precise_bn.recompute(model, ({"x": x} for x in batches)) == len(batches)

    for name, (mean, var) in expected.items():
        layer = model.get_layer(name)
        np.testing.assert_allclose(layer.moving_mean.numpy(), mean, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(layer.moving_variance.numpy(), var, rtol=1e-4, atol=1e-5)
    for before, after in zip(trainable, model.trainable_weights):
        np.testing.assert_array_equal(before, after.numpy())
    assert model.get_layer("bn1").momentum == 0.9 and model.get_layer("bn2").momentum == 0.9
    assert model.get_layer("drop").rate == 0.5


def test_one_batch_makes_inference_equal_training_mode_on_it():
    model = _model()
    (x,) = _batches(count=1)
    precise_bn.recompute(model, [{"x": x}])
    model.get_layer("drop").rate = 0.0
    np.testing.assert_allclose(
        model({"x": x}, training=False).numpy(), model({"x": x}, training=True).numpy(),
        rtol=1e-4, atol=1e-4)


def test_max_batches_stops_early():
    model = _model()
    batches = _batches()
    assert precise_bn.recompute(model, ({"x": x} for x in batches), max_batches=2) == 2
    mean, _ = _expected(model, batches[:2])["bn1"]
    np.testing.assert_allclose(model.get_layer("bn1").moving_mean.numpy(), mean, rtol=1e-4, atol=1e-5)


def test_no_batch_is_an_error_and_changes_nothing():
    model = _model()
    with pytest.raises(ValueError, match="no batch"):
        precise_bn.recompute(model, [])
    layer = model.get_layer("bn1")
    assert np.all(layer.moving_mean.numpy() == 7.0) and np.all(layer.moving_variance.numpy() == 9.0)
    assert layer.momentum == 0.9 and model.get_layer("drop").rate == 0.5


def test_fit_validates_with_statistics_recomputed_after_the_last_step():
    """Inside fit, the callback recomputes before validation: the logged validation loss is the
    loss of the final weights with the statistics `recompute` gives them, and Keras's lagging
    moving averages would have given another loss."""
    model = _model()
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    train = np.concatenate(_batches(count=4))
    targets = np.zeros((len(train), 2), np.float32)
    probe = _batches(count=3, size=8)
    callback = precise_bn.BeforeValidation(lambda: ({"x": x} for x in probe), max_batches=2)
    x_val, y_val = _batches(count=1, size=10)[0], np.ones((10, 2), np.float32)
    history = model.fit({"x": train}, targets, batch_size=6, epochs=2, shuffle=False, verbose=0,
                        validation_data=({"x": x_val}, y_val), callbacks=[callback])
    assert callback.recomputed == 2  # once per validation
    expected = _expected(model, probe[:2])  # the final weights, the first two probe batches
    for name, (mean, var) in expected.items():
        layer = model.get_layer(name)
        np.testing.assert_allclose(layer.moving_mean.numpy(), mean, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(layer.moving_variance.numpy(), var, rtol=1e-4, atol=1e-5)
    val_loss = history.history["val_loss"][-1]
    np.testing.assert_allclose(val_loss, model.evaluate({"x": x_val}, y_val, verbose=0), rtol=1e-5)
    # Without the callback (the averages of the training steps), the same weights score otherwise.
    lagging = _model()
    lagging.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    lagging.fit({"x": train}, targets, batch_size=6, epochs=2, shuffle=False, verbose=0)
    assert abs(lagging.evaluate({"x": x_val}, y_val, verbose=0) - val_loss) > 1e-3


def test_training_recomputes_before_each_validation(prepared_dir, tmp_path, monkeypatch):
    """`train.precise_bn_batches` wires the callback into the trainer: one recomputation per
    epoch, from that many training batches."""
    from mrpn_tf.training import strategy as strategy_lib
    from mrpn_tf.training import task
    from tests.training import conftest

    calls = []
    recompute = precise_bn.recompute

    def counting(model, batches, max_batches=None):
        calls.append(recompute(model, batches, max_batches))
        return calls[-1]

    monkeypatch.setattr(precise_bn, "recompute", counting)
    config = conftest.training_config(prepared_dir, str(tmp_path / "run"), train__epochs=2,
                                      train__precise_bn_batches=3)
    task.train(config, strategy_lib.build_strategy())
    assert calls == [3, 3]
