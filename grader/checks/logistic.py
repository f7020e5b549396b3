"""Checks for exercise 4, ``logistic.py``: one sigmoid neuron, its loss, gradients and training."""

import numpy as np

from .. import datasets
from . import expect
from .activations import expected_sigmoid
from .baked import formula
from .core import Exercise, Hint, fail
from .figures import decision_regions
from .gradients import numeric_gradient, rel_error
from .losses import bce_with_logits

exercise = Exercise(
    "logistic",
    "Logistic regression: one neuron",
    timeout=20,
    hints=[
        Hint("One neuron: an affine score for every sample, one number per row, turned into the "
             "probability of class 1 by your sigmoid from the activations exercise. Keep w "
             "one-dimensional, so that the result has one entry per row.",
             helps=("predict_proba_known_value", "predict_proba_one_probability_per_row")),
        Hint("The loss is the MEAN binary cross-entropy over the m samples, computed from the scores "
             "with your loss from logits. Write the gradient with respect to each score first, one "
             "entry per sample; both parameter gradients follow from it, and both carry the 1/m of "
             "the mean.",
             helps=("logistic_loss_is_mean_cross_entropy",)),
        Hint("Training repeats one step: get both gradients at the current w and b, then move both "
             "against them by lr. Start from zeros, so that the result is reproducible.",
             helps=("train_logistic_is_gradient_descent",
                    "train_logistic_separates_blobs",
                    "train_logistic_reads_digits")),
        Hint("dz = (sigmoid(z) - y) / m has one entry per sample; dw = X^T dz has the shape of w, "
             "(n,), and db = sum(dz) is a single number: the bias is differentiated by b, not by w "
             "(the notes slip there). A step goes to w - lr dw and b - lr db.",
             helps=("logistic_dw_matches_numeric", "logistic_db_matches_numeric")),
    ],
)

NOTES_X = np.array([[2.0, 6.0]])
NOTES_W = np.array([0.4, 0.6])
NOTES_B = -2.0
NOTES_P = 0.9168273035060777  # sigmoid(0.4*2 + 0.6*6 - 2), the notes' neuron

# Two well separated blobs (centres 7 standard deviations apart); the boundary x1 - x2 = 2
# misses the origin, so b has to be learned too.
BLOB_CENTERS = np.array([[1.0, 4.0], [6.0, -1.0]])
BLOBS_TRAIN, BLOBS_TEST = 150, 150
BLOBS_LR, BLOBS_EPOCHS = 0.1, 300
BLOBS_MIN_ACCURACY = 0.97
DIGITS_LR, DIGITS_EPOCHS = 0.1, 300
DIGITS_MIN_ACCURACY = 0.99
DIGITS_TRAIN_SHARE = 0.9
NUMERIC_THRESHOLD, NUMERIC_FLOOR = 1e-6, 1e-4
FOLLOWS_GRADIENTS = ("Training follows the gradients of logistic_loss_and_grads: if its checks fail, "
                     "fix it first.")
SIGN_TYPO = "it uses p = 1/(1 + e^z), the notes' sign typo; p = sigmoid(z) = 1/(1 + e^-z)."
LOSS_IS_OFF = ("This gradient is the right one for the mean cross-entropy, so the loss your function "
               "returns is off: it must be the function this is the gradient of (see the loss check).")


# -- the grader's own formulas ---------------------------------------------------

@formula
def loss_and_grads(X, y, w, b):
    z = X @ w + b
    dz = (expected_sigmoid(z) - y) / len(y)
    return bce_with_logits(y, z), X.T @ dz, float(np.sum(dz))


@formula
def sign_typo_grads(X, y, w, b):
    """dw and db of the notes' sign typo, p = 1/(1 + e^z)."""
    dz = (expected_sigmoid(-(X @ w + b)) - y) / len(y)
    return X.T @ dz, float(np.sum(dz))


@formula
def gradient_descent(X, y, lr, epochs, ascent=False, sequential=False):
    """Full-batch gradient descent from zeros; the flags reproduce two classic mistakes."""
    w, b = np.zeros(X.shape[1]), 0.0
    sign = 1.0 if ascent else -1.0
    for _ in range(epochs):
        _, dw, db = loss_and_grads(X, y, w, b)
        w = w + sign * lr * dw
        if sequential:  # b's gradient taken after w already moved
            db = loss_and_grads(X, y, w, b)[2]
        b = b + sign * lr * db
    return w, b


# -- validating what comes back ----------------------------------------------------

def parts(value, what, names):
    """A tuple/list of ``len(names)`` items, or a failure saying what should come back."""
    if not isinstance(value, (tuple, list)) or len(value) != len(names):
        fail(f"{what} should return a tuple ({', '.join(names)}), got {expect.kind_of(value)}")
    return value


def loss_grads(sub, X, y, w, b):
    what = "logistic_loss_and_grads(X, y, w, b)"
    return parts(sub.logistic_loss_and_grads(X, y, w, b), what, ("loss", "dw", "db"))


def bias_number(db, n, m, what):
    """``db`` as a float, explaining the two usual shapes of a wrong bias gradient."""
    if isinstance(db, np.ndarray) and db.size > 1:
        if db.shape == (n,):
            fail(f"{what} returned db of shape {db.shape}, one value per weight: that is a derivative "
                 "by w (the notes' bias update makes this slip). The bias gradient is one number, "
                 "dLoss/db = sum(dz) over the samples.")
        if db.shape == (m,):
            fail(f"{what} returned db of shape {db.shape}, one value per sample: sum dz over the "
                 "samples, db = np.sum(dz).")
    return expect.number(db, f"{what}[2] (db)")


def weights_and_bias(value, n, what):
    w, b = parts(value, what, ("w", "b"))
    w = expect.float_array(w, f"{what}[0] (w)", (n,))
    return w, expect.number(b, f"{what}[1] (b)")


def agrees_with_numeric(analytic, numeric, what, mistake):
    """CS231n's relative error below NUMERIC_THRESHOLD; entries smaller than NUMERIC_FLOOR,
    where the finite differences' rounding dominates, are measured against the floor."""
    error = rel_error(analytic, numeric, floor=NUMERIC_FLOOR)
    if not error <= NUMERIC_THRESHOLD:  # a nan error fails too
        fail(f"{what} does not match the numeric gradient of your loss (relative error {error:.2g}, "
             f"allowed {NUMERIC_THRESHOLD:g}): got {expect.show(analytic)}, numeric {expect.show(numeric)}. "
             + mistake)


def random_problem(rng, m=6, n=3):
    X = rng.normal(0.0, 1.0, size=(m, n))
    y = np.resize([0.0, 1.0], m)
    rng.shuffle(y)
    w = rng.normal(0.0, 0.7, size=n)
    return X, y, w, float(rng.normal(0.0, 0.5))


# -- predict_proba ------------------------------------------------------------------

@exercise.check(points=2)
def predict_proba_known_value(sub, rng):
    """The course's neuron: x = [2, 6], w = [0.4, 0.6], b = -2 gives
    sigmoid(0.4*2 + 0.6*6 - 2) = 0.9168273, returned as an array of shape (1,)."""
    _, _, w, b = random_problem(rng, 1, 2)
    for X, w, b in [(NOTES_X, NOTES_W, NOTES_B), (rng.normal(0.0, 2.0, size=(1, 2)), w, b)]:
        what = f"predict_proba({X.tolist()}, {w.tolist()}, {b:.6g})"
        got = expect.float_array(sub.predict_proba(X, w, b), what)
        if got.size == 1 and got.shape != (1,):
            fail(f"{what} returned shape {got.shape}; expected (1,), one probability per sample. "
                 "Keep w of shape (n,) so that X @ w has shape (m,).")
        z = X @ w + b
        named = [(expected_sigmoid(-z), "That is 1/(1 + e^z), the notes' sign typo. The model is sigmoid(z) = 1/(1 + e^-z)."),
                 (expected_sigmoid(X @ w), "The bias is missing: p = sigmoid(X @ w + b)."),
                 (z, "That is z itself: apply the sigmoid, p = sigmoid(X @ w + b).")]
        expect.close(got, expected_sigmoid(z), what, rtol=1e-7, candidates=named)


@exercise.check(points=1)
def predict_proba_one_probability_per_row(sub, rng):
    """For X of shape (m, n), predict_proba returns shape (m,): one probability per row,
    sigmoid(X @ w + b), without changing X or w."""
    for m, n in [(5, 3), (4, 7)]:
        X, _, w, b = random_problem(rng, m, n)
        outcome = sub.run("predict_proba", (X, w, b), return_args=True)
        what = f"predict_proba(X, w, b) for X of shape {X.shape}"
        got = expect.float_array(outcome.value, what)
        if got.shape != (m,):
            fail(f"{what} returned shape {got.shape}; expected ({m},), one probability per sample "
                 "(keep w of shape (n,); a column w of shape (n, 1) gives (m, 1)).")
        expect.close(got, expected_sigmoid(X @ w + b), what, mistake="Each row x gives sigmoid(x . w + b).")
        expect.unmodified(outcome, [X, w], "predict_proba(X, w, b)")


# -- loss and gradients ---------------------------------------------------------------

@exercise.check(points=2)
def logistic_loss_is_mean_cross_entropy(sub, rng):
    """logistic_loss_and_grads returns (loss, dw, db); the loss is the mean binary
    cross-entropy of sigmoid(X @ w + b) against the labels."""
    X, y, w, b = random_problem(rng, 8, 3)
    what = "logistic_loss_and_grads(X, y, w, b)"
    outcome = sub.run("logistic_loss_and_grads", (X, y, w, b), return_args=True)
    loss = expect.number(parts(outcome.value, what, ("loss", "dw", "db"))[0], f"{what}[0] (the loss)")
    want = bce_with_logits(y, X @ w + b)
    if np.isclose(loss, want * len(y)):
        fail(f"{what} returned the loss {loss:.7g}, the SUM over the {len(y)} samples; "
             f"the loss is their mean, {want:.7g}.")
    if np.isclose(loss, -want):
        fail(f"{what} returned the loss {loss:.7g}: the minus sign is missing (-y log p - (1-y) log(1-p)).")
    if np.isclose(loss, bce_with_logits(y, -(X @ w + b))):
        fail(f"{what} returned the loss {loss:.7g}, the loss of 1/(1 + e^z): the notes' sign typo. "
             "The model is sigmoid(z) = 1/(1 + e^-z).")
    expect.close_number(loss, want, f"{what}[0] (the loss)", rtol=1e-7,
                        mistake="loss = mean(-y log p - (1 - y) log(1 - p)) with p = sigmoid(X @ w + b).")
    expect.unmodified(outcome, [X, y, w], what)


@exercise.check(points=2)
def logistic_dw_matches_numeric(sub, rng):
    """dw, of w's shape (n,), is the gradient of your mean loss with respect to w: it agrees
    with the numeric gradient, (loss(w + h) - loss(w - h)) / 2h, entry by entry."""
    X, y, w, b = random_problem(rng, 6, 3)
    what = "logistic_loss_and_grads(X, y, w, b)"
    _, dw, _ = loss_grads(sub, X, y, w, b)
    if isinstance(dw, np.ndarray) and dw.shape in [(3, 1), (1, 3)]:
        fail(f"{what} returned dw of shape {dw.shape}; expected (3,), w's shape. Keep w, z and dz "
             "one-dimensional: X.T @ dz with dz of shape (m,).")
    dw = expect.float_array(dw, f"{what}[1] (dw)", w.shape)
    _, want, _ = loss_and_grads(X, y, w, b)
    m = len(y)
    named = [(sign_typo_grads(X, y, w, b)[0], SIGN_TYPO),
             (want * m, f"dw is m = {m} times too large: the loss is a mean, so dz = (p - y) / m."),
             (want / m, f"dw is m = {m} times too small: the 1/m was applied twice."),
             (-want, "dw has the wrong sign: dz = p - y (over m), not y - p.")]
    right = np.allclose(dw, want, rtol=1e-6, atol=1e-10)
    for wrong, message in [] if right else named:
        if np.allclose(dw, wrong, rtol=1e-6, atol=1e-10):
            fail(f"{what} returned dw = {expect.show(dw)}, expected {expect.show(want)}: {message}")
    numeric = numeric_gradient(
        lambda wp: expect.number(loss_grads(sub, X, y, wp, b)[0], f"{what}[0] (the loss)"), w)
    agrees_with_numeric(dw, numeric, f"{what}[1] (dw)",
                        LOSS_IS_OFF if right else "dw = X.T @ dz with dz = (sigmoid(z) - y) / m.")
    expect.close(dw, want, f"{what}[1] (dw)",
                 mistake="dw agrees with your loss but not with the mean cross-entropy: check the loss first.")


@exercise.check(points=2)
def logistic_db_matches_numeric(sub, rng):
    """db is ONE number, the derivative of your mean loss with respect to the bias b: it agrees
    with (loss(b + h) - loss(b - h)) / 2h. (The notes' bias update differentiates by w.)"""
    X, y, w, b = random_problem(rng, 6, 3)
    what = "logistic_loss_and_grads(X, y, w, b)"
    _, dw, db = loss_grads(sub, X, y, w, b)
    db = bias_number(db, len(w), len(y), what)
    _, want_dw, want = loss_and_grads(X, y, w, b)
    m = len(y)
    named = [(sign_typo_grads(X, y, w, b)[1], SIGN_TYPO),
             (want * m, f"db is m = {m} times too large: dz = (p - y) / m already carries the 1/m of the mean."),
             (want / m, f"db is m = {m} times too small: the 1/m was applied twice."),
             (-want, "db has the wrong sign: db = sum(p - y) / m."),
             (float(np.sum(want_dw)), "that is the sum of dw, a derivative by w (the notes' slip); "
                                      "db = sum(dz): the bias enters every z with a factor 1."),
             (float(np.mean(want_dw)), "that is the mean of dw, a derivative by w (the notes' slip); "
                                       "db = sum(dz): the bias enters every z with a factor 1.")]
    right = np.isclose(db, want, rtol=1e-6, atol=1e-10)
    for wrong, message in [] if right else named:
        if np.isclose(db, wrong, rtol=1e-6, atol=1e-10):
            fail(f"{what} returned db = {db:.7g}, expected {want:.7g}: {message}")
    numeric = numeric_gradient(
        lambda bp: expect.number(loss_grads(sub, X, y, w, float(bp[0]))[0], f"{what}[0] (the loss)"),
        np.array([b]))
    agrees_with_numeric(np.array([db]), numeric, f"{what}[2] (db)",
                        LOSS_IS_OFF if right else "db = sum(dz) with dz = (sigmoid(z) - y) / m.")
    expect.close_number(db, want, f"{what}[2] (db)", rtol=1e-6,
                        mistake="db agrees with your loss but not with the mean cross-entropy: check the loss first.")


# -- training ----------------------------------------------------------------------

@exercise.check(points=2)
def train_logistic_is_gradient_descent(sub, rng):
    """train_logistic starts from w = 0, b = 0 and takes `epochs` full-batch steps
    w -= lr * dw, b -= lr * db (both gradients from the same point): after 4 steps with
    lr = 0.5 it lands exactly where gradient descent does, every time."""
    X, y, _, _ = random_problem(rng, 8, 3)
    X = X + np.array([1.0, -0.5, 0.5])  # off-centre, so that b moves
    lr, epochs = 0.5, 4
    what = f"train_logistic(X, y, lr={lr}, epochs={epochs})"
    outcome = sub.run("train_logistic", (X, y), {"lr": lr, "epochs": epochs}, return_args=True)
    w, b = weights_and_bias(outcome.value, 3, what)
    expect.unmodified(outcome, [X, y], "train_logistic(X, y)")
    want_w, want_b = gradient_descent(X, y, lr, epochs)
    named = [(gradient_descent(X, y, lr, epochs, ascent=True),
              "the parameters moved UP the gradient: gradient descent subtracts, w = w - lr * dw."),
             (gradient_descent(X, y, lr, epochs, sequential=True),
              "b was stepped with a gradient computed after w had already moved; compute dw and "
              "db at the same (w, b), then update both."),
             (gradient_descent(X, y, lr, epochs + 1), "that is epochs + 1 steps: take exactly `epochs` steps."),
             (gradient_descent(X, y, lr, epochs - 1), "that is epochs - 1 steps: take exactly `epochs` steps."),
             (gradient_descent(X, y, 0.1, epochs), "that is lr = 0.1: use the lr argument, not a fixed value.")]
    got = np.append(w, b)
    if not np.allclose(got, np.append(want_w, want_b), rtol=1e-6, atol=1e-9):
        again = np.append(*weights_and_bias(sub.train_logistic(X, y, lr=lr, epochs=epochs), 3, what))
        if not np.allclose(again, got):
            fail(f"Two calls of {what} on the same data returned different results ({expect.show(got)} "
                 f"then {expect.show(again)}): start from w = np.zeros(n), b = 0.0, not from random values.")
        for (ww, wb), message in named:
            if np.allclose(got, np.append(ww, wb), rtol=1e-6, atol=1e-9):
                fail(f"{what} returned w = {expect.show(w)}, b = {b:.6g}; expected w = {expect.show(want_w)}, "
                     f"b = {want_b:.6g}: {message}")
        fail(f"{what} returned w = {expect.show(w)}, b = {b:.6g}; expected w = {expect.show(want_w)}, "
             f"b = {want_b:.6g}, where {epochs} gradient-descent steps from w = 0, b = 0 lead. "
             + FOLLOWS_GRADIENTS)


def training_loss(sub, X, y, w, b):
    """The mean cross-entropy of the weights ``w``, ``b`` the student trained, measured with
    binary_cross_entropy_with_logits of losses.py (the reference's where the instructor
    grades, the student's own in the student's copy: nothing here computes it)."""
    what = "losses.binary_cross_entropy_with_logits(y, X @ w + b), the loss of your trained weights"
    return expect.number(sub.call("losses:binary_cross_entropy_with_logits", y, X @ w + b), what)


def train_and_measure(sub, X, y, X_test, y_test, lr, epochs, what):
    """Train in the child, then score the returned (w, b) here: (test accuracy, train losses)."""
    n = X.shape[1]
    w, b = weights_and_bias(sub.train_logistic(X, y, lr=lr, epochs=epochs), n, what)
    short = f"train_logistic(X, y, lr={lr}, epochs={epochs // 10})"
    w_short, b_short = weights_and_bias(sub.train_logistic(X, y, lr=lr, epochs=epochs // 10), n, short)
    start = training_loss(sub, X, y, np.zeros(n), 0.0)  # log 2
    early, final = training_loss(sub, X, y, w_short, b_short), training_loss(sub, X, y, w, b)
    if not final < early < start:
        fail(f"The training loss should go down: {start:.4f} at w = 0, b = 0, then {early:.4f} after "
             f"{epochs // 10} epochs and {final:.4f} after {epochs}. "
             + ("More epochs changed nothing: does the loop run `epochs` times?" if np.isclose(final, early)
                else "Gradient descent subtracts the gradient: w = w - lr * dw, b = b - lr * db. "
                + FOLLOWS_GRADIENTS))
    return float(np.mean(((X_test @ w + b) > 0) == (y_test == 1))), final, (w, b)


@exercise.check(points=2)
def train_logistic_separates_blobs(sub, rng, figures):
    """On two separable blobs of points, training (lr = 0.1, 300 epochs) lowers the loss and
    classifies at least 97% of new points from the same blobs correctly."""
    X, y = datasets.make_blobs(BLOBS_TRAIN + BLOBS_TEST, centers=BLOB_CENTERS,
                               random_state=int(rng.integers(2**31)))
    what = f"train_logistic(X, y, lr={BLOBS_LR}, epochs={BLOBS_EPOCHS}) on two blobs"
    # the figure comes before any verdict: when training diverges is when it helps most
    w, b = weights_and_bias(sub.train_logistic(X[:BLOBS_TRAIN], y[:BLOBS_TRAIN], lr=BLOBS_LR, epochs=BLOBS_EPOCHS),
                            X.shape[1], what)
    figures.append(decision_regions("your logistic regression on two blobs (held-out points)",
                                    X[BLOBS_TRAIN:], y[BLOBS_TRAIN:], lambda P: (P @ w + b > 0).astype(int)))
    acc, loss, _ = train_and_measure(sub, X[:BLOBS_TRAIN], y[:BLOBS_TRAIN], X[BLOBS_TRAIN:],
                                     y[BLOBS_TRAIN:], BLOBS_LR, BLOBS_EPOCHS, what)
    if acc < BLOBS_MIN_ACCURACY:
        fail(f"After {what}, the model classifies {acc:.1%} of held-out points correctly (training "
             f"loss {loss:.4f}); at least {BLOBS_MIN_ACCURACY:.0%} expected. Is b updated too?")


@exercise.check(points=2)
def train_logistic_reads_digits(sub, rng):
    """On the handwritten digits 0 and 1 (8x8 images, 64 features), training on 90% of the
    training split, drawn at random (lr = 0.1, 300 epochs), lowers the loss and recognises at
    least 99% of the test images."""
    X, y = datasets.load_digits("train", classes=(0, 1))
    rows = rng.permutation(len(y))[:int(DIGITS_TRAIN_SHARE * len(y))]
    X, y = X[rows], y[rows]
    X_test, y_test = datasets.load_digits("test", classes=(0, 1))
    what = f"train_logistic(X, y, lr={DIGITS_LR}, epochs={DIGITS_EPOCHS}) on the digits 0 and 1"
    acc, loss, _ = train_and_measure(sub, X, y, X_test, y_test, DIGITS_LR, DIGITS_EPOCHS, what)
    if acc < DIGITS_MIN_ACCURACY:
        fail(f"After {what}, the model recognises {acc:.1%} of the {len(y_test)} test images (training "
             f"loss {loss:.4f}); at least {DIGITS_MIN_ACCURACY:.0%} expected.")


# -- hidden ------------------------------------------------------------------------

@exercise.check(points=2, hidden=True)
def logistic_matches_reference(sub, ref, rng):
    """predict_proba, logistic_loss_and_grads and a short train_logistic agree with the
    reference on random data."""
    X, y, w, b = random_problem(rng, 9, 4)
    expect.close(sub.predict_proba(X, w, b), ref.predict_proba(X, w, b), "predict_proba(X, w, b) on random data")
    what = "logistic_loss_and_grads(X, y, w, b) on random data"
    loss, dw, db = parts(sub.logistic_loss_and_grads(X, y, w, b), what, ("loss", "dw", "db"))
    want_loss, want_dw, want_db = ref.logistic_loss_and_grads(X, y, w, b)
    expect.close_number(loss, want_loss, f"{what}[0] (the loss)", rtol=1e-7)
    expect.close(dw, want_dw, f"{what}[1] (dw)")
    expect.close_number(bias_number(db, 4, 9, what), want_db, f"{what}[2] (db)", rtol=1e-6, atol=1e-10)
    what = "train_logistic(X, y, lr=0.3, epochs=20) on random data"
    w, b = weights_and_bias(sub.train_logistic(X, y, lr=0.3, epochs=20), 4, what)
    want_w, want_b = ref.train_logistic(X, y, lr=0.3, epochs=20)
    expect.close(np.append(w, b), np.append(want_w, want_b), f"{what}: (w, b)")
