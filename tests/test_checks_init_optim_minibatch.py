"""Exercises 7-9: each realistic bug fails exactly the checks meant to catch it."""

import pytest

from conftest import assert_bug_fails_exactly, checks_no_bug_catches, failing_checks, grade_folder

SHUFFLES_ITSELF = """
def train_mlp(params, X, y, optimizer, epochs, batch_size, rng, hidden_activation="relu"):
    m, history = len(y), []
    for _ in range(epochs):
        order = rng.permutation(m)          # its own draws, in its own order: still correct
        total = 0.0
        for start in range(0, m, batch_size):
            rows = order[start:start + batch_size]
            loss, grads = mlp_loss_and_grads(params, X[rows], y[rows], hidden_activation)
            optimizer.step(params, grads)
            total += loss * len(rows)
        history.append(total / m)
    return history
"""

ENDLESS = """
def iterate_minibatches(X, y, batch_size, rng=None):
    while True:
        for start in range(0, X.shape[0], batch_size):
            yield X[start:start + batch_size], y[start:start + batch_size]
"""

BUGS = {
    # initialization
    "xavier with the notes' LeCun scaling": (
        "initialization.xavier_normal", """
        def xavier_normal(n_in, n_out, rng):
            return rng.normal(0.0, 1.0, size=(n_in, n_out)) * np.sqrt(1.0 / n_in)
        """, {"xavier_normal_has_glorot_variance", "init_params_honours_method"}),
    "xavier with the variance as scale": (
        "initialization.xavier_normal", """
        def xavier_normal(n_in, n_out, rng):
            return rng.normal(0.0, 2.0 / (n_in + n_out), size=(n_in, n_out))
        """, {"xavier_normal_has_glorot_variance", "init_params_honours_method"}),
    "xavier uniform instead of normal": (
        "initialization.xavier_normal", """
        def xavier_normal(n_in, n_out, rng):
            limit = np.sqrt(6.0 / (n_in + n_out))
            return rng.uniform(-limit, limit, size=(n_in, n_out))
        """, {"xavier_normal_has_glorot_variance", "init_params_honours_method"}),
    "xavier with n_in * n_out": (
        "initialization.xavier_normal", """
        def xavier_normal(n_in, n_out, rng):
            return rng.normal(0.0, np.sqrt(2.0 / (n_in * n_out)), size=(n_in, n_out))
        """, {"xavier_normal_has_glorot_variance", "init_params_honours_method"}),
    "he with the fan-out": (
        "initialization.he_normal", """
        def he_normal(n_in, n_out, rng):
            return rng.normal(0.0, np.sqrt(2.0 / n_out), size=(n_in, n_out))
        """, {"he_normal_has_he_variance", "init_params_honours_method"}),
    "he with a transposed shape": (
        "initialization.he_normal", """
        def he_normal(n_in, n_out, rng):
            return rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_out, n_in))
        """, {"he_normal_has_he_variance", "init_params_keys_and_shapes", "init_params_honours_method"}),
    "he squeezing its weights (a 1 x 1 layer becomes one number)": (
        "initialization.he_normal", """
        def he_normal(n_in, n_out, rng):
            return rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out)).squeeze()
        """, {"init_params_matches_reference_structure"}),
    "he from np.random.randn": (
        "initialization.he_normal", """
        def he_normal(n_in, n_out, rng):
            return np.random.randn(n_in, n_out) * np.sqrt(2.0 / n_in)
        """, {"draws_are_reproducible_from_rng"}),
    "xavier from a fresh unseeded Generator": (
        "initialization.xavier_normal", """
        def xavier_normal(n_in, n_out, rng):
            return np.random.default_rng().normal(0.0, np.sqrt(2.0 / (n_in + n_out)), size=(n_in, n_out))
        """, {"draws_are_reproducible_from_rng"}),
    "he from a Generator with a fixed seed": (
        "initialization.he_normal", """
        def he_normal(n_in, n_out, rng):
            rng = np.random.default_rng(42)
            return rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))
        """, {"draws_are_reproducible_from_rng"}),
    "init_params seeding the global state": (
        "initialization.init_params", """
        def init_params(layer_sizes, rng, method="he"):
            np.random.seed(0)
            draw = {"he": he_normal, "xavier": xavier_normal}[method] if method in ("he", "xavier") else None
            if draw is None:
                raise ValueError(method)
            params = {}
            for l in range(1, len(layer_sizes)):
                params[f"W{l}"] = draw(layer_sizes[l - 1], layer_sizes[l], rng)
                params[f"b{l}"] = np.zeros(layer_sizes[l])
            return params
        """, {"global_random_state_untouched"}),
    "init_params with biases of shape (1, n)": (
        "initialization.init_params", """
        def init_params(layer_sizes, rng, method="he"):
            if method not in ("he", "xavier"):
                raise ValueError(method)
            draw = he_normal if method == "he" else xavier_normal
            params = {}
            for l in range(1, len(layer_sizes)):
                params[f"W{l}"] = draw(layer_sizes[l - 1], layer_sizes[l], rng)
                params[f"b{l}"] = np.zeros((1, layer_sizes[l]))
            return params
        """, {"init_params_keys_and_shapes"}),
    "init_params dropping the last layer": (
        "initialization.init_params", """
        def init_params(layer_sizes, rng, method="he"):
            if method not in ("he", "xavier"):
                raise ValueError(method)
            draw = he_normal if method == "he" else xavier_normal
            params = {}
            for l in range(1, len(layer_sizes) - 1):
                params[f"W{l}"] = draw(layer_sizes[l - 1], layer_sizes[l], rng)
                params[f"b{l}"] = np.zeros(layer_sizes[l])
            return params
        """, {"init_params_keys_and_shapes", "init_params_honours_method"}),
    "init_params ignoring method": (
        "initialization.init_params", """
        def init_params(layer_sizes, rng, method="he"):
            params = {}
            for l in range(1, len(layer_sizes)):
                params[f"W{l}"] = he_normal(layer_sizes[l - 1], layer_sizes[l], rng)
                params[f"b{l}"] = np.zeros(layer_sizes[l])
            return params
        """, {"init_params_honours_method", "init_params_rejects_unknown_method"}),
    "init_params falling back to xavier for any other method": (
        "initialization.init_params", """
        def init_params(layer_sizes, rng, method="he"):
            draw = he_normal if method == "he" else xavier_normal
            params = {}
            for l in range(1, len(layer_sizes)):
                params[f"W{l}"] = draw(layer_sizes[l - 1], layer_sizes[l], rng)
                params[f"b{l}"] = np.zeros(layer_sizes[l])
            return params
        """, {"init_params_rejects_unknown_method"}),
    "init_params raising KeyError for an unknown method": (
        "initialization.init_params", """
        def init_params(layer_sizes, rng, method="he"):
            draw = {"he": he_normal, "xavier": xavier_normal}[method]
            params = {}
            for l in range(1, len(layer_sizes)):
                params[f"W{l}"] = draw(layer_sizes[l - 1], layer_sizes[l], rng)
                params[f"b{l}"] = np.zeros(layer_sizes[l])
            return params
        """, {"init_params_rejects_unknown_method"}),
    # optimizers
    "sgd_step rebinding instead of updating in place": (
        "optimizers.sgd_step", """
        def sgd_step(params, grads, lr):
            for key in grads:
                params[key] = params[key] - lr * grads[key]
        """, {"sgd_step_updates_in_place"}),
    "sgd_step climbing the gradient": (
        "optimizers.sgd_step", """
        def sgd_step(params, grads, lr):
            for key in grads:
                params[key] += lr * grads[key]
        """, {"sgd_step_subtracts_lr_times_grad", "sgd_step_updates_in_place", "optimizers_match_reference"}),
    "sgd_step ignoring lr": (
        "optimizers.sgd_step", """
        def sgd_step(params, grads, lr):
            for key in grads:
                params[key] -= grads[key]
        """, {"sgd_step_subtracts_lr_times_grad", "sgd_step_updates_in_place", "optimizers_match_reference"}),
    "sgd_step returning params": (
        "optimizers.sgd_step", """
        def sgd_step(params, grads, lr):
            for key in grads:
                params[key] -= lr * grads[key]
            return params
        """, {"sgd_step_updates_in_place"}),
    "Adam.step rebinding instead of updating in place": (
        "optimizers.Adam.step", """
        def step(self, params, grads):
            self.t += 1
            for key, grad in grads.items():
                m = self.m.get(key, 0.0)
                v = self.v.get(key, 0.0)
                self.m[key] = m = self.beta1 * m + (1 - self.beta1) * grad
                self.v[key] = v = self.beta2 * v + (1 - self.beta2) * grad ** 2
                m_hat = m / (1 - self.beta1 ** self.t)
                v_hat = v / (1 - self.beta2 ** self.t)
                params[key] = params[key] - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
        """, {"adam_step_updates_in_place"}),
    "Adam counting t once per key": (
        "optimizers.Adam.step", """
        def step(self, params, grads):
            for key, grad in grads.items():
                self.t += 1
                m = self.m.get(key, 0.0)
                v = self.v.get(key, 0.0)
                self.m[key] = m = self.beta1 * m + (1 - self.beta1) * grad
                self.v[key] = v = self.beta2 * v + (1 - self.beta2) * grad ** 2
                m_hat = m / (1 - self.beta1 ** self.t)
                v_hat = v / (1 - self.beta2 ** self.t)
                params[key] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
        """, {"adam_one_time_step_per_call", "optimizers_match_reference"}),
    "Adam without bias correction": (
        "optimizers.Adam.step", """
        def step(self, params, grads):
            for key, grad in grads.items():
                m = self.m.get(key, 0.0)
                v = self.v.get(key, 0.0)
                self.m[key] = m = self.beta1 * m + (1 - self.beta1) * grad
                self.v[key] = v = self.beta2 * v + (1 - self.beta2) * grad ** 2
                params[key] -= self.lr * m / (np.sqrt(v) + self.eps)
        """, {"adam_first_step_moves_by_lr", "adam_one_time_step_per_call", "adam_trajectory_matches_formulas",
              "optimizers_match_reference"}),
    "Adam with t fixed at 1": (
        "optimizers.Adam.step", """
        def step(self, params, grads):
            t = 1
            for key, grad in grads.items():
                m = self.m.get(key, 0.0)
                v = self.v.get(key, 0.0)
                self.m[key] = m = self.beta1 * m + (1 - self.beta1) * grad
                self.v[key] = v = self.beta2 * v + (1 - self.beta2) * grad ** 2
                m_hat = m / (1 - self.beta1 ** t)
                v_hat = v / (1 - self.beta2 ** t)
                params[key] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
        """, {"adam_one_time_step_per_call", "adam_trajectory_matches_formulas", "optimizers_match_reference"}),
    "Adam with eps inside the square root": (
        "optimizers.Adam.step", """
        def step(self, params, grads):
            self.t += 1
            for key, grad in grads.items():
                m = self.m.get(key, 0.0)
                v = self.v.get(key, 0.0)
                self.m[key] = m = self.beta1 * m + (1 - self.beta1) * grad
                self.v[key] = v = self.beta2 * v + (1 - self.beta2) * grad ** 2
                m_hat = m / (1 - self.beta1 ** self.t)
                v_hat = v / (1 - self.beta2 ** self.t)
                params[key] -= self.lr * m_hat / np.sqrt(v_hat + self.eps)
        """, {"adam_first_step_moves_by_lr", "adam_trajectory_matches_formulas", "optimizers_match_reference"}),
    "Adam with hard-coded betas": (
        "optimizers.Adam.step", """
        def step(self, params, grads):
            self.t += 1
            for key, grad in grads.items():
                m = self.m.get(key, 0.0)
                v = self.v.get(key, 0.0)
                self.m[key] = m = 0.9 * m + 0.1 * grad
                self.v[key] = v = 0.999 * v + 0.001 * grad ** 2
                m_hat = m / (1 - 0.9 ** self.t)
                v_hat = v / (1 - 0.999 ** self.t)
                params[key] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
        """, {"adam_trajectory_matches_formulas", "optimizers_match_reference"}),
    "Adam with one m and v shared by every key": (
        "optimizers.Adam.step", """
        def step(self, params, grads):
            self.t += 1
            for key, grad in grads.items():
                previous_m = self.m if isinstance(self.m, np.ndarray) else 0.0
                previous_v = self.v if isinstance(self.v, np.ndarray) else 0.0
                self.m = self.beta1 * previous_m + (1 - self.beta1) * grad
                self.v = self.beta2 * previous_v + (1 - self.beta2) * grad ** 2
                m_hat = self.m / (1 - self.beta1 ** self.t)
                v_hat = self.v / (1 - self.beta2 ** self.t)
                params[key] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
        """, {"adam_step_updates_in_place", "adam_one_time_step_per_call", "optimizers_match_reference"}),
    "Adam ignoring its lr": (
        "optimizers.Adam.step", """
        def step(self, params, grads):
            self.t += 1
            for key, grad in grads.items():
                m = self.m.get(key, 0.0)
                v = self.v.get(key, 0.0)
                self.m[key] = m = self.beta1 * m + (1 - self.beta1) * grad
                self.v[key] = v = self.beta2 * v + (1 - self.beta2) * grad ** 2
                m_hat = m / (1 - self.beta1 ** self.t)
                v_hat = v / (1 - self.beta2 ** self.t)
                params[key] -= 1e-3 * m_hat / (np.sqrt(v_hat) + self.eps)
        """, {"adam_first_step_moves_by_lr", "adam_one_time_step_per_call", "adam_trajectory_matches_formulas",
              "adam_beats_sgd_on_ill_conditioned_quadratic", "optimizers_match_reference"}),
    # minibatch
    "dropping the last, smaller batch": (
        "minibatch.iterate_minibatches", """
        def iterate_minibatches(X, y, batch_size, rng=None):
            m = X.shape[0]
            order = np.arange(m) if rng is None else rng.permutation(m)
            for start in range(0, m - batch_size + 1, batch_size):
                idx = order[start:start + batch_size]
                yield X[idx], y[idx]
        """, {"every_sample_once_last_batch_kept", "epoch_loss_weights_batches_by_size", "one_step_per_batch",
              "minibatch_matches_reference"}),
    "shuffling X and y with separate permutations": (
        "minibatch.iterate_minibatches", """
        def iterate_minibatches(X, y, batch_size, rng=None):
            m = X.shape[0]
            if rng is not None:
                X, y = X[rng.permutation(m)], y[rng.permutation(m)]
            for start in range(0, m, batch_size):
                yield X[start:start + batch_size], y[start:start + batch_size]
        """, {"x_and_y_stay_paired", "epoch_loss_is_the_mean_loss", "epoch_loss_weights_batches_by_size",
              "one_step_per_batch", "honours_hidden_activation", "learns_the_blobs",
              "minibatch_matches_reference"}),
    "shuffling the caller's arrays in place": (
        "minibatch.iterate_minibatches", """
        def iterate_minibatches(X, y, batch_size, rng=None):
            m = X.shape[0]
            if rng is not None:
                order = rng.permutation(m)
                X[:] = X[order]
                y[:] = y[order]
            for start in range(0, m, batch_size):
                yield X[start:start + batch_size], y[start:start + batch_size]
        """, {"inputs_unmodified"}),
    "never shuffling": (
        "minibatch.iterate_minibatches", """
        def iterate_minibatches(X, y, batch_size, rng=None):
            for start in range(0, X.shape[0], batch_size):
                yield X[start:start + batch_size], y[start:start + batch_size]
        """, {"shuffles_reproducibly_with_rng"}),
    "shuffling with the global random state": (
        "minibatch.iterate_minibatches", """
        def iterate_minibatches(X, y, batch_size, rng=None):
            m = X.shape[0]
            order = np.arange(m) if rng is None else np.random.permutation(m)
            for start in range(0, m, batch_size):
                idx = order[start:start + batch_size]
                yield X[idx], y[idx]
        """, {"shuffles_reproducibly_with_rng"}),
    "shuffling even without an rng": (
        "minibatch.iterate_minibatches", """
        def iterate_minibatches(X, y, batch_size, rng=None):
            m = X.shape[0]
            order = (rng or np.random.default_rng()).permutation(m)
            for start in range(0, m, batch_size):
                idx = order[start:start + batch_size]
                yield X[idx], y[idx]
        """, {"order_kept_without_rng", "minibatch_matches_reference"}),
    "epoch loss as the plain mean of the batch losses": (
        "minibatch.train_mlp", """
        def train_mlp(params, X, y, optimizer, epochs, batch_size, rng, hidden_activation="relu"):
            history = []
            for _ in range(epochs):
                losses = []
                for X_b, y_b in iterate_minibatches(X, y, batch_size, rng):
                    loss, grads = mlp_loss_and_grads(params, X_b, y_b, hidden_activation)
                    optimizer.step(params, grads)
                    losses.append(loss)
                history.append(float(np.mean(losses)))
            return history
        """, {"epoch_loss_weights_batches_by_size"}),
    "epoch loss as the sum of the batch losses": (
        "minibatch.train_mlp", """
        def train_mlp(params, X, y, optimizer, epochs, batch_size, rng, hidden_activation="relu"):
            history = []
            for _ in range(epochs):
                total = 0.0
                for X_b, y_b in iterate_minibatches(X, y, batch_size, rng):
                    loss, grads = mlp_loss_and_grads(params, X_b, y_b, hidden_activation)
                    optimizer.step(params, grads)
                    total += loss
                history.append(total)
            return history
        """, {"epoch_loss_is_the_mean_loss", "epoch_loss_weights_batches_by_size", "honours_hidden_activation"}),
    "train_mlp returning the last loss only": (
        "minibatch.train_mlp", """
        def train_mlp(params, X, y, optimizer, epochs, batch_size, rng, hidden_activation="relu"):
            for _ in range(epochs):
                for X_b, y_b in iterate_minibatches(X, y, batch_size, rng):
                    loss, grads = mlp_loss_and_grads(params, X_b, y_b, hidden_activation)
                    optimizer.step(params, grads)
            return loss
        """, {"epoch_loss_is_the_mean_loss", "epoch_loss_weights_batches_by_size", "one_step_per_batch",
              "honours_hidden_activation", "trains_params_in_place", "learns_the_blobs",
              "minibatch_matches_reference"}),
    "one optimizer step per epoch": (
        "minibatch.train_mlp", """
        def train_mlp(params, X, y, optimizer, epochs, batch_size, rng, hidden_activation="relu"):
            history = []
            for _ in range(epochs):
                total = 0.0
                for X_b, y_b in iterate_minibatches(X, y, batch_size, rng):
                    loss, grads = mlp_loss_and_grads(params, X_b, y_b, hidden_activation)
                    total += loss * len(y_b)
                optimizer.step(params, grads)
                history.append(total / len(y))
            return history
        """, {"one_step_per_batch", "learns_the_blobs"}),
    "gradients of the whole data set at every step": (
        "minibatch.train_mlp", """
        def train_mlp(params, X, y, optimizer, epochs, batch_size, rng, hidden_activation="relu"):
            history = []
            for _ in range(epochs):
                total = 0.0
                for X_b, y_b in iterate_minibatches(X, y, batch_size, rng):
                    loss, _ = mlp_loss_and_grads(params, X_b, y_b, hidden_activation)
                    _, grads = mlp_loss_and_grads(params, X, y, hidden_activation)
                    optimizer.step(params, grads)
                    total += loss * len(y_b)
                history.append(total / len(y))
            return history
        """, {"one_step_per_batch"}),
    "hidden_activation not passed on": (
        "minibatch.train_mlp", """
        def train_mlp(params, X, y, optimizer, epochs, batch_size, rng, hidden_activation="relu"):
            history = []
            for _ in range(epochs):
                total = 0.0
                for X_b, y_b in iterate_minibatches(X, y, batch_size, rng):
                    loss, grads = mlp_loss_and_grads(params, X_b, y_b)
                    optimizer.step(params, grads)
                    total += loss * len(y_b)
                history.append(total / len(y))
            return history
        """, {"honours_hidden_activation", "minibatch_matches_reference"}),
    "training a copy of params": (
        "minibatch.train_mlp", """
        def train_mlp(params, X, y, optimizer, epochs, batch_size, rng, hidden_activation="relu"):
            params = {key: value.copy() for key, value in params.items()}
            history = []
            for _ in range(epochs):
                total = 0.0
                for X_b, y_b in iterate_minibatches(X, y, batch_size, rng):
                    loss, grads = mlp_loss_and_grads(params, X_b, y_b, hidden_activation)
                    optimizer.step(params, grads)
                    total += loss * len(y_b)
                history.append(total / len(y))
            return history
        """, {"trains_params_in_place", "learns_the_blobs", "minibatch_matches_reference"}),
}

NAMES = ("initialization", "optimizers", "minibatch")


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_bug_fails_exactly_its_checks(bug, submission):
    target, code, expected = BUGS[bug]
    assert_bug_fails_exactly(submission, {target: code}, expected)


def test_a_correct_train_mlp_that_draws_its_own_permutation_gets_full_marks(submission):
    report = grade_folder(submission(replacements={"minibatch.train_mlp": SHUFFLES_ITSELF}), names=["minibatch"])
    assert report.exercises[0].status == "passed", failing_checks(report)


def test_an_endless_iterator_fails_fast_instead_of_timing_out(submission):
    report = grade_folder(submission(replacements={"minibatch.iterate_minibatches": ENDLESS}),
                          names=["minibatch"], timeout=8)
    check = next(c for c in report.exercises[0].checks if c.name == "every_sample_once_last_batch_kept")
    assert check.ran and not check.passed and "timed out" not in check.message


def test_an_iterator_that_returns_none_is_told_so(submission):
    """A body of `pass` returns None: the message says so, with no traceback of the grader."""
    empty = "def iterate_minibatches(X, y, batch_size, rng=None):\n    pass"
    report = grade_folder(submission(replacements={"minibatch.iterate_minibatches": empty}), names=["minibatch"])
    check = next(c for c in report.exercises[0].checks if c.name == "every_sample_once_last_batch_kept")
    assert "returned None" in check.message and "missing `return`" in check.message
    assert "_engine" not in check.message and "TypeError" not in check.message


def test_every_check_of_these_exercises_is_caught_by_a_bug():
    assert not checks_no_bug_catches(BUGS, NAMES)


def test_reference_passes_and_stubs_are_not_started(submission):
    from conftest import ROOT
    report = grade_folder(submission(), names=list(NAMES))
    assert [e.status for e in report.exercises] == ["passed"] * 3
    stubs = grade_folder(ROOT / "exercises", names=list(NAMES))
    assert [e.status for e in stubs.exercises] == ["not_started"] * 3
