"""Exercises 1-5: verdicts that mean what they say.

Code that does nothing in a way the generic families of :mod:`do_nothing` miss earns 0; a
nearly right function keeps the property points it earns honestly.
"""

import pytest

from conftest import assert_earns_nothing, grade_folder
from test_checks_basics import BUGS as BASICS
from test_checks_logistic_forward_backprop import BUGS as LATER

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


# A nearly right function (a bug of the bug tables) keeps the points of the properties it has.
NEARLY_RIGHT = {
    "tanh from raw exponentials": {"tanh_grad_matches_numeric"},
    "softmax normalised by the max instead of the sum": {"softmax_is_shift_invariant"},
    "softmax cross-entropy from logits through softmax and clipping": {"softmax_cross_entropy_grad_matches_numeric"},
    "binary cross-entropy ignoring eps": {"binary_losses_take_column_targets"},
    "train_logistic from random weights": {"train_logistic_separates_blobs", "train_logistic_reads_digits"},
    "mlp_forward returning softmax probabilities": {"mlp_forward_shapes_for_any_depth",
                                                    "mlp_forward_leaves_inputs_alone"},
}


@pytest.mark.parametrize("bug", sorted(NEARLY_RIGHT))
def test_nearly_right_keeps_honest_property_points(submission, bug):
    target, code, _ = {**BASICS, **LATER}[bug]
    report = grade_folder(submission(replacements={target: code}), names=[target.split(".")[0]])
    checks = {c.name: c for c in report.exercises[0].checks}
    kept = NEARLY_RIGHT[bug]
    assert not all(c.passed for c in checks.values())  # the function really is wrong
    assert {name for name in kept if checks[name].passed} == kept, {n: checks[n].message for n in kept}
