"""Weight initialization: where gradient descent starts.

All-equal weights make every unit of a layer compute the same thing forever, and
badly scaled ones make activations and gradients shrink or blow up layer after
layer. Draw W at random with a variance set by the layer's fan-in (and fan-out);
biases can start at zero.
"""
import numpy as np


def xavier_normal(n_in, n_out, rng):
    """Glorot & Bengio ("Xavier") normal init: W ~ N(0, 2 / (n_in + n_out)).

    Keeps the variance of activations and of gradients roughly constant from
    layer to layer for sigmoid, tanh and linear units.

    Parameters: n_in, n_out, ints (fan-in and fan-out); rng, np.random.Generator.
    Returns: float64 ndarray of shape (n_in, n_out).

    Pitfalls:
    - 2 / (n_in + n_out) is the VARIANCE; rng.normal takes the standard
      deviation, its square root.
    - The notes call N(0, 1) * sqrt(1 / n_in) "Xavier"; that is LeCun's scaling.
    - Draw from rng only (rng.normal), never np.random.*: results must be
      reproducible from the rng you are given.
    """
    # BEGIN SOLUTION: draw a matrix of normal numbers from `rng` with mean zero and the Glorot variance of the docstring, remembering that the normal sampler takes a standard deviation
    return rng.normal(0.0, np.sqrt(2.0 / (n_in + n_out)), size=(n_in, n_out))
    # END SOLUTION


def he_normal(n_in, n_out, rng):
    """He et al. ("Kaiming") normal init: W ~ N(0, 2 / n_in).

    relu zeroes about half of its inputs; the factor 2 makes up for that, so
    deep relu networks keep their activations at a steady scale.

    Parameters: n_in, n_out, ints; rng, np.random.Generator.
    Returns: float64 ndarray of shape (n_in, n_out).

    Pitfalls:
    - The scale is sqrt(2 / n_in) (the standard deviation), with n_in the fan-in,
      the number of rows of W.
    - Use only the rng you are given.
    """
    # BEGIN SOLUTION: draw a matrix of normal numbers from `rng` with mean zero and He's variance, which depends on the fan-in only; the sampler takes its square root
    return rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))
    # END SOLUTION


def init_params(layer_sizes, rng, method="he"):
    """Parameters of an MLP with layer_sizes = [n_0, n_1, ..., n_L].

    For l = 1..L (in this order, so results are reproducible): "W{l}" of shape
    (n_(l-1), n_l) from he_normal or xavier_normal, and "b{l}" = zeros (n_l,).
    Example: [2, 25, 15, 10] gives W1 (2, 25), b1 (25,), ..., W3 (15, 10), b3 (10,).

    Parameters: layer_sizes, list of ints (input size first); rng,
    np.random.Generator; method, "he" or "xavier".
    Returns: dict {"W1", "b1", ..., "WL", "bL"} of float64 arrays.

    Pitfalls:
    - An unknown method must raise ValueError (before drawing anything).
    - Biases are float zeros of shape (n_l,), not (1, n_l) or (n_l, 1).
    """
    # BEGIN SOLUTION: check `method` first, then for each pair of consecutive layer sizes draw that layer's weights with the chosen initializer and give it zero biases, in order
    initializers = {"he": he_normal, "xavier": xavier_normal}
    if method not in initializers:
        raise ValueError(f"unknown method {method!r}; choose 'he' or 'xavier'")
    draw = initializers[method]
    params = {}
    for l in range(1, len(layer_sizes)):
        n_in, n_out = int(layer_sizes[l - 1]), int(layer_sizes[l])
        params[f"W{l}"] = draw(n_in, n_out, rng)
        params[f"b{l}"] = np.zeros(n_out, dtype=np.float64)
    return params
    # END SOLUTION
