"""Layers, losses and optimizers together: backpropagation through a whole network."""

import numpy as np
import pytest

from sigconv import nn


def network(dtype="float32"):
    return [nn.Conv2D(6, 3, activation="relu", padding="same", input_shape=(8, 8, 1),
                      kernel_regularizer=nn.L2(1e-4), dtype=dtype),
            nn.MaxPooling2D(2, dtype=dtype), nn.Flatten(dtype=dtype),
            nn.Dense(16, activation="tanh", dtype=dtype),
            nn.Dense(10, activation="softmax", dtype=dtype)]


def forward(layers, x, training=False):
    for layer in layers:
        x = layer.forward(x, training=training)
    return x


def backward(layers, loss, y, probabilities):
    """Fused softmax + cross-entropy gradient into the last layer, then the chain rule."""
    grad = layers[-1].backward_preactivation(loss.gradient_from_softmax(y, probabilities))
    for k in range(len(layers) - 2, -1, -1):
        grad = layers[k].backward(grad, input_grad=k > 0)


def test_network_gradient_matches_finite_differences():
    """d(loss + penalties)/d(parameter) through five layers and the fused output."""
    nn.set_random_seed(0)
    rng = np.random.default_rng(1)
    layers = network("float64")
    x = rng.standard_normal((5, 8, 8, 1))
    y = np.eye(10)[rng.integers(0, 10, 5)]
    loss = nn.CategoricalCrossentropy()

    def objective():
        return loss(y, forward(layers, x)) + sum(layer.regularization_loss()
                                                 for layer in layers)

    backward(layers, loss, y, forward(layers, x))
    for layer in (layers[0], layers[3], layers[4]):
        for key, param in layer.params.items():
            analytic = layer.grads[key].copy()
            numeric = np.empty(param.size)
            flat = param.reshape(-1)
            for i in range(param.size):
                saved = flat[i]
                flat[i] = saved + 1e-6
                plus = objective()
                flat[i] = saved - 1e-6
                minus = objective()
                flat[i] = saved
                numeric[i] = (plus - minus) / 2e-6
            error = np.linalg.norm(analytic.reshape(-1) - numeric) / np.linalg.norm(numeric)
            assert error < 1e-6, (layer.name, key, error)


@pytest.mark.parametrize("optimizer", [nn.Adam(0.01), nn.SGD(0.1, momentum=0.9),
                                       nn.RMSprop(0.003)], ids=lambda o: type(o).__name__)
def test_tiny_network_overfits_twenty_samples(optimizer):
    """The classic sanity check: a small CNN memorizes 20 random images' random labels."""
    nn.set_random_seed(2)
    rng = np.random.default_rng(3)
    layers = network()
    x = rng.standard_normal((20, 8, 8, 1)).astype(np.float32)
    labels = rng.permutation(np.arange(20) % 10)
    y = np.eye(10, dtype=np.float32)[labels]
    loss = nn.CategoricalCrossentropy()
    forward(layers, x)
    params = {f"{layer.name}/{k}": v for layer in layers for k, v in layer.params.items()}
    grads = {f"{layer.name}/{k}": v for layer in layers for k, v in layer.grads.items()}
    first = loss(y, forward(layers, x))
    for _ in range(300):
        probabilities = forward(layers, x, training=True)
        backward(layers, loss, y, probabilities)
        optimizer.apply(grads, params)
    probabilities = forward(layers, x)
    assert (probabilities.argmax(axis=1) == labels).mean() == 1.0
    assert loss(y, probabilities) < 0.1 * first
