"""Softmax: turn a vector of K scores (logits) into K probabilities that sum to 1.

softmax(z)_k = e^(z_k) / sum_j e^(z_j). The exponentials overflow for large
logits, so both functions here shift the logits by their maximum first, which
leaves the result unchanged. log_softmax is what the cross-entropy losses need.
"""
import numpy as np


def softmax(z, axis=-1):
    """Softmax along `axis`: e^z / sum(e^z), each slice along axis sums to 1.

    For a batch of logits Z of shape (m, K), one sample per row, softmax(Z) has
    shape (m, K) and every row is a probability distribution.
    Example: softmax([0, 1, 2]) = [0.09003057, 0.24472847, 0.66524096].

    Parameters: z, array_like (1-D vector or (m, K) batch); axis, int.
    Returns: ndarray of the same shape as z.

    Pitfalls:
    - np.exp(1000) is inf and inf/inf is nan. Subtract the maximum along axis
      first: softmax(z - c) = softmax(z) for any constant c.
    - Use keepdims=True for the max and the sum, or the (m,) result will not
      broadcast against the (m, K) array (or will broadcast the wrong way).
    - After the shift, e^(z - max) may underflow to 0.0: harmless (ignore the
      underflow if you run under np.errstate(all="raise")).
    - The notes' example maps [.2222, .4444, .2222, .1111] to
      [0.1025, 0.7573, 0.1025, 0.0377]; those outputs belong to logits [2, 4, 2, 1].
    """
    # BEGIN SOLUTION: shift each slice along `axis` by its own maximum, exponentiate, and divide by the slice's sum, keeping the reduced axis so that it broadcasts (see Pitfalls)
    z = np.asarray(z)
    with np.errstate(under="ignore"):  # e^-2000 rounds to 0.0: harmless
        e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)
    # END SOLUTION


def log_softmax(z, axis=-1):
    """log(softmax(z)) along `axis`, computed without ever taking log(0).

    With c = max(z) along axis: log_softmax(z) = (z - c) - log(sum(e^(z - c)))
    (the log-sum-exp trick). The sum is at least 1, so its log is finite.
    Example: log_softmax([0, 2000]) = [-2000, 0].

    Parameters: z, array_like (1-D vector or (m, K) batch); axis, int.
    Returns: ndarray of the same shape as z, all values <= 0.

    Pitfalls:
    - np.log(softmax(z)) gives -inf when a probability underflows to 0
      (softmax([0, 2000])[0] is 0.0 in float64).
    """
    # BEGIN SOLUTION: use the log-sum-exp trick of the docstring: shift by the maximum along `axis`, then subtract the log of the sum of the shifted exponentials; never take the log of a softmax
    z = np.asarray(z)
    shifted = z - np.max(z, axis=axis, keepdims=True)
    with np.errstate(under="ignore"):  # tiny terms may round to 0.0; the sum stays >= 1
        total = np.sum(np.exp(shifted), axis=axis, keepdims=True)
    return shifted - np.log(total)
    # END SOLUTION
