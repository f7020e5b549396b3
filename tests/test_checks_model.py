"""Exercise 10, model.py: each realistic bug fails exactly the checks meant to catch it.

A bug is the reference with one or two methods replaced; the templates below are the
reference's methods with one hole each, so every bug differs from it in one idea only.
"""

import pytest

from conftest import assert_bug_fails_exactly, checks_no_bug_catches, failing_checks, grade_folder

FORWARD = '''
def forward(self, X):
    Z = dense_forward(X, self.W, self.b)
    if self.activation == "linear":
        A = Z
    elif self.activation == "softmax":
        A = {softmax}
    elif self.activation == "leaky_relu":
        A = {leaky_relu}
    else:
        A = HIDDEN_ACTIVATIONS[self.activation](Z)
    self.cache = (X, Z, A)
    return {output}
'''


def forward_with(softmax="softmax(Z, axis=1)", leaky_relu="HIDDEN_ACTIVATIONS['leaky_relu'](Z)", output="A"):
    return FORWARD.format(softmax=softmax, leaky_relu=leaky_relu, output=output)


ACTIVATION_BACKWARD = '''
def activation_backward(self, dA):
    _, Z, A = self.cache
    if self.activation == "linear":
        return dA
    if self.activation == "softmax":
        return {softmax}
    return dA * HIDDEN_ACTIVATION_GRADS[self.activation]({at})
'''


def activation_backward_with(softmax="A * (dA - np.sum(dA * A, axis=1, keepdims=True))", at="Z"):
    return ACTIVATION_BACKWARD.format(softmax=softmax, at=at)


LOSS_AND_OUTPUT_GRAD = '''
def loss_and_output_grad(self, A, y):
    m, K = A.shape
    last = self.layers[-1]
    if self.loss == "sparse_categorical_crossentropy":
        ints = np.asarray(y).astype(np.int64)
        if self.from_logits:
            return {scale} * softmax_cross_entropy_with_logits(ints, A), {scale} * softmax_cross_entropy_grad(ints, A)
        return {scale} * sparse_categorical_cross_entropy(ints, A), {scale} * (A - one_hot(ints, K)) / m
    Y = {targets}
    if self.loss == "mse":
        return {scale} * mean_squared_error(Y, A), last.activation_backward({scale} * {mse_grad})
    if self.from_logits:
        return {scale} * binary_cross_entropy_with_logits(Y, A), {scale} * (sigmoid(A) - Y) / Y.size
    return {scale} * binary_cross_entropy(Y, A), {scale} * (A - Y) / Y.size
'''


def loss_and_output_grad_with(scale="1", targets="np.asarray(y, dtype=np.float64).reshape(A.shape)",
                              mse_grad="mean_squared_error_grad(Y, A)"):
    return LOSS_AND_OUTPUT_GRAD.format(scale=scale, targets=targets, mse_grad=mse_grad)


LOSS_AND_GRADS = '''
def loss_and_grads(self, X, y):
    A = {forward}
    loss, dZ = self.loss_and_output_grad(A, y)
    grads = {{}}
    for i in range(len(self.layers), 0, -1):
        dA, grads[f"W{{i}}"], grads[f"b{{i}}"] = self.layers[i - 1].backward(dZ)
        if i > 1:
            dZ = {below}
    return loss, grads
'''


def loss_and_grads_with(forward="self.predict(X)", below="self.layers[i - 2].activation_backward(dA)"):
    return LOSS_AND_GRADS.format(forward=forward, below=below)


FIT = '''
def fit(self, X, y, epochs=1, batch_size=32, seed=0, verbose=False):
    if self.loss is None:
        raise RuntimeError("compile first")
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    rng = {rng}
    if {build_when}:
        self.build(X.shape[1], rng)
    history = []
    for epoch in range(epochs):
        total, count = 0.0, 0
        for X_batch, y_batch in {batches}:
            loss, grads = self.loss_and_grads(X_batch, y_batch)
            params = {params}
            {step}
            for i, layer in enumerate(self.layers, start=1):
                layer.W, layer.b = self.params[f"W{{i}}"], self.params[f"b{{i}}"]
            {accumulate}
        {record}
    return {{"loss": history}}
'''


def fit_with(rng="np.random.default_rng(seed)", build_when="not self.built",
             batches="iterate_minibatches(X, y, batch_size, rng)", params="self.params",
             step="self.optimizer.step(params, grads)",
             accumulate="total += loss * len(X_batch); count += 1", record="history.append(total / len(X))"):
    return FIT.format(rng=rng, build_when=build_when, batches=batches, params=params, step=step,
                      accumulate=accumulate, record=record)


STEP_PER_LAYER = ("for keys in zip(list(params)[::2], list(params)[1::2]): "
                  "self.optimizer.step({k: params[k] for k in keys}, {k: grads[k] for k in keys})")


PREDICT_PROBABILITIES = '''
def predict(self, X):
    A = self.forward(X)
    if self.from_logits:
        return softmax(A, axis=1) if A.shape[1] > 1 else sigmoid(A)
    return A

def forward(self, X):
    X = np.asarray(X, dtype=np.float64)
    if not self.built:
        self.build(X.shape[1], np.random.default_rng(0))
    for layer in self.layers:
        X = layer.forward(X)
    return X
'''

PREDICT_WITHOUT_ASARRAY = '''
def predict(self, X):
    if not self.built:
        self.build(X.shape[1], np.random.default_rng(0))
    A = X
    for layer in self.layers:
        A = layer.forward(A)
    return A
'''

COMPILE = '''
def compile(self, loss, optimizer, from_logits=False):
    {validate}
    self.loss = loss
    self.optimizer = optimizer
    self.from_logits = {from_logits}
'''


def compile_with(validate="if loss not in LOSSES: raise ValueError(loss)", from_logits="bool(from_logits)"):
    return COMPILE.format(validate=validate, from_logits=from_logits)


TINY_INIT = '''
def build(self, n_in, rng):
    self.W = 0.01 * rng.standard_normal((n_in, self.units))
    self.b = np.zeros(self.units)
'''

POSITIVE_INIT = '''
def build(self, n_in, rng):
    self.W = rng.random((n_in, self.units)) * np.sqrt(2.0 / n_in)
    self.b = np.zeros(self.units)
'''

PREDICT_ONE_ROW_FOR_ONE_SAMPLE = '''
def predict(self, X):
    X = np.asarray(X, dtype=np.float64)
    if not self.built:
        self.build(X.shape[1], np.random.default_rng(0))
    A = X
    for layer in self.layers:
        A = layer.forward(A)
    return A[0] if len(A) == 1 else A
'''

BACKWARD_EXTRA_MEAN = '''
def backward(self, dZ):
    X = self.cache[0]
    dX, dW, db = dense_backward(dZ, X, self.W)
    return dX, dW / len(X), db / len(X)
'''

LOSS_AND_GRADS_OF_THE_LAST_LAYER = '''
def loss_and_grads(self, X, y):
    A = self.predict(X)
    loss, dZ = self.loss_and_output_grad(A, y)
    grads = {}
    for i, layer in enumerate(self.layers, start=1):
        grads[f"W{i}"], grads[f"b{i}"] = np.zeros_like(layer.W), np.zeros_like(layer.b)
    last = len(self.layers)
    _, grads[f"W{last}"], grads[f"b{last}"] = self.layers[-1].backward(dZ)
    return loss, grads
'''

SET_WEIGHTS_UNCHECKED = '''
def set_weights(self, weights):
    for layer, W, b in zip(self.layers, weights[::2], weights[1::2]):
        layer.W, layer.b = np.array(W, dtype=float), np.array(b, dtype=float)
'''

# bug -> (target, code, [target, code, ...], the exact set of checks it fails)
BUGS = {
    # the forward pass
    "forward never applies the activation": (
        "model.Dense.forward", forward_with(output="Z"),
        {"predict_is_the_forward_pass_of_set_weights"}),
    "leaky_relu mapped to relu": (
        "model.Dense.forward", forward_with(leaky_relu="np.maximum(Z, 0)"),
        {"predict_is_the_forward_pass_of_set_weights"}),
    "softmax over axis 0": (
        "model.Dense.forward", forward_with(softmax="softmax(Z, axis=0)"),
        {"predict_is_the_forward_pass_of_set_weights"}),
    "softmax without the max shift": (
        "model.Dense.forward", forward_with(softmax="np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)"),
        {"large_inputs_stay_finite"}),
    "predict turns logits into probabilities": (
        "model.Sequential.predict", PREDICT_PROBABILITIES,
        "model.Sequential.loss_and_grads", loss_and_grads_with(forward="self.forward(X)"),
        {"one_layer_training_matches_reference", "sgd_steps_move_the_weights"}),
    "predict fails on a list of lists": (
        "model.Sequential.predict", PREDICT_WITHOUT_ASARRAY,
        {"predict_shape_and_input_size"}),
    "set_weights without checking the shapes": (
        "model.Sequential.set_weights", SET_WEIGHTS_UNCHECKED,
        {"weights_round_trip"}),
    # the backward pass
    "softmax derivative taken elementwise": (
        "model.Dense.activation_backward", activation_backward_with(softmax="dA * A * (1 - A)"),
        {"mse_gradients", "one_layer_training_matches_reference"}),
    "activation slope evaluated at A instead of Z": (
        "model.Dense.activation_backward", activation_backward_with(at="A"),
        {"gradients_match_numeric_in_every_layer", "mse_gradients", "one_layer_training_matches_reference"}),
    "hidden layers skip their activation's derivative": (
        "model.Sequential.loss_and_grads", loss_and_grads_with(below="dA"),
        {"gradients_match_numeric_in_every_layer"}),
    "backprop stops at the last layer": (
        "model.Sequential.loss_and_grads", LOSS_AND_GRADS_OF_THE_LAST_LAYER,
        {"gradients_match_numeric_in_every_layer"}),
    "dW and db divided by m again": (
        "model.Dense.backward", BACKWARD_EXTRA_MEAN,
        {"binary_cross_entropy_gradients", "gradients_match_numeric_in_every_layer", "mse_gradients",
         "one_layer_training_matches_reference", "softmax_cross_entropy_gradients"}),
    # compile and the losses
    "from_logits ignored": (
        "model.Sequential.compile", compile_with(from_logits="False"),
        {"binary_cross_entropy_gradients", "gradients_match_numeric_in_every_layer",
         "history_has_one_falling_loss_per_epoch", "one_layer_training_matches_reference",
         "one_optimizer_step_per_minibatch", "softmax_cross_entropy_gradients"}),
    "unknown loss accepted": (
        "model.Sequential.compile", compile_with(validate="pass"),
        {"unknown_loss_or_missing_compile_is_an_error"}),
    "binary targets of shape (m,) not reshaped": (
        "model.Sequential.loss_and_output_grad", loss_and_output_grad_with(targets="np.asarray(y, dtype=np.float64)"),
        {"binary_cross_entropy_gradients", "gradients_match_numeric_in_every_layer",
         "one_layer_training_matches_reference"}),
    "mse gradient without the factor 2": (
        "model.Sequential.loss_and_output_grad", loss_and_output_grad_with(mse_grad="(A - Y) / A.size"),
        {"gradients_match_numeric_in_every_layer", "mse_gradients", "one_layer_training_matches_reference"}),
    "loss summed over the batch": (
        "model.Sequential.loss_and_output_grad", loss_and_output_grad_with(scale="m"),
        {"binary_cross_entropy_gradients", "gradients_match_numeric_in_every_layer", "mse_gradients",
         "one_layer_training_matches_reference", "one_optimizer_step_per_minibatch",
         "softmax_cross_entropy_gradients"}),
    # fit
    "optimizer gets copies of the weights": (
        "model.Sequential.fit", fit_with(params="{k: v.copy() for k, v in self.params.items()}"),
        {"history_has_one_falling_loss_per_epoch", "one_layer_training_matches_reference",
         "sgd_steps_move_the_weights"}),
    "fit ignores its seed": (
        "model.Sequential.fit", fit_with(rng="np.random.default_rng()"),
        {"fit_is_reproducible"}),
    "fit draws from the global random state": (
        "model.Sequential.fit", fit_with(rng="np.random.seed(seed) or np.random.default_rng(np.random.randint(99))"),
        {"fit_is_reproducible"}),
    "fit rebuilds the weights every time": (
        "model.Sequential.fit", fit_with(build_when="True"),
        {"binary_cross_entropy_gradients", "gradients_match_numeric_in_every_layer",
         "history_has_one_falling_loss_per_epoch", "mse_gradients", "one_layer_training_matches_reference",
         "softmax_cross_entropy_gradients"}),
    "optimizer stepped once per layer": (
        "model.Sequential.fit", fit_with(step=STEP_PER_LAYER),
        {"gradients_match_numeric_in_every_layer"}),
    "fit drops the last smaller batch": (
        "model.Sequential.fit", fit_with(
            batches="(b for b in iterate_minibatches(X, y, batch_size, rng) if len(b[0]) == batch_size)",
            record="history.append(total / (count * batch_size))"),
        {"one_optimizer_step_per_minibatch"}),
    "epoch loss is the plain mean of the batch losses": (
        "model.Sequential.fit", fit_with(accumulate="total += loss; count += 1",
                                         record="history.append(total / count)"),
        {"one_optimizer_step_per_minibatch"}),
    "history holds one loss per batch": (
        "model.Sequential.fit", fit_with(accumulate="history.append(loss)", record="pass"),
        {"fit_is_reproducible", "history_has_one_falling_loss_per_epoch", "one_optimizer_step_per_minibatch",
         "sgd_steps_move_the_weights"}),
    "X and y shuffled separately": (
        "model.Sequential.fit", fit_with(
            batches="iterate_minibatches(X[rng.permutation(len(X))], y[rng.permutation(len(y))], batch_size)"),
        {"binary_cross_entropy_gradients", "gradients_match_numeric_in_every_layer", "mse_gradients",
         "one_layer_training_matches_reference", "one_optimizer_step_per_minibatch",
         "softmax_cross_entropy_gradients"}),
    "fit caps batch_size at Keras's default 32": (
        "model.Sequential.fit", fit_with(batches="iterate_minibatches(X, y, min(batch_size, 32), rng)"),
        {"linear_model_reaches_least_squares"}),
    "predict returns a single row for a single sample": (
        "model.Sequential.predict", PREDICT_ONE_ROW_FOR_ONE_SAMPLE,
        {"notes_blobs_example"}),
    # initialisation
    "weights initialised with std 0.01": (
        "model.Dense.build", TINY_INIT,
        {"digits_ten_classes"}),
    "weights drawn from rng.random, never negative": (
        "model.Dense.build", POSITIVE_INIT,
        {"digits_zero_or_one"}),
}


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_bug_fails_exactly_its_checks(bug, submission):
    *replacements, expected = BUGS[bug]
    assert_bug_fails_exactly(submission, dict(zip(replacements[::2], replacements[1::2])), expected)


def test_every_model_check_is_caught_by_a_bug():
    assert not checks_no_bug_catches(BUGS, ["model"])


def test_templates_without_a_hole_are_the_reference(submission):
    """The templates filled with the reference's own code grade 100%: the bugs differ in one idea only."""
    replacements = {
        "model.Dense.forward": forward_with(),
        "model.Dense.activation_backward": activation_backward_with(),
        "model.Sequential.loss_and_output_grad": loss_and_output_grad_with(),
        "model.Sequential.loss_and_grads": loss_and_grads_with(),
        "model.Sequential.fit": fit_with(),
        "model.Sequential.compile": compile_with(),
    }
    report = grade_folder(submission(replacements=replacements), names=["model"])
    assert failing_checks(report) == set()
    assert all(check.passed for check in report.exercises[0].checks)


GLOROT_UNIFORM_INIT = '''
def build(self, n_in, rng):
    limit = np.sqrt(6.0 / (n_in + self.units))
    self.W = rng.uniform(-limit, limit, size=(n_in, self.units))
    self.b = np.zeros(self.units)
'''

CHAIN_RULE_THROUGH_THE_OUTPUT = '''
def loss_and_output_grad(self, A, y):
    m, K = A.shape
    last = self.layers[-1]
    if self.loss == "sparse_categorical_crossentropy":
        ints = np.asarray(y).astype(np.int64)
        if self.from_logits:
            return softmax_cross_entropy_with_logits(ints, A), softmax_cross_entropy_grad(ints, A)
        P = np.clip(A, 1e-7, 1 - 1e-7)
        dA = -one_hot(ints, K) / (m * P)
        return float(np.mean(-np.log(P[np.arange(m), ints]))), last.activation_backward(dA)
    Y = np.asarray(y, dtype=np.float64).reshape(A.shape)
    if self.loss == "mse":
        return mean_squared_error(Y, A), last.activation_backward(mean_squared_error_grad(Y, A))
    if self.from_logits:
        return binary_cross_entropy_with_logits(Y, A), last.activation_backward((sigmoid(A) - Y) / Y.size)
    P = np.clip(A, 1e-7, 1 - 1e-7)
    loss = float(np.mean(-Y * np.log(P) - (1 - Y) * np.log(1 - P)))
    return loss, last.activation_backward((P - Y) / (P * (1 - P)) / Y.size)
'''

# other correct implementations: other draws, no shuffling, Keras's eps and the plain chain rule
CORRECT_VARIANTS = {
    "Glorot-uniform initialisation": {"model.Dense.build": GLOROT_UNIFORM_INIT},
    "no shuffling": {"model.Sequential.fit": fit_with(batches="iterate_minibatches(X, y, batch_size)")},
    "chain rule through the output activation": {
        "model.Sequential.loss_and_output_grad": CHAIN_RULE_THROUGH_THE_OUTPUT},
}


@pytest.mark.parametrize("variant", sorted(CORRECT_VARIANTS))
@pytest.mark.parametrize("seed", [0, 1])
def test_other_correct_implementations_pass(variant, seed, submission):
    report = grade_folder(submission(replacements=CORRECT_VARIANTS[variant]), names=["model"], seed=seed)
    assert failing_checks(report) == set()
    assert all(check.passed for check in report.exercises[0].checks)
