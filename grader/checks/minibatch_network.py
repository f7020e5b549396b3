"""The grader's own network for the minibatch checks: its forward pass, loss and gradients
(formulas, see :mod:`.baked`), and the random problems the checks train on."""

import numpy as np

from .baked import formula


@formula
def forward(params, X, activation="relu"):
    """Logits of the MLP, and the pre-activations, inputs and activation slopes of every layer."""
    def sigmoid(z):
        return np.exp(-np.logaddexp(0.0, -z))

    g, slope = {
        "relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(float)),
        "leaky_relu": (lambda z: np.where(z > 0, z, 0.01 * z), lambda z: np.where(z > 0, 1.0, 0.01)),
        "sigmoid": (sigmoid, lambda z: sigmoid(z) * (1 - sigmoid(z))),
        "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    }[activation]
    L = len(params) // 2
    A, Zs, As, slopes = X, [], [], []
    for l in range(1, L + 1):
        As.append(A)
        Z = A @ params[f"W{l}"] + params[f"b{l}"]
        Zs.append(Z)
        slopes.append(slope(Z))
        A = g(Z) if l < L else Z
    return A, Zs, As, slopes


@formula
def loss(params, X, y, activation="relu"):
    return loss_and_grads(params, X, y, activation)[0]


@formula
def loss_and_grads(params, X, y, activation="relu"):
    logits, Zs, As, slopes = forward(params, X, activation)
    m, L = len(y), len(params) // 2
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dZ = np.exp(log_p)
    dZ[np.arange(m), y] -= 1.0
    dZ /= m
    grads = {}
    for l in range(L, 0, -1):
        grads[f"W{l}"] = As[l - 1].T @ dZ
        grads[f"b{l}"] = dZ.sum(axis=0)
        if l > 1:
            dZ = (dZ @ params[f"W{l}"].T) * slopes[l - 2]
    return float(-np.mean(log_p[np.arange(m), y])), grads


def init(rng, layer_sizes):
    return {k: v for l in range(1, len(layer_sizes)) for k, v in (
        (f"W{l}", rng.normal(0, np.sqrt(2 / layer_sizes[l - 1]), size=(layer_sizes[l - 1], layer_sizes[l]))),
        (f"b{l}", rng.normal(0, 0.1, size=layer_sizes[l])))}


def problem(rng, m, n=3, k=4, hidden=6):
    """A small random classification problem and random parameters for it."""
    X, y = rng.normal(0, 1, size=(m, n)), rng.integers(0, k, size=m)
    return X, y, init(rng, [n, hidden, k])
