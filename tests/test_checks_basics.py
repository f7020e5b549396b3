"""Exercises 1-3: each realistic bug fails exactly the checks meant to catch it."""

import pytest

from conftest import assert_bug_fails_exactly, checks_no_bug_catches

BUGS = {
    # activations
    "sigmoid with the notes' sign typo": (
        "activations.sigmoid", "def sigmoid(z):\n    return 1 / (1 + np.exp(z))",
        {"sigmoid_known_values", "sigmoid_is_stable_for_large_inputs", "sigmoid_keeps_shape_and_symmetry",
         "sigmoid_grad_matches_numeric", "activations_match_reference"}),
    "sigmoid that overflows": (
        "activations.sigmoid", "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))",
        {"sigmoid_is_stable_for_large_inputs"}),
    "sigmoid that overwrites its input": (
        "activations.sigmoid", """
        def sigmoid(z):
            e = np.exp(-np.abs(z))
            z[...] = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
            return z
        """, {"sigmoid_keeps_shape_and_symmetry"}),
    "sigmoid_grad applied to z instead of sigmoid(z)": (
        "activations.sigmoid_grad", "def sigmoid_grad(z):\n    return z * (1 - z)",
        {"sigmoid_grad_matches_numeric", "activations_match_reference"}),
    "relu with np.max instead of np.maximum": (
        "activations.relu", "def relu(z):\n    return np.max(z, 0)",
        {"relu_known_values", "activations_match_reference"}),
    "relu_grad with z >= 0": (
        "activations.relu_grad", "def relu_grad(z):\n    return (z >= 0).astype(float)",
        {"relu_grad_is_a_step"}),
    "relu_grad returning booleans": (
        "activations.relu_grad", "def relu_grad(z):\n    return z > 0",
        {"relu_grad_is_a_step", "activations_match_reference"}),
    "leaky_relu ignoring alpha": (
        "activations.leaky_relu", "def leaky_relu(z, alpha=0.01):\n    return np.where(z > 0, z, 0.01 * z)",
        {"leaky_relu_honours_alpha", "leaky_relu_grad_honours_alpha", "activations_match_reference"}),
    "leaky_relu_grad with zero slope on the left": (
        "activations.leaky_relu_grad", "def leaky_relu_grad(z, alpha=0.01):\n    return np.where(z > 0, 1.0, 0.0)",
        {"leaky_relu_grad_honours_alpha", "activations_match_reference"}),
    "tanh from raw exponentials": (
        "activations.tanh", "def tanh(z):\n    return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))",
        {"tanh_is_stable"}),
    "tanh_grad as 1 - z^2": (
        "activations.tanh_grad", "def tanh_grad(z):\n    return 1 - z ** 2",
        {"tanh_grad_matches_numeric", "activations_match_reference"}),
    # softmax
    "softmax without the max shift": (
        "softmax.softmax", """
        def softmax(z, axis=-1):
            e = np.exp(z)
            return e / e.sum(axis=axis, keepdims=True)
        """, {"softmax_is_stable_for_large_logits"}),
    "softmax normalised by the max instead of the sum": (
        "softmax.softmax", """
        def softmax(z, axis=-1):
            e = np.exp(z - np.max(z, axis=axis, keepdims=True))
            return e / e.max(axis=axis, keepdims=True)
        """, {"softmax_known_values", "softmax_rows_are_distributions", "softmax_is_stable_for_large_logits",
              "softmax_honours_axis", "softmax_matches_reference"}),
    "softmax shifted by the batch max": (
        "softmax.softmax", """
        def softmax(z, axis=-1):
            e = np.exp(z - np.max(z))
            return e / e.sum(axis=axis, keepdims=True)
        """, {"softmax_is_stable_for_large_logits"}),
    "softmax over axis 0": (
        "softmax.softmax", """
        def softmax(z, axis=-1):
            e = np.exp(z - z.max(axis=0, keepdims=True))
            return e / e.sum(axis=0, keepdims=True)
        """, {"softmax_rows_are_distributions", "softmax_is_stable_for_large_logits",
              "softmax_is_shift_invariant", "softmax_honours_axis", "softmax_matches_reference"}),
    "softmax without keepdims": (
        "softmax.softmax", """
        def softmax(z, axis=-1):
            e = np.exp(z - np.max(z, axis=axis))
            return e / np.sum(e, axis=axis)
        """, {"softmax_rows_are_distributions", "softmax_is_stable_for_large_logits",
              "softmax_is_shift_invariant", "softmax_honours_axis", "softmax_matches_reference"}),
    "log_softmax as the log of softmax": (
        "softmax.log_softmax", "def log_softmax(z, axis=-1):\n    return np.log(softmax(z, axis=axis))",
        {"log_softmax_is_stable"}),
    "log_softmax shifted by the batch max": (
        "softmax.log_softmax", """
        def log_softmax(z, axis=-1):
            shifted = z - np.max(z)
            return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        """, {"log_softmax_is_stable"}),
    "log_softmax ignoring axis": (
        "softmax.log_softmax", """
        def log_softmax(z, axis=-1):
            shifted = z - z.max(axis=-1, keepdims=True)
            return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        """, {"log_softmax_is_stable", "softmax_matches_reference"}),
    # losses
    "one_hot of integers": (
        "losses.one_hot", "def one_hot(y, num_classes):\n    return np.eye(num_classes, dtype=int)[y]",
        {"one_hot_encodes_labels", "losses_match_reference"}),
    "binary cross-entropy summed over samples": (
        "losses.binary_cross_entropy", """
        def binary_cross_entropy(y, p, eps=1e-12):
            p = np.clip(p, eps, 1 - eps)
            return float(np.sum(-y * np.log(p) - (1 - y) * np.log(1 - p)))
        """, {"binary_cross_entropy_known_value", "binary_cross_entropy_clips", "losses_match_reference"}),
    "binary cross-entropy without clipping": (
        "losses.binary_cross_entropy", """
        def binary_cross_entropy(y, p, eps=1e-12):
            return float(np.mean(-y * np.log(p) - (1 - y) * np.log(1 - p)))
        """, {"binary_cross_entropy_clips"}),
    "binary cross-entropy with logits through a clipped sigmoid": (
        "losses.binary_cross_entropy_with_logits", """
        def binary_cross_entropy_with_logits(y, z):
            return binary_cross_entropy(y, 1 / (1 + np.exp(-z)))
        """, {"binary_cross_entropy_with_logits_is_stable"}),
    "categorical cross-entropy without clipping": (
        "losses.categorical_cross_entropy", """
        def categorical_cross_entropy(Y, P, eps=1e-12):
            return float(np.mean(np.sum(-Y * np.log(P), axis=1)))
        """, {"categorical_cross_entropy_sums_classes"}),
    "categorical cross-entropy averaged over classes too": (
        "losses.categorical_cross_entropy", """
        def categorical_cross_entropy(Y, P, eps=1e-12):
            return float(np.mean(-Y * np.log(np.clip(P, eps, 1 - eps))))
        """, {"categorical_cross_entropy_sums_classes", "losses_match_reference"}),
    "sparse cross-entropy picking whole rows": (
        "losses.sparse_categorical_cross_entropy", """
        def sparse_categorical_cross_entropy(y, P, eps=1e-12):
            return float(np.mean(-np.log(np.clip(P[y], eps, 1 - eps))))
        """, {"sparse_categorical_cross_entropy_picks_labels", "losses_match_reference"}),
    "softmax cross-entropy from logits through softmax and clipping": (
        "losses.softmax_cross_entropy_with_logits", """
        def softmax_cross_entropy_with_logits(y, Z):
            return sparse_categorical_cross_entropy(y, softmax(Z))
        """, {"softmax_cross_entropy_with_logits_is_stable"}),
    "softmax cross-entropy gradient without 1/m": (
        "losses.softmax_cross_entropy_grad", """
        def softmax_cross_entropy_grad(y, Z):
            return softmax(Z) - one_hot(y, Z.shape[1])
        """, {"softmax_cross_entropy_grad_matches_numeric", "losses_match_reference"}),
    "mean squared error summed": (
        "losses.mean_squared_error", "def mean_squared_error(y, y_hat):\n    return float(np.sum((y - y_hat) ** 2))",
        {"mean_squared_error_is_a_mean", "losses_match_reference"}),
    "mean squared error with the textbooks' 1/2": (
        "losses.mean_squared_error", "def mean_squared_error(y, y_hat):\n    return float(0.5 * np.mean((y - y_hat) ** 2))",
        {"mean_squared_error_is_a_mean", "losses_match_reference"}),
    "mean squared error gradient for 2-D targets only": (
        "losses.mean_squared_error_grad", """
        def mean_squared_error_grad(y, y_hat):
            m, k = y.shape
            return 2 * (y_hat - y) / (m * k)
        """, {"mean_squared_error_grad_matches_numeric"}),
    "binary cross-entropy clipped at a fixed 1e-7": (
        "losses.binary_cross_entropy", """
        def binary_cross_entropy(y, p, eps=1e-12):
            p = np.clip(p, 1e-7, 1 - 1e-7)
            return float(np.mean(-y * np.log(p) - (1 - y) * np.log(1 - p)))
        """, {"binary_cross_entropy_clips"}),
    "binary cross-entropy ignoring eps": (
        "losses.binary_cross_entropy", """
        def binary_cross_entropy(y, p, eps=1e-12):
            p = np.clip(p, 1e-12, 1 - 1e-12)
            return float(np.mean(-y * np.log(p) - (1 - y) * np.log(1 - p)))
        """, {"binary_cross_entropy_honours_eps"}),
    "binary cross-entropy as dot products": (
        "losses.binary_cross_entropy", """
        def binary_cross_entropy(y, p, eps=1e-12):
            p = np.clip(p, eps, 1 - eps)
            return float(-(y @ np.log(p) + (1 - y) @ np.log(1 - p)) / len(y))
        """, {"binary_losses_take_column_targets"}),
    "binary cross-entropy with logits as a dot product": (
        "losses.binary_cross_entropy_with_logits", """
        def binary_cross_entropy_with_logits(y, z):
            return float((np.sum(np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) - y @ z) / len(y))
        """, {"binary_losses_take_column_targets"}),
    "categorical cross-entropy as -log sum(Y P)": (
        "losses.categorical_cross_entropy", """
        def categorical_cross_entropy(Y, P, eps=1e-12):
            return float(np.mean(-np.log(np.clip(np.sum(Y * P, axis=1), eps, 1 - eps))))
        """, {"categorical_cross_entropy_takes_soft_labels"}),
    "categorical cross-entropy clipped at a fixed 1e-7": (
        "losses.categorical_cross_entropy", """
        def categorical_cross_entropy(Y, P, eps=1e-12):
            return float(np.mean(-np.sum(Y * np.log(np.clip(P, 1e-7, 1 - 1e-7)), axis=1)))
        """, {"categorical_cross_entropy_sums_classes"}),
    "categorical cross-entropy ignoring eps": (
        "losses.categorical_cross_entropy", """
        def categorical_cross_entropy(Y, P, eps=1e-12):
            return float(np.mean(-np.sum(Y * np.log(np.clip(P, 1e-12, 1 - 1e-12)), axis=1)))
        """, {"categorical_cross_entropy_honours_eps"}),
    "sparse cross-entropy without clipping": (
        "losses.sparse_categorical_cross_entropy", """
        def sparse_categorical_cross_entropy(y, P, eps=1e-12):
            return float(np.mean(-np.log(P[np.arange(len(y)), y])))
        """, {"sparse_categorical_cross_entropy_picks_labels"}),
    "sparse cross-entropy clipped at a fixed 1e-7": (
        "losses.sparse_categorical_cross_entropy", """
        def sparse_categorical_cross_entropy(y, P, eps=1e-12):
            return float(np.mean(-np.log(np.clip(P[np.arange(len(y)), y], 1e-7, 1 - 1e-7))))
        """, {"sparse_categorical_cross_entropy_picks_labels"}),
    "sparse cross-entropy ignoring eps": (
        "losses.sparse_categorical_cross_entropy", """
        def sparse_categorical_cross_entropy(y, P, eps=1e-12):
            return float(np.mean(-np.log(np.clip(P[np.arange(len(y)), y], 1e-12, 1 - 1e-12))))
        """, {"sparse_categorical_cross_entropy_honours_eps"}),
    "softmax cross-entropy gradient in float32": (
        "losses.softmax_cross_entropy_grad", """
        def softmax_cross_entropy_grad(y, Z):
            return ((softmax(Z, axis=1) - one_hot(y, Z.shape[1])) / Z.shape[0]).astype(np.float32)
        """, {"softmax_cross_entropy_grad_matches_numeric", "losses_match_reference"}),
    "mean squared error gradient without the 2": (
        "losses.mean_squared_error_grad", "def mean_squared_error_grad(y, y_hat):\n    return (y_hat - y) / y.size",
        {"mean_squared_error_grad_matches_numeric", "losses_match_reference"}),
}


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_bug_fails_exactly_its_checks(bug, submission):
    target, code, expected = BUGS[bug]
    assert_bug_fails_exactly(submission, {target: code}, expected)


def test_every_check_of_the_first_exercises_is_caught_by_a_bug():
    assert not checks_no_bug_catches(BUGS, ("activations", "softmax", "losses"))
