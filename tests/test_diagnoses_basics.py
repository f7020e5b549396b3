"""Exercises 1-5: a wrong answer is told the mistake it shows, and never a wrong one."""

import pytest

from conftest import grade_folder

BATCH_SUM_SOFTMAX = """
def softmax(z, axis=-1):
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / e.sum()
"""

# name -> (module.function, code, check, words the message holds, words it must not hold)
DIAGNOSES = {
    "softmax dividing by the whole batch's sum": (
        "softmax.softmax", BATCH_SUM_SOFTMAX, "softmax_rows_are_distributions",
        ["sum over the whole array"], ["square batch", "keepdims=True subtracts", "own max"]),
    "softmax dividing by the whole batch's sum, on large logits": (
        "softmax.softmax", BATCH_SUM_SOFTMAX, "softmax_is_stable_for_large_logits",
        ["sum over the whole array"], ["square batch", "own max", "overflow"]),
    "softmax shifted by the batch max": (
        "softmax.softmax", """
        def softmax(z, axis=-1):
            e = np.exp(z - np.max(z))
            return e / e.sum(axis=axis, keepdims=True)
        """, "softmax_is_stable_for_large_logits",
        ["max of the whole array", "0/0"], ["overflowed"]),
    "softmax without the max shift": (
        "softmax.softmax", """
        def softmax(z, axis=-1):
            e = np.exp(z)
            return e / e.sum(axis=axis, keepdims=True)
        """, "softmax_is_stable_for_large_logits", ["overflow"], ["whole array"]),
    "tanh_grad as (1 - tanh(z))^2": (
        "activations.tanh_grad", "def tanh_grad(z):\n    return (1 - np.tanh(z)) ** 2",
        "tanh_grad_matches_numeric", ["(1 - tanh(z))^2"], ["relative error"]),
    "MSE gradient without the 2": (
        "losses.mean_squared_error_grad", "def mean_squared_error_grad(y, y_hat):\n    return (y_hat - y) / y.size",
        "mean_squared_error_grad_matches_numeric", ["half", "factor 2"], ["relative error"]),
    "MSE gradient with the 2 twice": (
        "losses.mean_squared_error_grad",
        "def mean_squared_error_grad(y, y_hat):\n    return 4 * (y_hat - y) / y.size",
        "mean_squared_error_grad_matches_numeric", ["twice", "factor 2"], ["relative error"]),
    "MSE with the textbooks' 1/2": (
        "losses.mean_squared_error", "def mean_squared_error(y, y_hat):\n    return float(0.5 * np.mean((y - y_hat) ** 2))",
        "mean_squared_error_is_a_mean", ["half the mean", "1/2"], ["not only over rows"]),
    "sigmoid in float32": (
        "activations.sigmoid", "def sigmoid(z):\n    return np.exp(-np.logaddexp(0, -z)).astype(np.float32)",
        "sigmoid_known_values", ["float32"], ["First difference"]),
    "a loss in float32": (
        "losses.binary_cross_entropy", """
        def binary_cross_entropy(y, p, eps=1e-12):
            p = np.clip(p, eps, 1 - eps)
            return np.float32(np.mean(-y * np.log(p) - (1 - y) * np.log(1 - p)))
        """, "binary_cross_entropy_known_value", ["float32"], ["should return one number"]),
    "relu as np.max(z, 0)": (
        "activations.relu", "def relu(z):\n    return np.max(z, 0)",
        "relu_known_values", ["reduction", "np.maximum"], ["got a float64", "without axis="]),
    "sigmoid with the sign flipped overflows at +1000": (
        "activations.sigmoid", "def sigmoid(z):\n    return 1 / (1 + np.exp(z))",
        "sigmoid_is_stable_for_large_inputs", ["z = +1000"], ["z = -1000"]),
    "sigmoid from the plain formula overflows at -1000": (
        "activations.sigmoid", "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))",
        "sigmoid_is_stable_for_large_inputs", ["z = -1000"], ["+1000"]),
    "categorical cross-entropy as -log sum(Y P)": (
        "losses.categorical_cross_entropy", """
        def categorical_cross_entropy(Y, P, eps=1e-12):
            return float(np.mean(-np.log(np.clip(np.sum(Y * P, axis=1), eps, 1 - eps))))
        """, "categorical_cross_entropy_takes_soft_labels", ["-log(sum_k Y_k P_k)"], []),
    "sparse cross-entropy ignoring eps": (
        "losses.sparse_categorical_cross_entropy", """
        def sparse_categorical_cross_entropy(y, P, eps=1e-12):
            return float(np.mean(-np.log(np.clip(P[np.arange(len(y)), y], 1e-12, 1 - 1e-12))))
        """, "sparse_categorical_cross_entropy_honours_eps", ["clipped at 1e-12 whatever eps is"], []),
    "softmax normalised by the max, on a single vector": (
        "softmax.softmax", """
        def softmax(z, axis=-1):
            e = np.exp(z - np.max(z, axis=axis, keepdims=True))
            return e / e.max(axis=axis, keepdims=True)
        """, "softmax_known_values", ["largest exponential"], ["constant factor"]),
    "a right leaky_relu_grad next to a leaky_relu that ignores alpha": (
        "activations.leaky_relu", "def leaky_relu(z, alpha=0.01):\n    return np.where(z > 0, z, 0.01 * z)",
        "leaky_relu_grad_honours_alpha", ["your leaky_relu itself is off", "leaky_relu_honours_alpha"], []),
    "a summed binary cross-entropy on clipped probabilities": (
        "losses.binary_cross_entropy", """
        def binary_cross_entropy(y, p, eps=1e-12):
            p = np.clip(p, eps, 1 - eps)
            return float(np.sum(-y * np.log(p) - (1 - y) * np.log(1 - p)))
        """, "binary_cross_entropy_clips", ["SUM"], ["Clip"]),
    "a forward pass with the last layer activated": (
        "forward.mlp_forward", """
        def mlp_forward(X, params, hidden_activation="relu"):
            g = HIDDEN_ACTIVATIONS[hidden_activation]
            A, cache, L = X, [], len(params) // 2
            for l in range(1, L + 1):
                Z = dense_forward(A, params[f"W{l}"], params[f"b{l}"])
                cache.append((A, Z))
                A = g(Z)
            return A, cache
        """, "mlp_forward_computes_logits", ["last layer went through relu"], ["First difference"]),
    "accuracy as the error rate": (
        "forward.accuracy", "def accuracy(y_true, y_pred):\n    return float(np.mean(y_true != y_pred))",
        "accuracy_is_a_fraction", ["error rate"], []),
    "predict_proba with the sign typo on a random neuron": (
        "logistic.predict_proba", "def predict_proba(X, w, b):\n    return 1 / (1 + np.exp(X @ w + b))",
        "predict_proba_known_value", ["sign typo"], ["First difference"]),
    "binary cross-entropy clipped at 1e-7": (
        "losses.binary_cross_entropy", """
        def binary_cross_entropy(y, p, eps=1e-12):
            p = np.clip(p, 1e-7, 1 - 1e-7)
            return float(np.mean(-y * np.log(p) - (1 - y) * np.log(1 - p)))
        """, "binary_cross_entropy_clips", ["clipped at 1e-7", "1e-9"], []),
}


@pytest.mark.parametrize("case", sorted(DIAGNOSES))
def test_a_mistake_is_named_rightly(submission, case):
    target, code, check, said, unsaid = DIAGNOSES[case]
    report = grade_folder(submission(replacements={target: code}), names=[target.split(".")[0]])
    result = next(c for c in report.exercises[0].checks if c.name == check)
    assert not result.passed and result.judged, result.message
    for words in said:
        assert words in result.message, result.message
    for words in unsaid:
        assert words not in result.message, result.message
