"""Checks for exercise 9, ``minibatch.py``: mini-batches and the training loop.

The batches are checked on data whose rows carry their own index (column 0 of X is the
row number and y is the row number too), so every batch tells which samples it holds and
whether X and y stayed paired. ``train_mlp`` is checked with the child's trusted
``NullOptimizer`` (the parameters never change, so every epoch's mean loss is the loss of
the whole data set, computed here) and ``RecordingOptimizer`` (counts the steps and keeps
the gradients), and on a small classification problem with the Adam of ``optimizers.py``
(the reference's, when it is available).
"""

import importlib
import math

import numpy as np

from . import expect
from .core import Exercise, Hint, fail, not_judged
from .figures import decision_regions, loss_curve
from .minibatch_network import init, loss, loss_and_grads, problem
from ..datasets import make_blobs

exercise = Exercise(
    "minibatch",
    "Mini-batch training",
    timeout=30,
    hints=[
        Hint("An epoch is one pass over the data in slices of batch_size rows: the first batch_size "
             "rows, then the next ones, and so on; the last slice keeps whatever is left. Each slice "
             "gives one gradient and one optimizer step.",
             helps=("every_sample_once_last_batch_kept", "order_kept_without_rng", "one_step_per_batch")),
        Hint("Shuffle an array of row numbers, not the data: draw ONE permutation of the rows per "
             "call from rng (the natural order when rng is None) and take the same rows of X and y "
             "with it, so that rows and labels stay paired and the caller's arrays stay untouched.",
             helps=("x_and_y_stay_paired", "shuffles_reproducibly_with_rng", "inputs_unmodified")),
        Hint("In train_mlp, each batch gives the loss and gradients of mlp_loss_and_grads, with the "
             "hidden activation train_mlp was given, then one optimizer step on params itself. The "
             "epoch's loss weighs each batch loss by the batch's size, so the last, smaller batch "
             "counts less.",
             helps=("epoch_loss_weights_batches_by_size",
                    "honours_hidden_activation",
                    "trains_params_in_place")),
        Hint("The epoch's loss is (sum over the batches b of m_b loss_b) / m, with m_b the rows of "
             "batch b: exactly the mean loss over the m samples when the parameters do not change. "
             "Give back a list with one such number per epoch.",
             helps=("epoch_loss_is_the_mean_loss", "learns_the_blobs")),
    ],
)


def their_loss(sub, params, X, y):
    """The loss of ``params`` (trained by the student), measured with mlp_loss_and_grads of
    backprop.py: the reference's where the instructor grades, the student's own in the
    student's copy (nothing here computes it)."""
    value = sub.call("backprop:mlp_loss_and_grads", params, X, y)
    what = "backprop.mlp_loss_and_grads(trained params, X, y), the loss of your trained network"
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        fail(f"{what} should return (loss, grads), got {expect.kind_of(value)}")
    return expect.number(value[0], what)


def their_labels(sub, params, X):
    """The labels ``params`` predict for ``X``, with mlp_predict of forward.py (as for their_loss)."""
    value = sub.call("forward:mlp_predict", X, params)
    if not (isinstance(value, np.ndarray) and value.shape == (len(X),) and value.dtype.kind in "iuf"):
        fail(f"forward.mlp_predict(X, trained params) returned {expect.kind_of(value)}; expected {len(X)} labels")
    return value


# ---------------------------------------------------------------- batches

def indexed_data(m, n=3):
    """X whose column 0 is the row number (the other columns derived from it), y = row number."""
    rows = np.arange(m, dtype=np.float64)
    X = np.column_stack([rows] + [rows * (j + 2) + 0.5 for j in range(n - 1)])
    return X, np.arange(m, dtype=np.int64)


def generator(sub, seed):
    """A fresh ``np.random.default_rng(seed)`` made in the student's process."""
    return sub.helper("default_rng", seed)


def seeds(rng, count):
    return [int(s) for s in rng.choice(2**31, size=count, replace=False)]


def describe(batch_size, rng_seed):
    return f"iterate_minibatches(X, y, batch_size={batch_size}, rng={'None' if rng_seed is None else 'rng'})"


def batches(sub, X, y, batch_size, rng_seed=None, outcome=False):
    """The batches as (indices of X's rows, indices of y's entries), after validation."""
    what = describe(batch_size, rng_seed)
    rng = None if rng_seed is None else generator(sub, rng_seed)
    enough = len(y) + 1  # more than any correct iterator yields; an endless one stops here
    result = sub.run("iterate_minibatches", (X, y, batch_size, rng), iterate=enough, return_args=outcome)
    if result.value is None:
        fail(f"{what} returned None: yield the batches (a generator) or return a list of them "
             "(a missing `return`?).")
    found = []
    for number, batch in enumerate(result.value, start=1):
        if not isinstance(batch, (tuple, list)) or len(batch) != 2:
            fail(f"batch {number} of {what} is {expect.kind_of(batch)}; expected a pair (X_batch, y_batch).")
        xb, yb = batch
        xb = expect.float_array(xb, f"X_batch {number} of {what}")
        if xb.ndim != 2 or xb.shape[1] != X.shape[1]:
            fail(f"X_batch {number} of {what} has shape {xb.shape}; expected (b, {X.shape[1]}), whole rows of X.")
        if not isinstance(yb, np.ndarray) or yb.shape != (len(xb),):
            fail(f"y_batch {number} of {what} is {expect.kind_of(yb)}; expected an array of shape ({len(xb)},), "
                 "the labels of the rows in X_batch.")
        rows = xb[:, 0].astype(np.int64)
        if np.any(rows < 0) or np.any(rows >= len(X)) or not np.array_equal(xb, X[rows]):
            fail(f"X_batch {number} of {what} holds rows that are not rows of X: {expect.show(xb)}.")
        if yb.dtype.kind not in "iu" and not np.array_equal(yb, np.round(yb)):
            fail(f"y_batch {number} of {what} holds {expect.show(yb)}, not labels from y.")
        found.append((rows, yb.astype(np.int64)))
    return (found, result) if outcome else found


def expect_every_sample_once(found, m, batch_size, what):
    sizes = [len(rows) for rows, _ in found]
    want = [batch_size] * (m // batch_size) + ([m % batch_size] if m % batch_size else [])
    if sizes != want:
        advice = ""
        if sizes == want[:-1]:
            advice = (f" The last, smaller batch of {m % batch_size} was dropped: loop over "
                      "range(0, m, batch_size) and keep the short slice.")
        elif 0 in sizes:
            advice = " An empty batch came out: stop when the start index reaches m."
        elif sum(sizes) > m:
            advice = " Some samples were served more than once."
        shown = str(sizes) if len(sizes) <= 12 else f"{str(sizes[:12])[:-1]}, ...] ({len(sizes)} batches)"
        fail(f"{what} with m = {m} gave batches of sizes {shown}; expected {want}.{advice}")
    rows = np.concatenate([r for r, _ in found]) if found else np.zeros(0, dtype=np.int64)
    counts = np.bincount(rows, minlength=m)
    if np.any(counts != 1):
        fail(f"{what} with m = {m}: rows {np.flatnonzero(counts != 1)[:6].tolist()} appear "
             f"{counts[counts != 1][:6].tolist()} times; every sample must appear exactly once per call. "
             "Slice ONE permutation of the indices, do not draw each batch at random.")


def real_batches(found, m, batch_size, what):
    """``found`` holds at least one real mini-batch (its first batch has batch_size rows): the
    minimum that makes order, pairing and side effects worth judging."""
    sizes = [len(rows) for rows, _ in found]
    if not sizes or sizes[0] != min(batch_size, m):
        not_judged(f"{what} with m = {m} yields no mini-batch of {batch_size} rows yet (batch sizes "
                   f"{sizes[:8]}); see every_sample_once_last_batch_kept")
    return found


CASES = [(10, 4), (12, 4), (7, 10), (5, 1), (33, 8)]


def drawn_case(rng):
    """(m, batch_size) drawn from the seed, with a last, smaller batch."""
    batch_size = int(rng.integers(2, 9))
    return batch_size * int(rng.integers(2, 6)) + int(rng.integers(1, batch_size)), batch_size


@exercise.check(points=2)
def every_sample_once_last_batch_kept(sub, rng):
    """Every sample comes out exactly once per call, in batches of batch_size rows, and the last,
    smaller batch is kept (m = 10, batch_size = 4 gives 4, 4, 2), with and without an rng."""
    for m, batch_size in CASES + [drawn_case(rng)]:
        X, y = indexed_data(m)
        for rng_seed in (None, seeds(rng, 1)[0]):
            found = batches(sub, X, y, batch_size, rng_seed)
            expect_every_sample_once(found, m, batch_size, describe(batch_size, rng_seed))


@exercise.check(points=1)
def order_kept_without_rng(sub, rng):
    """With rng=None the batches follow the rows of X in order: rows 0..3, 4..7, 8..9."""
    for m, batch_size in CASES + [drawn_case(rng)]:
        X, y = indexed_data(m)
        found = real_batches(batches(sub, X, y, batch_size), m, batch_size, describe(batch_size, None))
        rows = np.concatenate([r for r, _ in found])
        if not np.array_equal(rows, np.arange(len(rows))):
            fail(f"iterate_minibatches(X, y, batch_size={batch_size}, rng=None) served the rows in the "
                 f"order {expect.show(rows, 12)}; without an rng the order of X is kept (no shuffling).")


@exercise.check(points=2)
def x_and_y_stay_paired(sub, rng):
    """Shuffled batches keep each row of X with its own label: X and y are reordered by the same
    permutation."""
    for m, batch_size in [(40, 8), (33, 5)]:
        X, y = indexed_data(m)
        for rng_seed in (None, *seeds(rng, 2)):
            found = real_batches(batches(sub, X, y, batch_size, rng_seed), m, batch_size,
                                 describe(batch_size, rng_seed))
            for number, (rows, labels) in enumerate(found, start=1):
                if not np.array_equal(labels, y[rows]):
                    fail(f"batch {number} of {describe(batch_size, rng_seed)}: X_batch holds rows "
                         f"{expect.show(rows)} but y_batch holds the labels of rows {expect.show(labels)}. "
                         "Shuffle X and y with ONE permutation: idx = order[start:stop], then X[idx], y[idx].")


def order_of(sub, X, y, batch_size, rng_seed):
    found = batches(sub, X, y, batch_size, rng_seed)
    real_batches(found, len(y), batch_size, describe(batch_size, rng_seed))
    return np.concatenate([rows for rows, _ in found])


@exercise.check(points=2)
def shuffles_reproducibly_with_rng(sub, rng):
    """With an rng the order is shuffled, the same for Generators with the same seed, different
    for different seeds, and drawn from the rng only (NumPy's global random state is untouched)."""
    m, batch_size = 40, 8
    X, y = indexed_data(m)
    one, two, global_seed = seeds(rng, 3)
    sub.helper("seed_global_random_state", global_seed)
    before = sub.helper("global_random_state")
    first = order_of(sub, X, y, batch_size, one)
    if sub.helper("global_random_state") != before:
        fail("iterate_minibatches changed NumPy's global random state (np.random.shuffle, "
             "np.random.permutation, ...): shuffle with the rng argument, order = rng.permutation(m).")
    if np.array_equal(first, np.arange(m)):
        fail(f"iterate_minibatches(X, y, batch_size={batch_size}, rng=rng) kept the original order: "
             "with an rng, shuffle the samples (order = rng.permutation(m)).")
    sub.helper("seed_global_random_state", 1)
    again = order_of(sub, X, y, batch_size, one)
    sub.helper("seed_global_random_state", 2)
    third = order_of(sub, X, y, batch_size, one)
    if not (np.array_equal(first, again) and np.array_equal(first, third)):
        fail("Two Generators with the same seed gave different orders: draw the permutation from the "
             "rng argument only, not from np.random.* or a Generator of your own.")
    if np.array_equal(first, order_of(sub, X, y, batch_size, two)):
        fail("Generators with different seeds gave the same order: use the rng argument, not a "
             "Generator with a fixed seed of your own.")


@exercise.check(points=1)
def inputs_unmodified(sub, rng):
    """Shuffling leaves the caller's X and y as they were (shuffle indices, not the data)."""
    X, y = indexed_data(20)
    found, outcome = batches(sub, X, y, 6, seeds(rng, 1)[0], outcome=True)
    real_batches(found, 20, 6, describe(6, "rng"))
    for index, (name, original) in enumerate([("X", X), ("y", y)]):
        after = (outcome.args_after or [None, None])[index]
        if not (isinstance(after, np.ndarray) and after.shape == original.shape
                and np.array_equal(after, original)):
            fail(f"iterate_minibatches reordered the caller's {name} in place (rng.shuffle({name})?); "
                 f"index with a permutation instead: order = rng.permutation(m), then {name}[idx].")


# ---------------------------------------------------------------- train_mlp

def losses_of(value, epochs, what):
    """The per-epoch losses train_mlp returned, as a float array of length ``epochs``."""
    if isinstance(value, (int, float, np.floating)) or (isinstance(value, np.ndarray) and value.ndim == 0):
        fail(f"{what} returned one number ({expect.show(float(value))}); expected a list of {epochs} "
             "per-epoch losses (append each epoch's mean loss to a list and return the list).")
    if not isinstance(value, (list, tuple, np.ndarray)):
        fail(f"{what} should return a list of {epochs} per-epoch losses, got {expect.kind_of(value)}.")
    if len(value) != epochs:
        fail(f"{what} returned {len(value)} values; expected one mean loss per epoch, {epochs}. "
             + ("One per batch? Average the batch losses of each epoch." if len(value) > epochs else ""))
    return np.array([expect.number(v, f"epoch {i + 1}'s loss from {what}") for i, v in enumerate(value)])


def train(sub, params, X, y, optimizer, epochs, batch_size, rng, activation=None, return_args=False):
    args = (params, X, y, optimizer, epochs, batch_size, rng)
    kwargs = {} if activation is None else {"hidden_activation": activation}
    return sub.run("train_mlp", args, kwargs, return_args=return_args)


def call_text(m, epochs, batch_size, activation=None, rng="rng"):
    extra = "" if activation is None else f", hidden_activation={activation!r}"
    return f"train_mlp(params, X, y, optimizer, epochs={epochs}, batch_size={batch_size}, rng={rng}{extra}) with m = {m}"


@exercise.check(points=2)
def epoch_loss_is_the_mean_loss(sub, rng):
    """train_mlp returns one mean loss per epoch: when the optimizer changes nothing, each epoch's
    value is exactly the loss of the whole training set."""
    m, epochs, batch_size = 24, 3, 8
    X, y, params = problem(rng, m)
    what = call_text(m, epochs, batch_size)
    got = losses_of(train(sub, params, X, y, sub.helper("NullOptimizer"), epochs, batch_size,
                          generator(sub, seeds(rng, 1)[0])).value, epochs, what)
    full = loss(params, X, y)
    batch_losses = [loss(params, X[i:i + batch_size], y[i:i + batch_size]) for i in range(0, m, batch_size)]
    for i, value in enumerate(got):
        if np.isclose(value, full * m / batch_size, rtol=1e-6):
            fail(f"{what}: epoch {i + 1}'s loss is {value:.6g}, the SUM of the {m // batch_size} batch losses; "
                 f"the epoch's loss is their mean, {full:.6g}.")
        if np.isclose(value, full * m, rtol=1e-6):
            fail(f"{what}: epoch {i + 1}'s loss is {value:.6g}, m times the mean loss {full:.6g}: each "
                 "batch loss is already a mean; weight it by the batch size and divide by m.")
        if any(np.isclose(value, b, rtol=1e-9) for b in batch_losses) and not np.isclose(value, full, rtol=1e-6):
            fail(f"{what}: epoch {i + 1}'s loss {value:.6g} is the loss of a single batch; report the "
                 f"mean over the whole epoch, {full:.6g}.")
        expect.close_number(value, full, f"epoch {i + 1}'s loss from {what} with an optimizer that changes nothing",
                            rtol=1e-7, mistake="With fixed parameters the epoch's mean loss is the loss of "
                                               "the whole training set (mlp_loss_and_grads on all rows).")


@exercise.check(points=1)
def epoch_loss_weights_batches_by_size(sub, rng):
    """The epoch's loss weights each batch by its size: with batches of 4, 4 and 2 rows and fixed
    parameters it is still exactly the loss of the whole training set."""
    m, epochs, batch_size = 10, 1, 4
    X, y, params = problem(rng, m)
    what = call_text(m, epochs, batch_size)
    got = losses_of(train(sub, params, X, y, sub.helper("NullOptimizer"), epochs, batch_size,
                          generator(sub, seeds(rng, 1)[0])).value, epochs, what)[0]
    plain = np.mean([loss(params, X[i:i + batch_size], y[i:i + batch_size]) for i in range(0, m, batch_size)])
    full = loss(params, X, y)
    if np.isclose(got, plain, rtol=1e-9) and not np.isclose(got, full, rtol=1e-6):
        fail(f"{what}: the epoch's loss is {got:.6g}, the plain mean of the batch losses, which counts "
             f"the last batch of 2 as much as the batches of 4; weight each batch loss by its size: "
             f"sum(loss_b * b) / m = {full:.6g}.")
    expect.close_number(got, full, f"the epoch's loss from {what}", rtol=1e-7,
                        mistake="With fixed parameters it is the loss of all m rows.")


@exercise.check(points=2)
def one_step_per_batch(sub, rng):
    """train_mlp calls optimizer.step once per mini-batch, ceil(m / batch_size) * epochs times,
    each time with the gradients of that batch: weighted by the batch sizes, an epoch's
    gradients add up to the gradient of the whole training set."""
    m, epochs, batch_size = 10, 3, 4
    X, y, params = problem(rng, m)
    recorder = sub.helper("RecordingOptimizer")
    what = call_text(m, epochs, batch_size)
    losses_of(train(sub, params, X, y, recorder, epochs, batch_size, generator(sub, seeds(rng, 1)[0])).value,
              epochs, what)
    steps, per_epoch = sub.attribute(recorder, "steps"), math.ceil(m / batch_size)
    if steps != per_epoch * epochs:
        advice = {epochs: " One step per epoch: call optimizer.step after EVERY batch, inside the batch loop.",
                  (m // batch_size) * epochs: " The last, smaller batch of each epoch took no step.",
                  m * epochs: " One step per sample: step once per batch, with the batch's gradients."}
        fail(f"{what}: optimizer.step was called {expect.show(steps)} times; expected "
             f"ceil({m} / {batch_size}) * {epochs} = {per_epoch * epochs}.{advice.get(steps, '')}")
    recorded = sub.attribute(recorder, "grads")
    full_grads = loss_and_grads(params, X, y)[1]
    sizes = [min(batch_size, m - start) for start in range(0, m, batch_size)]
    for epoch in range(epochs):
        epoch_grads = recorded[epoch * per_epoch:(epoch + 1) * per_epoch]
        for step, grads in enumerate(epoch_grads, start=epoch * per_epoch + 1):
            if not isinstance(grads, dict) or set(grads) != set(params):
                fail(f"{what}: step {step} got {expect.kind_of(grads)}; expected the gradient dict of "
                     f"mlp_loss_and_grads, with the keys {sorted(params)}.")
        for key in params:
            steps_g = [expect.float_array(g[key], f"grads[{key!r}] in epoch {epoch + 1} of {what}",
                                          params[key].shape) for g in epoch_grads]
            if all(np.allclose(g, full_grads[key], rtol=1e-6, atol=1e-10) for g in steps_g):
                fail(f"{what}: every step got the gradient of the whole training set; compute "
                     "mlp_loss_and_grads on each batch (X_batch, y_batch).")
            combined = sum(size / m * g for size, g in zip(sizes, steps_g))
            if not np.allclose(combined, full_grads[key], rtol=1e-6, atol=1e-10):
                fail(f"{what}: in epoch {epoch + 1}, the batches' grads[{key!r}], weighted by batch size, "
                     f"add up to {expect.show(combined)}; expected the full-data gradient "
                     f"{expect.show(full_grads[key])}. Each step needs the gradient of its own batch, "
                     "and every row must be in exactly one batch.")


@exercise.check(points=2)
def honours_hidden_activation(sub, rng):
    """train_mlp passes hidden_activation on: with fixed parameters its loss is the loss of the
    network with tanh, sigmoid or leaky_relu hidden units, and relu by default."""
    m, epochs, batch_size = 12, 1, 4
    X, y, params = problem(rng, m)
    X = X * 3.0
    for activation in ("tanh", "sigmoid", "leaky_relu", None):
        what = call_text(m, epochs, batch_size, activation)
        got = losses_of(train(sub, params, X, y, sub.helper("NullOptimizer"), epochs, batch_size,
                              generator(sub, seeds(rng, 1)[0]), activation).value, epochs, what)[0]
        want = loss(params, X, y, activation or "relu")
        if activation and np.isclose(got, loss(params, X, y, "relu"), rtol=1e-9):
            fail(f"{what}: the loss {got:.6g} is the one of relu hidden units; pass hidden_activation "
                 f"on to mlp_loss_and_grads (expected {want:.6g} with {activation}).")
        expect.close_number(got, want, f"the epoch's loss from {what} with fixed parameters", rtol=1e-7)


@exercise.check(points=1)
def trains_params_in_place(sub, rng):
    """train_mlp trains the caller's params dict in place, and the loss goes down."""
    m, epochs, batch_size = 32, 5, 8
    X, y, params = problem(rng, m)
    what = call_text(m, epochs, batch_size)
    outcome = train(sub, params, X, y, sub.call("optimizers:Adam", 0.01), epochs, batch_size,
                    generator(sub, seeds(rng, 1)[0]), return_args=True)
    losses_of(outcome.value, epochs, what)
    after = (outcome.args_after or [None])[0]
    if not isinstance(after, dict) or set(after) != set(params):
        fail(f"after {what}, params is {expect.kind_of(after)}; expected the caller's dict with the keys "
             f"{sorted(params)}.")
    trained = {k: expect.float_array(after[k], f"params[{k!r}] after {what}", params[k].shape) for k in params}
    if all(np.array_equal(trained[k], params[k]) for k in params):
        fail(f"{what} left the caller's params unchanged: train the dict you are given (optimizer.step "
             "updates it in place), not a copy of it.")
    before, after = their_loss(sub, params, X, y), their_loss(sub, trained, X, y)
    if not after < before:
        fail(f"{what}: the training loss went from {before:.4g} to {after:.4g}; "
             "training with Adam should lower it.")


BLOB_CENTERS = [[-5.0, 2.0], [-2.0, -2.0], [1.0, 2.0], [5.0, -2.0]]  # the course notes' four blobs
LEARN = {"epochs": 20, "batch_size": 16, "hidden": 16, "lr": 0.01}
MIN_TEST_ACCURACY = 0.9
MAX_LOSS_RATIO = 0.25


def blobs(random_state, n_samples=200):
    X, y = make_blobs(n_samples=n_samples, centers=BLOB_CENTERS, cluster_std=1.0, random_state=random_state)
    return X, y


@exercise.check(points=2)
def learns_the_blobs(sub, rng, figures):
    """Trained with Adam(0.01), a 2-16-4 relu network learns the course's four blobs: the epoch
    loss falls below a quarter of its first value, and 90% of held-out points are classified
    correctly."""
    train_state, test_state = (int(s) for s in rng.choice(2**31, size=2, replace=False))
    X, y = blobs(train_state)
    X_test, y_test = blobs(test_state)
    params = init(rng, [2, LEARN["hidden"], 4])
    what = call_text(len(y), LEARN["epochs"], LEARN["batch_size"])
    outcome = train(sub, params, X, y, sub.call("optimizers:Adam", LEARN["lr"]), LEARN["epochs"],
                    LEARN["batch_size"], generator(sub, seeds(rng, 1)[0]), return_args=True)
    history = losses_of(outcome.value, LEARN["epochs"], what)
    after = (outcome.args_after or [None])[0]
    if not isinstance(after, dict) or set(after) != set(params):
        fail(f"after {what}, params is {expect.kind_of(after)}; expected the trained dict.")
    trained = {k: expect.float_array(after[k], f"params[{k!r}] after {what}", params[k].shape) for k in params}
    if not history[-1] < MAX_LOSS_RATIO * history[0]:
        fail(f"{what} with Adam(0.01) on the four blobs: the epoch loss went from {history[0]:.4g} to "
             f"{history[-1]:.4g}; it should fall below {MAX_LOSS_RATIO:g} times its first value.")
    figures.append(loss_curve("train_mlp on the four blobs: loss per epoch", history))
    figures.append(decision_regions("your trained network on held-out blobs", X_test, y_test,
                                    lambda P: their_labels(sub, trained, P)))
    score = float(np.mean(their_labels(sub, trained, X_test) == y_test))
    if score < MIN_TEST_ACCURACY:
        fail(f"after {what} with Adam(0.01) on the four blobs, the network classifies {score:.0%} of "
             f"held-out points correctly; expected at least {MIN_TEST_ACCURACY:.0%}.")


@exercise.check(points=2, hidden=True)
def minibatch_matches_reference(sub, ref, rng):
    """iterate_minibatches without an rng gives the reference's batches, and train_mlp with one
    batch per epoch (so the order of the rows cannot matter) the reference's losses and trained
    parameters."""
    for _ in range(3):
        m, batch_size = int(rng.integers(1, 30)), int(rng.integers(1, 12))
        X, y = rng.normal(size=(m, 3)), rng.integers(0, 5, size=m)
        got = sub.run("iterate_minibatches", (X, y, batch_size, None), iterate=m + 1).value or []
        want = list(ref.iterate_minibatches(X, y, batch_size, None))
        what = f"iterate_minibatches(X, y, batch_size={batch_size}) with m = {m}"
        if len(got) != len(want):
            fail(f"{what} gave {len(got)} batches; expected {len(want)}")
        for (xb, yb), (xw, yw) in zip(got, want):
            expect.close(xb, xw, f"X_batch of {what}", rtol=0, atol=0)
            if not (isinstance(yb, np.ndarray) and np.array_equal(yb, yw)):
                fail(f"y_batch of {what} is {expect.show(yb)}; expected {expect.show(yw)}")
    epochs, m = 3, int(rng.integers(8, 30))
    X, y, params = problem(rng, m)
    activation = str(rng.choice(["relu", "leaky_relu", "sigmoid", "tanh"]))
    what = call_text(m, epochs, m, activation)
    seed = seeds(rng, 1)[0]
    outcome = train(sub, params, X, y, sub.call("optimizers:Adam", 0.02), epochs, m, generator(sub, seed),
                    activation, return_args=True)
    want_params = {k: v.copy() for k, v in params.items()}
    reference_adam = importlib.import_module(".optimizers", ref.__package__).Adam
    want_history = ref.train_mlp(want_params, X, y, reference_adam(0.02), epochs, m, np.random.default_rng(seed),
                                 activation)
    expect.close(losses_of(outcome.value, epochs, what), want_history, f"the losses of {what}", rtol=1e-6)
    after = (outcome.args_after or [None])[0]
    if not isinstance(after, dict) or set(after) != set(params):
        fail(f"after {what}, params is {expect.kind_of(after)}")
    for key in params:
        expect.close(after[key], want_params[key], f"params[{key!r}] after {what}", rtol=1e-6, atol=1e-9)
