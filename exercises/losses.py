# Exercise `losses`: write your code where a function raises NotImplementedError; its TODO
# and its docstring say what to compute. Check it with `nnlab grade -e losses`; stuck?
# `nnlab hint losses` gives one more hint each time.
"""Loss functions: one number that says how wrong the predictions are.

Every loss here is the MEAN over the samples of a batch (so its size does not
depend on the batch size), and every gradient is the gradient of that mean.
Labels come either as integers y of shape (m,) or one-hot as Y of shape (m, K).
"""
import numpy as np

from .softmax import log_softmax, softmax


def one_hot(y, num_classes):
    """One-hot encode integer labels: Y[i, y[i]] = 1.0, every other entry 0.0.

    Example: one_hot([2, 0], 3) = [[0, 0, 1], [1, 0, 0]].

    Parameters: y, int array_like of shape (m,), values in 0..num_classes-1;
    num_classes, int K.
    Returns: float64 ndarray of shape (m, K).

    Pitfalls:
    - Y[:, y] = 1 sets whole columns; pair each row with its own label, by
      indexing with the row numbers 0..m-1 and y side by side.
    """
    raise NotImplementedError(
        "TODO (one_hot): start from a float64 matrix of zeros with one row per label and "
        "`num_classes` columns, then set one entry per row, in the column of that row's label "
        "(see Pitfalls)")


def binary_cross_entropy(y, p, eps=1e-12):
    """Mean binary cross-entropy of probabilities p against 0/1 targets y.

    loss = mean(-y * log(p) - (1 - y) * log(1 - p)), with p first clipped into
    [eps, 1 - eps] so that no log(0) appears.
    Example: y = [1, 1, 0], p = [0.8, 0.7, 0.1] gives 0.2283930.

    Parameters: y, p, array_like of the same shape; eps, float.
    Returns: the loss as a float.

    Pitfalls:
    - Take the mean, not the sum: the notes' cross_entropy([1,1,0], [0.8,0.7,0.1])
      = 0.685 is a sum over samples, 3 times the mean.
    - y of shape (m,) and p of shape (m, 1) broadcast to (m, m) without any error:
      make the shapes equal.
    - np.clip returns a new array; do not clip p in place.
    """
    raise NotImplementedError(
        "TODO (binary_cross_entropy): clip the probabilities into the interval of the docstring, "
        "then average the per-sample loss of its formula over the samples (a mean, not a sum) and "
        "give it back as a float")


def binary_cross_entropy_with_logits(y, z):
    """Mean binary cross-entropy computed from logits z, where p = sigmoid(z).

    Substituting p = sigmoid(z) and simplifying gives, per sample,
    max(z, 0) - z * y + log(1 + e^(-|z|)): nothing overflows and no log(0) appears.
    This is what from_logits=True means in Keras.

    Parameters: y, array_like of 0/1 targets; z, array_like of logits, same shape.
    Returns: the mean loss as a float.

    Pitfalls:
    - binary_cross_entropy(y, sigmoid(z)) is capped by its clip: for y = 1 and
      z = -1000 it reports -log(eps) = 27.6 instead of 1000.
    - Use np.log1p(x) for log(1 + x): it stays accurate when x is tiny.
    """
    raise NotImplementedError(
        "TODO (binary_cross_entropy_with_logits): average the per-sample formula of the "
        "docstring, which works from the logits directly so that nothing overflows; never form "
        "the probabilities first")


def categorical_cross_entropy(Y, P, eps=1e-12):
    """Mean categorical cross-entropy of probabilities P against one-hot targets Y.

    loss = mean over rows i of ( -sum_k Y[i, k] * log(P[i, k]) ), P clipped into
    [eps, 1 - eps]. With one-hot Y only the true class's log-probability counts.

    Parameters: Y, (m, K) one-hot (or any rows of class probabilities); P, (m, K).
    Returns: the loss as a float.

    Pitfalls:
    - Sum over the classes (axis 1), then average over the samples; np.mean of
      the (m, K) products divides by m*K instead of m.
    - The notes write the loss as Y_onehot * ln(Y_hat): it needs a minus sign,
      the sum over classes and the mean over samples.
    """
    raise NotImplementedError(
        "TODO (categorical_cross_entropy): clip the probabilities, add up the per-class terms of "
        "each row, then average over the rows (not over every entry) and give back a float")


def sparse_categorical_cross_entropy(y, P, eps=1e-12):
    """Mean cross-entropy of probabilities P against integer labels y.

    loss = mean over i of -log(P[i, y[i]]), with those probabilities clipped into
    [eps, 1 - eps]. Same value as categorical_cross_entropy(one_hot(y, K), P),
    without building the one-hot matrix.

    Parameters: y, int array_like of shape (m,); P, (m, K) probabilities (rows of softmax).
    Returns: the loss as a float.

    Pitfalls:
    - P[:, y] is an (m, m) matrix; pick one entry per row, pairing the row
      numbers 0..m-1 with y (as in one_hot).
    """
    raise NotImplementedError(
        "TODO (sparse_categorical_cross_entropy): pick each row's probability of its own label "
        "(one entry per row, see Pitfalls), clip those, and average their negative logs")


def softmax_cross_entropy_with_logits(y, Z):
    """Mean cross-entropy of softmax(Z) against integer labels y, from logits Z.

    loss = mean over i of -log_softmax(Z)[i, y[i]]. Going through log_softmax
    keeps it finite even for logits like [0, 2000], where softmax rounds to 0.

    Parameters: y, int array_like of shape (m,); Z, (m, K) logits.
    Returns: the loss as a float.

    Pitfalls:
    - sparse_categorical_cross_entropy(y, softmax(Z)) clips instead of being
      exact: for a very wrong prediction it reports -log(eps) = 27.6, not the true loss.
    """
    raise NotImplementedError(
        "TODO (softmax_cross_entropy_with_logits): take the log-softmax of each row of logits, "
        "pick each row's entry at its own label, and give back minus their mean as a float")


def softmax_cross_entropy_grad(y, Z):
    """Gradient of softmax_cross_entropy_with_logits with respect to the logits Z.

    dLoss/dZ = (softmax(Z) - Y_onehot) / m, with Y_onehot = one_hot(y, K).
    Softmax followed by cross-entropy has this simple, stable derivative:
    predicted minus true probabilities, divided by m because the loss is a mean.

    Parameters: y, int array_like of shape (m,); Z, (m, K) logits.
    Returns: ndarray of shape (m, K); each row sums to 0.

    Pitfalls:
    - Forgetting the 1/m gives the gradient of the summed loss: m times too large.
    """
    raise NotImplementedError(
        "TODO (softmax_cross_entropy_grad): predicted minus true probabilities for every row and "
        "class, divided by the number of samples because the loss is a mean (the docstring's "
        "formula)")


def mean_squared_error(y, y_hat):
    """Mean squared error over all elements: mean((y - y_hat)^2).

    The usual loss for regression (linear output layer).

    Parameters: y, y_hat, array_like of the same shape.
    Returns: the loss as a float.

    Pitfalls:
    - y of shape (m,) and y_hat of shape (m, 1) broadcast to (m, m) silently:
      reshape one of them first.
    """
    raise NotImplementedError(
        "TODO (mean_squared_error): average the squared differences over every element and give "
        "back a float (mind the shapes, see Pitfalls)")


def mean_squared_error_grad(y, y_hat):
    """Gradient of mean_squared_error with respect to y_hat: 2 (y_hat - y) / N.

    The mean runs over every element, so N is the number of elements of y
    (m for a column of m predictions, m k for k outputs per sample).

    Parameters: y, y_hat, array_like of the same shape.
    Returns: ndarray of the shape of y_hat.

    Pitfalls:
    - The sign: the derivative is taken with respect to y_hat, so it is
      y_hat - y, not y - y_hat.
    """
    raise NotImplementedError(
        "TODO (mean_squared_error_grad): differentiate the mean of squares with respect to "
        "`y_hat`: twice the difference, prediction minus target, divided by the number of "
        "elements")
