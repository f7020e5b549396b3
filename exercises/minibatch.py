# Exercise `minibatch`: write your code where a function raises NotImplementedError; its TODO
# and its docstring say what to compute. Check it with `nnlab grade -e minibatch`; stuck?
# `nnlab hint minibatch` gives one more hint each time.
"""Mini-batch training: many small gradient steps per pass over the data.

An epoch visits every sample once, in batches of batch_size rows; each batch
gives one gradient estimate and one optimizer step. Shuffling every epoch
makes the batches differ from one epoch to the next.
"""
import numpy as np

from .backprop import mlp_loss_and_grads


def iterate_minibatches(X, y, batch_size, rng=None):
    """Yield (X_batch, y_batch) pairs that together hold every sample exactly once.

    Batches have batch_size rows, except the last one, which keeps whatever is left
    (m = 10, batch_size = 4 gives 4, 4, 2). With rng None the original order is
    kept; otherwise ONE permutation of the rows 0..m-1 is drawn from rng per call
    and applied to X and y alike, so rows and labels stay paired.

    Parameters: X, (m, n); y, (m,) (or any array with m rows); batch_size, int
    >= 1; rng, np.random.Generator or None.
    Yields: (X_batch, y_batch) with X_batch of shape (b, n), y_batch of shape (b,).

    Pitfalls:
    - Write it as a generator (yield), not a function returning a list.
    - Do not shuffle X and y separately, and do not shuffle them in place
      (rng.shuffle(X) changes the caller's data).
    - Do not drop the last, smaller batch.
    """
    raise NotImplementedError(
        "TODO (iterate_minibatches): make one order of the rows, the natural one or a single "
        "permutation drawn from `rng`, and hand out the rows of `X` and `y` slice by slice of "
        "that order, as a generator")


def train_mlp(params, X, y, optimizer, epochs, batch_size, rng, hidden_activation="relu"):
    """Train an MLP with mini-batches; params is updated in place.

    For each epoch, for each batch (X_b, y_b) of iterate_minibatches: the batch's
    loss and gradients from mlp_loss_and_grads, then one optimizer step with them.
    The epoch's loss is the mean of the batch losses weighted by batch size,
    (sum over batches b of m_b · loss_b) / m, m_b the rows of batch b; if the
    parameters did not change during the epoch, this is exactly the mean loss over
    all m samples.

    Parameters: params, dict "W1".."bL"; X, (m, n_0); y, int (m,); optimizer,
    any object with .step(params, grads) (e.g. an Adam); epochs, batch_size, ints;
    rng, np.random.Generator for the shuffling (None: no shuffling).
    Returns: list of `epochs` floats, the per-epoch mean training losses.

    Pitfalls:
    - A plain mean of the batch losses over-weights the last, smaller batch.
    - Each batch loss is measured before that batch's step, so the epoch loss
      describes parameters that changed during the epoch; it can differ a little
      from the loss at the end of the epoch.
    """
    raise NotImplementedError(
        "TODO (train_mlp): for every epoch and every batch, get the loss and the gradients, let "
        "the optimizer take one step, and keep the batch-size-weighted mean loss of the epoch")
