"""Exercise 10's network checks: the model is a neural network, seen through the contract.

The grader chooses the weights (``set_weights``), so every expected value is computed here
from them (:mod:`.model_formulas`): predict must be their forward pass, the gradients fit
hands a RecordingOptimizer the gradients of the loss at those weights (the chain rule for
one layer; for deeper models, numeric derivatives of the loss of the model's own outputs),
and a step of plain SGD must move the weights by -lr * gradient.
"""

import numpy as np

from . import expect
from .core import fail
from .gradients import STEP, rel_error
from .model import exercise
from .model_formulas import (ACTIVATIONS, BINARY, MSE, SPARSE, activation_backward, forward, gradients, loss_of,
                             one_hot_rows, random_weights, shapes, targets)
from ..engine.student import StudentError

FORWARD = "predict_is_the_forward_pass_of_set_weights"
NUMERIC_THRESHOLD = 1e-5  # central differences of smooth losses agree to ~1e-8; bugs are off by 1e-2 or more
KINK = 1e-3               # relu pre-activations stay this far from 0 in the numeric checks
DIRECTIONS = 2            # random directions per parameter array


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
        fail(f"{what} returned a dict with keys {sorted(history, key=str)}; it needs the key 'loss'")
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


def get_weights(sub, model, want_shapes, what):
    """get_weights() as a list of float64 arrays of ``want_shapes``, validated."""
    value = sub.method(model, "get_weights")
    if not isinstance(value, (list, tuple)) or len(value) != len(want_shapes):
        fail(f"{what}: get_weights() returned {expect.kind_of(value)}; expected a list of "
             f"{len(want_shapes)} arrays [W1, b1, ...] of shapes {want_shapes}")
    return [expect.float_array(w, f"{what}: get_weights()[{i}]", shape) for i, (w, shape)
            in enumerate(zip(value, want_shapes))]


def with_weights(sub, spec, weights, loss=None, optimizer=None, from_logits=False):
    """A model of ``spec`` using ``weights`` (compiled when ``loss`` is given)."""
    model = make_model(sub, spec) if loss is None else compiled(sub, spec, loss, optimizer, from_logits)
    sub.method(model, "set_weights", [np.array(w) for w in weights])
    return model


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


def by_shape(grads, want_shapes, what):
    """The gradients in the order of ``want_shapes`` (W1, b1, ...), found by their shapes
    (the checks' layer sizes make every shape distinct)."""
    if not isinstance(grads, dict):
        fail(f"{what}: optimizer.step received grads as {expect.kind_of(grads)}; pass a dict with "
             "one gradient per parameter (the same keys as params)")
    found = {}
    for key, value in grads.items():
        shape = getattr(value, "shape", None)
        if shape in want_shapes and shape not in found:
            found[shape] = expect.float_array(value, f"{what}: grads[{key!r}]", shape)
    if len(found) != len(want_shapes) or len(grads) != len(want_shapes):
        got = {k: getattr(v, "shape", type(v).__name__) for k, v in grads.items()}
        fail(f"{what}: optimizer.step received gradients of shapes {got}; expected exactly one of each "
             f"of {want_shapes} (W is (n_in, units) and b is (units,), for every layer)")
    return [found[shape] for shape in want_shapes]


def first_step(sub, spec, weights, loss, from_logits, X, y, seed):
    """One full-batch epoch from ``weights`` with a RecordingOptimizer: (reported loss, grads, what)."""
    recorder = sub.helper("RecordingOptimizer")
    model = with_weights(sub, spec, weights, loss, recorder, from_logits)
    what = f"{describe(spec)} with loss {loss!r}, from_logits={from_logits}"
    reported = fit(sub, model, X, y, epochs=1, batch_size=len(X), seed=seed, what=f"fit of {what}")[0]
    grads = by_shape(recorded_grads(sub, recorder, 1, what)[0], shapes(X.shape[1], spec), what)
    after = get_weights(sub, model, shapes(X.shape[1], spec), f"{describe(spec)} after fit")
    if not all(np.array_equal(a, w) for a, w in zip(after, weights)):
        fail(f"{what}: fit changed the weights set_weights gave the model, with an optimizer that changes "
             "nothing: fit builds new weights only when the model has none yet.")
    return reported, grads, what


LOSS_FUNCTIONS = {(SPARSE, True): "softmax_cross_entropy_with_logits", (SPARSE, False): "sparse_categorical_cross_entropy",
                  (BINARY, True): "binary_cross_entropy_with_logits", (BINARY, False): "binary_cross_entropy",
                  (MSE, True): "mean_squared_error", (MSE, False): "mean_squared_error"}


def measured_loss(sub, loss, from_logits, A, y):
    """The mean loss of outputs ``A`` the student's model gave, measured with losses.py: the
    reference's where the instructor grades, the student's own in the student's copy (the
    grader computes losses only of inputs it chose itself, see :mod:`.baked`)."""
    name = LOSS_FUNCTIONS[loss, bool(from_logits)]
    target = np.asarray(y, dtype=np.int64) if loss == SPARSE else np.asarray(y, dtype=float).reshape(A.shape)
    return expect.number(sub.call(f"losses:{name}", target, A), f"losses.{name}(y, outputs of your model)")


def check_reported_loss(reported, loss, from_logits, A, y, what):
    """The loss fit reported for a full batch is the loss of the outputs of its weights."""
    want, as_probabilities = loss_of(loss, from_logits, A, y), loss_of(loss, False, A, y)
    if np.isclose(reported, want, rtol=1e-6, atol=1e-9):
        return
    mistake = ("Is the loss computed on the batch's own outputs and targets (X and y shuffled "
               "together), with the same forward pass as predict?")
    if from_logits and np.isclose(reported, as_probabilities, rtol=1e-6):
        mistake = ("That is the loss of the raw outputs read as probabilities: with from_logits=True "
                   "the outputs are logits, and the loss applies softmax / sigmoid itself (stably).")
    elif np.isclose(reported, want * len(A), rtol=1e-6):
        mistake = "That is the sum over the samples; the loss is their mean."
    elif np.isclose(reported, -want, rtol=1e-6):
        mistake = "The sign is flipped: cross-entropy is -log p, a positive number."
    fail(f"{what}: fit reported a first-epoch loss of {reported:.8g}, but the mean loss of the outputs "
         f"of the weights it was given (set_weights) is {want:.8g}. {mistake}".rstrip())


# ---------------------------------------------------------------- checks: the forward pass

FORWARD_SPECS = [
    (4, [(5, "relu"), (4, "leaky_relu"), (3, "softmax")]),
    (3, [(6, "tanh"), (5, "sigmoid"), (2, "linear")]),
    (2, [(3, "linear"), (4, "relu")]),
    (5, [(2, "leaky_relu")]),
    (3, [(4, "softmax"), (1, "tanh")]),
    (4, [(3, "sigmoid")]),
]
FORWARD_MISTAKES = [
    (("bias",), "The bias is missing: Z = X @ W + b."),
    (("last activation", "hidden activations"), "The activations are not applied: every layer returns "
                                                "activation(X @ W + b), not X @ W + b."),
    (("last activation",), "The last layer's activation is not applied: every layer, the last one "
                           "included, returns activation(X @ W + b)."),
    (("hidden activations",), "The hidden layers' activations are not applied: each layer feeds "
                              "activation(Z) to the next, not Z."),
    (("softmax over axis 0",), "softmax normalises over the samples (axis 0); it normalises each "
                               "row, over the units (axis 1)."),
]


def swapped_activations(spec, weights, X):
    """(outputs, explanation) of ``spec`` with one activation name computing another."""
    used = sorted({activation for _, activation in spec})
    return [(forward([(u, other if a == name else a) for u, a in spec], weights, X)[0],
             f'"{name}" computes {other}: is each activation name mapped to its own function?')
            for name in used for other in ACTIVATIONS if other != name]


@exercise.check(points=2)
def predict_is_the_forward_pass_of_set_weights(sub, rng):
    """After set_weights([W1, b1, ..., WL, bL]), predict(X) is the forward pass of exactly those
    weights: each layer computes activation(X @ W + b), for every activation ("linear", "relu",
    "leaky_relu", "sigmoid", "tanh", "softmax") and any depth."""
    for n, spec in FORWARD_SPECS:
        X = rng.normal(0.0, 1.0, size=(int(rng.integers(6, 11)), n))
        weights = random_weights(rng, n, spec)
        model = with_weights(sub, spec, weights)
        want = forward(spec, weights, X)[0]
        candidates = [(forward(spec, weights, X, skip)[0], text) for skip, text in FORWARD_MISTAKES]
        candidates += swapped_activations(spec, weights, X)
        expect.close(predict(sub, model, X, spec[-1][0], f"predict(X) of {describe(spec)} after set_weights"),
                     want, f"predict(X) of {describe(spec)} after set_weights", rtol=1e-7, atol=1e-10,
                     candidates=candidates, mistake="Each layer: A = activation(A_prev @ W + b).")


@exercise.check(points=1, requires=(FORWARD,))
def weights_round_trip(sub, rng):
    """get_weights() returns [W1, b1, ..., WL, bL] as float64 arrays (W of shape (n_in, units),
    b of shape (units,)), the very weights set_weights was given; a wrong number of arrays or a
    wrong shape makes set_weights raise ValueError."""
    n, spec = 3, [(4, "relu"), (2, "linear")]
    X = rng.normal(0.0, 1.0, size=(5, n))
    model = make_model(sub, spec)
    predict(sub, model, X, 2, f"predict(X) of a new {describe(spec)}")
    get_weights(sub, model, shapes(n, spec), f"{describe(spec)} built by predict on {n} features")
    weights = random_weights(rng, n, spec)
    sub.method(model, "set_weights", weights)
    got = get_weights(sub, model, shapes(n, spec), f"{describe(spec)} after set_weights")
    for index, (g, w) in enumerate(zip(got, weights)):
        expect.close(g, w, f"get_weights()[{index}] after set_weights", rtol=0, atol=0)
    wrong = {"one array too few": weights[:-1], "W1 transposed": [weights[0].T] + weights[1:]}
    for name, bad in wrong.items():
        try:
            sub.method(model, "set_weights", bad)
        except StudentError as error:
            if error.type == "ValueError":
                continue
            fail(f"set_weights with {name} raised {error.type}: {error.text}; raise ValueError naming "
                 "the expected count or shape.")
        fail(f"set_weights with {name} was accepted; it must raise ValueError (the model's layers "
             "fix how many arrays there are and their shapes).")


@exercise.check(points=1, requires=(FORWARD,))
def predict_shape_and_input_size(sub, rng):
    """predict(X) returns one row per sample and one column per unit of the last layer, for
    models of any depth; the number of input features is taken from the first data; X may be
    a list of rows, and is left unchanged."""
    for n, spec in [(4, [(5, "relu"), (3, "linear")]), (9, [(2, "tanh")]),
                    (1, [(6, "sigmoid"), (4, "relu"), (2, "linear")])]:
        X = rng.normal(0.0, 1.0, size=(int(rng.integers(5, 9)), n))
        model = make_model(sub, spec)
        what = f"predict(X) of {describe(spec)} for X of shape {X.shape}"
        outcome = sub.run(model, (X,), method="predict", return_args=True)
        if isinstance(outcome.value, np.ndarray) and outcome.value.shape == (spec[-1][0], len(X)):
            fail(f"{what} returned shape {outcome.value.shape}; expected {(len(X), spec[-1][0])}: one row "
                 "per sample, one column per unit (the transpose of what came back)")
        A = expect.float_array(outcome.value, what, (len(X), spec[-1][0]))
        expect.unmodified(outcome, [X], "predict(X)")
        weights = get_weights(sub, model, shapes(n, spec), f"{describe(spec)} after {what}")
        twin = predict(sub, with_weights(sub, spec, weights), X, spec[-1][0],
                       "predict(X) of a new model given those weights")  # predict is known to be right
        expect.close(A, twin, f"{what} (the forward pass of its get_weights())", rtol=1e-7, atol=1e-10)
        again = predict(sub, model, X, spec[-1][0], f"a second {what}")
        if not np.allclose(again, A, rtol=1e-12, atol=0):
            fail(f"Calling {what} twice gave different outputs ({expect.show(A)}, then "
                 f"{expect.show(again)}): build the weights once, at the first call, and keep them.")
    rows = rng.normal(0.0, 1.0, size=(2, 2)).round(2).tolist()
    predict(sub, make_model(sub, [(4, "linear")]), rows, 4,
            f'predict({rows}) (a list of lists) of [Dense(4, "linear")]')


@exercise.check(points=1, requires=(FORWARD,))
def large_inputs_stay_finite(sub, rng):
    """"sigmoid", "tanh" and "softmax" layers stay finite and exact, without warnings, for
    inputs in the thousands (the stable activations of exercises 1 and 2)."""
    n = 3
    for activation in ("sigmoid", "tanh", "softmax"):
        spec = [(4, activation)]
        weights = random_weights(rng, n, spec)
        X = 1000.0 * rng.normal(0.0, 1.0, size=(20, n))
        what = f'predict(X) of [Dense(4, "{activation}")] for inputs of size 1000'
        outcome = sub.run(with_weights(sub, spec, weights), (X,), method="predict")
        expect.no_warnings(outcome, what, f"{activation} overflowed: use the stable functions of "
                           f"{'softmax.py' if activation == 'softmax' else 'activations.py'}.")
        expect.close(outcome.value, forward(spec, weights, X)[0], what, rtol=1e-7, atol=1e-12)


# ---------------------------------------------------------------- checks: one layer's gradients

def check_one_layer(sub, rng, units, activation, loss, from_logits, y, mistakes=lambda A, y: ()):
    """One Dense layer from chosen weights: fit's loss and first full-batch gradients against
    the chain rule of its outputs."""
    m, n = len(y), 3
    X = rng.normal(0.0, 1.0, size=(m, n))
    spec = [(units, activation)]
    weights = random_weights(rng, n, spec)
    reported, (dW, db), what = first_step(sub, spec, weights, loss, from_logits, X, y, int(rng.integers(1000)))
    A = forward(spec, weights, X)[0]
    check_reported_loss(reported, loss, from_logits, A, y, what)
    want_dW, want_db = gradients(spec, weights, X, loss, from_logits, y)
    known = [(bug.sum(axis=0), mistake) for bug, mistake in mistakes(A, y)]
    compare_gradient(db, want_db, f"The gradient of b for {what}", m, known)
    compare_gradient(dW, want_dW, f"The gradient of W for {what}", m)


def compare_gradient(got, want, what, m, mistakes=()):
    """``got`` equals ``want``; name the usual culprits when it does not."""
    known = [(want * m, f"It is m = {m} times too large: the loss is a mean over the batch, divide by m."),
             (want / m, f"It is m = {m} times too small: the 1/m was applied twice (dZ of the last "
                        "layer carries it; dW = X.T @ dZ adds no second one)."),
             (-want, "The sign is flipped: the gradient points uphill, the optimizer subtracts it."),
             (want / 2, "It is half the expected gradient: d(a - y)^2/da = 2 (a - y), keep the factor 2."),
             *mistakes]
    expect.close(got, want, what, rtol=1e-6, atol=1e-10, candidates=known)


@exercise.check(points=1, requires=(FORWARD,))
def softmax_cross_entropy_gradients(sub, rng):
    """Sparse categorical cross-entropy: fit's loss and first gradients for a softmax layer
    (from probabilities) and a linear layer (from_logits=True) match the chain rule,
    dZ = (softmax(Z) - one_hot(y)) / m."""
    y = rng.integers(0, 3, size=12)

    def elementwise_softmax(A, y):
        dA = np.where(one_hot_rows(y, 3) > 0, -1 / (len(y) * A), 0.0)
        return [(dA * A * (1 - A), "That is dA * A * (1 - A): softmax's derivative is not elementwise, every "
                 "output depends on every z of its row. With sparse cross-entropy, dZ = (A - one_hot(y)) / m.")]

    check_one_layer(sub, rng, 3, "softmax", SPARSE, False, y, elementwise_softmax)
    check_one_layer(sub, rng, 3, "linear", SPARSE, True, y)


@exercise.check(points=1, requires=(FORWARD,))
def binary_cross_entropy_gradients(sub, rng):
    """Binary cross-entropy with one output unit and targets of shape (m,) or (m, 1): fit's
    loss and first gradients for a sigmoid layer and, from logits, a linear layer match
    dZ = (sigmoid(Z) - y) / m."""
    y = (rng.random(12) < 0.5).astype(float)
    check_one_layer(sub, rng, 1, "sigmoid", BINARY, False, y)
    check_one_layer(sub, rng, 1, "linear", BINARY, True, y.reshape(-1, 1))


@exercise.check(points=1, requires=(FORWARD,))
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


# ---------------------------------------------------------------- checks: every layer's gradients

NETWORK_CASES = [
    ([(5, "relu"), (3, "linear")], 6, SPARSE, True),
    ([(4, "tanh"), (3, "softmax")], 5, SPARSE, False),
    ([(6, "sigmoid"), (3, "tanh"), (1, "sigmoid")], 4, BINARY, False),
    ([(5, "leaky_relu"), (1, "linear")], 3, BINARY, True),
    ([(4, "tanh"), (2, "linear")], 5, MSE, False),
    ([(7, "relu"), (5, "leaky_relu"), (2, "sigmoid")], 3, MSE, False),
]
LAYER_MISTAKES = {
    "stops at the last layer": "The layers below the last get no gradient: backpropagation stops at the "
                               "last layer. Carry dA_below = dZ @ W.T down, layer by layer, to the first.",
    "no hidden derivative": "The hidden layers' activation derivative is skipped: dZ_below = dA_below * "
                            "g'(Z_below), with the slope of THAT layer's activation.",
}


def network_problem(rng, spec, n, loss, m=8):
    """(weights, X, y) with every relu / leaky_relu pre-activation at least KINK away from 0,
    so that the central differences never straddle a kink."""
    X = rng.normal(0.0, 1.0, size=(m, n))
    y = targets(rng, loss, spec[-1][0], m)
    for _ in range(200):
        weights = random_weights(rng, n, spec)
        cache = forward(spec, weights, X)[1]
        if all(np.min(np.abs(Z)) > KINK for (_, activation), (_, Z, _) in zip(spec, cache)
               if activation in ("relu", "leaky_relu")):
            break
    return weights, X, y


def directional_errors(sub, spec, weights, X, y, loss, from_logits, grads, rng):
    """(index, relative error, analytic, numeric) of the worst random direction per array."""
    model = make_model(sub, spec)

    def loss_at(trial):
        sub.method(model, "set_weights", trial)
        return measured_loss(sub, loss, from_logits, predict(sub, model, X, spec[-1][0], "predict(X)"), y)

    errors = []
    for index, (w, g) in enumerate(zip(weights, grads)):
        for _ in range(DIRECTIONS):
            d = rng.normal(size=w.shape)
            d /= np.linalg.norm(d)
            plus, minus = list(weights), list(weights)
            plus[index], minus[index] = w + STEP * d, w - STEP * d
            numeric = (loss_at(plus) - loss_at(minus)) / (2 * STEP)
            analytic = float(np.sum(g * d))
            floor = max(1e-8, 1e-3 * float(np.linalg.norm(g)))
            errors.append((index, rel_error(analytic, numeric, floor=floor), analytic, numeric))
    return errors


def parameter_name(index):
    return f"{'Wb'[index % 2]}{index // 2 + 1}"


@exercise.check(points=3, requires=(FORWARD,))
def gradients_match_numeric_in_every_layer(sub, rng):
    """The gradients fit hands its optimizer are those of its loss at the current weights, in
    every layer: for networks of two and three layers (relu, leaky_relu, sigmoid, tanh hidden
    layers; every loss, from probabilities and from logits), each gradient agrees with the
    numeric derivative of the loss of predict's outputs, (loss(w + h d) - loss(w - h d)) / 2h,
    along random directions d."""
    for spec, n, loss, from_logits in NETWORK_CASES:
        weights, X, y = network_problem(rng, spec, n, loss)
        reported, grads, what = first_step(sub, spec, weights, loss, from_logits, X, y, int(rng.integers(1000)))
        check_reported_loss(reported, loss, from_logits, forward(spec, weights, X)[0], y, what)
        mistaken = {mistake: gradients(spec, weights, X, loss, from_logits, y, mistake) for mistake in LAYER_MISTAKES}
        for index, error, analytic, numeric in directional_errors(sub, spec, weights, X, y, loss, from_logits,
                                                                  grads, rng):
            if error <= NUMERIC_THRESHOLD:
                continue
            name = parameter_name(index)
            named = [text for mistake, text in LAYER_MISTAKES.items()
                     if all(np.allclose(g, w, rtol=1e-6, atol=1e-10) for g, w in
                            zip(grads, mistaken[mistake]))]
            fail(f"{what}: the gradient of {name} does not match the numeric derivative of the loss along a "
                 f"random direction d: sum(grad * d) = {analytic:.7g}, but (loss({name} + h d) - "
                 f"loss({name} - h d)) / 2h = {numeric:.7g} (relative error {error:.2g}, allowed "
                 f"{NUMERIC_THRESHOLD:g}). "
                 + (named[0] if named else "Walk back from the last layer's dZ: per layer dW = X.T @ dZ, "
                                           "db = dZ.sum(axis=0), dA_below = dZ @ W.T, dZ_below = "
                                           "dA_below * g'(Z_below)."))


SGD_LR = 0.1
PROBABILITIES_FROM_LOGITS = ("Those are the probabilities: with from_logits=True the last, linear layer outputs "
                             "logits, and predict returns the last layer's activations as they are (apply "
                             "softmax / sigmoid to them outside the model).")


@exercise.check(points=1, requires=(FORWARD, "gradients_match_numeric_in_every_layer"))
def sgd_steps_move_the_weights(sub, rng):
    """fit applies its optimizer's steps to the model's own weights: with plain SGD
    (params[k] -= lr * grads[k]) and two mini-batches, the weights after fit are the weights
    before it minus lr times the two gradients, and predict uses them."""
    spec, n, m = [(4, "tanh"), (3, "linear")], 3, 10
    weights, X, y = network_problem(rng, spec, n, SPARSE, m=m)
    sgd = sub.helper("PlainSGD", SGD_LR)
    model = with_weights(sub, spec, weights, SPARSE, sgd, from_logits=True)
    what = f"fit(X, y, epochs=1, batch_size=5) of {describe(spec)} with plain SGD(lr={SGD_LR})"
    fit(sub, model, X, y, epochs=1, batch_size=5, seed=int(rng.integers(1000)), what=what)
    steps = [by_shape(g, shapes(n, spec), what) for g in recorded_grads(sub, sgd, 2, what)]
    after = get_weights(sub, model, shapes(n, spec), f"{describe(spec)} after {what}")
    for index, (w, got) in enumerate(zip(weights, after)):
        want = w - SGD_LR * (steps[0][index] + steps[1][index])
        if np.allclose(got, w, rtol=1e-12, atol=0):
            fail(f"after {what}, {parameter_name(index)} is unchanged: fit must give optimizer.step the "
                 "layers' own arrays (params) and use them afterwards (an optimizer may also replace "
                 "params[k]: copy them back into the layers).")
        expect.close(got, want, f"{parameter_name(index)} after {what}", rtol=1e-9, atol=1e-12,
                     mistake="Expected the weights before fit minus lr times the gradient of each step.")
    logits = predict(sub, with_weights(sub, spec, after), X, 3, "predict(X) of a new model given those weights")
    got = predict(sub, model, X, 3, f"predict(X) after {what}")  # the new model's predict is known to be right
    if not np.allclose(got, logits, rtol=1e-7, atol=1e-10) and looks_like_probabilities(got, logits):
        fail(f"predict(X) after {what} returned {expect.show(got)}; expected the logits "
             f"{expect.show(logits)}. {PROBABILITIES_FROM_LOGITS}")
    expect.close(got, logits, f"predict(X) after {what}", rtol=1e-7, atol=1e-10,
                 mistake="predict must use the weights fit trained.")


def looks_like_probabilities(got, logits):
    """Rows of positive numbers that sum to one, in the order of the logits: a softmax of them."""
    return bool(np.all(got > 0) and np.allclose(got.sum(axis=1), 1.0)
                and np.array_equal(np.argsort(got, axis=1), np.argsort(logits, axis=1)))
