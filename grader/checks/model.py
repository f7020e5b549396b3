"""Checks for exercise 10, ``model.py``: the Keras-like Dense / Sequential capstone.

Only the contract's surface is used: ``Dense(units, activation)``, ``Sequential(layers)``,
``compile(loss, optimizer, from_logits)``, ``fit(X, y, epochs, batch_size, seed)`` and
``predict(X)``. The weights are drawn in the student's process from the seed and are
never read; the grader learns what it needs from outputs:

- a one-layer model's gradient depends only on its outputs A = predict(X), so the first
  gradients a RecordingOptimizer receives (one full batch) are compared exactly with the
  grader's own chain rule applied to A;
- for deeper models, Adam's first step moves every parameter by lr * sign(gradient): the
  loss change the submitted gradients predict for that step, -lr * sum|g|, is compared
  with the change measured from the outputs before and after it;
- training checks score predictions here, with held-out labels that never leave the grader.

The training checks' settings and thresholds come from seed sweeps of the reference (50
fit seeds each, repeated with Xavier-normal and Glorot-uniform initialisation and without
shuffling, to stand for other correct implementations); the figures are in the docstrings'
comments next to each check.
"""

import importlib

import numpy as np

from ..datasets import load_digits, make_blobs
from ..engine.student import StudentError
from . import expect
from .core import Exercise, Hint, fail
from .figures import decision_regions, loss_curve

exercise = Exercise(
    "model",
    "A Keras-like model (capstone)",
    timeout=80,
    hints=[
        Hint("A Dense layer is an affine map followed by its activation, and Sequential chains the "
             "layers. Create W and b only when the first data tell you the number of input features, "
             "and keep from the forward pass what the backward pass needs.",
             helps=("predict_shape_and_input_size",
                    "elementwise_activations_are_applied",
                    "softmax_output_rows_are_distributions")),
        Hint("compile checks the loss name at once, and fit refuses to run before compile. fit is "
             "the loop of train_mlp: ONE Generator made from seed builds the weights (if there are "
             "none yet) and shuffles the batches; for each mini-batch come forward, loss, backward, "
             "and one optimizer step on the layers' own arrays.",
             helps=("unknown_loss_or_missing_compile_is_an_error",
                    "fit_is_reproducible",
                    "one_optimizer_step_per_minibatch",
                    "history_has_one_falling_loss_per_epoch")),
        Hint("The backward pass starts from dZ of the last layer. For a softmax layer with sparse "
             "cross-entropy, and a sigmoid layer with binary cross-entropy, the fused form, "
             "predicted minus true over the number of samples, is exact and stable; from logits it "
             "is the same with the softmax or sigmoid of the logits.",
             helps=("softmax_cross_entropy_gradients", "binary_cross_entropy_gradients")),
        Hint("Last layer: dZ = (A - Y_onehot) / m, or (sigmoid(Z) - y) / N from one logit; for mse, "
             "dA = 2 (A - y) / N times the activation's slope. Then per layer, last to first: dW = "
             "X^T dZ, db = dZ summed over the rows, dA_below = dZ W^T, dZ_below = dA_below * "
             "g'(Z_below); a softmax layer below the top needs its Jacobian product.",
             helps=("mse_gradients",
                    "hidden_layer_gradients",
                    "linear_model_reaches_least_squares",
                    "notes_blobs_example",
                    "digits_zero_or_one",
                    "digits_ten_classes")),
    ],
)

SPARSE, BINARY, MSE = "sparse_categorical_crossentropy", "binary_crossentropy", "mse"
EPS = 1e-12        # the losses' clip of probabilities (the contract's default eps)
PROBE_LR = 1e-6    # Adam's first step in hidden_layer_gradients: small, so the loss is locally linear
PROBE_RTOL = 0.01  # the reference agrees to 3e-5 (see the check), backprop bugs are off by 4% or more
BLOB_CENTERS = [[-5, 2], [-2, -2], [1, 2], [5, -2]]
NOTES_POINT = [[4.33, -1.99]]
ELEMENTWISE = ("linear", "relu", "leaky_relu", "sigmoid", "tanh")


# ---------------------------------------------------------------- the grader's own formulas

def sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -z))


def log_softmax(Z):
    shifted = Z - Z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax(Z):
    return np.exp(log_softmax(Z))


def one_hot(y, k):
    return np.eye(k)[y]


def binary_ce(Y, A, from_logits):
    if from_logits:
        return float(np.mean(np.maximum(A, 0) - A * Y + np.log1p(np.exp(-np.abs(A)))))
    P = np.clip(A, EPS, 1 - EPS)
    return float(np.mean(-Y * np.log(P) - (1 - Y) * np.log(1 - P)))


def loss_of(loss, from_logits, A, y):
    """The mean loss of outputs ``A`` against targets ``y``, as the contract defines it."""
    m = A.shape[0]
    if loss == SPARSE:
        if from_logits:
            return float(-np.mean(log_softmax(A)[np.arange(m), y]))
        return float(-np.mean(np.log(np.clip(A[np.arange(m), y], EPS, 1.0))))
    Y = np.asarray(y, dtype=float).reshape(A.shape)
    if loss == MSE:
        return float(np.mean((A - Y) ** 2))
    return binary_ce(Y, A, from_logits)


def slope(activation, A):
    """g'(Z) of an elementwise activation, written with its output A = g(Z)."""
    if activation == "linear":
        return np.ones_like(A)
    if activation == "relu":
        return (A > 0).astype(float)
    if activation == "leaky_relu":
        return np.where(A > 0, 1.0, 0.01)
    if activation == "sigmoid":
        return A * (1 - A)
    return 1 - A ** 2  # tanh


def activation_backward(activation, A, dA):
    if activation == "softmax":
        return A * (dA - np.sum(dA * A, axis=1, keepdims=True))
    return dA * slope(activation, A)


def output_dZ(loss, from_logits, activation, A, y):
    """dLoss/dZ of the last layer, for the pairings these checks use."""
    m = A.shape[0]
    if loss == SPARSE:
        Y = one_hot(y, A.shape[1])
        if from_logits:
            return activation_backward(activation, A, (softmax(A) - Y) / m)
        return (A - Y) / m  # softmax output
    Y = np.asarray(y, dtype=float).reshape(A.shape)
    if loss == MSE:
        return activation_backward(activation, A, 2 * (A - Y) / A.size)
    if from_logits:
        return activation_backward(activation, A, (sigmoid(A) - Y) / A.size)
    return (A - Y) / A.size  # sigmoid output


def affine_residual(X, Z):
    """How far Z is from an affine function X @ W + b of the inputs (0 when it is one)."""
    design = np.column_stack([X, np.ones(len(X))])
    coef = np.linalg.lstsq(design, Z, rcond=None)[0]
    return float(np.max(np.abs(design @ coef - Z)) / (1.0 + np.max(np.abs(Z)))), coef


def inverse(activation, A):
    """Z with activation(Z) = A, or None when A is outside the activation's range."""
    with np.errstate(all="ignore"):
        if activation == "linear":
            return A
        if activation == "sigmoid":
            return np.log(A) - np.log1p(-A) if np.all((A > 0) & (A < 1)) else None
        if activation == "tanh":
            return np.arctanh(A) if np.all(np.abs(A) < 1) else None
        if activation == "leaky_relu":
            return np.where(A >= 0, A, A / 0.01)
        if activation == "softmax":
            if not (np.all(A > 0) and np.allclose(A.sum(axis=1), 1.0)):
                return None
            logs = np.log(A)
            return logs - logs.mean(axis=1, keepdims=True)
    return None


def looks_like(X, A, candidates=("linear", "sigmoid", "tanh", "leaky_relu")):
    """The activation whose inverse turns A into an affine function of X, if any."""
    for name in candidates:
        Z = inverse(name, A)
        if Z is not None and np.all(np.isfinite(Z)) and affine_residual(X, Z)[0] < 1e-7:
            return name
    return None


# ---------------------------------------------------------------- talking to the child

def describe(spec):
    return "[" + ", ".join(f'Dense({u}, "{a}")' for u, a in spec) + "]"


def make_model(sub, spec):
    layers = [sub.call("Dense", units, activation=activation) for units, activation in spec]
    return sub.call("Sequential", layers)


def compiled(sub, spec, loss, optimizer, from_logits=False):
    model = make_model(sub, spec)
    sub.method(model, "compile", loss=loss, optimizer=optimizer, from_logits=from_logits)
    return model


def adam(sub, lr):
    return sub.call("optimizers:Adam", lr)


def fit(sub, model, X, y, epochs, batch_size, seed, what="fit"):
    """Run fit; return its history["loss"] as a float array, validated."""
    history = sub.method(model, "fit", X, y, epochs=epochs, batch_size=batch_size, seed=seed)
    if not isinstance(history, dict):
        fail(f"{what} should return a dict like {{'loss': [one float per epoch]}}, got "
             f"{expect.kind_of(history)}")
    if "loss" not in history:
        fail(f"{what} returned a dict with keys {sorted(history)}; it needs the key 'loss'")
    losses = history["loss"]
    if isinstance(losses, (list, tuple)):
        if not all(isinstance(v, (int, float, np.floating, np.integer)) and not isinstance(v, bool)
                   for v in losses):
            fail(f"{what}: history['loss'] should hold one float per epoch, got {expect.show(losses)}")
    elif not (isinstance(losses, np.ndarray) and losses.ndim == 1 and losses.dtype.kind in "fi"):
        fail(f"{what}: history['loss'] should be a list with one float per epoch, got {expect.kind_of(losses)}")
    losses = np.array(losses, dtype=float)
    if len(losses) != epochs:
        fail(f"{what} with epochs={epochs} returned {len(losses)} losses; expected one per epoch "
             "(the mean training loss of each epoch, not one per batch)")
    if not np.all(np.isfinite(losses)):
        fail(f"{what} reported non-finite losses: {expect.show(losses)}")
    return losses


def predict(sub, model, X, units, what="predict(X)"):
    value = sub.method(model, "predict", X)
    m = len(X)
    if isinstance(value, np.ndarray) and value.shape == (units, m) and units != m:
        fail(f"{what} returned shape {value.shape}; expected {(m, units)}: one row per sample, "
             "one column per unit of the last layer (the transpose of what came back)")
    if isinstance(value, np.ndarray) and units == 1 and value.shape == (m,):
        fail(f"{what} returned shape {value.shape}; expected {(m, 1)}: a layer with one unit still "
             "returns a 2-D array, one row per sample")
    return expect.float_array(value, what, (m, units))


def recorded_grads(sub, recorder, steps, what):
    """The gradient dicts a RecordingOptimizer received, checked to be ``steps`` of them."""
    grads = sub.attribute(recorder, "grads")
    if not isinstance(grads, list) or len(grads) != steps:
        count = len(grads) if isinstance(grads, list) else "?"
        per_layer = (" Call it once with every layer's parameters in one dict, not once per layer "
                     "(Adam counts its time steps by calls)." if isinstance(count, int) and count > steps
                     and count % steps == 0 else "")
        fail(f"{what}: optimizer.step(params, grads) was called {count} times; expected {steps} "
             f"(one step per mini-batch).{per_layer}")
    return grads


def layer_shapes(n, spec):
    shapes = []
    for units, _ in spec:
        shapes += [(n, units), (units,)]
        n = units
    return shapes


def by_shape(grads, shapes, what):
    """{expected shape: gradient}: every layer's W and b exactly once (shapes are distinct)."""
    if not isinstance(grads, dict):
        fail(f"{what}: optimizer.step received grads as {expect.kind_of(grads)}; pass a dict with "
             "one gradient per parameter (the same keys as params)")
    found = {}
    for key, value in grads.items():
        shape = getattr(value, "shape", None)
        if shape in shapes and shape not in found:
            found[shape] = expect.float_array(value, f"{what}: grads[{key!r}]", shape)
    if len(found) != len(shapes) or len(grads) != len(shapes):
        got = {k: getattr(v, "shape", type(v).__name__) for k, v in grads.items()}
        fail(f"{what}: optimizer.step received gradients of shapes {got}; expected exactly one of each "
             f"of {shapes} (W is (n_in, units) and b is (units,), for every layer)")
    return found


def first_step(sub, spec, loss, from_logits, X, y, seed):
    """One full-batch epoch with a RecordingOptimizer: (model, reported loss, grads by shape, A, what)."""
    recorder = sub.helper("RecordingOptimizer")
    model = compiled(sub, spec, loss, recorder, from_logits)
    what = f"{describe(spec)} with loss {loss!r}, from_logits={from_logits}"
    reported = fit(sub, model, X, y, epochs=1, batch_size=len(X), seed=seed, what=f"fit of {what}")[0]
    grads = by_shape(recorded_grads(sub, recorder, 1, what)[0], layer_shapes(X.shape[1], spec), what)
    A = predict(sub, model, X, spec[-1][0], f"predict(X) of {what}")
    return model, reported, grads, A, what


PROBABILITIES_FROM_LOGITS = ("predict returned probabilities, but a linear last layer outputs logits: predict "
                             "returns the last layer's activations; apply softmax / sigmoid to them outside "
                             "the model.")


def outputs_are_the_activation(X, A, activation, from_logits, what):
    """A one-layer model's outputs are activation(X @ W + b) for some W and b."""
    Z = inverse(activation, A)
    if Z is not None and np.all(np.isfinite(Z)) and affine_residual(X, Z)[0] <= 1e-7:
        return Z
    if from_logits and activation == "linear" and looks_like_probabilities(A):
        fail(f"{what} returned {expect.show(A)}, with from_logits=True. {PROBABILITIES_FROM_LOGITS}")
    fail(f"{what} returned {expect.show(A)}, which is not {activation}(X @ W + b) for any W and b: "
         "see the checks of the activations first.")


def check_reported_loss(reported, loss, from_logits, A, y, what):
    """The loss fit reported for a full batch is the loss of the outputs predict gives."""
    want = loss_of(loss, from_logits, A, y)
    if np.isclose(reported, want, rtol=1e-6, atol=1e-9):
        return
    mistake = ("Is the loss computed on the batch's own outputs and targets (X and y shuffled "
               "together), with the same forward pass as predict?")
    if from_logits and np.isclose(reported, loss_of(loss, False, A, y), rtol=1e-6):
        if looks_like_probabilities(A):
            mistake = PROBABILITIES_FROM_LOGITS
        else:
            mistake = ("That is the loss of the raw outputs read as probabilities: with from_logits=True "
                       "the outputs are logits, and the loss applies softmax / sigmoid itself (stably).")
    elif loss == BINARY and A.shape[1] == 1 and np.ndim(y) == 1 and np.isclose(
            reported, binary_ce(y[None, :], A, from_logits), rtol=1e-6):
        mistake = (f"y of shape {y.shape} against outputs of shape {A.shape} broadcast to "
                   f"({len(y)}, {len(y)}): reshape y to the outputs' shape first.")
    elif np.isclose(reported, want * len(A), rtol=1e-6):
        mistake = "That is the sum over the samples; the loss is their mean."
    elif np.isclose(reported, -want, rtol=1e-6):
        mistake = "The sign is flipped: cross-entropy is -log p, a positive number."
    fail(f"{what}: fit reported a first-epoch loss of {reported:.8g}, but the mean loss of the model's "
         f"own outputs (predict(X), same weights) is {want:.8g}. {mistake}".rstrip())


def looks_like_probabilities(A):
    if A.shape[1] == 1:
        return bool(np.all((A > 0) & (A < 1)))
    return bool(np.all(A > 0) and np.allclose(A.sum(axis=1), 1.0))


def compare_gradient(got, want, what, m, mistakes=()):
    """``got`` equals ``want``; name the usual culprits when it does not."""
    if np.allclose(got, want, rtol=1e-6, atol=1e-10):
        return
    known = [(want * m, f"It is m = {m} times too large: the loss is a mean over the batch, divide by m."),
             (want / m, f"It is m = {m} times too small: the 1/m was applied twice (dZ of the last "
                        "layer carries it; dW = X.T @ dZ adds no second one)."),
             (-want, "The sign is flipped: the gradient points uphill, the optimizer subtracts it."),
             (want / 2, "It is half the expected gradient: d(a - y)^2/da = 2 (a - y), keep the factor 2."),
             *mistakes]
    for buggy, mistake in known:
        if np.allclose(got, buggy, rtol=1e-6, atol=1e-10):
            fail(f"{what} is {expect.show(got)}; expected {expect.show(want)}. {mistake}")
    expect.close(got, want, what, rtol=1e-6, atol=1e-10)


def check_one_layer(sub, rng, units, activation, loss, from_logits, y, mistakes=lambda A, y: ()):
    """One Dense layer: fit's loss and first full-batch gradients against the outputs' chain rule."""
    m, n = len(y), 3
    X = rng.normal(0.0, 1.0, size=(m, n))
    spec = [(units, activation)]
    _, reported, grads, A, what = first_step(sub, spec, loss, from_logits, X, y, seed=int(rng.integers(1000)))
    outputs_are_the_activation(X, A, activation, from_logits, f"predict(X) of {describe(spec)}")
    check_reported_loss(reported, loss, from_logits, A, y, what)
    dZ = output_dZ(loss, from_logits, activation, A, y)
    known = [(bug.sum(axis=0), mistake) for bug, mistake in mistakes(A, y)]
    compare_gradient(grads[(units,)], dZ.sum(axis=0), f"The gradient of b for {what}", m, known)
    compare_gradient(grads[(n, units)], X.T @ dZ, f"The gradient of W for {what}", m)


def trend(losses):
    if np.isclose(losses[-1], losses[0], rtol=1e-9, atol=0):
        return "did not change"
    return "rose" if losses[-1] > losses[0] else "barely fell"


def blobs():
    return make_blobs(n_samples=100, centers=BLOB_CENTERS, cluster_std=1.0, random_state=30)


def accuracy(y, pred):
    return float(np.mean(np.asarray(pred) == np.asarray(y)))


# ---------------------------------------------------------------- checks: the forward pass

@exercise.check(points=1)
def predict_shape_and_input_size(sub, rng):
    """predict(X) returns one row per sample and one column per unit of the last layer, for
    models of any depth; the number of input features is taken from the first data."""
    for n, spec in [(4, [(5, "relu"), (3, "linear")]), (9, [(2, "tanh")]),
                    (1, [(6, "sigmoid"), (4, "relu"), (2, "linear")])]:
        X = rng.normal(0.0, 1.0, size=(7, n))
        model = make_model(sub, spec)
        what = f"predict(X) of {describe(spec)} for X of shape {X.shape}"
        outcome = sub.run(model, (X,), method="predict", return_args=True)
        if isinstance(outcome.value, np.ndarray) and outcome.value.shape == (spec[-1][0], 7):
            fail(f"{what} returned shape {outcome.value.shape}; expected {(7, spec[-1][0])}: one row "
                 "per sample, one column per unit (the transpose of what came back)")
        A = expect.float_array(outcome.value, what, (7, spec[-1][0]))
        expect.unmodified(outcome, [X], "predict(X)")
        again = predict(sub, model, X, spec[-1][0], f"a second {what}")
        if not np.allclose(again, A, rtol=1e-12, atol=0):
            fail(f"Calling {what} twice gave different outputs ({expect.show(A)}, then "
                 f"{expect.show(again)}): build the weights once, at the first call, and keep them.")
    model = make_model(sub, [(4, "linear")])
    predict(sub, model, NOTES_POINT, 4, 'predict([[4.33, -1.99]]) (a list of lists) of [Dense(4, "linear")]')


@exercise.check(points=1)
def elementwise_activations_are_applied(sub, rng):
    """Each layer's output is its activation of X @ W + b: "linear" unchanged, "relu" max(0, z),
    "leaky_relu" 0.01 z on the negative side, "sigmoid" in (0, 1), "tanh" in (-1, 1); sigmoid
    and tanh stay finite, without warnings, for inputs in the thousands."""
    X = rng.normal(0.0, 1.0, size=(40, 3))
    for activation in ELEMENTWISE:
        model = make_model(sub, [(4, activation)])
        what = f'predict(X) of [Dense(4, "{activation}")]'
        A = predict(sub, model, X, 4, what)
        if activation == "relu":
            check_relu(X, A, what)
            continue
        Z = inverse(activation, A)
        if Z is None:
            low, high = {"sigmoid": ("0", "1"), "tanh": ("-1", "1")}[activation]
            fail(f"{what} returned values from {A.min():.4g} to {A.max():.4g}; {activation} outputs lie "
                 f"strictly between {low} and {high}." + guess(X, A, activation))
        if activation == "leaky_relu" and not np.any(A < 0):
            fail(f"{what} returned no negative values ({expect.show(A)}): leaky ReLU keeps a slope "
                 "of 0.01 for z < 0, it does not cut the negative side to 0 like relu."
                 + guess(X, A, activation))
        residual = affine_residual(X, Z)[0]
        if not np.isfinite(residual) or residual > 1e-7:
            fail(f"{what} returned {expect.show(A)}, which is not {activation}(X @ W + b) for any W "
                 "and b." + guess(X, A, activation))
        if activation in ("sigmoid", "tanh"):
            big = 1000.0 * X
            outcome = sub.run(model, (big,), method="predict")
            expect.no_warnings(outcome, f"{what} for inputs of size 1000",
                               f"{activation} overflowed: use the stable activations.py functions.")
            low = 0.0 if activation == "sigmoid" else -1.0
            got = expect.float_array(outcome.value, f"{what} for inputs of size 1000", A.shape)
            if got.min() < low or got.max() > 1.0:
                fail(f"{what} for inputs of size 1000 left [{low:g}, 1]: {expect.show(got)}")


def guess(X, A, intended):
    found = looks_like(X, A)
    if found and found != intended:
        return (f' The outputs are exactly "{found}" of an affine map: is the activation name mapped '
                "to the right function?")
    return ""


def check_relu(X, A, what):
    if A.min() < 0:
        fail(f"{what} returned negative values ({A.min():.4g}): ReLU is max(0, z)."
             + guess(X, A, "relu"))
    if not np.any(A == 0) or not np.any(A > 0):
        fail(f"{what} returned {expect.show(A)}: ReLU of random inputs gives exact zeros where z < 0 "
             "and z itself where z > 0." + guess(X, A, "relu"))
    design = np.column_stack([X, np.ones(len(X))])
    for j in range(A.shape[1]):
        on = A[:, j] > 0
        if on.sum() < X.shape[1] + 3:
            continue
        coef = np.linalg.lstsq(design[on], A[on, j], rcond=None)[0]
        fitted = design @ coef
        scale = 1.0 + np.abs(A[:, j]).max()
        if np.max(np.abs(fitted[on] - A[on, j])) > 1e-7 * scale or np.any(fitted[~on] > 1e-7 * scale):
            fail(f"{what}: unit {j} returned {expect.show(A[:, j])}, which is not max(0, z) of one "
                 "affine z = X @ W + b.")


@exercise.check(points=1)
def softmax_output_rows_are_distributions(sub, rng):
    """A "softmax" layer turns each row into probabilities: positive, summing to 1 over the
    units, a softmax of X @ W + b, and finite without warnings for inputs in the thousands."""
    X = rng.normal(0.0, 1.0, size=(40, 3))
    model = make_model(sub, [(4, "softmax")])
    what = 'predict(X) of [Dense(4, "softmax")]'
    A = predict(sub, model, X, 4, what)
    if not np.allclose(A.sum(axis=1), 1.0, atol=1e-9):
        mistake = " The columns sum to 1: normalise over axis 1 (the units), not axis 0." \
            if np.allclose(A.sum(axis=0), 1.0, atol=1e-9) else ""
        fail(f"{what}: the rows sum to {expect.show(A.sum(axis=1))}; every row should sum to 1.{mistake}")
    Z = inverse("softmax", A)
    if Z is None or affine_residual(X, Z)[0] > 1e-7:
        fail(f"{what} returned {expect.show(A)}: rows sum to 1 but are not softmax(X @ W + b) for any W, b.")
    outcome = sub.run(model, (1000.0 * X,), method="predict")
    expect.no_warnings(outcome, f"{what} for inputs of size 1000",
                       "e^z overflowed: subtract each row's max before exponentiating.")
    big = expect.float_array(outcome.value, f"{what} for inputs of size 1000", A.shape)
    if not np.allclose(big.sum(axis=1), 1.0, atol=1e-9) or big.min() < 0:
        fail(f"{what} for inputs of size 1000 returned rows that are not probabilities: {expect.show(big)}")


# ---------------------------------------------------------------- checks: fit's bookkeeping

@exercise.check(points=1)
def history_has_one_falling_loss_per_epoch(sub):
    """fit returns {"loss": [...]} with one finite mean loss per epoch; on the notes' 4-class
    blobs the loss falls, and a second fit continues from the trained weights."""
    # Reference, fit seeds 0..49 (also Xavier, Glorot-uniform, std-0.01 init, no shuffling): last/first
    # at most 0.43 (medians 0.04-0.12); the second fit's first loss at most 0.40 of the first fit's.
    X, y = blobs()
    spec = [(8, "relu"), (4, "linear")]
    model = compiled(sub, spec, SPARSE, adam(sub, 0.01), from_logits=True)
    losses = fit(sub, model, X, y, epochs=15, batch_size=32, seed=0, what=f"fit of {describe(spec)}")
    if losses[-1] > 0.7 * losses[0]:
        fail(f"Training {describe(spec)} on the notes' blobs with Adam(0.01) for 15 epochs, the loss "
             f"{trend(losses)}: {expect.show(losses)}. Check that the optimizer's steps reach the layers' "
             "weights and that the gradients point uphill (the optimizer subtracts them).")
    more = fit(sub, model, X, y, epochs=5, batch_size=32, seed=0, what=f"a second fit of {describe(spec)}")
    if more[0] > 0.7 * losses[0]:
        fail(f"A second fit of the trained model started at a loss of {more[0]:.4g}, back near the first "
             f"fit's start ({losses[0]:.4g}) instead of near its end ({losses[-1]:.4g}): as in Keras, fit "
             "continues from the current weights; build them only when the model has none yet.")


@exercise.check(points=1)
def fit_is_reproducible(sub):
    """The same seed gives the same losses and predictions, another seed other ones; all
    randomness comes from np.random.default_rng(seed), never NumPy's global random state."""
    X, y = blobs()
    spec = [(6, "relu"), (4, "linear")]
    before = sub.helper("global_random_state")
    runs = []
    for seed in (7, 7, 8):
        model = compiled(sub, spec, SPARSE, adam(sub, 0.01), from_logits=True)
        losses = fit(sub, model, X, y, epochs=3, batch_size=16, seed=seed, what=f"fit(..., seed={seed})")
        runs.append((losses, predict(sub, model, X, 4)))
    predict(sub, make_model(sub, spec), X, 4, "predict(X) of a new model")
    if sub.helper("global_random_state") != before:
        fail("fit or predict drew from NumPy's global random state (np.random.randn, np.random.shuffle, "
             "np.random.seed, ...): make rng = np.random.default_rng(seed) and draw everything from it.")
    (first, p1), (second, p2), (other, _) = runs
    if not (np.allclose(first, second, rtol=1e-12, atol=0) and np.allclose(p1, p2, rtol=1e-12, atol=0)):
        fail(f"Two fits with seed=7 gave different losses ({expect.show(first)} and {expect.show(second)}) "
             "or predictions: build the weights and shuffle the batches with one "
             "rng = np.random.default_rng(seed).")
    if np.allclose(first, other, rtol=1e-12, atol=0):
        fail(f"fit with seed=7 and seed=8 gave the same losses {expect.show(first)}: the seed "
             "argument is ignored; use np.random.default_rng(seed).")


@exercise.check(points=1)
def one_optimizer_step_per_minibatch(sub, rng):
    """fit calls optimizer.step once per mini-batch, the last smaller batch included, and an
    epoch's loss is the mean over all its samples (batches weighted by their size)."""
    m, batch_size, epochs = 10, 4, 2
    X, y = rng.normal(0.0, 1.0, size=(m, 3)), rng.integers(0, 3, size=m)
    recorder = sub.helper("RecordingOptimizer")
    spec = [(3, "linear")]
    model = compiled(sub, spec, SPARSE, recorder, from_logits=True)
    what = f"fit(X, y, epochs={epochs}, batch_size={batch_size}) with {m} samples"
    losses = fit(sub, model, X, y, epochs=epochs, batch_size=batch_size, seed=int(rng.integers(1000)), what=what)
    steps = sub.attribute(recorder, "steps")
    if steps != 6:
        reason = {4: "the last, smaller batch (2 samples) was dropped", 2: "one step per epoch instead of "
                  "one per mini-batch", 20: "one step per sample instead of one per mini-batch"}.get(steps, "")
        fail(f"{what} called optimizer.step {steps} times; expected 6 (3 batches of 4, 4 and 2 samples, "
             f"per epoch). {reason}".rstrip())
    for grads in recorded_grads(sub, recorder, 6, what):
        by_shape(grads, layer_shapes(3, spec), what)
    A = predict(sub, model, X, 3, "predict(X) after that fit")
    outputs_are_the_activation(X, A, "linear", True, f"predict(X) of {describe(spec)}")
    want = loss_of(SPARSE, True, A, y)
    if not np.allclose(losses, want, rtol=1e-6, atol=1e-9):
        mistake = ("Weight each batch's mean loss by its size: sum(loss_b * len(batch)) / m (the last "
                   "batch has only 2 samples).")
        if np.all(losses > 2 * want):
            mistake = "That is far more than the mean: is a batch's loss the sum over its samples?"
        fail(f"{what}, with an optimizer that changes nothing, reported losses {expect.show(losses)}; "
             f"the mean loss over the {m} samples is {want:.8g} in both epochs. {mistake}")


@exercise.check(points=1)
def unknown_loss_or_missing_compile_is_an_error(sub):
    """compile with a loss name it does not know ("hinge"), and fit before compile, raise an
    error (any exception is fine) instead of training with something else."""
    X, y = np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([0.0, 1.0])
    model, optimizer = make_model(sub, [(1, "linear")]), adam(sub, 0.01)
    if not raises(lambda: sub.method(model, "compile", loss="hinge", optimizer=optimizer)):
        if not raises(lambda: sub.method(model, "fit", X, y, epochs=1, batch_size=2, seed=0)):
            fail("compile(loss=\"hinge\", ...) and the fit after it ran without an error: raise a ValueError "
                 "for a loss name you do not know, so that a typo cannot train with some other loss.")
    model = make_model(sub, [(1, "linear")])
    if not raises(lambda: sub.method(model, "fit", X, y, epochs=1, batch_size=2, seed=0)):
        fail("fit ran on a model that was never compiled, so with no loss and no optimizer: raise an "
             "error (e.g. RuntimeError) that says to call compile first.")


def raises(call):
    try:
        call()
    except StudentError as error:
        if error.not_implemented or error.type == "MissingName":
            raise
        return True
    return False


# ---------------------------------------------------------------- checks: gradients

@exercise.check(points=1)
def softmax_cross_entropy_gradients(sub, rng):
    """Sparse categorical cross-entropy: fit's loss and first gradients for a softmax layer
    (from probabilities) and a linear layer (from_logits=True) match the outputs' chain
    rule, dZ = (softmax(Z) - one_hot(y)) / m."""
    y = rng.integers(0, 3, size=12)

    def elementwise_softmax(A, y):
        dA = np.where(one_hot(y, 3) > 0, -1 / (len(y) * A), 0.0)
        return [(dA * A * (1 - A), "That is dA * A * (1 - A): softmax's derivative is not elementwise, every "
                 "output depends on every z of its row. With sparse cross-entropy, dZ = (A - one_hot(y)) / m.")]

    check_one_layer(sub, rng, 3, "softmax", SPARSE, False, y, elementwise_softmax)
    check_one_layer(sub, rng, 3, "linear", SPARSE, True, y)


@exercise.check(points=1)
def binary_cross_entropy_gradients(sub, rng):
    """Binary cross-entropy with one output unit and targets of shape (m,) or (m, 1): fit's
    loss and first gradients for a sigmoid layer and, from logits, a linear layer match
    dZ = (sigmoid(Z) - y) / m."""
    y = (rng.random(12) < 0.5).astype(float)
    check_one_layer(sub, rng, 1, "sigmoid", BINARY, False, y)
    check_one_layer(sub, rng, 1, "linear", BINARY, True, y.reshape(-1, 1))


@exercise.check(points=1)
def mse_gradients(sub, rng):
    """Mean squared error over every output: fit's loss and first gradients for a linear, a
    tanh and a softmax layer match dA = 2 (A - Y) / A.size through the activation: times
    the slope 1 - A^2 for tanh, times softmax's full Jacobian (not elementwise) for softmax."""
    for activation in ("linear", "tanh", "softmax"):
        Y = rng.uniform(-0.9, 0.9, size=(12, 2)) if activation != "softmax" else rng.dirichlet(np.ones(3), 12)

        def mistakes(A, Y, activation=activation):
            dA = 2 * (A - Y) / A.size
            known = [(activation_backward(activation, A, dA * Y.shape[1]), "It is units times too large: "
                      "the mean is over all m * units outputs (A.size), not over the m rows only.")]
            if activation == "tanh":
                known.append((dA * (1 - np.tanh(A) ** 2), "That is dA * (1 - tanh(A)^2): the slope of tanh "
                              "is 1 - tanh(Z)^2 = 1 - A^2, at Z, not at the output A."))
            if activation == "softmax":
                known.append((dA * A * (1 - A), "That is dA * A * (1 - A): softmax's derivative is not "
                              "elementwise, every output depends on every z of its row: "
                              "dZ = A * (dA - sum(dA * A, axis=1, keepdims=True))."))
            return known

        check_one_layer(sub, rng, Y.shape[1], activation, MSE, False, Y, mistakes)


HIDDEN_CASES = [
    ([(5, "relu"), (3, "linear")], 6, SPARSE, True),
    ([(6, "sigmoid"), (3, "tanh"), (1, "sigmoid")], 4, BINARY, False),
    ([(5, "leaky_relu"), (4, "softmax")], 3, SPARSE, False),
    ([(4, "tanh"), (2, "linear")], 5, MSE, False),
]


def targets(rng, loss, units, m):
    if loss == SPARSE:
        return rng.integers(0, units, size=m)
    if loss == BINARY:
        return (rng.random(m) < 0.5).astype(float)
    return rng.uniform(-1.0, 1.0, size=(m, units))


@exercise.check(points=2)
def hidden_layer_gradients(sub, rng):
    """Backpropagation through hidden layers (relu, leaky_relu, sigmoid, tanh) is right: the
    loss change the gradients predict for Adam's first, tiny step matches the change of the
    loss of the outputs, and the last bias's gradient is exact."""
    # Reference, 50 seeds x 4 cases (also Xavier / Glorot-uniform init): |measured / predicted - 1| < 3e-5;
    # the backprop bugs of tests/test_checks_model.py are off by 4% to 50%.
    m = 16
    for spec, n, loss, from_logits in HIDDEN_CASES:
        X = rng.normal(0.0, 1.0, size=(m, n))
        y = targets(rng, loss, spec[-1][0], m)
        seed = int(rng.integers(1000))
        _, reported, grads, A0, what = first_step(sub, spec, loss, from_logits, X, y, seed)
        check_reported_loss(reported, loss, from_logits, A0, y, what)
        units, last = spec[-1]
        dZ = output_dZ(loss, from_logits, last, A0, y)
        compare_gradient(grads[(units,)], dZ.sum(axis=0), f"The gradient of the last layer's b for {what}", m)

        model = compiled(sub, spec, loss, adam(sub, PROBE_LR), from_logits)
        start = fit(sub, model, X, y, epochs=1, batch_size=m, seed=seed, what=f"fit of {what}")[0]
        if not np.isclose(start, reported, rtol=1e-9, atol=0):
            fail(f"{what}: two fits with seed={seed} reported different first losses ({reported:.10g} and "
                 f"{start:.10g}), so they started from different weights: see fit_is_reproducible.")
        A1 = predict(sub, model, X, units, f"predict(X) of {what}")
        g = np.concatenate([v.ravel() for v in grads.values()])
        predicted = -PROBE_LR * float(np.sum(g * g / (np.abs(g) + 1e-8)))
        measured = loss_of(loss, from_logits, A1, y) - loss_of(loss, from_logits, A0, y)
        if measured == 0.0:
            fail(f"{what}: after one Adam step the outputs did not change at all. fit must give "
                 "optimizer.step the layers' own weight arrays (params) and use them afterwards "
                 "(an optimizer may also replace params[k]: copy them back into the layers).")
        if abs(measured - predicted) > PROBE_RTOL * abs(predicted):
            ratio = predicted / measured
            if np.isclose(ratio, m, rtol=0.05):
                mistake = f"The gradients are m = {m} times too large: divide by m once, at the last layer."
            elif ratio < 0:
                mistake = "The gradients point the wrong way: a sign is flipped."
            else:
                mistake = ("The last layer's bias gradient is right, so look below it: dA_below = dZ @ W.T "
                           "with the layer's own W, dZ_below = dA_below * g'(Z_below) with the slope of "
                           "THAT layer's activation at its Z, and dW = X.T @ dZ with the layer's own input.")
            fail(f"{what}: Adam's first step of size {PROBE_LR:g} per parameter along your gradients should "
                 f"change the loss by {predicted:.4g} (-lr * sum|g|); the loss of the outputs changed by "
                 f"{measured:.4g} (ratio {ratio:.3g}). {mistake} (This check steps with optimizers.Adam: "
                 "graded without the reference solutions, that is your own, which must pass its exercise.)")


# ---------------------------------------------------------------- checks: training

@exercise.check(points=1)
def linear_model_reaches_least_squares(sub, rng):
    """A Dense(2, "linear") layer trained with mse and full-batch Adam(0.1) ends at the
    least-squares solution: its predictions equal those of np.linalg.lstsq."""
    # Reference, 50 data sets x inits (also Glorot-uniform, tiny init): worst |diff| 1.6e-5 at 300 epochs.
    m = 40
    X = rng.normal(0.0, 1.0, size=(m, 3))
    Y = X @ rng.normal(0.0, 2.0, size=(3, 2)) + rng.normal(0.0, 2.0, size=2) + rng.normal(0.0, 0.3, size=(m, 2))
    design = np.column_stack([X, np.ones(m)])
    want = design @ np.linalg.lstsq(design, Y, rcond=None)[0]
    model = compiled(sub, [(2, "linear")], MSE, adam(sub, 0.1))
    losses = fit(sub, model, X, Y, epochs=300, batch_size=m, seed=int(rng.integers(1000)),
                 what='fit of [Dense(2, "linear")] with mse')
    got = predict(sub, model, X, 2, "predict(X) after the fit")
    error = float(np.max(np.abs(got - want)))
    if error > 0.01:
        change = "fell" if losses[-1] < losses[0] else trend(losses)
        fail(f"After 300 full-batch Adam(0.1) epochs of mse on {m} samples, predictions {expect.show(got)} "
             f"differ from the least-squares fit {expect.show(want)} by up to {error:.3g}; the loss {change} "
             f"from {losses[0]:.4g} to {losses[-1]:.4g} (least squares: {np.mean((want - Y) ** 2):.4g}). "
             "Check the mse gradient's sign and that each step updates the layer's W and b.")


@exercise.check(points=2)
def notes_blobs_example(sub, figures):
    """The notes' example: 4 blobs (make_blobs, random_state=30), Dense(2, "relu") then
    Dense(4, "linear"), sparse cross-entropy from logits, Adam(0.01), 200 epochs: the point
    [4.33, -1.99] is class 3. A 2-unit ReLU layer can stall for an unlucky seed, so seeds 0,
    1 and 2 are tried in turn and one success (with training accuracy >= 0.6) is enough."""
    # Reference, fit seeds 0..49: point right 49/50 (He normal), 49/50 (Xavier), 50/50 (Glorot
    # uniform); training accuracy 0.75-1.0 (median 1.0) whenever the point is right.
    X, y = blobs()
    spec = [(2, "relu"), (4, "linear")]
    tries = []
    for seed in (0, 1, 2):
        model = compiled(sub, spec, SPARSE, adam(sub, 0.01), from_logits=True)
        losses = fit(sub, model, X, y, epochs=200, batch_size=32, seed=seed, what=f"fit(..., seed={seed})")
        point = predict(sub, model, np.array(NOTES_POINT), 4, "predict([[4.33, -1.99]])")
        train = accuracy(y, predict(sub, model, X, 4, "predict(X_train)").argmax(axis=1))
        label = int(np.argmax(point[0]))
        figures[:] = [loss_curve(f"the notes' blobs model, fit(seed={seed}): loss per epoch", losses),
                      decision_regions(f"the notes' blobs model, fit(seed={seed})", X, y,
                                       lambda P: predict(sub, model, P, 4, "predict(grid)").argmax(axis=1))]
        if label == 3 and train >= 0.6:
            return
        tries.append(f"seed {seed}: class {label}, training accuracy {train:.2f}, loss "
                     f"{losses[0]:.3g} -> {losses[-1]:.3g}")
    fail("The notes' blobs model never got [4.33, -1.99] right (class 3) with a training accuracy of "
         "at least 0.6: " + "; ".join(tries) + ". A correct model does for 49 seeds out of 50. Is the "
         "loss falling? The outputs are logits: the class is their argmax.")


def digits_model_accuracy(sub, spec, loss, from_logits, classes, epochs, lr, figures):
    X, y = load_digits("train", classes=classes)
    X_test, y_test = load_digits("test", classes=classes)
    model = compiled(sub, spec, loss, adam(sub, lr), from_logits)
    losses = fit(sub, model, X, y, epochs=epochs, batch_size=32, seed=0, what=f"fit of {describe(spec)}")
    figures.append(loss_curve(f"{describe(spec)} on the digits: loss per epoch", losses))
    out = predict(sub, model, X_test, spec[-1][0], f"predict(X_test) of {describe(spec)}")
    pred = out.argmax(axis=1) if spec[-1][0] > 1 else (out[:, 0] > 0.5).astype(int)
    return accuracy(y_test, pred), losses


@exercise.check(points=1)
def digits_zero_or_one(sub, figures):
    """Handwritten 0 or 1 with the notes' 25-15-1 network: Dense(25, "relu"), Dense(15, "relu"),
    Dense(1, "sigmoid"), binary cross-entropy and Adam(1e-3), 20 epochs of batches of 32,
    classify at least 98% of the held-out test images right."""
    # Reference, 50 seeds (also Xavier / Glorot-uniform / tiny init / no shuffling): 100% every time.
    spec = [(25, "relu"), (15, "relu"), (1, "sigmoid")]
    acc, losses = digits_model_accuracy(sub, spec, BINARY, False, (0, 1), epochs=20, lr=1e-3,
                                        figures=figures)
    if acc < 0.98:
        fail(f"{describe(spec)} classified {acc:.1%} of the held-out 0/1 digits right after 20 epochs "
             f"(at least 98% expected; loss {losses[0]:.3g} -> {losses[-1]:.3g}). A sigmoid output is a "
             "probability: the class is 1 where it exceeds 0.5.")


@exercise.check(points=2)
def digits_ten_classes(sub, figures):
    """All ten digits: Dense(25, "relu"), Dense(15, "relu"), Dense(10, "linear") with sparse
    cross-entropy from logits and Adam(1e-3), 30 epochs of batches of 32, classify at least
    90% of the held-out test images right."""
    # Reference, 50 seeds: min 93.9%, median 96.0% (Xavier 93.6%, Glorot-uniform 94.2%, no shuffling
    # 94.4% minimum). Weights of std 0.01 instead of He's init learn too slowly: median 84%, minimum 48%.
    spec = [(25, "relu"), (15, "relu"), (10, "linear")]
    acc, losses = digits_model_accuracy(sub, spec, SPARSE, True, None, epochs=30, lr=1e-3,
                                        figures=figures)
    if acc < 0.90:
        fail(f"{describe(spec)} classified {acc:.1%} of the held-out digits right after 30 epochs (at least "
             f"90% expected; loss {losses[0]:.3g} -> {losses[-1]:.3g}). If the loss falls slowly, check the "
             "initialisation: He normal for relu layers (std sqrt(2 / n_in)), not tiny weights.")


# ---------------------------------------------------------------- hidden check

class ParentRecorder:
    """An optimizer for the reference model here: records gradients, changes nothing."""

    def __init__(self):
        self.grads = []

    def step(self, params, grads):
        self.grads.append({k: np.array(v, dtype=float) for k, v in grads.items()})


REFERENCE_CASES = [
    (3, "softmax", MSE, False), (1, "sigmoid", MSE, False), (2, "leaky_relu", MSE, False),
    (3, "linear", SPARSE, True), (3, "softmax", SPARSE, False), (1, "tanh", MSE, False),
    (1, "linear", BINARY, True), (1, "sigmoid", BINARY, False),
]


@exercise.check(points=2, hidden=True)
def one_layer_training_matches_reference(sub, ref, rng):
    """For one Dense layer of each activation and loss, from the same weights (read back from
    the outputs), the loss, the gradients and four more epochs of full-batch Adam agree with
    the reference."""
    optimizers = importlib.import_module(ref.__package__ + ".optimizers")
    m, n = 12, 3
    for units, activation, loss, from_logits in REFERENCE_CASES:
        X = rng.normal(0.0, 1.0, size=(m, n))
        y = targets(rng, loss, units, m)
        if loss == MSE and activation in ("sigmoid", "softmax"):
            y = rng.uniform(0.05, 0.95, size=(m, units))
        spec = [(units, activation)]
        model, reported, grads, A, what = first_step(sub, spec, loss, from_logits, X, y, int(rng.integers(1000)))
        Z = outputs_are_the_activation(X, A, activation, from_logits, f"predict(X) of {describe(spec)}")
        coef = affine_residual(X, Z)[1]

        twin = ref.Sequential([ref.Dense(units, activation=activation)])
        twin.build(n, np.random.default_rng(0))
        twin.layers[0].W, twin.layers[0].b = coef[:-1].copy(), coef[-1].copy()
        recorder = ParentRecorder()
        twin.compile(loss, recorder, from_logits=from_logits)
        want = twin.fit(X, y, epochs=1, batch_size=m, seed=0)["loss"][0]
        expect.close_number(reported, want, f"fit's first loss for {what}", rtol=1e-7)
        for key, value in recorder.grads[0].items():
            expect.close(grads[value.shape], value, f"The gradient of {key[0]} for {what}", rtol=1e-6, atol=1e-10)

        sub.method(model, "compile", loss=loss, optimizer=adam(sub, 0.05), from_logits=from_logits)
        losses = fit(sub, model, X, y, epochs=4, batch_size=m, seed=1, what=f"a second fit of {what}")
        twin.compile(loss, optimizers.Adam(0.05), from_logits=from_logits)
        want_losses = twin.fit(X, y, epochs=4, batch_size=m, seed=1)["loss"]
        expect.close(losses, np.array(want_losses), f"the losses of 4 more epochs of Adam(0.05) for {what} "
                     "(a second compile and fit continue from the current weights)", rtol=1e-6)
        expect.close(predict(sub, model, X, units), twin.predict(X), f"predict(X) after them for {what}",
                     rtol=1e-6, atol=1e-9)
