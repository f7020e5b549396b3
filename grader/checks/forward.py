"""Checks for exercise 5, ``forward.py``: dense layers, the MLP forward pass, predictions."""

import numpy as np

from . import expect, preconditions
from .activations import expected_sigmoid
from .baked import formula
from .core import Exercise, Hint, fail, not_judged
from .softmax import expected_softmax

exercise = Exercise(
    "forward",
    "The forward pass",
    timeout=10,
    hints=[
        Hint("Follow the shapes: one sample per row, so a layer turns m rows of n_in features into "
             "m rows of n_out values. Every layer is the same dense step; only what comes after it "
             "differs between the hidden layers and the last one.",
             helps=("dense_forward_is_affine",)),
        Hint("Count the layers from the keys of params (W1 up to WL) instead of assuming two, and "
             "loop over them, feeding each layer's output to the next. Keep the cache in a list of "
             "its own: params and X stay as they were.",
             helps=("mlp_forward_shapes_for_any_depth", "mlp_forward_leaves_inputs_alone")),
        Hint("Apply the named activation after every layer but the last (the logits stay linear), "
             "and look the name up among the four allowed ones: an unknown name raises an error that "
             "names them, instead of falling back to another activation.",
             helps=("mlp_forward_computes_logits",
                    "mlp_forward_honours_hidden_activation",
                    "mlp_forward_rejects_unknown_activation")),
        Hint("Z_l = A_(l-1) W_l + b_l: (m, n_in) times (n_in, n_out), with b_l added to every row, "
             "and A_l = g(Z_l) for l < L. The class of a sample is the argmax of its OWN row of "
             "logits (over axis 1), and the accuracy is the number of equal labels divided by m, "
             "between 0 and 1.",
             helps=("mlp_predict_takes_argmax_per_row", "accuracy_is_a_fraction")),
    ],
)

ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh")

# layer sizes [n_0, n_1, ..., n_L], never square, for 1 to 3 layers
NETS = {1: [5, 4], 2: [5, 7, 4], 3: [5, 7, 3, 4]}


# -- the grader's own forward pass --------------------------------------------------

def random_params(rng, sizes, scale=1.0):
    params = {}
    for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{l}"] = rng.normal(0.0, scale / np.sqrt(n_in), size=(n_in, n_out))
        params[f"b{l}"] = rng.normal(0.0, 0.5, size=n_out)
    return params


@formula
def forward(X, params, activation="relu", last=None, bias=True):
    """Logits of the MLP; ``last`` (the name of an activation, or "softmax") and
    ``bias=False`` reproduce mistakes."""
    functions = {"relu": lambda z: np.maximum(z, 0.0), "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
                 "sigmoid": expected_sigmoid, "tanh": np.tanh, "softmax": expected_softmax}
    L = len(params) // 2
    A = X
    for l in range(1, L + 1):
        Z = A @ params[f"W{l}"] + (params[f"b{l}"] if bias else 0.0)
        A = functions[activation](Z) if l < L else (functions[last](Z) if last else Z)
    return A


@formula
def predicted_labels(X, params, activation="relu"):
    return np.argmax(forward(X, params, activation), axis=1)


@formula
def fraction_equal(y_true, y_pred):
    return float(np.mean(y_true == y_pred))


def logits_of(sub, X, params, activation=None, what=None):
    """The logits mlp_forward returns, validated; the cache is the student's business."""
    kwargs = {} if activation is None else {"hidden_activation": activation}
    what = what or describe_forward(params, activation)
    value = sub.mlp_forward(X, params, **kwargs)
    if isinstance(value, np.ndarray):
        fail(f"{what} returned one array; it should return a tuple (logits, cache): the cache "
             "keeps what the backward pass needs.")
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        fail(f"{what} should return a tuple (logits, cache), got {expect.kind_of(value)}")
    return value[0]


def forward_does_the_minimum(sub, rng, params, see="mlp_forward_computes_logits"):
    """Not judged unless mlp_forward's logits are repeatable and depend on X and on the weights."""
    what, last = "mlp_forward(X, params)", f"W{len(params) // 2}"

    def logits(X, params):
        value = sub.mlp_forward(X, params)
        value = value[0] if isinstance(value, (tuple, list)) and value else value
        if not isinstance(value, np.ndarray) or value.dtype.kind != "f":
            not_judged(f"{what} returns no float array of logits yet; see {see}")
        return value

    X = rng.normal(size=(6, params["W1"].shape[0]))
    first = logits(X, params)
    preconditions.repeatable(first, logits(X, params), what, see)
    preconditions.responds(first, logits(X + 1.0, params), what, see)
    preconditions.responds(first, logits(X, {**params, last: 2.0 * params[last]}), what, see)


def describe_forward(params, activation):
    sizes = [params["W1"].shape[0]] + [params[f"W{l}"].shape[1] for l in range(1, len(params) // 2 + 1)]
    arrow = " -> ".join(map(str, sizes))
    extra = "" if activation is None else f", hidden_activation={activation!r}"
    return f"mlp_forward(X, params{extra}) for a {arrow} network"


@formula
def forward_mistakes(X, params, activation):
    """The classic forward-pass mistakes for these inputs, as (logits, explanation)."""
    named = [(forward(X, params, activation, last=activation),
              f"The last layer went through {activation} too; it must stay linear (the logits are Z_L)."),
             (forward(X, params, activation, last="softmax"),
              "Softmax was applied to the last layer; mlp_forward returns the logits Z_L, the loss "
              "applies the softmax itself."),
             (forward(X, params, activation, bias=False), "The biases are missing: Z = A_prev @ W + b.")]
    return named + [(forward(X, params, other),
                     f"That is the output with {other} hidden layers: use the hidden_activation argument.")
                    for other in ACTIVATIONS if other != activation]


def labels(value, what, shape):
    """Integer class labels of ``shape`` (floats holding whole numbers are accepted)."""
    if not isinstance(value, np.ndarray):
        fail(f"{what} should return a NumPy array of class labels, got {expect.kind_of(value)}")
    if value.shape != shape:
        fail(f"{what} returned shape {value.shape}; expected {shape}, one label per sample "
             "(take the argmax over the classes, axis=1, not over the samples or the whole array).")
    if value.dtype.kind not in "iuf" or not np.all(np.isfinite(value)) or np.any(value != np.round(value)):
        fail(f"{what} should return integer class labels, got {expect.show(value)} (dtype {value.dtype}): "
             "the labels are the indices of the largest logits.")
    return value.astype(np.int64)


def same_params(params, after, what):
    """``after`` (a dict the child left behind) holds exactly ``params``."""
    if not isinstance(after, dict) or set(after) != set(params):
        extra = sorted(set(after) - set(params)) if isinstance(after, dict) else []
        fail(f"{what} changed the keys of params{f' (added {extra})' if extra else ''}; keep the cache "
             "in its own variable, the caller's params must stay as they were.")
    for key, value in params.items():
        if not (isinstance(after[key], np.ndarray) and after[key].shape == value.shape
                and np.array_equal(after[key], value)):
            fail(f"{what} changed params[{key!r}]; it must leave the parameters untouched "
                 "(work on new arrays: A = g(Z), not in-place updates).")


# -- dense_forward ------------------------------------------------------------------

@formula
def affine(X, W, b):
    return X @ W + b


def affine_result(value, shape, what):
    got = expect.float_array(value, what)
    if got.shape == shape[::-1] != shape:
        fail(f"{what} returned shape {got.shape}, the transpose of {shape}: with one sample per row, "
             "Z = X @ W + b, (m, n_in) times (n_in, n_out) (the notes' W X is for column-major data).")
    return expect.float_array(got, what, shape)


@exercise.check(points=2)
def dense_forward_is_affine(sub, rng):
    """dense_forward(X, W, b) = X @ W + b: X of shape (m, n_in) and W of shape (n_in, n_out)
    give (m, n_out), b added to every row; the inputs are left unchanged."""
    X = np.array([[1.0, 2.0]])
    W = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])
    b = np.array([0.5, -1.0, 0.0])
    what = "dense_forward([[1, 2]], W, b) for W (2, 3), b (3,)"
    expect.close(affine_result(sub.dense_forward(X, W, b), (1, 3), what), [[1.5, 1.0, 0.0]], what,
                 mistake="Z = X @ W + b, with b added to each row.")
    X, W, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 5)), rng.normal(size=5)
    what = "dense_forward(X, W, b) for X (4, 3), W (3, 5), b (5,)"
    outcome = sub.run("dense_forward", (X, W, b), return_args=True)
    got = affine_result(outcome.value, (4, 5), what)
    if np.allclose(got, affine(X, W, np.zeros_like(b))):
        fail(f"{what} returned X @ W: the bias b is missing.")
    expect.close(got, affine(X, W, b), what, mistake="Z = X @ W + b.")
    expect.unmodified(outcome, [X, W, b], "dense_forward(X, W, b)")


# -- mlp_forward --------------------------------------------------------------------

@exercise.check(points=2)
def mlp_forward_shapes_for_any_depth(sub, rng):
    """mlp_forward returns (logits, cache) with logits of shape (m, n_L), for networks of 1, 2
    and 3 layers with different widths (5 -> 4, 5 -> 7 -> 4, 5 -> 7 -> 3 -> 4): count the
    layers from params instead of assuming two."""
    forward_does_the_minimum(sub, rng, random_params(rng, NETS[2]))
    X = rng.normal(size=(6, 5))
    for depth, sizes in NETS.items():
        params = random_params(rng, sizes)
        what = describe_forward(params, None)
        got = expect.float_array(logits_of(sub, X, params, what=what), what + ": logits")
        if got.shape == (sizes[-1], 6) != (6, sizes[-1]):
            fail(f"{what} returned logits of shape {got.shape}, the transpose of (6, {sizes[-1]}): one "
                 "sample per row, so every layer computes A_prev @ W + b.")
        if got.shape != (6, sizes[-1]):
            fail(f"{what} returned logits of shape {got.shape}; expected (6, {sizes[-1]}), "
                 f"(samples, units of the last layer). The network has {depth} layer(s): "
                 "count the W keys of params.")


@exercise.check(points=3)
def mlp_forward_computes_logits(sub, rng):
    """With the default ReLU, the logits are Z_L of the chain Z_l = A_(l-1) @ W_l + b_l,
    A_l = relu(Z_l), A_0 = X; the last layer has no activation (its outputs are often negative)."""
    X = rng.normal(size=(6, 5))
    for depth in (1, 2, 3):
        params = random_params(rng, NETS[depth])
        what = describe_forward(params, None)
        got = expect.float_array(logits_of(sub, X, params, what=what), what + ": logits", (6, NETS[depth][-1]))
        expect.close(got, forward(X, params), what + ": logits", rtol=1e-6, atol=1e-9,
                     candidates=forward_mistakes(X, params, "relu"),
                     mistake="Hidden layers: A = relu(A_prev @ W + b); last layer: A_prev @ W + b.")


@exercise.check(points=2)
def mlp_forward_honours_hidden_activation(sub, rng):
    """Every hidden_activation is honoured: "relu", "leaky_relu" (alpha 0.01), "sigmoid" and
    "tanh" on the hidden layers, and never on the last layer."""
    X = rng.normal(size=(6, 5))
    params = random_params(rng, NETS[3], scale=2.0)
    for activation in ("sigmoid", "tanh", "leaky_relu", "relu"):
        what = describe_forward(params, activation)
        got = expect.float_array(logits_of(sub, X, params, activation, what), what + ": logits", (6, 4))
        expect.close(got, forward(X, params, activation), what + ": logits", rtol=1e-6, atol=1e-9,
                     candidates=forward_mistakes(X, params, activation),
                     mistake=f"Hidden layers use {activation}; the last layer stays linear.")


@exercise.check(points=1)
def mlp_forward_rejects_unknown_activation(sub, rng):
    """An unknown hidden_activation (a typo such as "rellu") raises an error instead of
    silently falling back to some other activation."""
    X = rng.normal(size=(3, 5))
    params = random_params(rng, NETS[2])
    logits = {name: forward(X, params, name) for name in ACTIVATIONS}
    for name in ("tanh", "relu"):
        value = sub.mlp_forward(X, params, hidden_activation=name)
        got = value[0] if isinstance(value, (tuple, list)) and value else value
        if not (isinstance(got, np.ndarray) and got.shape == (3, 4)
                and np.allclose(got, logits[name], rtol=1e-6, atol=1e-9)):
            not_judged(f"{describe_forward(params, name)} does not give the right logits yet, so rejecting "
                       "the names it does not know says nothing; see mlp_forward_honours_hidden_activation")
    try:
        value = sub.mlp_forward(X, params, hidden_activation="rellu")
    except Exception:  # noqa: BLE001 -- any error is a loud failure, which is what we want
        return
    got = value[0] if isinstance(value, (tuple, list)) and value else value
    used = next((name for name in ACTIVATIONS if isinstance(got, np.ndarray) and got.shape == (3, 4)
                 and np.allclose(got, logits[name])), None)
    fail("mlp_forward(X, params, hidden_activation='rellu') returned a result"
         + (f" (computed with {used})" if used else "")
         + " instead of raising an error: a typo must not go unnoticed. Raise a ValueError that "
           "lists the allowed names.")


@exercise.check(points=1)
def mlp_forward_leaves_inputs_alone(sub, rng):
    """mlp_forward leaves X and params exactly as they were: no keys added to params (keep
    the cache separate), no array changed in place."""
    X = rng.normal(size=(6, 5))
    params = random_params(rng, NETS[2])
    forward_does_the_minimum(sub, rng, params)
    snapshot = {k: v.copy() for k, v in params.items()}
    for activation in ("relu", "sigmoid"):
        what = f"mlp_forward(X, params, hidden_activation={activation!r})"
        outcome = sub.run("mlp_forward", (X, params), {"hidden_activation": activation}, return_args=True)
        logits = outcome.value[0] if isinstance(outcome.value, (tuple, list)) and outcome.value else outcome.value
        expect.float_array(logits, what + ": logits", (6, 4))
        expect.unmodified(outcome, [X], what)
        same_params(snapshot, outcome.args_after[1], what)
        same_params(snapshot, outcome.originals_after[1], what)


# -- mlp_predict and accuracy ----------------------------------------------------------

@exercise.check(points=2)
def mlp_predict_takes_argmax_per_row(sub, rng):
    """mlp_predict returns one class label per sample, shape (m,): the index of the largest
    logit in that sample's row (argmax over axis 1), with the hidden_activation it is given."""
    X = rng.normal(size=(7, 5))
    params = random_params(rng, NETS[2], scale=2.0)
    what = "mlp_predict(X, params) for 7 samples and 4 classes"
    got = sub.mlp_predict(X, params)
    want = predicted_labels(X, params)
    if isinstance(got, np.ndarray) and got.shape == (4,):
        fail(f"{what} returned shape (4,), one value per class instead of one per sample: the argmax "
             "ran over the samples (axis 0). Take it over the classes of each row of the (m, K) logits, axis=1.")
    if isinstance(got, (int, np.integer)) and not isinstance(got, bool):
        fail(f"{what} returned one number ({expect.show(got)}): np.argmax without an axis flattens "
             "the array. Use axis=1, one label per row.")
    got = labels(got, what, (7,))
    expect.close(got.astype(float), want.astype(float), what,
                 mistake="The label of row i is np.argmax(logits[i]).")
    for activation in ("tanh", "sigmoid"):
        for _ in range(20):  # inputs where this activation and relu disagree on some label
            X2 = rng.normal(size=(7, 5))
            if np.any(predicted_labels(X2, params, activation) != predicted_labels(X2, params)):
                break
        what = f"mlp_predict(X, params, hidden_activation={activation!r})"
        got = labels(sub.mlp_predict(X2, params, hidden_activation=activation), what, (7,))
        want = predicted_labels(X2, params, activation)
        if not np.array_equal(got, want):
            hint = (" Those are ReLU's predictions: pass hidden_activation on to mlp_forward."
                    if np.array_equal(got, predicted_labels(X2, params)) else "")
            fail(f"{what} returned {expect.show(got)}; expected {expect.show(want)}.{hint}")


@exercise.check(points=1)
def accuracy_is_a_fraction(sub, rng):
    """accuracy(y_true, y_pred) is the fraction of equal labels, a number in [0, 1]:
    accuracy([0, 1, 2, 2, 1], [0, 2, 2, 1, 1]) = 0.6."""
    y_true = rng.integers(0, 3, size=10)
    y_pred = np.where(rng.random(10) < 0.6, y_true, rng.integers(0, 3, size=10))
    for y_true, y_pred in [([0, 1, 2, 2, 1], [0, 2, 2, 1, 1]), ([3, 3, 0, 1], [3, 3, 0, 1]),
                           ([1, 0, 1], [0, 1, 0]), (y_true, y_pred)]:
        y_true, y_pred = np.array(y_true), np.array(y_pred)
        want, what = fraction_equal(y_true, y_pred), f"accuracy({y_true.tolist()}, {y_pred.tolist()})"
        named = [(want * len(y_true), "That is the NUMBER of correct labels; the accuracy is their fraction."),
                 (100 * want, "That is a percentage; the accuracy is a fraction in [0, 1]."),
                 (1 - want, "That is the error rate; the accuracy counts the EQUAL labels.")]
        expect.close_number(sub.accuracy(y_true, y_pred), want, what, candidates=named,
                            mistake="accuracy = mean(y_true == y_pred).")


# -- hidden ------------------------------------------------------------------------

@exercise.check(points=2, hidden=True)
def forward_matches_reference(sub, ref, rng):
    """dense_forward, mlp_forward's logits, mlp_predict and accuracy agree with the reference
    on random networks."""
    X, W, b = rng.normal(size=(5, 6)), rng.normal(size=(6, 2)), rng.normal(size=2)
    expect.close(sub.dense_forward(X, W, b), ref.dense_forward(X, W, b), "dense_forward(X, W, b)")
    X = rng.normal(size=(8, 6))
    for sizes, activation in [([6, 9, 3], "tanh"), ([6, 4, 5, 3], "leaky_relu"), ([6, 2], "sigmoid"),
                              ([6, 8, 8, 5], "relu")]:
        params = random_params(rng, sizes, scale=2.0)
        what = describe_forward(params, activation)
        expect.close(logits_of(sub, X, params, activation, what), ref.mlp_forward(X, params, activation)[0],
                     what + ": logits")
        expect.close(labels(sub.mlp_predict(X, params, hidden_activation=activation), what, (8,)).astype(float),
                     ref.mlp_predict(X, params, activation).astype(float), f"mlp_predict for a {sizes} network")
    y_true, y_pred = rng.integers(0, 4, size=30), rng.integers(0, 4, size=30)
    expect.close_number(sub.accuracy(y_true, y_pred), ref.accuracy(y_true, y_pred), "accuracy(y_true, y_pred)")
