"""Logistic regression: a single sigmoid neuron, the smallest network there is.

The model is p = sigmoid(X · w + b), the probability that each sample belongs to
class 1. It is trained by gradient descent on the mean binary cross-entropy:
the same three steps (model, loss, update) as every network after it.
"""
import numpy as np

from .activations import sigmoid
from .losses import binary_cross_entropy_with_logits


def predict_proba(X, w, b):
    """Probability of class 1 for every row of X: sigmoid(X · w + b).

    Parameters: X, (m, n) one sample per row; w, (n,) weights; b, float bias.
    Returns: ndarray of shape (m,), values in (0, 1).

    Pitfalls:
    - The notes write the model as 1 / (1 + np.exp(z)); the sign of z is wrong
      (that is sigmoid(-z), the probability of class 0).
    - Keep w of shape (n,): a column w of shape (n, 1) gives (m, 1) predictions,
      which later broadcast against y of shape (m,) into (m, m).
    """
    # BEGIN SOLUTION: apply your `sigmoid` to the affine score of every row, the model of the docstring: one probability per sample
    return sigmoid(np.asarray(X) @ w + b)
    # END SOLUTION


def logistic_loss_and_grads(X, y, w, b):
    """Mean binary cross-entropy of the logistic model and its gradients.

    With z = X · w + b and p = sigmoid(z), over the m samples i:
        loss = (1/m) sum_i ( -y_i log p_i - (1 - y_i) log(1 - p_i) )
        dz   = (p - y) / m          (dLoss/dz, one entry per sample)
        dw   = X^T · dz             shape (n,)
        db   = sum_i dz_i           a float

    Parameters: X, (m, n); y, (m,) of 0/1 labels; w, (n,); b, float.
    Returns: (loss, dw, db): loss a float, dw an ndarray (n,), db a float.

    Pitfalls:
    - Both gradients carry the 1/m of the mean.
    - The notes' bias update differentiates by w; the bias gradient is sum(dz).
    - Compute the loss from z with binary_cross_entropy_with_logits: it stays
      exact when the model becomes very confident.
    """
    # BEGIN SOLUTION: compute the scores, the mean loss from the scores, then the per-sample gradient of the docstring and from it the gradients of `w` and `b`, both carrying the one over m of the mean
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    z = X @ w + b
    loss = binary_cross_entropy_with_logits(y, z)
    dz = (sigmoid(z) - y) / X.shape[0]
    return loss, X.T @ dz, float(np.sum(dz))
    # END SOLUTION


def train_logistic(X, y, lr=0.1, epochs=1000):
    """Fit w and b by full-batch gradient descent, starting from w = 0, b = 0.

    Each of the `epochs` steps uses every sample once:
        w ← w − lr · dw,    b ← b − lr · db
    with the gradients from logistic_loss_and_grads.

    Parameters: X, (m, n); y, (m,) of 0/1 labels; lr, float step size; epochs, int.
    Returns: (w, b): w an ndarray of shape (n,), b a float.

    Pitfalls:
    - Start from zeros (np.zeros(n) and 0.0), not random values: the result must
      be reproducible. (A single neuron has no symmetry to break.)
    - Update w and b with the gradients of the same step: compute both before
      changing either.
    """
    # BEGIN SOLUTION: start from zero weights and a zero bias, then in every epoch get both gradients at the current point and step `w` and `b` against them by `lr`
    X = np.asarray(X, dtype=np.float64)
    w = np.zeros(X.shape[1])
    b = 0.0
    for _ in range(epochs):
        _, dw, db = logistic_loss_and_grads(X, y, w, b)
        w = w - lr * dw
        b = b - lr * db
    return w, b
    # END SOLUTION
