"""Exercises 1-5: verdicts that mean what they say.

Code that does nothing in a way the generic families of :mod:`do_nothing` miss earns 0; a
nearly right function keeps the property points it earns honestly.
"""

import pytest

from conftest import assert_earns_nothing, grade_folder

# Do-nothing modules aimed at one exercise's properties, each a whole module.
FAMILIES = {
    "activations: step functions": ("activations", """
        import numpy as np
        def sigmoid(z): return (np.asarray(z) > 0).astype(float)
        def sigmoid_grad(z): return np.zeros_like(np.asarray(z, dtype=float))
        def relu(z): return np.zeros_like(np.asarray(z, dtype=float))
        def relu_grad(z): return np.zeros_like(np.asarray(z, dtype=float))
        def leaky_relu(z, alpha=0.01): return np.zeros_like(np.asarray(z, dtype=float))
        def leaky_relu_grad(z, alpha=0.01): return np.zeros_like(np.asarray(z, dtype=float))
        def tanh(z): return np.sign(np.asarray(z, dtype=float))
        def tanh_grad(z): return np.zeros_like(np.asarray(z, dtype=float))
        """),
    "softmax: uniform rows": ("softmax", """
        import numpy as np
        def softmax(z, axis=-1):
            z = np.asarray(z, dtype=float)
            return np.full_like(z, 1.0 / z.shape[axis])
        def log_softmax(z, axis=-1):
            return np.log(softmax(z, axis))
        """),
    "losses: constant losses of ln 2": ("losses", """
        import numpy as np
        def one_hot(y, num_classes): return np.zeros((len(y), num_classes))
        def binary_cross_entropy(y, p, eps=1e-12): return float(np.log(2))
        def binary_cross_entropy_with_logits(y, z): return float(np.log(2))
        def categorical_cross_entropy(Y, P, eps=1e-12): return float(np.log(2))
        def sparse_categorical_cross_entropy(y, P, eps=1e-12): return float(np.log(2))
        def softmax_cross_entropy_with_logits(y, Z): return float(np.log(2))
        def softmax_cross_entropy_grad(y, Z): return np.zeros(np.shape(Z))
        def mean_squared_error(y, y_hat): return 0.0
        def mean_squared_error_grad(y, y_hat): return np.zeros(np.shape(y_hat))
        """),
    "logistic: the starting point": ("logistic", """
        import numpy as np
        def predict_proba(X, w, b): return np.full(len(X), 0.5)
        def logistic_loss_and_grads(X, y, w, b): return float(np.log(2)), np.zeros_like(w), 0.0
        def train_logistic(X, y, lr=0.1, epochs=1000): return np.zeros(np.shape(X)[1]), 0.0
        """),
    "forward: zeros for known names, ValueError for the others": ("forward", """
        import numpy as np
        NAMES = ("relu", "leaky_relu", "sigmoid", "tanh")
        def dense_forward(X, W, b): return np.zeros((len(X), len(b)))
        def mlp_forward(X, params, hidden_activation="relu"):
            if hidden_activation not in NAMES:
                raise ValueError(f"unknown activation {hidden_activation!r}; use one of {NAMES}")
            L = len(params) // 2
            return np.zeros((len(X), params[f"b{L}"].shape[0])), []
        def mlp_predict(X, params, hidden_activation="relu"): return np.zeros(len(X), dtype=int)
        def accuracy(y_true, y_pred): return 0.0
        """),
    "forward: logits copied from the input": ("forward", """
        import numpy as np
        def dense_forward(X, W, b): return np.asarray(X, dtype=float)[:, :len(b)].copy()
        def mlp_forward(X, params, hidden_activation="relu"):
            if hidden_activation not in ("relu", "leaky_relu", "sigmoid", "tanh"):
                raise ValueError(hidden_activation)
            L = len(params) // 2
            return np.asarray(X, dtype=float)[:, :params[f"b{L}"].shape[0]].copy(), []
        def mlp_predict(X, params, hidden_activation="relu"): return np.zeros(len(X), dtype=int)
        def accuracy(y_true, y_pred): return 1.0
        """),
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_exercise_specific_do_nothing_earns_nothing(submission, family):
    module, source = FAMILIES[family]
    assert_earns_nothing(submission, module, source)


# A nearly right function keeps the points of the properties it really has.
NEARLY_RIGHT = {
    "tanh from raw exponentials keeps its gradient check": (
        "activations.tanh", "def tanh(z):\n    return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))",
        {"tanh_grad_matches_numeric"}),
    "softmax normalised by the max stays shift invariant": (
        "softmax.softmax", """
        def softmax(z, axis=-1):
            e = np.exp(z - np.max(z, axis=axis, keepdims=True))
            return e / e.max(axis=axis, keepdims=True)
        """, {"softmax_is_shift_invariant"}),
    "an unstable softmax cross-entropy keeps its gradient check": (
        "losses.softmax_cross_entropy_with_logits", """
        def softmax_cross_entropy_with_logits(y, Z):
            return sparse_categorical_cross_entropy(y, softmax(Z))
        """, {"softmax_cross_entropy_grad_matches_numeric"}),
    "training from small random weights still separates the blobs": (
        "logistic.train_logistic", """
        def train_logistic(X, y, lr=0.1, epochs=1000):
            w, b = np.random.default_rng(1).normal(0, 0.01, X.shape[1]), 0.0
            for _ in range(epochs):
                _, dw, db = logistic_loss_and_grads(X, y, w, b)
                w, b = w - lr * dw, b - lr * db
            return w, b
        """, {"train_logistic_separates_blobs", "train_logistic_reads_digits"}),
    "a forward pass with softmax on top keeps its shapes and leaves its inputs alone": (
        "forward.mlp_forward", """
        def mlp_forward(X, params, hidden_activation="relu"):
            g = HIDDEN_ACTIVATIONS[hidden_activation]
            A, cache, L = X, [], len(params) // 2
            for l in range(1, L + 1):
                Z = dense_forward(A, params[f"W{l}"], params[f"b{l}"])
                cache.append((A, Z))
                A = g(Z) if l < L else np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
            return A, cache
        """, {"mlp_forward_shapes_for_any_depth", "mlp_forward_leaves_inputs_alone"}),
}


@pytest.mark.parametrize("case", sorted(NEARLY_RIGHT))
def test_nearly_right_keeps_honest_property_points(submission, case):
    target, code, kept = NEARLY_RIGHT[case]
    report = grade_folder(submission(replacements={target: code}), names=[target.split(".")[0]])
    checks = {c.name: c for c in report.exercises[0].checks}
    assert not all(c.passed for c in checks.values())  # the function really is wrong
    assert {name for name in kept if checks[name].passed} == kept, {n: checks[n].message for n in kept}
