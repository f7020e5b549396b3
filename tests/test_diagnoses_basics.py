"""Exercises 1-5: a wrong answer is told the mistake it shows, and never a wrong one."""

import pytest

from conftest import grade_folder
from test_checks_basics import BUGS as BASICS
from test_checks_logistic_forward_backprop import BUGS as LATER

BUGS = {name: bug[:2] for name, bug in {**BASICS, **LATER}.items()}
BATCH_SUM_SOFTMAX = ("softmax.softmax", """
def softmax(z, axis=-1):
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / e.sum()
""")

# a bug of the bug tables (by name) or (module.function, code) -> the check that judges it,
# words its message holds and words it must not hold
DIAGNOSES = {
    "softmax dividing by the whole batch's sum": (
        BATCH_SUM_SOFTMAX, "softmax_rows_are_distributions",
        ["sum over the whole batch"], ["square batch", "keepdims=True subtracts", "own max"]),
    "softmax dividing by the whole batch's sum, on large logits": (
        BATCH_SUM_SOFTMAX, "softmax_is_stable_for_large_logits",
        ["sum over the whole batch"], ["square batch", "own max", "overflow"]),
    "softmax shifted by the batch max": (
        "softmax shifted by the batch max", "softmax_is_stable_for_large_logits",
        ["max of the whole batch", "0/0"], ["overflowed"]),
    "softmax without the max shift": (
        "softmax without the max shift", "softmax_is_stable_for_large_logits", ["overflow"], ["whole batch"]),
    "softmax normalised by the max, on a single vector": (
        "softmax normalised by the max instead of the sum", "softmax_known_values",
        ["largest exponential"], ["constant factor"]),
    "log_softmax as the log of softmax": (
        "log_softmax as the log of softmax", "log_softmax_is_stable", ["log(softmax(z))", "log-sum-exp"], []),
    "log_softmax shifted by the batch max": (
        "log_softmax shifted by the batch max", "log_softmax_is_stable", ["max of the whole batch"], ["log(softmax(z))"]),
    "tanh_grad as (1 - tanh(z))^2": (
        ("activations.tanh_grad", "def tanh_grad(z):\n    return (1 - np.tanh(z)) ** 2"),
        "tanh_grad_matches_numeric", ["(1 - tanh(z))^2"], ["relative error"]),
    "a right leaky_relu_grad next to a leaky_relu that ignores alpha": (
        "leaky_relu ignoring alpha", "leaky_relu_grad_honours_alpha",
        ["your leaky_relu itself is off", "leaky_relu_honours_alpha"], []),
    "sigmoid in float32": (
        ("activations.sigmoid", "def sigmoid(z):\n    return np.exp(-np.logaddexp(0, -z)).astype(np.float32)"),
        "sigmoid_known_values", ["float32"], ["First difference"]),
    "relu as np.max(z, 0)": (
        "relu with np.max instead of np.maximum", "relu_known_values",
        ["reduction", "np.maximum"], ["got a float64", "without axis="]),
    "sigmoid with the sign flipped overflows at +1000": (
        "sigmoid with the notes' sign typo", "sigmoid_is_stable_for_large_inputs", ["z = +1000"], ["z = -1000"]),
    "sigmoid from the plain formula overflows at -1000": (
        "sigmoid that overflows", "sigmoid_is_stable_for_large_inputs", ["z = -1000"], ["+1000"]),
    "MSE gradient without the 2": (
        "mean squared error gradient without the 2", "mean_squared_error_grad_matches_numeric",
        ["half", "factor 2"], ["relative error"]),
    "MSE gradient with the 2 twice": (
        ("losses.mean_squared_error_grad", "def mean_squared_error_grad(y, y_hat):\n    return 4 * (y_hat - y) / y.size"),
        "mean_squared_error_grad_matches_numeric", ["twice", "factor 2"], ["relative error"]),
    "MSE with the textbooks' 1/2": (
        "mean squared error with the textbooks' 1/2", "mean_squared_error_is_a_mean",
        ["half the mean", "1/2"], ["not only over rows"]),
    "a loss in float32": (
        ("losses.binary_cross_entropy", """
        def binary_cross_entropy(y, p, eps=1e-12):
            p = np.clip(p, eps, 1 - eps)
            return np.float32(np.mean(-y * np.log(p) - (1 - y) * np.log(1 - p)))
        """), "binary_cross_entropy_known_value", ["float32"], ["should return one number"]),
    "a summed binary cross-entropy on clipped probabilities": (
        "binary cross-entropy summed over samples", "binary_cross_entropy_clips", ["SUM"], ["Clip"]),
    "binary cross-entropy clipped at 1e-7": (
        "binary cross-entropy clipped at a fixed 1e-7", "binary_cross_entropy_clips", ["clipped at 1e-7", "1e-9"], []),
    "categorical cross-entropy as -log sum(Y P)": (
        "categorical cross-entropy as -log sum(Y P)", "categorical_cross_entropy_takes_soft_labels",
        ["-log(sum_k Y_k P_k)"], []),
    "sparse cross-entropy ignoring eps": (
        "sparse cross-entropy ignoring eps", "sparse_categorical_cross_entropy_honours_eps",
        ["clipped at 1e-12 whatever eps is"], []),
    "predict_proba with the sign typo on a random neuron": (
        "predict_proba with the notes' sign typo", "predict_proba_known_value", ["sign typo"], ["First difference"]),
    "a forward pass with the last layer activated": (
        "mlp_forward activating the last layer too", "mlp_forward_computes_logits",
        ["last layer went through relu"], ["First difference"]),
    "accuracy as the error rate": (
        ("forward.accuracy", "def accuracy(y_true, y_pred):\n    return float(np.mean(y_true != y_pred))"),
        "accuracy_is_a_fraction", ["error rate"], []),
}


@pytest.mark.parametrize("case", sorted(DIAGNOSES))
def test_a_mistake_is_named_rightly(submission, case):
    bug, check, said, unsaid = DIAGNOSES[case]
    target, code = BUGS[bug] if isinstance(bug, str) else bug
    report = grade_folder(submission(replacements={target: code}), names=[target.split(".")[0]])
    result = next(c for c in report.exercises[0].checks if c.name == check)
    assert not result.passed and result.judged, result.message
    for words in said:
        assert words in result.message, result.message
    for words in unsaid:
        assert words not in result.message, result.message
