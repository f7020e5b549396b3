"""Exercises 4-6: each realistic bug fails exactly the checks meant to catch it."""

import pytest

from conftest import assert_bug_fails_exactly, checks_no_bug_catches, grade_folder

TRAINING = {"train_logistic_is_gradient_descent", "train_logistic_separates_blobs", "train_logistic_reads_digits"}
MLP_GRADS = {"mlp_grads_match_numeric", "mlp_grads_for_every_activation", "mlp_grads_for_any_depth"}

BUGS = {
    # logistic
    "predict_proba with the notes' sign typo": (
        "logistic.predict_proba", "def predict_proba(X, w, b):\n    return 1 / (1 + np.exp(X @ w + b))",
        {"predict_proba_known_value", "predict_proba_one_probability_per_row", "logistic_matches_reference"}),
    "predict_proba without the bias": (
        "logistic.predict_proba", "def predict_proba(X, w, b):\n    return sigmoid(X @ w)",
        {"predict_proba_known_value", "predict_proba_one_probability_per_row", "logistic_matches_reference"}),
    "predict_proba with a column of weights": (
        "logistic.predict_proba", "def predict_proba(X, w, b):\n    return sigmoid(X @ w.reshape(-1, 1) + b)",
        {"predict_proba_known_value", "predict_proba_one_probability_per_row", "logistic_matches_reference"}),
    "logistic loss summed over samples": (
        "logistic.logistic_loss_and_grads", """
        def logistic_loss_and_grads(X, y, w, b):
            z = X @ w + b
            loss = binary_cross_entropy_with_logits(y, z) * len(y)
            dz = (sigmoid(z) - y) / len(y)
            return loss, X.T @ dz, float(np.sum(dz))
        """, {"logistic_loss_is_mean_cross_entropy", "logistic_dw_matches_numeric", "logistic_db_matches_numeric",
              "logistic_matches_reference"}),
    "logistic gradients without 1/m": (
        "logistic.logistic_loss_and_grads", """
        def logistic_loss_and_grads(X, y, w, b):
            z = X @ w + b
            dz = sigmoid(z) - y
            return binary_cross_entropy_with_logits(y, z), X.T @ dz, float(np.sum(dz))
        """, {"logistic_dw_matches_numeric", "logistic_db_matches_numeric", "train_logistic_is_gradient_descent",
              "logistic_matches_reference"}),
    "logistic db differentiated by w, as in the notes": (
        "logistic.logistic_loss_and_grads", """
        def logistic_loss_and_grads(X, y, w, b):
            z = X @ w + b
            dz = (sigmoid(z) - y) / len(y)
            dw = X.T @ dz
            return binary_cross_entropy_with_logits(y, z), dw, float(np.sum(dw))
        """, {"logistic_db_matches_numeric", "train_logistic_is_gradient_descent", "logistic_matches_reference"}),
    "logistic db returned as the weight gradient": (
        "logistic.logistic_loss_and_grads", """
        def logistic_loss_and_grads(X, y, w, b):
            z = X @ w + b
            dz = (sigmoid(z) - y) / len(y)
            return binary_cross_entropy_with_logits(y, z), X.T @ dz, X.T @ dz
        """, {"logistic_db_matches_numeric", "logistic_matches_reference"} | TRAINING),
    "logistic model with the notes' sign typo": (
        "logistic.logistic_loss_and_grads", """
        def logistic_loss_and_grads(X, y, w, b):
            p = 1 / (1 + np.exp(X @ w + b))
            loss = float(np.mean(-y * np.log(p) - (1 - y) * np.log(1 - p)))
            dz = (p - y) / len(y)
            return loss, X.T @ dz, float(np.sum(dz))
        """, {"logistic_loss_is_mean_cross_entropy", "logistic_dw_matches_numeric", "logistic_db_matches_numeric",
              "train_logistic_is_gradient_descent", "train_logistic_separates_blobs", "logistic_matches_reference"}),
    "train_logistic climbing the gradient": (
        "logistic.train_logistic", """
        def train_logistic(X, y, lr=0.1, epochs=1000):
            w, b = np.zeros(X.shape[1]), 0.0
            for _ in range(epochs):
                _, dw, db = logistic_loss_and_grads(X, y, w, b)
                w, b = w + lr * dw, b + lr * db
            return w, b
        """, {"logistic_matches_reference"} | TRAINING),
    "train_logistic from random weights": (
        "logistic.train_logistic", """
        def train_logistic(X, y, lr=0.1, epochs=1000):
            w, b = np.random.randn(X.shape[1]) * 0.01, 0.0
            for _ in range(epochs):
                _, dw, db = logistic_loss_and_grads(X, y, w, b)
                w, b = w - lr * dw, b - lr * db
            return w, b
        """, {"train_logistic_is_gradient_descent", "logistic_matches_reference"}),
    "train_logistic stepping b with the gradient after w moved": (
        "logistic.train_logistic", """
        def train_logistic(X, y, lr=0.1, epochs=1000):
            w, b = np.zeros(X.shape[1]), 0.0
            for _ in range(epochs):
                w = w - lr * logistic_loss_and_grads(X, y, w, b)[1]
                b = b - lr * logistic_loss_and_grads(X, y, w, b)[2]
            return w, b
        """, {"train_logistic_is_gradient_descent", "logistic_matches_reference"}),
    "train_logistic with a fixed number of epochs": (
        "logistic.train_logistic", """
        def train_logistic(X, y, lr=0.1, epochs=1000):
            w, b = np.zeros(X.shape[1]), 0.0
            for _ in range(1000):
                _, dw, db = logistic_loss_and_grads(X, y, w, b)
                w, b = w - lr * dw, b - lr * db
            return w, b
        """, {"logistic_matches_reference"} | TRAINING),
    "train_logistic with a fixed learning rate": (
        "logistic.train_logistic", """
        def train_logistic(X, y, lr=0.1, epochs=1000):
            w, b = np.zeros(X.shape[1]), 0.0
            for _ in range(epochs):
                _, dw, db = logistic_loss_and_grads(X, y, w, b)
                w, b = w - 0.1 * dw, b - 0.1 * db
            return w, b
        """, {"train_logistic_is_gradient_descent", "logistic_matches_reference"}),
    "train_logistic that never updates the bias": (
        "logistic.train_logistic", """
        def train_logistic(X, y, lr=0.1, epochs=1000):
            w, b = np.zeros(X.shape[1]), 0.0
            for _ in range(epochs):
                _, dw, db = logistic_loss_and_grads(X, y, w, b)
                w = w - lr * dw
            return w, b
        """, {"train_logistic_is_gradient_descent", "logistic_matches_reference"}),
    # forward
    "dense_forward without the bias": (
        "forward.dense_forward", "def dense_forward(X, W, b):\n    return X @ W",
        {"dense_forward_is_affine", "mlp_forward_computes_logits", "mlp_forward_honours_hidden_activation",
         "mlp_predict_takes_argmax_per_row", "forward_matches_reference"}),
    "dense_forward in the notes' column-major form": (
        "forward.dense_forward", "def dense_forward(X, W, b):\n    return W.T @ X.T + b[:, None]",
        {"dense_forward_is_affine", "mlp_forward_shapes_for_any_depth", "mlp_forward_computes_logits",
         "mlp_forward_honours_hidden_activation", "mlp_forward_rejects_unknown_activation",
         "mlp_forward_leaves_inputs_alone", "mlp_predict_takes_argmax_per_row", "forward_matches_reference"}),
    "mlp_forward activating the last layer too": (
        "forward.mlp_forward", """
        def mlp_forward(X, params, hidden_activation="relu"):
            g = HIDDEN_ACTIVATIONS[hidden_activation]
            A, cache = X, []
            for l in range(1, len(params) // 2 + 1):
                Z = dense_forward(A, params[f"W{l}"], params[f"b{l}"])
                cache.append((A, Z))
                A = g(Z)
            return A, cache
        """, {"mlp_forward_computes_logits", "mlp_forward_honours_hidden_activation", "forward_matches_reference"}),
    "mlp_forward returning softmax probabilities": (
        "forward.mlp_forward", """
        def mlp_forward(X, params, hidden_activation="relu"):
            g = HIDDEN_ACTIVATIONS[hidden_activation]
            A, cache = X, []
            L = len(params) // 2
            for l in range(1, L + 1):
                Z = dense_forward(A, params[f"W{l}"], params[f"b{l}"])
                cache.append((A, Z))
                A = g(Z) if l < L else np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
            return A, cache
        """, {"mlp_forward_computes_logits", "mlp_forward_honours_hidden_activation", "forward_matches_reference"}),
    "mlp_forward always using relu": (
        "forward.mlp_forward", """
        def mlp_forward(X, params, hidden_activation="relu"):
            A, cache = X, []
            L = len(params) // 2
            for l in range(1, L + 1):
                Z = dense_forward(A, params[f"W{l}"], params[f"b{l}"])
                cache.append((A, Z))
                A = relu(Z) if l < L else Z
            return A, cache
        """, {"mlp_forward_honours_hidden_activation", "mlp_predict_takes_argmax_per_row",
              "forward_matches_reference"}),
    "mlp_forward falling back to relu for unknown names": (
        "forward.mlp_forward", """
        def mlp_forward(X, params, hidden_activation="relu"):
            g = HIDDEN_ACTIVATIONS.get(hidden_activation, relu)
            A, cache = X, []
            L = len(params) // 2
            for l in range(1, L + 1):
                Z = dense_forward(A, params[f"W{l}"], params[f"b{l}"])
                cache.append((A, Z))
                A = g(Z) if l < L else Z
            return A, cache
        """, {"mlp_forward_rejects_unknown_activation"}),
    "mlp_forward for exactly two layers": (
        "forward.mlp_forward", """
        def mlp_forward(X, params, hidden_activation="relu"):
            g = HIDDEN_ACTIVATIONS[hidden_activation]
            Z1 = dense_forward(X, params["W1"], params["b1"])
            A1 = g(Z1)
            Z2 = dense_forward(A1, params["W2"], params["b2"])
            return Z2, [(X, Z1), (A1, Z2)]
        """, {"mlp_forward_shapes_for_any_depth", "mlp_forward_computes_logits",
              "mlp_forward_honours_hidden_activation", "forward_matches_reference"}),
    "mlp_forward returning only the logits": (
        "forward.mlp_forward", """
        def mlp_forward(X, params, hidden_activation="relu"):
            g = HIDDEN_ACTIVATIONS[hidden_activation]
            A, L = X, len(params) // 2
            for l in range(1, L + 1):
                Z = dense_forward(A, params[f"W{l}"], params[f"b{l}"])
                A = g(Z) if l < L else Z
            return A
        """, {"mlp_forward_shapes_for_any_depth", "mlp_forward_computes_logits",
              "mlp_forward_honours_hidden_activation", "mlp_predict_takes_argmax_per_row",
              "forward_matches_reference"}),
    "mlp_forward keeping its cache in params": (
        "forward.mlp_forward", """
        def mlp_forward(X, params, hidden_activation="relu"):
            g = HIDDEN_ACTIVATIONS[hidden_activation]
            A, L = X, sum(1 for k in params if k.startswith("W"))
            for l in range(1, L + 1):
                Z = dense_forward(A, params[f"W{l}"], params[f"b{l}"])
                params[f"A{l - 1}"], params[f"Z{l}"] = A, Z
                A = g(Z) if l < L else Z
            return A, params
        """, {"mlp_forward_leaves_inputs_alone"}),
    "mlp_forward reshaping the caller's biases": (
        "forward.mlp_forward", """
        def mlp_forward(X, params, hidden_activation="relu"):
            g = HIDDEN_ACTIVATIONS[hidden_activation]
            A, cache, L = X, [], len(params) // 2
            for l in range(1, L + 1):
                params[f"b{l}"] = params[f"b{l}"].reshape(1, -1)  # a row, to broadcast "safely"
                Z = dense_forward(A, params[f"W{l}"], params[f"b{l}"])
                cache.append((A, Z))
                A = g(Z) if l < L else Z
            return A, cache
        """, {"mlp_forward_leaves_inputs_alone"}),
    "mlp_predict over axis 0": (
        "forward.mlp_predict", """
        def mlp_predict(X, params, hidden_activation="relu"):
            return np.argmax(mlp_forward(X, params, hidden_activation)[0], axis=0)
        """, {"mlp_predict_takes_argmax_per_row", "forward_matches_reference"}),
    "mlp_predict over the flattened logits": (
        "forward.mlp_predict", """
        def mlp_predict(X, params, hidden_activation="relu"):
            return np.argmax(mlp_forward(X, params, hidden_activation)[0])
        """, {"mlp_predict_takes_argmax_per_row", "forward_matches_reference"}),
    "mlp_predict ignoring hidden_activation": (
        "forward.mlp_predict", """
        def mlp_predict(X, params, hidden_activation="relu"):
            return np.argmax(mlp_forward(X, params)[0], axis=1)
        """, {"mlp_predict_takes_argmax_per_row", "forward_matches_reference"}),
    "accuracy as a count": (
        "forward.accuracy", "def accuracy(y_true, y_pred):\n    return int(np.sum(y_true == y_pred))",
        {"accuracy_is_a_fraction", "forward_matches_reference"}),
    "accuracy as a percentage": (
        "forward.accuracy", "def accuracy(y_true, y_pred):\n    return 100 * float(np.mean(y_true == y_pred))",
        {"accuracy_is_a_fraction", "forward_matches_reference"}),
    # backprop
    "dense_backward dW as dZ.T @ X": (
        "backprop.dense_backward", "def dense_backward(dZ, X, W):\n    return dZ @ W.T, dZ.T @ X, dZ.sum(axis=0)",
        {"dense_backward_weight_and_bias_grads", "mlp_grads_have_param_shapes", "backprop_matches_reference"}
        | MLP_GRADS),
    "dense_backward db as a mean": (
        "backprop.dense_backward", "def dense_backward(dZ, X, W):\n    return dZ @ W.T, X.T @ dZ, dZ.mean(axis=0)",
        {"dense_backward_weight_and_bias_grads", "backprop_matches_reference"} | MLP_GRADS),
    "dense_backward db with keepdims": (
        "backprop.dense_backward",
        "def dense_backward(dZ, X, W):\n    return dZ @ W.T, X.T @ dZ, dZ.sum(axis=0, keepdims=True)",
        {"dense_backward_weight_and_bias_grads", "mlp_grads_have_param_shapes", "backprop_matches_reference"}
        | MLP_GRADS),
    "dense_backward db over the wrong axis": (
        "backprop.dense_backward", "def dense_backward(dZ, X, W):\n    return dZ @ W.T, X.T @ dZ, dZ.sum(axis=1)",
        {"dense_backward_weight_and_bias_grads", "mlp_grads_have_param_shapes", "backprop_matches_reference"}
        | MLP_GRADS),
    "dense_backward with an extra 1/m": (
        "backprop.dense_backward", """
        def dense_backward(dZ, X, W):
            m = X.shape[0]
            return dZ @ W.T / m, X.T @ dZ / m, dZ.sum(axis=0) / m
        """, {"dense_backward_weight_and_bias_grads", "dense_backward_input_grad", "backprop_matches_reference"}
        | MLP_GRADS),
    "dense_backward dX as W @ dZ.T": (
        "backprop.dense_backward", "def dense_backward(dZ, X, W):\n    return W @ dZ.T, X.T @ dZ, dZ.sum(axis=0)",
        {"dense_backward_input_grad", "mlp_grads_have_param_shapes", "mlp_loss_matches_forward",
         "mlp_loss_and_grads_leaves_inputs_alone", "backprop_matches_reference"} | MLP_GRADS),
    "dense_backward scaling dZ in place": (
        "backprop.dense_backward", """
        def dense_backward(dZ, X, W):
            dZ /= X.shape[0]
            return dZ @ W.T, X.T @ dZ, dZ.sum(axis=0)
        """, {"dense_backward_weight_and_bias_grads", "dense_backward_input_grad", "backprop_matches_reference"}
        | MLP_GRADS),
    "mlp backprop evaluating g' at A": (
        "backprop.mlp_loss_and_grads", """
        def mlp_loss_and_grads(params, X, y, hidden_activation="relu"):
            from .forward import HIDDEN_ACTIVATIONS
            logits, cache = mlp_forward(X, params, hidden_activation)
            dZ = softmax_cross_entropy_grad(y, logits)
            g, g_prime, grads = HIDDEN_ACTIVATIONS[hidden_activation], HIDDEN_ACTIVATION_GRADS[hidden_activation], {}
            for l in range(len(cache), 0, -1):
                dA, grads[f"W{l}"], grads[f"b{l}"] = dense_backward(dZ, cache[l - 1][0], params[f"W{l}"])
                if l > 1:
                    dZ = dA * g_prime(g(cache[l - 2][1]))
            return softmax_cross_entropy_with_logits(y, logits), grads
        """, {"mlp_grads_for_every_activation", "backprop_matches_reference"}),
    "mlp backprop without the activation derivative": (
        "backprop.mlp_loss_and_grads", """
        def mlp_loss_and_grads(params, X, y, hidden_activation="relu"):
            logits, cache = mlp_forward(X, params, hidden_activation)
            dZ = softmax_cross_entropy_grad(y, logits)
            grads = {}
            for l in range(len(cache), 0, -1):
                dZ, grads[f"W{l}"], grads[f"b{l}"] = dense_backward(dZ, cache[l - 1][0], params[f"W{l}"])
            return softmax_cross_entropy_with_logits(y, logits), grads
        """, {"backprop_matches_reference"} | MLP_GRADS),
    "mlp backprop always with relu_grad": (
        "backprop.mlp_loss_and_grads", """
        def mlp_loss_and_grads(params, X, y, hidden_activation="relu"):
            logits, cache = mlp_forward(X, params, hidden_activation)
            dZ = softmax_cross_entropy_grad(y, logits)
            grads = {}
            for l in range(len(cache), 0, -1):
                dA, grads[f"W{l}"], grads[f"b{l}"] = dense_backward(dZ, cache[l - 1][0], params[f"W{l}"])
                if l > 1:
                    dZ = dA * relu_grad(cache[l - 2][1])
            return softmax_cross_entropy_with_logits(y, logits), grads
        """, {"mlp_grads_for_every_activation", "backprop_matches_reference"}),
    "mlp backprop through an activation on the last layer": (
        "backprop.mlp_loss_and_grads", """
        def mlp_loss_and_grads(params, X, y, hidden_activation="relu"):
            logits, cache = mlp_forward(X, params, hidden_activation)
            g_prime = HIDDEN_ACTIVATION_GRADS[hidden_activation]
            dZ = softmax_cross_entropy_grad(y, logits) * g_prime(logits)
            grads = {}
            for l in range(len(cache), 0, -1):
                dA, grads[f"W{l}"], grads[f"b{l}"] = dense_backward(dZ, cache[l - 1][0], params[f"W{l}"])
                if l > 1:
                    dZ = dA * g_prime(cache[l - 2][1])
            return softmax_cross_entropy_with_logits(y, logits), grads
        """, {"backprop_matches_reference"} | MLP_GRADS),
    "mlp loss summed over samples": (
        "backprop.mlp_loss_and_grads", """
        def mlp_loss_and_grads(params, X, y, hidden_activation="relu"):
            logits, cache = mlp_forward(X, params, hidden_activation)
            dZ = softmax_cross_entropy_grad(y, logits)
            g_prime, grads = HIDDEN_ACTIVATION_GRADS[hidden_activation], {}
            for l in range(len(cache), 0, -1):
                dA, grads[f"W{l}"], grads[f"b{l}"] = dense_backward(dZ, cache[l - 1][0], params[f"W{l}"])
                if l > 1:
                    dZ = dA * g_prime(cache[l - 2][1])
            return len(y) * softmax_cross_entropy_with_logits(y, logits), grads
        """, {"mlp_loss_matches_forward", "backprop_matches_reference"} | MLP_GRADS),
    "mlp gradients without the 1/m": (
        "backprop.mlp_loss_and_grads", """
        def mlp_loss_and_grads(params, X, y, hidden_activation="relu"):
            logits, cache = mlp_forward(X, params, hidden_activation)
            dZ = softmax_cross_entropy_grad(y, logits) * len(y)
            g_prime, grads = HIDDEN_ACTIVATION_GRADS[hidden_activation], {}
            for l in range(len(cache), 0, -1):
                dA, grads[f"W{l}"], grads[f"b{l}"] = dense_backward(dZ, cache[l - 1][0], params[f"W{l}"])
                if l > 1:
                    dZ = dA * g_prime(cache[l - 2][1])
            return softmax_cross_entropy_with_logits(y, logits), grads
        """, {"backprop_matches_reference"} | MLP_GRADS),
    "mlp gradients named dW1, db1": (
        "backprop.mlp_loss_and_grads", """
        def mlp_loss_and_grads(params, X, y, hidden_activation="relu"):
            logits, cache = mlp_forward(X, params, hidden_activation)
            dZ = softmax_cross_entropy_grad(y, logits)
            g_prime, grads = HIDDEN_ACTIVATION_GRADS[hidden_activation], {}
            for l in range(len(cache), 0, -1):
                dA, grads[f"dW{l}"], grads[f"db{l}"] = dense_backward(dZ, cache[l - 1][0], params[f"W{l}"])
                if l > 1:
                    dZ = dA * g_prime(cache[l - 2][1])
            return softmax_cross_entropy_with_logits(y, logits), grads
        """, {"mlp_grads_have_param_shapes", "backprop_matches_reference"} | MLP_GRADS),
    "mlp backprop for exactly two layers": (
        "backprop.mlp_loss_and_grads", """
        def mlp_loss_and_grads(params, X, y, hidden_activation="relu"):
            logits, cache = mlp_forward(X, params, hidden_activation)
            (A0, Z1), (A1, _) = cache[0], cache[-1]
            dZ2 = softmax_cross_entropy_grad(y, logits)
            dA1, dW2, db2 = dense_backward(dZ2, A1, params["W2"])
            _, dW1, db1 = dense_backward(dA1 * HIDDEN_ACTIVATION_GRADS[hidden_activation](Z1), A0, params["W1"])
            return softmax_cross_entropy_with_logits(y, logits), {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
        """, {"mlp_loss_matches_forward", "mlp_grads_have_param_shapes", "mlp_grads_for_any_depth",
              "backprop_matches_reference"}),
    "mlp loss of the relu network whatever the activation": (
        "backprop.mlp_loss_and_grads", """
        def mlp_loss_and_grads(params, X, y, hidden_activation="relu"):
            logits, cache = mlp_forward(X, params)
            dZ = softmax_cross_entropy_grad(y, logits)
            grads = {}
            for l in range(len(cache), 0, -1):
                dA, grads[f"W{l}"], grads[f"b{l}"] = dense_backward(dZ, cache[l - 1][0], params[f"W{l}"])
                if l > 1:
                    dZ = dA * relu_grad(cache[l - 2][1])
            return softmax_cross_entropy_with_logits(y, logits), grads
        """, {"mlp_loss_matches_forward", "mlp_grads_for_every_activation", "backprop_matches_reference"}),
    "mlp_loss_and_grads taking a gradient step": (
        "backprop.mlp_loss_and_grads", """
        def mlp_loss_and_grads(params, X, y, hidden_activation="relu"):
            logits, cache = mlp_forward(X, params, hidden_activation)
            dZ = softmax_cross_entropy_grad(y, logits)
            g_prime, grads = HIDDEN_ACTIVATION_GRADS[hidden_activation], {}
            for l in range(len(cache), 0, -1):
                dA, grads[f"W{l}"], grads[f"b{l}"] = dense_backward(dZ, cache[l - 1][0], params[f"W{l}"])
                if l > 1:
                    dZ = dA * g_prime(cache[l - 2][1])
            for key in grads:
                params[key] -= 0.1 * grads[key]
            return softmax_cross_entropy_with_logits(y, logits), grads
        """, {"mlp_loss_and_grads_leaves_inputs_alone"}),
}


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_bug_fails_exactly_its_checks(bug, submission):
    target, code, expected = BUGS[bug]
    assert_bug_fails_exactly(submission, {target: code}, expected)


def test_every_check_of_these_exercises_is_caught_by_a_bug():
    assert not checks_no_bug_catches(BUGS, ("logistic", "forward", "backprop"))


FUNCTIONS = {
    "logistic": {"predict_proba": "X, w, b", "logistic_loss_and_grads": "X, y, w, b",
                 "train_logistic": "X, y, lr=0.1, epochs=1000"},
    "forward": {"dense_forward": "X, W, b", "mlp_forward": "X, params, hidden_activation='relu'",
                "mlp_predict": "X, params, hidden_activation='relu'", "accuracy": "y_true, y_pred"},
    "backprop": {"dense_backward": "dZ, X, W", "mlp_loss_and_grads": "params, X, y, hidden_activation='relu'"},
}


@pytest.mark.parametrize("module", sorted(FUNCTIONS))
@pytest.mark.parametrize("junk", ["None", "'text'", "(np.nan, np.full((2, 2), np.nan), {})", "([[1.0]], [2.0])"])
def test_junk_results_fail_every_check_with_a_message(module, junk, submission):
    replacements = {f"{module}.{name}": f"def {name}({args}):\n    return {junk}"
                    for name, args in FUNCTIONS[module].items()}
    report = grade_folder(submission(replacements=replacements), names=[module])
    for check in report.exercises[0].checks:
        assert not check.passed, check.name
        assert check.message and "grader could not make sense" not in check.message, (check.name, check.message)
