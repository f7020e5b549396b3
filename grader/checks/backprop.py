"""Checks for exercise 6, ``backprop.py``: the backward pass of dense layers and of the MLP."""

import numpy as np

from . import expect
from .activations import expected_sigmoid
from .baked import formula
from .core import Exercise, Hint, fail, not_judged
from .forward import ACTIVATIONS, random_params
from .gradients import STEP, matches_numeric, numeric_gradient, rel_error
from .losses import expected_one_hot, softmax_ce
from .softmax import expected_softmax

exercise = Exercise(
    "backprop",
    "Backpropagation",
    timeout=20,
    hints=[
        Hint("Let the shapes guide you: every gradient has the shape of the thing it is the gradient "
             "of (dW like W, db like b, dX like X), and grads has exactly the keys of params.",
             helps=("mlp_grads_have_param_shapes",)),
        Hint("Walk the layers from the last to the first, as many as params holds. The mean's 1/m "
             "enters exactly once, in the gradient of the loss with respect to the logits; every "
             "later step is plain chain rule. Only compute: params and X stay as they were.",
             helps=("mlp_loss_matches_forward",
                    "mlp_loss_and_grads_leaves_inputs_alone",
                    "mlp_grads_for_any_depth")),
        Hint("Through a hidden activation, multiply elementwise by its derivative at that layer's "
             "pre-activation Z, not at its output A, and use the derivative of the activation the "
             "network ran with. Check each gradient against finite differences of your own loss.",
             helps=("mlp_grads_for_every_activation", "mlp_grads_match_numeric")),
        Hint("For Z = X W + b with one sample per row: dW = X^T dZ (n_in, n_out), db = dZ summed "
             "over the rows (n_out,), dX = dZ W^T (m, n_in). At the top dZ_L = (softmax(Z_L) - "
             "Y_onehot) / m, and below it dZ_(l-1) = dA_(l-1) * g'(Z_(l-1)).",
             helps=("dense_backward_weight_and_bias_grads", "dense_backward_input_grad")),
    ],
)

KINK = 1e-3  # hidden pre-activations stay this far from relu's kink in numeric checks
NUMERIC_THRESHOLD = 1e-4
DIRECTIONS = 3  # random directions per parameter in the directional checks
LOSS_IS_OFF = (" This gradient is the right one for the mean softmax cross-entropy, so the loss your "
               "function returns is off: it must be the function these are the gradients of "
               "(see the loss check).")


# -- the grader's own forward and backward passes ----------------------------------------

@formula
def forward_cache(X, params, activation):
    functions = {"relu": lambda z: np.maximum(z, 0.0), "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
                 "sigmoid": expected_sigmoid, "tanh": np.tanh}
    g, A, cache = functions[activation], X, []
    L = len(params) // 2
    for l in range(1, L + 1):
        Z = A @ params[f"W{l}"] + params[f"b{l}"]
        cache.append((A, Z))
        A = g(Z) if l < L else Z
    return A, cache


@formula
def backward(params, X, y, activation, at="Z", hidden_derivative=True, top_derivative=False,
             scale=1.0, db_scale=1.0, layer_scale=1.0, derivative=None):
    """Gradients of the mean softmax cross-entropy; the options reproduce classic mistakes."""
    logits, cache = forward_cache(X, params, activation)
    g_prime = {"relu": lambda z: (z > 0).astype(float), "leaky_relu": lambda z: np.where(z > 0, 1.0, 0.01),
               "sigmoid": lambda z: expected_sigmoid(z) * (1 - expected_sigmoid(z)),
               "tanh": lambda z: 1 - np.tanh(z) ** 2}[derivative or activation]
    dZ = scale * (expected_softmax(logits) - expected_one_hot(y, logits.shape[1])) / len(y)
    if top_derivative:
        dZ = dZ * g_prime(logits)
    grads = {}
    for l in range(len(cache), 0, -1):
        A_prev, _ = cache[l - 1]
        dZ = layer_scale * dZ
        grads[f"W{l}"] = A_prev.T @ dZ
        grads[f"b{l}"] = db_scale * dZ.sum(axis=0)
        dA = dZ @ params[f"W{l}"].T
        if l > 1:
            A_prev_of_layer, Z_prev = cache[l - 1][0], cache[l - 2][1]  # A_(l-1) = g(Z_(l-1))
            dZ = dA * g_prime(A_prev_of_layer if at == "A" else Z_prev) if hidden_derivative else dA
    return grads


def grad_mistake(got, mistakes):
    """The explanation of the first of ``mistakes`` (:func:`grad_mistakes`) that ``got`` matches, or ""."""
    for wrong, message in mistakes:
        if all(np.allclose(got[k], wrong[k], rtol=1e-6, atol=1e-10) for k in wrong):
            return message
    return ""


@formula
def grad_mistakes(params, X, y, activation):
    """The gradients of the classic backprop mistakes, as (grads, explanation)."""
    m = len(y)
    candidates = [
        (dict(scale=m), f"every gradient is m = {m} times too large: the loss is a mean, so the "
                        "gradient of the logits is (softmax(Z) - one_hot(y)) / m."),
        (dict(scale=1 / m), f"every gradient is m = {m} times too small: the 1/m was applied again "
                            "after the loss gradient (which already carries it)."),
        (dict(layer_scale=1 / m), f"the gradients shrink by m = {m} at every layer: a 1/m inside the "
                                  "layer's backward step. Only the loss gradient carries the 1/m; "
                                  "dense_backward is plain chain rule."),
        (dict(db_scale=1 / m), "the bias gradients are means over the samples; they are sums "
                               "(dZ already carries the 1/m)."),
        (dict(top_derivative=True), f"the {activation} derivative was applied to the last layer, "
                                    "which is linear: start from dZ_L = the loss gradient itself."),
        (dict(hidden_derivative=False), f"the hidden layers' activation derivative is missing: "
                                        f"dZ = dA * {activation}'(Z)."),
    ]
    if activation in ("sigmoid", "tanh"):
        candidates.append((dict(at="A"), f"the {activation} derivative was evaluated at the layer's "
                                         "output A = g(Z); evaluate g' at the pre-activation Z."))
    candidates += [(dict(derivative=other), f"that is the derivative of {other}: use the derivative of "
                                            f"the hidden_activation, {activation}.")
                   for other in ACTIVATIONS if other != activation]
    return [(backward(params, X, y, activation, **options), message) for options, message in candidates]


def numeric_error(analytic, numeric):
    """CS231n's relative error, with entries far smaller than the largest one (where the
    finite differences' rounding dominates) measured against 1/1000 of that largest entry."""
    return rel_error(analytic, numeric, floor=max(1e-8, 1e-3 * float(np.max(np.abs(numeric), initial=0.0))))


def agrees_with_numeric(analytic, numeric, what, right_gradient=False):
    """``analytic`` matches the numeric gradient; ``right_gradient``: it is the true one anyway."""
    error = numeric_error(analytic, numeric)
    if error > NUMERIC_THRESHOLD:
        advice = (LOSS_IS_OFF if right_gradient else
                  " Walk back from dZ_L = (softmax(Z_L) - one_hot(y)) / m through every layer.")
        fail(f"{what} does not match the numeric gradient of your loss (relative error {error:.2g}, "
             f"allowed {NUMERIC_THRESHOLD:g}): got {expect.show(analytic)}, numeric {expect.show(numeric)}."
             + advice)


# -- validating what comes back -----------------------------------------------------

def parts(value, what, names):
    if not isinstance(value, (tuple, list)) or len(value) != len(names):
        fail(f"{what} should return a tuple ({', '.join(names)}), got {expect.kind_of(value)}")
    return value


def describe(params, activation):
    L = len(params) // 2
    sizes = [params["W1"].shape[0]] + [params[f"W{l}"].shape[1] for l in range(1, L + 1)]
    return (f"mlp_loss_and_grads(params, X, y, hidden_activation={activation!r}) for a "
            f"{' -> '.join(map(str, sizes))} network")


def loss_and_grads(sub, params, X, y, activation, what=None):
    """(loss, grads) from the child, validated: a number and a dict shaped like params."""
    what = what or describe(params, activation)
    loss, grads = parts(sub.mlp_loss_and_grads(params, X, y, hidden_activation=activation), what,
                        ("loss", "grads"))
    loss = expect.number(loss, f"{what}: the loss")
    if not isinstance(grads, dict):
        fail(f"{what} should return the gradients as a dict with the keys of params, "
             f"got {expect.kind_of(grads)}")
    if set(grads) != set(params):
        missing, extra = sorted(set(params) - set(grads)), sorted(set(grads) - set(params))
        fail(f"{what} returned gradients for the keys {sorted(grads)}; expected exactly the keys of "
             f"params, {sorted(params)}" + (f" (missing {missing})" if missing else "")
             + (f" (unexpected {extra}: name grads['W1'] after the parameter, not 'dW1')" if extra else ""))
    out = {}
    for key, value in params.items():
        g = grads[key]
        if isinstance(g, np.ndarray) and g.ndim == 2 and key.startswith("b") and g.shape == (1, value.size):
            fail(f"{what} returned grads[{key!r}] of shape {g.shape}; expected {value.shape}, b's shape: "
                 "sum over axis 0 without keepdims.")
        if isinstance(g, np.ndarray) and g.ndim == 2 and g.shape == value.shape[::-1] != value.shape:
            fail(f"{what} returned grads[{key!r}] of shape {g.shape}, the transpose of {key}'s {value.shape}: "
                 "dW = A_prev.T @ dZ, (n_in, m) times (m, n_out).")
        out[key] = expect.float_array(g, f"{what}: grads[{key!r}]", value.shape)
    return loss, out


def problem(rng, sizes, m=3, activation="relu"):
    """(params, X, y) for a numeric check: hidden pre-activations at least KINK away from 0
    (central differences must not straddle relu's kink), and no vanishing gradient (where
    the finite differences' rounding would dominate)."""
    X = rng.normal(0.0, 1.0, size=(m, sizes[0]))
    y = np.resize(np.arange(sizes[-1]), m)
    rng.shuffle(y)
    for _ in range(200):
        params = random_params(rng, sizes, scale=1.5)
        _, cache = forward_cache(X, params, activation)
        grads = backward(params, X, y, activation)
        if (all(np.min(np.abs(Z)) > KINK for _, Z in cache[:-1])
                and all(np.linalg.norm(g) > 1e-3 for g in grads.values())):
            break
    return params, X, y


def check_gradients(sub, params, X, y, activation, rng):
    """Every gradient agrees with the numeric derivative of the child's loss, and with ours.

    Along DIRECTIONS random unit directions per parameter: two loss evaluations each,
    whatever the parameter's size. Where a direction disagrees, the parameter is checked
    entry by entry too, so that the message can show which entries are off.
    """
    what = describe(params, activation)
    _, grads = loss_and_grads(sub, params, X, y, activation, what)
    want, mistakes = backward(params, X, y, activation), grad_mistakes(params, X, y, activation)
    if not all(np.allclose(grads[k], want[k], rtol=1e-6, atol=1e-10) for k in params):
        mistake = grad_mistake(grads, mistakes)
        if mistake:
            wrong = next(k for k in params if not np.allclose(grads[k], want[k], rtol=1e-6, atol=1e-10))
            fail(f"{what} returned grads[{wrong!r}] = {expect.show(grads[wrong])}, expected "
                 f"{expect.show(want[wrong])}: {mistake}")
    for key in reversed(list(params)):
        def f(value, key=key):
            return loss_and_grads(sub, {**params, key: value}, X, y, activation, what)[0]

        right = np.allclose(grads[key], want[key], rtol=1e-6, atol=1e-10)
        for _ in range(DIRECTIONS):
            d = rng.normal(size=params[key].shape)
            d /= np.linalg.norm(d)
            numeric = (f(params[key] + STEP * d) - f(params[key] - STEP * d)) / (2 * STEP)
            analytic = float(np.sum(grads[key] * d))
            error = rel_error(analytic, numeric, floor=max(1e-8, 1e-3 * float(np.linalg.norm(want[key]))))
            if error > NUMERIC_THRESHOLD:
                agrees_with_numeric(grads[key], numeric_gradient(f, params[key]), f"{what}: grads[{key!r}]", right)
                advice = (LOSS_IS_OFF if right else
                          " Walk back from dZ_L = (softmax(Z_L) - one_hot(y)) / m through every layer.")
                fail(f"{what}: grads[{key!r}] does not match the numeric derivative of your loss along a "
                     f"random direction d: sum(grads[{key!r}] * d) = {analytic:.7g}, but "
                     f"(loss({key} + h d) - loss({key} - h d)) / 2h = {numeric:.7g} (relative error "
                     f"{error:.2g}, allowed {NUMERIC_THRESHOLD:g})." + advice)
    for key in params:
        expect.close(grads[key], want[key], f"{what}: grads[{key!r}]",
                     mistake="Your gradients agree with your loss, but the loss is not the mean softmax "
                             "cross-entropy of the logits: check the loss first.")


# -- dense_backward -----------------------------------------------------------------

def dense_problem(rng):
    """dZ (4, 5), X (4, 3), W (3, 5): every shape different, so transposes show."""
    return rng.normal(size=(4, 5)), rng.normal(size=(4, 3)), rng.normal(size=(3, 5)), rng.normal(size=5)


@formula
def dense_grads_over_m(dZ, X, W):
    """(dX, dW, db) of a dense layer with a 1/m too many, the classic mistake."""
    m = len(X)
    return dZ @ W.T / m, X.T @ dZ / m, dZ.sum(axis=0) / m


def dense_result(sub, dZ, X, W, return_args=False):
    what = f"dense_backward(dZ, X, W) for dZ {dZ.shape}, X {X.shape}, W {W.shape}"
    outcome = sub.run("dense_backward", (dZ, X, W), return_args=return_args)
    return what, parts(outcome.value, what, ("dX", "dW", "db")), outcome


@exercise.check(points=2)
def dense_backward_weight_and_bias_grads(sub, rng):
    """dense_backward's dW (W's shape) and db (b's shape) are the gradients of
    sum(dZ * (X @ W + b)): dW = X.T @ dZ and db = dZ summed over the samples, with no 1/m
    (dZ already carries it). The inputs are left unchanged."""
    dZ, X, W, b = dense_problem(rng)
    what, (_, dW, db), outcome = dense_result(sub, dZ, X, W, return_args=True)
    m = len(X)
    if isinstance(dW, np.ndarray) and dW.shape == (5, 3):
        fail(f"{what} returned dW of shape (5, 3), the transpose of W's (3, 5): dZ.T @ X is the "
             "column-major formula; with one sample per row dW = X.T @ dZ.")
    dW = expect.float_array(dW, f"{what}: dW", W.shape)
    if isinstance(db, np.ndarray) and db.shape == (1, 5):
        fail(f"{what} returned db of shape (1, 5); expected (5,), b's shape: sum over axis 0 without keepdims.")
    if isinstance(db, np.ndarray) and db.shape == (4,):
        fail(f"{what} returned db of shape (4,), one value per sample: sum dZ over the samples, axis 0 "
             "(the notes sum over axis 1 because their samples are columns).")
    if isinstance(db, (int, float, np.generic)) and not isinstance(db, bool):
        fail(f"{what} returned db = {expect.show(db)}, one number: sum over the samples only "
             "(axis=0), one entry per unit.")
    db = expect.float_array(db, f"{what}: db", b.shape)
    _, over_m_dW, over_m_db = dense_grads_over_m(dZ, X, W)
    named = [(over_m_dW, over_m_db,
              f"dW and db are m = {m} times too small: no 1/m here, dZ is already the gradient of the mean.")]
    for wrong_dW, wrong_db, message in named:
        if np.allclose(dW, wrong_dW) and np.allclose(db, wrong_db):
            fail(f"{what} returned dW = {expect.show(dW)}: {message}")
    if np.allclose(db, dZ.mean(axis=0)):
        fail(f"{what} returned db = {expect.show(db)}, the MEAN of dZ over the samples; db is the sum "
             "(dZ already carries the 1/m).")

    def total(W_, b_):
        return float(np.sum(dZ * (X @ W_ + b_)))

    matches_numeric(dW, numeric_gradient(lambda Wp: total(Wp, b), W), f"{what}: dW",
                    mistake="dW = X.T @ dZ, no 1/m.")
    matches_numeric(db, numeric_gradient(lambda bp: total(W, bp), b), f"{what}: db",
                    mistake="db = dZ.sum(axis=0), no 1/m.")
    expect.unmodified(outcome, [dZ, X, W], "dense_backward(dZ, X, W)")


@exercise.check(points=2)
def dense_backward_input_grad(sub, rng):
    """dense_backward's dX, of X's shape (m, n_in), is the gradient of sum(dZ * (X @ W + b))
    with respect to X: dX = dZ @ W.T, which carries the gradient to the previous layer."""
    dZ, X, W, b = dense_problem(rng)
    what, (dX, _, _), _ = dense_result(sub, dZ, X, W)
    if isinstance(dX, np.ndarray) and dX.shape == (3, 4):
        fail(f"{what} returned dX of shape (3, 4), the transpose of X's (4, 3): W @ dZ.T is the "
             "column-major formula; with one sample per row dX = dZ @ W.T.")
    dX = expect.float_array(dX, f"{what}: dX", X.shape)
    if np.allclose(dX, dense_grads_over_m(dZ, X, W)[0]):
        fail(f"{what} returned dX = {expect.show(dX)}, m = {len(X)} times too small: no 1/m here, "
             "dZ is already the gradient of the mean.")
    numeric = numeric_gradient(lambda Xp: float(np.sum(dZ * (Xp @ W + b))), X)
    matches_numeric(dX, numeric, f"{what}: dX", mistake="dX = dZ @ W.T.")


# -- mlp_loss_and_grads -------------------------------------------------------------------

@exercise.check(points=2)
def mlp_loss_matches_forward(sub, rng):
    """mlp_loss_and_grads returns (loss, grads); the loss is the mean softmax cross-entropy of
    the network's logits (from mlp_forward with the same hidden_activation) against y."""
    for sizes, activation in [([4, 6, 3], "relu"), ([4, 5, 6, 3], "tanh")]:
        params, X, y = problem(rng, sizes, m=5, activation=activation)
        what = describe(params, activation)
        value = sub.mlp_loss_and_grads(params, X, y, hidden_activation=activation)
        got = expect.number(parts(value, what, ("loss", "grads"))[0], f"{what}: the loss")
        logits = forward_cache(X, params, activation)[0]
        want = softmax_ce(y, logits)
        named = [(want * len(y), f"the SUM over the {len(y)} samples; the loss is their mean"),
                 (-want, "the minus sign is missing: the loss is -log softmax(Z)[i, y_i], averaged"),
                 (want / logits.shape[1], "averaged over the classes as well; sum over the classes "
                                          "(only one term per row is non-zero), then average over the samples")]
        if activation != "relu":
            named.append((softmax_ce(y, forward_cache(X, params, "relu")[0]),
                          "the loss of the ReLU network: pass hidden_activation on to mlp_forward"))
        for wrong, message in named:
            if np.isclose(got, wrong, rtol=1e-7):
                fail(f"{what} returned the loss {got:.7g}, expected {want:.7g}: {message}.")
        expect.close_number(got, want, f"{what}: the loss", rtol=1e-7,
                            mistake="loss = softmax_cross_entropy_with_logits(y, logits) with the "
                                    "logits of mlp_forward(X, params, hidden_activation).")


def points_the_right_way(grads, params, X, y, activation):
    """At least one gradient is parallel to the true one (a wrong scale still counts): the
    minimum that makes the gradients' keys, shapes and side effects worth judging."""
    want = backward(params, X, y, activation)
    for key, value in want.items():
        g = grads.get(key)
        if not (isinstance(g, np.ndarray) and g.dtype.kind == "f" and g.shape == value.shape):
            continue
        norms = np.linalg.norm(g) * np.linalg.norm(value)
        if norms > 0 and float(np.sum(g * value)) / norms > 0.99:
            return
    not_judged("none of the gradients mlp_loss_and_grads returns points the right way yet; "
               "see mlp_grads_match_numeric")


@exercise.check(points=1)
def mlp_grads_have_param_shapes(sub, rng):
    """grads has exactly the keys of params ("W1", "b1", ...), and each gradient has its
    parameter's shape: (n_in, n_out) for W, (n_out,) for b; here for a 5 -> 7 -> 3 -> 4 network."""
    params, X, y = problem(rng, [5, 7, 3, 4], m=6)
    _, grads = loss_and_grads(sub, params, X, y, "relu")
    points_the_right_way(grads, params, X, y, "relu")


@exercise.check(points=1)
def mlp_loss_and_grads_leaves_inputs_alone(sub, rng):
    """mlp_loss_and_grads only computes: params (keys and arrays) and X stay exactly as they
    were; updating the parameters is the optimizer's job."""
    params, X, y = problem(rng, [4, 5, 3], m=4)
    snapshot = {k: v.copy() for k, v in params.items()}
    what = "mlp_loss_and_grads(params, X, y)"
    outcome = sub.run("mlp_loss_and_grads", (params, X, y), {"hidden_activation": "sigmoid"}, return_args=True)
    loss, grads = parts(outcome.value, what, ("loss", "grads"))
    expect.number(loss, f"{what}: the loss")
    if not isinstance(grads, dict):
        fail(f"{what} should return the gradients as a dict, got {expect.kind_of(grads)}")
    points_the_right_way(grads, params, X, y, "sigmoid")
    expect.unmodified(outcome, [None, X, y], what)
    for after in (outcome.args_after[0], outcome.originals_after[0]):
        if not isinstance(after, dict) or set(after) != set(snapshot):
            fail(f"{what} changed the keys of params; return the gradients in their own dict.")
        for key, value in snapshot.items():
            if not (isinstance(after[key], np.ndarray) and after[key].shape == value.shape
                    and np.array_equal(after[key], value)):
                fail(f"{what} changed params[{key!r}]: computing the gradients must not update the "
                     "parameters (that is the optimizer's step, later).")


@exercise.check(points=3)
def mlp_grads_match_numeric(sub, rng):
    """For a 4 -> 5 -> 3 ReLU network on 3 samples, every gradient agrees with the numeric
    derivative of your loss, (loss(p + h d) - loss(p - h d)) / 2h along random directions d."""
    params, X, y = problem(rng, [4, 5, 3])
    check_gradients(sub, params, X, y, "relu", rng)


@exercise.check(points=2)
def mlp_grads_for_every_activation(sub, rng):
    """The gradients are right for every hidden_activation: "sigmoid", "tanh" and "leaky_relu"
    use their own derivative, evaluated at the pre-activation Z."""
    for activation in ("sigmoid", "tanh", "leaky_relu"):
        params, X, y = problem(rng, [4, 5, 3], activation=activation)
        check_gradients(sub, params, X, y, activation, rng)


@exercise.check(points=2)
def mlp_grads_for_any_depth(sub, rng):
    """The backward pass loops over however many layers there are: the gradients are right for
    a single linear layer (4 -> 3) and for three layers (4 -> 5 -> 4 -> 3)."""
    for sizes in ([4, 3], [4, 5, 4, 3]):
        params, X, y = problem(rng, sizes)
        check_gradients(sub, params, X, y, "relu", rng)


# -- hidden ------------------------------------------------------------------------

@exercise.check(points=2, hidden=True)
def backprop_matches_reference(sub, ref, rng):
    """dense_backward and mlp_loss_and_grads agree with the reference on random layers and networks."""
    dZ, X, W = rng.normal(size=(6, 2)), rng.normal(size=(6, 7)), rng.normal(size=(7, 2))
    what, got, _ = dense_result(sub, dZ, X, W)
    for name, g, w in zip(("dX", "dW", "db"), got, ref.dense_backward(dZ, X, W)):
        expect.close(g, w, f"{what}: {name}")
    for sizes, activation in [([6, 8, 4], "tanh"), ([6, 5, 7, 3], "leaky_relu"), ([6, 9, 9, 9, 2], "sigmoid")]:
        params, X, y = problem(rng, sizes, m=10, activation=activation)
        loss, grads = loss_and_grads(sub, params, X, y, activation)
        want_loss, want_grads = ref.mlp_loss_and_grads(params, X, y, activation)
        what = describe(params, activation)
        expect.close_number(loss, want_loss, f"{what}: the loss", rtol=1e-7)
        for key in params:
            expect.close(grads[key], want_grads[key], f"{what}: grads[{key!r}]")
