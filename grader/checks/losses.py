"""Checks for exercise 3, ``losses.py``: cross-entropies, MSE and their gradients."""

import numpy as np

from . import expect
from .activations import expected_sigmoid
from .baked import formula
from .core import Exercise, Hint, fail, not_judged
from .gradients import matches_numeric, numeric_gradient
from .softmax import expected_log_softmax, expected_softmax

exercise = Exercise(
    "losses",
    "Loss functions",
    hints=[
        Hint("Every loss gives back ONE number, the mean over the samples of the per-sample loss, as "
             "a float. Cross-entropies have a minus sign in front: minus the log of a probability is "
             "positive.",
             helps=("binary_cross_entropy_known_value", "mean_squared_error_is_a_mean",
                    "binary_losses_take_column_targets")),
        Hint("Integer labels pick one entry per row: row i goes with column y_i, never a whole "
             "column. A one-hot row holds a single 1 in the label's column, and a categorical loss "
             "adds up over the classes of a row first, then averages over the rows.",
             helps=("one_hot_encodes_labels",
                    "sparse_categorical_cross_entropy_picks_labels",
                    "categorical_cross_entropy_sums_classes",
                    "categorical_cross_entropy_takes_soft_labels")),
        Hint("log(0) is -inf. Clip the probabilities into the interval from eps to 1 - eps before "
             "taking logs. From logits, never form the probabilities first: use log_softmax, or for "
             "one logit the per-sample max(z, 0) - z y + log(1 + e^-|z|).",
             helps=("binary_cross_entropy_clips", "binary_cross_entropy_honours_eps",
                    "categorical_cross_entropy_honours_eps", "sparse_categorical_cross_entropy_honours_eps",
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


@formula
def bce(y, p, eps=1e-12):
    p = np.clip(p, eps, 1 - eps)
    return float(np.mean(-y * np.log(p) - (1 - y) * np.log(1 - p)))


@formula
def bce_with_logits(y, z):
    return float(np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))


@formula
def softmax_ce(y, Z):
    return float(-np.mean(expected_log_softmax(Z)[np.arange(len(y)), y]))


@formula
def expected_one_hot(y, k):
    return np.eye(k)[y]


@formula
def cce(Y, P, eps=1e-12):
    return float(np.mean(-np.sum(Y * np.log(np.clip(P, eps, 1 - eps)), axis=1)))


@formula
def sparse_ce(y, P, eps=1e-12):
    return float(np.mean(-np.log(np.clip(P[np.arange(len(y)), y], eps, 1 - eps))))


EPS_CHOICES = (1e-3, 1e-15)  # above and below the default 1e-12
FIXED_EPS = "That is the loss clipped at {fixed:g} whatever eps is: clip with the eps argument, np.clip(p, eps, 1 - eps)."
TINY_P = ("That is the loss with p clipped at 1e-7: probabilities like 1e-9 are real (their loss is "
          "-log(1e-9) = 20.7); clip with the eps argument, whose default is 1e-12.")


def eps_candidates(loss, *args, eps):
    """The values of a loss that ignores ``eps`` (clips at the default, or at 1e-7)."""
    return [(loss(*args, eps=fixed), FIXED_EPS.format(fixed=fixed)) for fixed in (1e-12, 1e-7) if fixed != eps]


def probabilities(rng, m, k=None):
    """Random probabilities: m of them in (0, 1), or m rows of k that sum to one."""
    if k is None:
        return rng.uniform(0.02, 0.98, size=m)
    return expected_softmax(rng.normal(0.0, 1.5, size=(m, k)))


def mean_not_sum(got, want, what):
    """Fail with the usual explanation when ``got`` is the sum, or the negated loss."""
    if len(want) > 1 and np.isclose(got, want[0] * want[1]):
        fail(f"{what} returned {got:.7g}, the SUM over the {want[1]} samples; "
             f"the loss is their mean, {want[0]:.7g} (np.mean, not np.sum).")
    if np.isclose(got, -want[0]):
        fail(f"{what} returned {got:.7g}: the sign is missing; cross-entropy is -log p, a positive number.")


@exercise.check(points=1)
def one_hot_encodes_labels(sub, rng):
    """one_hot(y, K) has a row per label with a single 1.0 in the label's column."""
    for y, k in [(np.array([0, 2, 1, 2]), 4), (rng.integers(0, 5, size=7), 6)]:
        what = f"one_hot({y.tolist()}, {k})"
        got = expect.float_array(sub.one_hot(y, k), what, (len(y), k))
        expect.close(got, expected_one_hot(y, k), what,
                     mistake="Row i has its 1.0 in column y[i]; num_classes sets the number of columns.")


@exercise.check(points=2)
def binary_cross_entropy_known_value(sub, rng):
    """The mean binary cross-entropy of y = [1, 1, 0] and p = [0.8, 0.7, 0.1] is 0.2283930
    (and the same formula holds for any labels and probabilities)."""
    y, p = (rng.random(6) < 0.5).astype(float), probabilities(rng, 6)
    for y, p, want in [(NOTES_Y, NOTES_P, NOTES_BCE), (y, p, bce(y, p))]:
        what = f"binary_cross_entropy({y.tolist()}, {expect.show(p)})"
        outcome = sub.run("binary_cross_entropy", (y, p), return_args=True)
        got = expect.number(outcome.value, what)
        mean_not_sum(got, (want, len(y)), what)
        expect.close_number(got, want, what, mistake="Per sample: -y log p - (1 - y) log(1 - p).")
        expect.unmodified(outcome, [y, p], "binary_cross_entropy(y, p)")


@exercise.check(points=1)
def binary_cross_entropy_clips(sub, rng):
    """Probabilities of exactly 0 and 1, and tiny ones such as 1e-9, give a finite loss:
    p is clipped to [eps, 1 - eps] (eps = 1e-12 by default), not further."""
    y = np.append([1.0, 0.0, 1.0, 0.0, 1.0, 0.0], rng.random(4) < 0.5)
    p = np.append([0.0, 1.0, 1.0, 0.0, 1e-9, 1 - 1e-9], probabilities(rng, 4))
    what = "binary_cross_entropy(y, p) with p = 0, 1, 1e-9, 1 - 1e-9 and random values"
    outcome = sub.run("binary_cross_entropy", (y, p), return_args=True)
    expect.no_warnings(outcome, what, "log(0) = -inf: clip p into [eps, 1 - eps] with np.clip before the logs.")
    expect.unmodified(outcome, [y, p], "binary_cross_entropy(y, p)")
    got = expect.number(outcome.value, what)
    mean_not_sum(got, (bce(y, p), len(y)), what)
    expect.close_number(got, bce(y, p), what, candidates=[(bce(y, p, eps=1e-7), TINY_P)],
                        mistake="Clip to [eps, 1 - eps] with the eps argument (default 1e-12).")


@exercise.check(points=1, requires=("binary_cross_entropy_clips",))
def binary_cross_entropy_honours_eps(sub, rng):
    """The eps argument sets the clipping: with eps = 1e-3, p = 1e-4 counts as 1e-3; with
    eps = 1e-15, p = 0 costs -log(1e-15) = 34.5."""
    for eps in EPS_CHOICES:
        y = np.append([1.0, 0.0, 1.0, 0.0], rng.random(4) < 0.5)
        p = np.append([0.0, 1.0, 1e-4, 1 - 1e-4], probabilities(rng, 4))
        expect.close_number(sub.binary_cross_entropy(y, p, eps=eps), bce(y, p, eps=eps),
                            f"binary_cross_entropy(y, p, eps={eps:g})", rtol=1e-4,
                            candidates=eps_candidates(bce, y, p, eps=eps))


@exercise.check(points=1)
def binary_losses_take_column_targets(sub, rng):
    """Binary targets come as (m,) or as a column (m, 1): both binary cross-entropies give
    the same mean loss for y and p (or z) of shape (m, 1)."""
    y, z = (rng.random(6) < 0.5).astype(float), rng.normal(0.0, 2.0, size=6)
    p = expected_sigmoid(z)
    for name, second, want, see in [
            ("binary_cross_entropy", p, bce(y, p), "binary_cross_entropy_known_value"),
            ("binary_cross_entropy_with_logits", z, bce_with_logits(y, z), "binary_cross_entropy_with_logits_is_stable")]:
        flat = sub.call(name, y, second)
        if not (isinstance(flat, float) and np.isclose(flat, want, rtol=1e-7, atol=1e-10)):
            not_judged(f"{name} is not right yet for targets of shape (6,); see {see}")
        expect.close_number(sub.call(name, y[:, None], second[:, None]), want,
                            f"{name}(y, {'p' if second is p else 'z'}) for arrays of shape (6, 1)", rtol=1e-7,
                            mistake="Write the loss elementwise and take np.mean: a dot product such as "
                                    "y @ log(p) works for shape (m,) only.")


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
    P is clipped to [eps, 1 - eps], so zeros in P do no harm, and 1e-9 counts as 1e-9."""
    y = np.append([0, 2, 1, 1, 0], rng.integers(0, 3, size=3))
    P = np.vstack([[[0.7, 0.3, 0.0], [0.1, 0.1, 0.8], [0.0, 1.0, 0.0], [0.5, 0.0, 0.5],
                    [1e-9, 0.5, 0.5 - 1e-9]], probabilities(rng, 3, 3)])
    Y, want = expected_one_hot(y, 3), cce(expected_one_hot(y, 3), P)
    what = "categorical_cross_entropy(Y, P)"
    outcome = sub.run("categorical_cross_entropy", (Y, P), return_args=True)
    expect.no_warnings(outcome, f"{what} with zeros in P", "0 * log(0) is nan: clip P before taking the log.")
    got = expect.number(outcome.value, what)
    mean_not_sum(got, (want, len(y)), what)
    expect.close_number(got, want, what, candidates=[(cce(Y, P, eps=1e-7), TINY_P)],
                        mistake="Sum over classes (axis=1), then the mean over samples.")
    expect.unmodified(outcome, [Y, P], what)


@formula
def lumped_cce(Y, P):
    """-log(sum_k Y_k P_k): right for one-hot rows only."""
    return float(np.mean(-np.log(np.sum(Y * P, axis=1))))


@formula
def expected_mse(y, y_hat):
    return float(np.mean((y - y_hat) ** 2))


@formula
def mse_slope(y, y_hat):
    return 2 * (y_hat - y) / y.size


@formula
def softmax_ce_slope(y, Z):
    return (expected_softmax(Z) - expected_one_hot(y, Z.shape[1])) / len(y)


@exercise.check(points=1, requires=("categorical_cross_entropy_sums_classes",))
def categorical_cross_entropy_takes_soft_labels(sub, rng):
    """Y may hold any rows of class probabilities (soft labels, label smoothing): every
    class counts, -sum_k Y_k log P_k, not only the largest."""
    Y, P = probabilities(rng, 5, 4), probabilities(rng, 5, 4)
    lumped = lumped_cce(Y, P)
    expect.close_number(sub.categorical_cross_entropy(Y, P), cce(Y, P), "categorical_cross_entropy(Y, P) "
                        "for soft labels Y", rtol=1e-7,
                        candidates=[(lumped, "That is -log(sum_k Y_k P_k), right for one-hot rows only; "
                                             "the cross-entropy is -sum_k Y_k log P_k, a log per class.")])


@exercise.check(points=1, requires=("categorical_cross_entropy_sums_classes",))
def categorical_cross_entropy_honours_eps(sub, rng):
    """The eps argument sets the clipping of P: eps = 1e-3 and eps = 1e-15 both count."""
    for eps in EPS_CHOICES:
        y = np.append([0, 1], rng.integers(0, 3, size=3))
        P = np.vstack([[[0.0, 0.5, 0.5], [0.2, 1e-4, 0.8 - 1e-4]], probabilities(rng, 3, 3)])
        expect.close_number(sub.categorical_cross_entropy(expected_one_hot(y, 3), P, eps=eps), cce(expected_one_hot(y, 3), P, eps),
                            f"categorical_cross_entropy(Y, P, eps={eps:g})", rtol=1e-4,
                            candidates=eps_candidates(cce, expected_one_hot(y, 3), P, eps=eps))


@exercise.check(points=1)
def sparse_categorical_cross_entropy_picks_labels(sub, rng):
    """Sparse cross-entropy takes -log P[i, y_i] for each row i, then the mean; the picked
    probabilities are clipped to [eps, 1 - eps], so a 0 gives a finite loss."""
    y = np.append([3, 0, 1, 1, 2, 2], rng.integers(0, 4, size=5))  # rows 4 and 5 pick 1e-9 and 0
    P = np.vstack([probabilities(rng, 4, 4), [[0.5, 0.5 - 1e-9, 1e-9, 0.0], [0.25, 0.25, 0.0, 0.5]],
                   probabilities(rng, 5, 4)])
    want, what = sparse_ce(y, P), "sparse_categorical_cross_entropy(y, P)"
    outcome = sub.run("sparse_categorical_cross_entropy", (y, P), return_args=True)
    expect.no_warnings(outcome, f"{what} with P[i, y_i] = 0", "log(0) = -inf: clip the picked probabilities.")
    got = expect.number(outcome.value, what)
    mean_not_sum(got, (want, len(y)), what)
    expect.close_number(got, want, what, candidates=[(sparse_ce(y, P, eps=1e-7), TINY_P)],
                        mistake="Pick one entry per row, P[np.arange(m), y]; P[y] picks whole rows.")


@exercise.check(points=1, requires=("sparse_categorical_cross_entropy_picks_labels",))
def sparse_categorical_cross_entropy_honours_eps(sub, rng):
    """The eps argument sets the clipping: eps = 1e-3 and eps = 1e-15 both count."""
    for eps in EPS_CHOICES:
        y = np.append([2, 0], rng.integers(0, 3, size=3))
        P = np.vstack([[[0.5, 0.5, 0.0], [1e-4, 0.5, 0.5 - 1e-4]], probabilities(rng, 3, 3)])
        expect.close_number(sub.sparse_categorical_cross_entropy(y, P, eps=eps), sparse_ce(y, P, eps),
                            f"sparse_categorical_cross_entropy(y, P, eps={eps:g})", rtol=1e-4,
                            candidates=eps_candidates(sparse_ce, y, P, eps=eps))


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
    want = softmax_ce_slope(y, Z)
    if np.allclose(got, want * 3):
        fail("softmax_cross_entropy_grad(y, Z) is m times too large: the loss is a mean, so divide by m.")
    if np.allclose(got, -want):
        fail("softmax_cross_entropy_grad(y, Z) has the wrong sign: it is softmax(Z) - one_hot(y), over m.")
    numeric = numeric_gradient(lambda Zp: expect.number(
        sub.softmax_cross_entropy_with_logits(y, Zp), "softmax_cross_entropy_with_logits(y, Z)"), Z)
    matches_numeric(got, numeric, "softmax_cross_entropy_grad(y, Z)", threshold=1e-6)
    expect.close(got, want, "softmax_cross_entropy_grad(y, Z)")


@formula
def mse_mistakes(y, y_hat):
    """The classic wrong MSEs, as (value, explanation)."""
    squares = (y - y_hat) ** 2
    named = [(0.5 * float(np.mean(squares)), "That is half the mean: the 1/2 of some textbooks' "
              "0.5 * (y - y_hat)^2 is not part of this loss, MSE = mean((y - y_hat)^2).")]
    if y.ndim == 2:
        named.append((float(np.mean(np.sum(squares, axis=1))), "That averages over the rows only (a sum "
                      "over each row's outputs); the mean runs over every element, y.size of them."))
    return named


@exercise.check(points=1)
def mean_squared_error_is_a_mean(sub, rng):
    """MSE is the mean over all elements of (y - y_hat)^2, for 1-D and 2-D targets."""
    for shape in [(5,), (4, 3)]:
        y, y_hat = rng.normal(size=shape), rng.normal(size=shape)
        want, what = expected_mse(y, y_hat), f"mean_squared_error(y, y_hat) for shape {shape}"
        outcome = sub.run("mean_squared_error", (y, y_hat), return_args=True)
        got = expect.number(outcome.value, what)
        mean_not_sum(got, (want, y.size), what)
        expect.close_number(got, want, what, candidates=mse_mistakes(y, y_hat))
        expect.unmodified(outcome, [y, y_hat], "mean_squared_error(y, y_hat)")


@formula
def mse_grad_mistakes(y, y_hat):
    """The classic wrong MSE gradients, as (values, explanation)."""
    want = mse_slope(y, y_hat)
    named = [(want / 2, "It is half the true gradient: d/dx x^2 = 2x, keep the factor 2."),
             (want * 2, "It is twice the true gradient: the factor 2 of d/dx x^2 = 2x came in twice."),
             (-want, "It has the wrong sign: differentiate with respect to y_hat, 2 (y_hat - y), not y - y_hat.")]
    if y.ndim == 2:
        named.append((want * y.shape[1], "It divides by the number of rows; the mean runs over every "
                                         "element, so divide by y.size."))
    return named


@exercise.check(points=1)
def mean_squared_error_grad_matches_numeric(sub, rng):
    """dMSE/dy_hat = 2 (y_hat - y) / y.size, for 1-D and 2-D targets: the gradient of the
    mean over every element (numerically, (MSE(y_hat + h) - MSE(y_hat - h)) / 2h)."""
    for shape in [(5,), (3, 2)]:
        y, y_hat = rng.normal(size=shape), rng.normal(size=shape)
        what = f"mean_squared_error_grad(y, y_hat) for shape {shape}"
        got = expect.float_array(sub.mean_squared_error_grad(y, y_hat), what, shape)
        want, mistakes = mse_slope(y, y_hat), mse_grad_mistakes(y, y_hat)
        if np.allclose(got, want, rtol=1e-6, atol=1e-10):
            continue
        named = expect.matching_variant(got, mistakes)
        if named:
            fail(f"{what} returned {expect.show(got)}; expected {expect.show(want)}. {named}")
        numeric = numeric_gradient(lambda yh: expect.number(
            sub.mean_squared_error(y, yh), "mean_squared_error(y, y_hat)"), y_hat)
        consistent = np.allclose(got, numeric, rtol=1e-5, atol=1e-8)
        expect.close(got, want, what, mistake="It is the gradient of your mean_squared_error, which is off "
                     "itself: see mean_squared_error_is_a_mean." if consistent else "")


@exercise.check(points=2, hidden=True)
def losses_match_reference(sub, ref, rng):
    """Every loss and gradient agrees with the reference on random batches."""
    m, k = 7, 5
    y = rng.integers(0, k, size=m)
    Z = rng.normal(0, 3, size=(m, k))
    P = expected_softmax(Z)
    yb, zb = (rng.random(m) < 0.5).astype(float), rng.normal(0, 3, size=m)
    pb = 1 / (1 + np.exp(-zb))
    target = rng.normal(size=(m, 2))
    guess = rng.normal(size=(m, 2))
    for name, args in [("binary_cross_entropy", (yb, pb)), ("binary_cross_entropy_with_logits", (yb, zb)),
                       ("categorical_cross_entropy", (expected_one_hot(y, k), P)),
                       ("sparse_categorical_cross_entropy", (y, P)),
                       ("softmax_cross_entropy_with_logits", (y, Z)), ("mean_squared_error", (target, guess))]:
        expect.close_number(sub.call(name, *args), getattr(ref, name)(*args), f"{name} on random inputs", rtol=1e-7)
    for name, args in [("softmax_cross_entropy_grad", (y, Z)), ("mean_squared_error_grad", (target, guess)),
                       ("one_hot", (y, k + 2))]:
        expect.close(sub.call(name, *args), getattr(ref, name)(*args), f"{name} on random inputs")
