"""The grader's own formulas for the model checks: the forward pass of given weights, the
contract's losses and the chain rule, so every expected value is computed here. Each is a
formula (see :mod:`.baked`): the student's copy holds their answers, not their code."""

import numpy as np

from .baked import formula

SPARSE, BINARY, MSE = "sparse_categorical_crossentropy", "binary_crossentropy", "mse"
EPS = 1e-12  # the losses' clip of probabilities (the contract's default eps)
ACTIVATIONS = ("linear", "relu", "leaky_relu", "sigmoid", "tanh", "softmax")


@formula
def stable_sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -z))


@formula
def log_softmax_rows(Z):
    shifted = Z - Z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


@formula
def softmax_rows(Z):
    return np.exp(log_softmax_rows(Z))


@formula
def one_hot_rows(y, k):
    return np.eye(k)[np.asarray(y, dtype=np.int64)]


@formula
def activate(activation, Z):
    """A = activation(Z), computed stably."""
    if activation == "relu":
        return np.maximum(Z, 0.0)
    if activation == "leaky_relu":
        return np.where(Z > 0, Z, 0.01 * Z)
    if activation == "sigmoid":
        return stable_sigmoid(Z)
    if activation == "tanh":
        return np.tanh(Z)
    if activation == "softmax":
        return softmax_rows(Z)
    return Z


@formula
def forward(spec, weights, X, skip=()):
    """The outputs of layers ``spec`` [(units, activation), ...] with ``weights`` [W1, b1, ...],
    and every layer's (input, Z, output). ``skip`` names mistakes to reproduce: "bias",
    "last activation", "hidden activations", "softmax over axis 0"."""
    A, cache = np.asarray(X, dtype=np.float64), []
    for number, ((_, activation), W, b) in enumerate(zip(spec, weights[::2], weights[1::2]), start=1):
        Z = A @ W + (0.0 if "bias" in skip else b)
        last = number == len(spec)
        if (last and "last activation" in skip) or (not last and "hidden activations" in skip):
            out = Z
        elif activation == "softmax" and "softmax over axis 0" in skip:
            out = softmax_rows(Z.T).T
        else:
            out = activate(activation, Z)
        cache.append((A, Z, out))
        A = out
    return A, cache


@formula
def binary_ce(Y, A, from_logits):
    if from_logits:
        return float(np.mean(np.maximum(A, 0) - A * Y + np.log1p(np.exp(-np.abs(A)))))
    P = np.clip(A, EPS, 1 - EPS)
    return float(np.mean(-Y * np.log(P) - (1 - Y) * np.log(1 - P)))


@formula
def loss_of(loss, from_logits, A, y):
    """The mean loss of outputs ``A`` against targets ``y``, as the contract defines it."""
    m = A.shape[0]
    if loss == SPARSE:
        labels = np.asarray(y, dtype=np.int64)
        if from_logits:
            return float(-np.mean(log_softmax_rows(A)[np.arange(m), labels]))
        return float(-np.mean(np.log(np.clip(A[np.arange(m), labels], EPS, 1.0))))
    Y = np.asarray(y, dtype=float).reshape(A.shape)
    if loss == MSE:
        return float(np.mean((A - Y) ** 2))
    return binary_ce(Y, A, from_logits)


@formula
def slope(activation, A):
    """g'(Z) of an elementwise activation, written with its output A = g(Z)."""
    if activation == "linear":
        return np.ones_like(A)
    if activation == "relu":
        return (A > 0).astype(float)
    if activation == "leaky_relu":
        return np.where(A > 0, 1.0, 0.01)
    if activation == "sigmoid":
        return A * (1 - A)
    return 1 - A ** 2  # tanh


@formula
def activation_backward(activation, A, dA):
    if activation == "softmax":
        return A * (dA - np.sum(dA * A, axis=1, keepdims=True))
    return dA * slope(activation, A)


@formula
def output_dZ(loss, from_logits, activation, A, y):
    """dLoss/dZ of the last layer, for the pairings these checks use."""
    m = A.shape[0]
    if loss == SPARSE:
        Y = one_hot_rows(y, A.shape[1])
        if from_logits:
            return activation_backward(activation, A, (softmax_rows(A) - Y) / m)
        return (A - Y) / m  # softmax output
    Y = np.asarray(y, dtype=float).reshape(A.shape)
    if loss == MSE:
        return activation_backward(activation, A, 2 * (A - Y) / A.size)
    if from_logits:
        return activation_backward(activation, A, (stable_sigmoid(A) - Y) / A.size)
    return (A - Y) / A.size  # sigmoid output


@formula
def gradients(spec, weights, X, loss, from_logits, y, mistake=None):
    """[dW1, db1, ...] of the mean loss by the chain rule. ``mistake`` reproduces a classic
    one: "stops at the last layer" (zeros below it), "no hidden derivative"."""
    A, cache = forward(spec, weights, X)
    dZ = output_dZ(loss, from_logits, spec[-1][1], A, y)
    grads = [np.zeros_like(w) for w in weights]
    for l in reversed(range(len(spec))):
        A_in = cache[l][0]
        grads[2 * l], grads[2 * l + 1] = A_in.T @ dZ, dZ.sum(axis=0)
        if l == 0 or mistake == "stops at the last layer":
            break
        dA = dZ @ weights[2 * l].T
        dZ = dA if mistake == "no hidden derivative" else activation_backward(spec[l - 1][1], cache[l - 1][2], dA)
    return grads


def shapes(n, spec):
    """[(n, units1), (units1,), ...]: the shapes of W1, b1, ... for inputs of n features."""
    out = []
    for units, _ in spec:
        out += [(n, units), (units,)]
        n = units
    return out


def random_weights(rng, n, spec, scale=1.5):
    """Weights for ``spec`` with a spread that keeps every activation in its working range."""
    return [rng.normal(0.0, scale / np.sqrt(shape[0]) if len(shape) == 2 else 0.5, size=shape)
            for shape in shapes(n, spec)]


def targets(rng, loss, units, m):
    if loss == SPARSE:
        return rng.integers(0, units, size=m)
    if loss == BINARY:
        return (rng.random(m) < 0.5).astype(float)
    return rng.uniform(-1.0, 1.0, size=(m, units))
