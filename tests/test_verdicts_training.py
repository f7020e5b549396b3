"""Exercises 6-10: verdicts that mean what they say.

Do-nothing code of each exercise's own kind (an iterator that yields nothing, a single batch
of everything, an invented falling loss history, a model that is not a network) scores
exactly 0; a nearly right function keeps the property points it earns; a model whose
backpropagation stops early earns nothing on the network checks, with a message naming it.
"""

import pytest

from conftest import SOLUTIONS, assert_earns_nothing, failing_checks, grade_folder, replace_function
from test_checks_model import LOSS_AND_GRADS_OF_THE_LAST_LAYER, forward_with, loss_and_grads_with


def reference_with(module, replacements):
    """The reference ``module``'s source with functions replaced ({"name": code})."""
    source = (SOLUTIONS / f"{module}.py").read_text(encoding="utf-8")
    for name, code in replacements.items():
        source = replace_function(source, name, code)
    return source


INVENTED_HISTORY = """
def train_mlp(params, X, y, optimizer, epochs, batch_size, rng, hidden_activation="relu"):
    return [2.0 / (epoch + 1) for epoch in range(epochs)]
"""

MINIBATCH_FAMILIES = {
    "an iterator that yields nothing": {
        "iterate_minibatches": "def iterate_minibatches(X, y, batch_size, rng=None):\n    return iter(())",
    },
    "an iterator that yields nothing, and an invented falling history": {
        "iterate_minibatches": "def iterate_minibatches(X, y, batch_size, rng=None):\n    return []",
        "train_mlp": INVENTED_HISTORY,
    },
    "a single batch of everything, in order": {
        "iterate_minibatches": "def iterate_minibatches(X, y, batch_size, rng=None):\n    yield X, y",
        "train_mlp": INVENTED_HISTORY,
    },
    "a single batch of everything, shuffled": {
        "iterate_minibatches": """
            def iterate_minibatches(X, y, batch_size, rng=None):
                order = np.arange(len(y)) if rng is None else rng.permutation(len(y))
                yield X[order], y[order]
            """,
        "train_mlp": INVENTED_HISTORY,
    },
    "always raising": {
        "iterate_minibatches": "def iterate_minibatches(X, y, batch_size, rng=None):\n    raise ValueError('no')",
        "train_mlp": "def train_mlp(params, X, y, optimizer, epochs, batch_size, rng, hidden_activation='relu'):\n"
                     "    raise ValueError('no')",
    },
}


@pytest.mark.parametrize("family", sorted(MINIBATCH_FAMILIES))
def test_do_nothing_minibatches_earn_nothing(submission, family):
    assert_earns_nothing(submission, "minibatch", reference_with("minibatch", MINIBATCH_FAMILIES[family]))


NOT_A_NETWORK = '''
import numpy as np

LOSSES = ("sparse_categorical_crossentropy", "binary_crossentropy", "mse")


class Dense:
    def __init__(self, units, activation="linear"):
        self.units, self.activation = units, activation


class Sequential:
    """Not a network: fit memorises the data, predict answers from the memory."""

    def __init__(self, layers):
        self.layers, self.loss, self.memory, self.weights = list(layers), None, None, []

    def compile(self, loss, optimizer, from_logits=False):
        if loss not in LOSSES:
            raise ValueError(loss)
        self.loss, self.optimizer = loss, optimizer

    def targets(self, y, m):
        units = self.layers[-1].units
        if self.loss == "sparse_categorical_crossentropy":
            return np.eye(units)[np.asarray(y).astype(int)]
        return np.asarray(y, dtype=float).reshape(m, units)

    def fit(self, X, y, epochs=1, batch_size=32, seed=0, verbose=False):
        if self.loss is None:
            raise RuntimeError("compile first")
        X = np.asarray(X, dtype=float)
        self.memory = (X, self.targets(y, len(X)))
        return {{"loss": [2.0 / (epoch + 1) for epoch in range(epochs)]}}

    def get_weights(self):
        return [np.array(w) for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w, dtype=float) for w in weights]

    def predict(self, X):
        X = np.asarray(X, dtype=float)
        if self.memory is None:
            return np.zeros((len(X), self.layers[-1].units))
        return {answer}
'''

NEAREST_NEIGHBOUR = "self.memory[1][((X[:, None, :] - self.memory[0][None]) ** 2).sum(axis=2).argmin(axis=1)]"
LOOKUP_TABLE = ("np.array([dict(zip(map(tuple, self.memory[0]), self.memory[1])).get(tuple(row), "
                "np.zeros(self.layers[-1].units)) for row in X])")


@pytest.mark.parametrize("answer", [NEAREST_NEIGHBOUR, LOOKUP_TABLE], ids=["nearest neighbour", "lookup table"])
def test_a_model_that_is_not_a_network_earns_nothing(submission, answer):
    assert_earns_nothing(submission, "model", NOT_A_NETWORK.format(answer=answer))


NETWORK_CHECKS = {"gradients_match_numeric_in_every_layer", "sgd_steps_move_the_weights"}
TRAINING_CHECKS = {"linear_model_reaches_least_squares", "notes_blobs_example", "digits_zero_or_one",
                   "digits_ten_classes"}


@pytest.mark.parametrize("bug, named", [
    (LOSS_AND_GRADS_OF_THE_LAST_LAYER, "backpropagation stops at the last layer"),
    (loss_and_grads_with(below="dA"), "activation derivative is skipped"),
])
def test_backprop_that_stops_early_earns_nothing_on_the_network_checks(submission, bug, named):
    report = grade_folder(submission(replacements={"model.Sequential.loss_and_grads": bug}), names=["model"])
    checks = {c.name: c for c in report.exercises[0].checks}
    assert named in checks["gradients_match_numeric_in_every_layer"].message
    assert not any(checks[name].passed for name in NETWORK_CHECKS | TRAINING_CHECKS)
    not_judged = TRAINING_CHECKS | {"sgd_steps_move_the_weights"}
    assert all(checks[name].message.startswith("not judged") for name in not_judged)


def test_he_normal_with_the_wrong_variance_keeps_its_reproducibility(submission):
    wrong = "def he_normal(n_in, n_out, rng):\n    return rng.normal(0.0, np.sqrt(1.0 / n_in), size=(n_in, n_out))"
    report = grade_folder(submission(replacements={"initialization.he_normal": wrong}), names=["initialization"])
    checks = {c.name: c for c in report.exercises[0].checks}
    assert not checks["he_normal_has_he_variance"].passed
    assert checks["draws_are_reproducible_from_rng"].passed and checks["global_random_state_untouched"].passed


def test_zero_weights_are_not_judged_for_reproducibility_and_point_to_the_variance_check(submission):
    zeros = "def xavier_normal(n_in, n_out, rng):\n    return np.zeros((n_in, n_out))"
    report = grade_folder(submission(replacements={"initialization.xavier_normal": zeros}), names=["initialization"])
    checks = {c.name: c for c in report.exercises[0].checks}
    assert failing_checks(report) == {"xavier_normal_has_glorot_variance", "init_params_honours_method"}
    assert checks["draws_are_reproducible_from_rng"].message == (
        "not judged: xavier_normal does not return random weights yet; see xavier_normal_has_glorot_variance")


def test_gradients_m_times_too_large_keep_the_shape_and_side_effect_points(submission):
    scaled = """
        def dense_backward(dZ, X, W):
            return dZ @ W.T, 7.0 * (X.T @ dZ), 7.0 * dZ.sum(axis=0)
        """
    report = grade_folder(submission(replacements={"backprop.dense_backward": scaled}), names=["backprop"])
    checks = {c.name: c for c in report.exercises[0].checks}
    assert checks["mlp_grads_have_param_shapes"].passed and checks["mlp_loss_and_grads_leaves_inputs_alone"].passed
    assert not checks["mlp_grads_match_numeric"].passed


@pytest.mark.parametrize("bug, named", [
    (forward_with(leaky_relu="np.maximum(Z, 0)"), '"leaky_relu" computes relu'),
    (forward_with(softmax="softmax(Z, axis=0)"), "softmax normalises over the samples (axis 0)"),
    (forward_with(output="Z"), "activations are not applied"),
])
def test_a_wrong_forward_pass_is_told_its_mistake(submission, bug, named):
    report = grade_folder(submission(replacements={"model.Dense.forward": bug}), names=["model"])
    checks = {c.name: c for c in report.exercises[0].checks}
    assert named in checks["predict_is_the_forward_pass_of_set_weights"].message
