# Exercise `forward`: write your code where a function raises NotImplementedError; its TODO
# and its docstring say what to compute. Check it with `nnlab grade -e forward`; stuck?
# `nnlab hint forward` gives one more hint each time.
"""The forward pass of a multi-layer perceptron (MLP).

Layer l computes Z_l = A_(l-1) · W_l + b_l and A_l = g(Z_l), starting from
A_0 = X, one sample per row. Hidden layers share one activation g; the last
layer stays linear and its outputs, the logits, go to a softmax cross-entropy.
"""
import numpy as np

from .activations import leaky_relu, relu, sigmoid, tanh

# The hidden activations mlp_forward accepts, by name.
HIDDEN_ACTIVATIONS = {"relu": relu, "leaky_relu": leaky_relu, "sigmoid": sigmoid, "tanh": tanh}


def dense_forward(X, W, b):
    """Affine part of a dense (fully connected) layer: Z = X · W + b.

    Parameters: X, (m, n_in) one sample per row; W, (n_in, n_out); b, (n_out,).
    Returns: Z, ndarray of shape (m, n_out).

    Pitfalls:
    - The notes use column-major data and write W X + B; with one sample per
      row it is X · W + b (a matrix product), and b broadcasts over the rows.
    """
    raise NotImplementedError(
        "TODO (dense_forward): multiply the batch by the weight matrix and add the bias to every "
        "row: the docstring's affine map, one sample per row")


def mlp_forward(X, params, hidden_activation="relu"):
    """Forward pass through an L-layer MLP whose parameters are in a dict.

    params holds "W1", "b1", ..., "WL", "bL"; L is the number of "W" keys.
    For l = 1..L: Z_l = A_(l-1) · W_l + b_l, with A_0 = X; hidden layers
    (l < L) output A_l = g(Z_l), g being the function HIDDEN_ACTIVATIONS holds
    under the name hidden_activation; the last layer outputs Z_L itself (the logits).

    Parameters: X, (m, n_0); params, dict of arrays; hidden_activation, one of
    "relu", "leaky_relu", "sigmoid", "tanh".
    Returns: (logits, cache): logits of shape (m, n_L); cache, a list with one
    (A_prev, Z) tuple per layer, in order (A_prev is that layer's input).

    Pitfalls:
    - An unknown hidden_activation must raise ValueError naming the allowed ones.
    - No activation on the last layer: the loss applies the softmax itself.
    - Do not hard-code L = 2: count the W keys.
    """
    raise NotImplementedError(
        "TODO (mlp_forward): reject an unknown activation name, then take the layers in turn: the "
        "affine map with `dense_forward`, the layer's input and pre-activation into the cache, "
        "and the activation on every layer but the last")


def mlp_predict(X, params, hidden_activation="relu"):
    """Predicted class of every sample: the argmax of its row of logits.

    The softmax does not change which logit is largest, so it is not needed here.

    Parameters: as mlp_forward.
    Returns: int ndarray of shape (m,).

    Pitfalls:
    - Take the argmax along axis 1 (over the classes), not over the whole array.
    """
    raise NotImplementedError(
        "TODO (mlp_predict): run the forward pass and take, for each row, the index of its "
        "largest logit")


def accuracy(y_true, y_pred):
    """Fraction of predictions equal to the true labels: (number of i with y_pred_i = y_true_i) / m.

    Parameters: y_true, y_pred, int array_like of shape (m,).
    Returns: a float in [0, 1].

    Pitfalls:
    - Shapes (m,) and (m, 1) broadcast to (m, m) and give a meaningless number.
    - Return a Python float, not a NumPy array.
    """
    raise NotImplementedError(
        "TODO (accuracy): the fraction of positions where the two label arrays agree, as a Python "
        "float (mind the shapes)")
