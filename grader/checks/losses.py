"""Checks for exercise 3, ``losses.py``: cross-entropies, MSE and their gradients."""

import numpy as np

from . import expect
from .core import Exercise, Hint, fail
from .gradients import matches_numeric, numeric_gradient
from .softmax import log_softmax, softmax

exercise = Exercise(
    "losses",
    "Loss functions",
    hints=[
        Hint("Every loss gives back ONE number, the mean over the samples of the per-sample loss, as "
             "a float. Cross-entropies have a minus sign in front: minus the log of a probability is "
             "positive.",
             helps=("binary_cross_entropy_known_value", "mean_squared_error_is_a_mean")),
        Hint("Integer labels pick one entry per row: row i goes with column y_i, never a whole "
             "column. A one-hot row holds a single 1 in the label's column, and a categorical loss "
             "adds up over the classes of a row first, then averages over the rows.",
             helps=("one_hot_encodes_labels",
                    "sparse_categorical_cross_entropy_picks_labels",
                    "categorical_cross_entropy_sums_classes")),
        Hint("log(0) is -inf. Clip the probabilities into the interval from eps to 1 - eps before "
             "taking logs. From logits, never form the probabilities first: use log_softmax, or for "
             "one logit the per-sample max(z, 0) - z y + log(1 + e^-|z|).",
             helps=("binary_cross_entropy_clips",
                    "binary_cross_entropy_with_logits_is_stable",
                    "softmax_cross_entropy_with_logits_is_stable")),
        Hint("The gradients are those of the MEAN: dLoss/dZ = (softmax(Z) - Y_onehot) / m for the "
             "softmax cross-entropy, and dMSE/dy_hat = 2 (y_hat - y) / N, prediction minus target, "
             "with N the number of elements.",
             helps=("softmax_cross_entropy_grad_matches_numeric", "mean_squared_error_grad_matches_numeric")),
    ],
)

NOTES_Y = np.array([1.0, 1.0, 0.0])
NOTES_P = np.array([0.8, 0.7, 0.1])
NOTES_BCE = 0.2283930  # the course's example, as a mean (the notes' 0.685 is the sum)


def bce(y, p, eps=1e-12):
    p = np.clip(p, eps, 1 - eps)
    return float(np.mean(-y * np.log(p) - (1 - y) * np.log(1 - p)))


def bce_with_logits(y, z):
    return float(np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))


def softmax_ce(y, Z):
    return float(-np.mean(log_softmax(Z)[np.arange(len(y)), y]))


def one_hot(y, k):
    return np.eye(k)[y]


def mean_not_sum(got, want, what):
    """Fail with the usual explanation when ``got`` is the sum, or the negated loss."""
    if len(want) > 1 and np.isclose(got, want[0] * want[1]):
        fail(f"{what} returned {got:.7g}, the SUM over the {want[1]} samples; "
             f"the loss is their mean, {want[0]:.7g} (np.mean, not np.sum).")
    if np.isclose(got, -want[0]):
        fail(f"{what} returned {got:.7g}: the sign is missing; cross-entropy is -log p, a positive number.")


@exercise.check(points=1)
def one_hot_encodes_labels(sub):
    """one_hot(y, K) has a row per label with a single 1.0 in the label's column."""
    y = np.array([0, 2, 1, 2])
    got = expect.float_array(sub.one_hot(y, 4), "one_hot([0, 2, 1, 2], 4)", (4, 4))
    expect.close(got, one_hot(y, 4), "one_hot([0, 2, 1, 2], 4)",
                 mistake="Row i has its 1.0 in column y[i]; num_classes sets the number of columns.")


@exercise.check(points=2)
def binary_cross_entropy_known_value(sub):
    """The mean binary cross-entropy of y = [1, 1, 0] and p = [0.8, 0.7, 0.1] is 0.2283930."""
    outcome = sub.run("binary_cross_entropy", (NOTES_Y, NOTES_P), return_args=True)
    got = expect.number(outcome.value, "binary_cross_entropy(y, p)")
    mean_not_sum(got, (NOTES_BCE, 3), "binary_cross_entropy([1, 1, 0], [0.8, 0.7, 0.1])")
    expect.close_number(got, NOTES_BCE, "binary_cross_entropy([1, 1, 0], [0.8, 0.7, 0.1])",
                        mistake="Per sample: -y log p - (1 - y) log(1 - p).")
    expect.unmodified(outcome, [NOTES_Y, NOTES_P], "binary_cross_entropy(y, p)")


@exercise.check(points=1)
def binary_cross_entropy_clips(sub):
    """Probabilities of exactly 0 and 1 give a finite loss: p is clipped to [eps, 1 - eps]."""
    y, p = np.array([1.0, 0.0, 1.0, 0.0]), np.array([0.0, 1.0, 1.0, 0.0])
    outcome = sub.run("binary_cross_entropy", (y, p), return_args=True)
    expect.no_warnings(outcome, "binary_cross_entropy(y, p) with p = 0 and 1",
                       "log(0) = -inf: clip p into [eps, 1 - eps] with np.clip before the logs.")
    expect.unmodified(outcome, [y, p], "binary_cross_entropy(y, p)")
    expect.close_number(outcome.value, bce(y, p), "binary_cross_entropy([1, 0, 1, 0], [0, 1, 1, 0])",
                        rtol=1e-6, mistake="Clip to [eps, 1 - eps] with the eps argument (default 1e-12).")


@exercise.check(points=2)
def binary_cross_entropy_with_logits_is_stable(sub, rng):
    """The loss from logits equals the loss of sigmoid(z), and stays finite for |z| = 1000."""
    y, z = (rng.random(8) < 0.5).astype(float), rng.normal(0, 3, 8)
    expect.close_number(sub.binary_cross_entropy_with_logits(y, z), bce_with_logits(y, z),
                        "binary_cross_entropy_with_logits(y, z)", rtol=1e-7,
                        mistake="It is binary_cross_entropy(y, sigmoid(z)), written without computing sigmoid.")
    y, z = np.array([1.0, 0.0, 1.0, 0.0]), np.array([-1000.0, 1000.0, 1000.0, -1000.0])
    outcome = sub.run("binary_cross_entropy_with_logits", (y, z))
    expect.no_warnings(outcome, "binary_cross_entropy_with_logits(y, z) with z = +-1000",
                       "use max(z, 0) - z*y + log(1 + e^-|z|), which never exponentiates a positive number.")
    expect.close_number(outcome.value, 500.0, "binary_cross_entropy_with_logits([1, 0, 1, 0], [-1000, 1000, 1000, -1000])",
                        mistake="Clipping sigmoid(z) loses the size of a confident mistake: the loss of "
                                "z = -1000 for y = 1 is 1000, not -log(1e-12).")


@exercise.check(points=1)
def categorical_cross_entropy_sums_classes(sub, rng):
    """Categorical cross-entropy sums -Y log P over classes, then averages over samples;
    zeros in P where Y is 0 do no harm."""
    y = np.array([0, 2, 1])
    Y, P = one_hot(y, 3), np.array([[0.7, 0.3, 0.0], [0.1, 0.1, 0.8], [0.0, 1.0, 0.0]])
    want = float(np.mean(-np.log(np.clip(P[np.arange(3), y], 1e-12, 1))))
    outcome = sub.run("categorical_cross_entropy", (Y, P), return_args=True)
    expect.no_warnings(outcome, "categorical_cross_entropy(Y, P) with zeros in P",
                       "0 * log(0) is nan: clip P before taking the log.")
    got = expect.number(outcome.value, "categorical_cross_entropy(Y, P)")
    mean_not_sum(got, (want, 3), "categorical_cross_entropy(Y, P)")
    expect.close_number(got, want, "categorical_cross_entropy(Y, P)",
                        mistake="Sum over classes (axis=1), then the mean over samples.")
    expect.unmodified(outcome, [Y, P], "categorical_cross_entropy(Y, P)")


@exercise.check(points=1)
def sparse_categorical_cross_entropy_picks_labels(sub, rng):
    """Sparse cross-entropy takes -log P[i, y_i] for each row i, then the mean."""
    y = np.array([3, 0, 1, 1, 2])
    P = softmax(rng.normal(0, 1, size=(5, 4)))
    want = float(np.mean(-np.log(P[np.arange(5), y])))
    got = expect.number(sub.sparse_categorical_cross_entropy(y, P), "sparse_categorical_cross_entropy(y, P)")
    mean_not_sum(got, (want, 5), "sparse_categorical_cross_entropy(y, P)")
    expect.close_number(got, want, "sparse_categorical_cross_entropy(y, P)",
                        mistake="Pick one entry per row, P[np.arange(m), y]; P[y] picks whole rows.")


@exercise.check(points=2)
def softmax_cross_entropy_with_logits_is_stable(sub, rng):
    """The loss from logits is the mean of -log_softmax(Z)[i, y_i], finite even for logits of 2000."""
    y, Z = np.array([0, 2, 1, 1]), rng.normal(0, 2, size=(4, 3))
    expect.close_number(sub.softmax_cross_entropy_with_logits(y, Z), softmax_ce(y, Z),
                        "softmax_cross_entropy_with_logits(y, Z)", rtol=1e-7,
                        mistake="It is the mean over rows of -log softmax(Z)[i, y_i].")
    y, Z = np.array([0, 1]), np.array([[0.0, 2000.0], [1000.0, -1000.0]])
    outcome = sub.run("softmax_cross_entropy_with_logits", (y, Z), return_args=True)
    expect.no_warnings(outcome, "softmax_cross_entropy_with_logits(y, Z) with logits of 2000",
                       "logits of 2000 overflowed or log(0) appeared: use log_softmax (log-sum-exp).")
    expect.unmodified(outcome, [y, Z], "softmax_cross_entropy_with_logits(y, Z)")
    expect.close_number(outcome.value, softmax_ce(y, Z), "softmax_cross_entropy_with_logits([0, 1], [[0, 2000], [1000, -1000]])",
                        mistake="Softmax then clip loses the size of a confident mistake: use log_softmax.")


@exercise.check(points=2)
def softmax_cross_entropy_grad_matches_numeric(sub, rng):
    """dLoss/dZ = (softmax(Z) - one_hot(y)) / m agrees with the numeric gradient of your loss."""
    y, Z = np.array([1, 0, 3]), rng.normal(0, 1, size=(3, 4))
    got = expect.float_array(sub.softmax_cross_entropy_grad(y, Z), "softmax_cross_entropy_grad(y, Z)", Z.shape)
    want = (softmax(Z) - one_hot(y, 4)) / 3
    if np.allclose(got, want * 3):
        fail("softmax_cross_entropy_grad(y, Z) is m times too large: the loss is a mean, so divide by m.")
    if np.allclose(got, -want):
        fail("softmax_cross_entropy_grad(y, Z) has the wrong sign: it is softmax(Z) - one_hot(y), over m.")
    numeric = numeric_gradient(lambda Zp: expect.number(
        sub.softmax_cross_entropy_with_logits(y, Zp), "softmax_cross_entropy_with_logits(y, Z)"), Z)
    matches_numeric(got, numeric, "softmax_cross_entropy_grad(y, Z)", threshold=1e-6)
    expect.close(got, want, "softmax_cross_entropy_grad(y, Z)")


@exercise.check(points=1)
def mean_squared_error_is_a_mean(sub, rng):
    """MSE is the mean over all elements of (y - y_hat)^2, for 1-D and 2-D targets."""
    for shape in [(5,), (4, 3)]:
        y, y_hat = rng.normal(size=shape), rng.normal(size=shape)
        want = float(np.mean((y - y_hat) ** 2))
        outcome = sub.run("mean_squared_error", (y, y_hat), return_args=True)
        got = expect.number(outcome.value, f"mean_squared_error(y, y_hat) for shape {shape}")
        mean_not_sum(got, (want, y.size), f"mean_squared_error(y, y_hat) for shape {shape}")
        expect.close_number(got, want, f"mean_squared_error(y, y_hat) for shape {shape}",
                            mistake="Average over every element (y.size), not only over rows.")
        expect.unmodified(outcome, [y, y_hat], "mean_squared_error(y, y_hat)")


@exercise.check(points=1)
def mean_squared_error_grad_matches_numeric(sub, rng):
    """dMSE/dy_hat = 2 (y_hat - y) / y.size agrees with the numeric gradient of your MSE."""
    y, y_hat = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    got = expect.float_array(sub.mean_squared_error_grad(y, y_hat), "mean_squared_error_grad(y, y_hat)", y.shape)
    want = 2 * (y_hat - y) / y.size
    if np.allclose(got, want / 2):
        fail("mean_squared_error_grad is half the true gradient: d/dx x^2 = 2x, keep the factor 2.")
    if np.allclose(got, -want):
        fail("mean_squared_error_grad has the wrong sign: differentiate with respect to y_hat, not y.")
    numeric = numeric_gradient(lambda yh: expect.number(
        sub.mean_squared_error(y, yh), "mean_squared_error(y, y_hat)"), y_hat)
    matches_numeric(got, numeric, "mean_squared_error_grad(y, y_hat)")
    expect.close(got, want, "mean_squared_error_grad(y, y_hat)")


@exercise.check(points=2, hidden=True)
def losses_match_reference(sub, ref, rng):
    """Every loss and gradient agrees with the reference on random batches."""
    m, k = 7, 5
    y = rng.integers(0, k, size=m)
    Z = rng.normal(0, 3, size=(m, k))
    P = softmax(Z)
    yb, zb = (rng.random(m) < 0.5).astype(float), rng.normal(0, 3, size=m)
    pb = 1 / (1 + np.exp(-zb))
    target = rng.normal(size=(m, 2))
    guess = rng.normal(size=(m, 2))
    for name, args in [("binary_cross_entropy", (yb, pb)), ("binary_cross_entropy_with_logits", (yb, zb)),
                       ("categorical_cross_entropy", (one_hot(y, k), P)),
                       ("sparse_categorical_cross_entropy", (y, P)),
                       ("softmax_cross_entropy_with_logits", (y, Z)), ("mean_squared_error", (target, guess))]:
        expect.close_number(sub.call(name, *args), getattr(ref, name)(*args), f"{name} on random inputs", rtol=1e-7)
    for name, args in [("softmax_cross_entropy_grad", (y, Z)), ("mean_squared_error_grad", (target, guess)),
                       ("one_hot", (y, k + 2))]:
        expect.close(sub.call(name, *args), getattr(ref, name)(*args), f"{name} on random inputs")
