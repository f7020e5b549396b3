"""Capstone: a small Keras-like API (Dense, Sequential) built from your own pieces.

    model = Sequential([Dense(25, activation="relu"), Dense(10)])
    model.compile(loss="sparse_categorical_crossentropy", optimizer=Adam(1e-3), from_logits=True)
    history = model.fit(X, y, epochs=100)       # {"loss": [one float per epoch]}

Each layer has its own activation, the input size is found at the first fit or
predict, and the loss can be applied to probabilities or, more stably, to logits.
"""
import numpy as np

from .activations import sigmoid
from .backprop import HIDDEN_ACTIVATION_GRADS, dense_backward
from .forward import HIDDEN_ACTIVATIONS, dense_forward
from .initialization import he_normal, xavier_normal
from .losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    mean_squared_error,
    mean_squared_error_grad,
    one_hot,
    softmax_cross_entropy_grad,
    softmax_cross_entropy_with_logits,
    sparse_categorical_cross_entropy,
)
from .minibatch import iterate_minibatches
from .softmax import softmax

ACTIVATIONS = ("linear", "relu", "leaky_relu", "sigmoid", "tanh", "softmax")
LOSSES = ("sparse_categorical_crossentropy", "binary_crossentropy", "mse")
EPS = 1e-12  # the clip used by the losses on probabilities (their default eps)


class Dense:
    """A fully connected layer: A = activation(X · W + b), with units outputs.

    W (n_in, units) and b (units,) stay None until build(n_in, rng) is called,
    because n_in is only known when the first data arrive. forward() remembers
    (X, Z, A) in self.cache for the backward pass.
    """

    def __init__(self, units, activation="linear"):
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose one of: {', '.join(ACTIVATIONS)}")
        if int(units) != units or units < 1:
            raise ValueError(f"units must be a positive integer, got {units!r}")
        self.units = int(units)
        self.activation = activation
        self.W = None
        self.b = None
        self.cache = None

    def build(self, n_in, rng):
        """Create W (n_in, units) and b (units,) for inputs with n_in features.

        W comes from he_normal for "relu" and "leaky_relu" and from xavier_normal
        for every other activation; b is float64 zeros.

        Parameters: n_in, int; rng, np.random.Generator.
        Returns: None.
        """
        # BEGIN SOLUTION: draw `W` with He's initializer for the relu family and with Xavier's for every other activation, and start `b` at float zeros
        init = he_normal if self.activation in ("relu", "leaky_relu") else xavier_normal
        self.W = init(n_in, self.units, rng)
        self.b = np.zeros(self.units, dtype=np.float64)
        # END SOLUTION

    def forward(self, X):
        """Z = X · W + b, A = activation(Z); keep (X, Z, A) in self.cache.

        "linear" is A = Z, "softmax" is a softmax over each row (axis 1), the
        other names are in HIDDEN_ACTIVATIONS.

        Parameters: X, (m, n_in).
        Returns: A, ndarray of shape (m, units).
        """
        # BEGIN SOLUTION: apply the affine map, then this layer's activation (a softmax over each row for softmax), and keep the input, the pre-activation and the output in the cache
        Z = dense_forward(X, self.W, self.b)
        if self.activation == "linear":
            A = Z
        elif self.activation == "softmax":
            A = softmax(Z, axis=1)
        else:
            A = HIDDEN_ACTIVATIONS[self.activation](Z)
        self.cache = (X, Z, A)
        return A
        # END SOLUTION

    def activation_backward(self, dA):
        """Chain rule through the activation: dZ from dA = dLoss/dA, using self.cache.

        linear: dZ = dA. Elementwise activations: dZ = dA * g'(Z) (see
        HIDDEN_ACTIVATION_GRADS). softmax mixes the units of a row, so its
        Jacobian is not diagonal: for row i and unit j,
        dZ_ij = A_ij (dA_ij − sum_k dA_ik A_ik).

        Parameters: dA, (m, units).
        Returns: dZ, (m, units).

        Pitfalls:
        - dA * softmax'(Z) elementwise is wrong: each output depends on every Z of its row.
        """
        # BEGIN SOLUTION: the chain rule of the docstring for each kind of activation; softmax mixes the units of a row, so it needs its Jacobian product, not an elementwise slope
        _, Z, A = self.cache
        if self.activation == "linear":
            return dA
        if self.activation == "softmax":
            return A * (dA - np.sum(dA * A, axis=1, keepdims=True))
        return dA * HIDDEN_ACTIVATION_GRADS[self.activation](Z)
        # END SOLUTION

    def backward(self, dZ):
        """Backward pass of the affine part, with the input X saved by forward().

        Parameters: dZ, (m, units), the gradient of the loss with respect to Z.
        Returns: (dX, dW, db) as from dense_backward.
        """
        # BEGIN SOLUTION: hand the gradient of `Z` and the input kept in the cache to your `dense_backward`
        X = self.cache[0]
        return dense_backward(dZ, X, self.W)
        # END SOLUTION


class Sequential:
    """A stack of Dense layers, trained with compile() and fit() as in Keras.

    Layer i (counting from 1) owns the parameters "W{i}" and "b{i}"; the params
    property gathers them into the dict an optimizer's step(params, grads) expects.
    """

    def __init__(self, layers):
        self.layers = list(layers)
        if not self.layers:
            raise ValueError("Sequential needs at least one layer")
        self.loss = None
        self.optimizer = None
        self.from_logits = False

    @property
    def built(self):
        """True once the weights exist (after the first fit, predict or build)."""
        return self.layers[0].W is not None

    @property
    def params(self):
        """{"W1": layer 1's W, "b1": its b, ...}: the layers' own arrays, not copies."""
        params = {}
        for i, layer in enumerate(self.layers, start=1):
            params[f"W{i}"], params[f"b{i}"] = layer.W, layer.b
        return params

    def compile(self, loss, optimizer, from_logits=False):
        """Choose the loss and the optimizer used by fit().

        loss: "sparse_categorical_crossentropy" (integer labels, one output unit
        per class), "binary_crossentropy" (0/1 targets of shape (m,) or (m, 1),
        one output unit) or "mse". optimizer: an object with .step(params, grads),
        e.g. Adam(0.01). from_logits=True: the last layer outputs logits (use a
        linear last layer) and the loss applies the softmax / sigmoid itself, stably.

        Pitfalls:
        - An unknown loss must raise ValueError, right here rather than in fit.
        """
        # BEGIN SOLUTION: reject an unknown loss name and an optimizer without a step method, then remember the loss, the optimizer and `from_logits`
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}; choose one of: {', '.join(LOSSES)}")
        if not callable(getattr(optimizer, "step", None)):
            raise TypeError("optimizer must have a step(params, grads) method, e.g. Adam(1e-3)")
        self.loss = loss
        self.optimizer = optimizer
        self.from_logits = bool(from_logits)
        # END SOLUTION

    def build(self, n_in, rng):
        """Create the weights of every layer for inputs with n_in features.

        Layer 1 gets n_in inputs, each later layer the units of the one before;
        layers are built in order, all drawing from the same rng.
        """
        # BEGIN SOLUTION: build the layers in order, each with the number of units of the layer before it as its input size (the first with `n_in`)
        for layer in self.layers:
            layer.build(n_in, rng)
            n_in = layer.units
        # END SOLUTION

    def get_weights(self):
        """Copies of the weights, [W1, b1, ..., WL, bL], as Keras's get_weights.

        Returns: a list of float64 arrays, W of shape (n_in, units), b of shape (units,)
        (an empty list while the model is not built).
        """
        # BEGIN SOLUTION: copies of every layer's weights and biases, in layer order; an empty list before the model is built
        if not self.built:
            return []
        return [array.copy() for layer in self.layers for array in (layer.W, layer.b)]
        # END SOLUTION

    def set_weights(self, weights):
        """Use copies of ``weights`` (a list like get_weights') as the model's weights.

        On a model that is not built yet the layers take their sizes from the shapes.
        A wrong number of arrays, or a wrong shape, raises ValueError.

        Pitfalls:
        - Keep copies: the caller may change its arrays afterwards.
        """
        # BEGIN SOLUTION: check the number of arrays and every shape, raising a ValueError if one is wrong, then keep copies in the layers
        weights = [np.array(w, dtype=np.float64) for w in weights]
        if len(weights) != 2 * len(self.layers):
            raise ValueError(f"expected {2 * len(self.layers)} arrays (W and b of every layer), got {len(weights)}")
        n_in = self.layers[0].W.shape[0] if self.built else weights[0].shape[0] if weights[0].ndim == 2 else 0
        for layer, W, b in zip(self.layers, weights[::2], weights[1::2]):
            if W.shape != (n_in, layer.units) or b.shape != (layer.units,):
                raise ValueError(f"a layer of {layer.units} units needs W of shape ({n_in}, {layer.units}) "
                                 f"and b of shape ({layer.units},); got {W.shape} and {b.shape}")
            n_in = layer.units
        for layer, W, b in zip(self.layers, weights[::2], weights[1::2]):
            layer.W, layer.b = W, b
        # END SOLUTION

    def predict(self, X):
        """The last layer's activations for every row of X, shape (m, units).

        X may be a list of lists; it is converted to a float64 (m, n) array. If
        the model has no weights yet, build it first, from a NumPy Generator seeded with 0.

        Pitfalls:
        - With from_logits=True the outputs are logits: apply softmax (or
          sigmoid for one unit) to get probabilities. The notes say sigmoid for
          the 4-class example; it is softmax.
        - One sample is a 2-D input, [[4.33, -1.99]]; a 1-D X must raise ValueError.
        """
        # BEGIN SOLUTION: turn `X` into a two-dimensional float64 array (reject anything else), build the model from seed zero if it has no weights yet, and pass `X` through the layers in turn
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D, one sample per row, got shape {X.shape}; "
                             "write a single sample as [[x1, x2, ...]]")
        if not self.built:
            self.build(X.shape[1], np.random.default_rng(0))
        elif X.shape[1] != self.layers[0].W.shape[0]:
            raise ValueError(f"the model was built for {self.layers[0].W.shape[0]} features, "
                             f"X has {X.shape[1]}")
        A = X
        for layer in self.layers:
            A = layer.forward(A)
        return A
        # END SOLUTION

    def loss_and_output_grad(self, A, y):
        """Loss of the outputs A = predict(X), and dZ = dLoss/dZ of the LAST layer.

        With m samples, N = the number of targets and Y_onehot = one_hot(y, units):
        sparse_categorical_crossentropy, y integer labels in 0..units-1 (else ValueError):
          from_logits: the loss of softmax_cross_entropy_with_logits, and its
          gradient as dA; softmax last: sparse_categorical_cross_entropy,
          dZ = (A − Y_onehot) / m.
        binary_crossentropy, y with A's shape: from_logits: the _with_logits
          loss, dA = (sigmoid(A) − y) / N; sigmoid last: dZ = (A − y) / N.
        mse: mean_squared_error, and dA from mean_squared_error_grad.
        Other pairings: the loss of A as it is, dA by the chain rule (0 where the clip
        is active). A dA becomes dZ through the last layer's activation_backward.

        Returns: (loss, dZ): a float and an ndarray of shape (m, units).

        Pitfalls:
        - Do not chain the log of the loss through softmax / sigmoid separately: it
          divides by probabilities that can be 0. The fused (A − Y) / m never does.
        """
        # BEGIN SOLUTION: check the targets, then compute the loss and the gradient of the last layer's pre-activation for each pairing of loss and output in the docstring, with the fused forms where they exist
        if self.loss is None:
            raise RuntimeError("compile(loss, optimizer) the model first")
        last = self.layers[-1]
        m, K = A.shape
        if self.loss == "sparse_categorical_crossentropy":
            labels = np.asarray(y).reshape(-1)
            if labels.shape[0] != m:
                raise ValueError(f"expected {m} labels, got y of shape {np.shape(y)}")
            ints = labels.astype(np.int64)
            if np.any(ints != labels) or ints.min() < 0 or ints.max() >= K:
                raise ValueError(f"sparse_categorical_crossentropy needs integer labels 0..{K - 1} "
                                 f"(one output unit per class); got values from {labels.min()} to {labels.max()}")
            if self.from_logits:
                loss = softmax_cross_entropy_with_logits(ints, A)
                return loss, last.activation_backward(softmax_cross_entropy_grad(ints, A))
            loss = sparse_categorical_cross_entropy(ints, A)
            if last.activation == "softmax":
                return loss, (A - one_hot(ints, K)) / m
            rows = np.arange(m)
            p = A[rows, ints]
            dA = np.zeros_like(A)
            dA[rows, ints] = np.where((p > EPS) & (p < 1.0 - EPS), -1.0 / (m * np.clip(p, EPS, 1.0)), 0.0)
            return loss, last.activation_backward(dA)

        Y = np.asarray(y, dtype=np.float64)
        if Y.size != A.size:
            raise ValueError(f"{self.loss} needs one target per output: y has shape {Y.shape}, "
                             f"the outputs have shape {A.shape}")
        Y = Y.reshape(A.shape)
        if self.loss == "mse":
            return mean_squared_error(Y, A), last.activation_backward(mean_squared_error_grad(Y, A))
        if self.from_logits:
            loss = binary_cross_entropy_with_logits(Y, A)
            return loss, last.activation_backward((sigmoid(A) - Y) / Y.size)
        loss = binary_cross_entropy(Y, A)
        if last.activation == "sigmoid":
            return loss, (A - Y) / Y.size
        P = np.clip(A, EPS, 1.0 - EPS)
        dA = np.where((A > EPS) & (A < 1.0 - EPS), (P - Y) / (P * (1.0 - P)), 0.0) / Y.size
        return loss, last.activation_backward(dA)
        # END SOLUTION

    def loss_and_grads(self, X, y):
        """Loss on (X, y) and its gradient for every parameter, like mlp_loss_and_grads.

        Forward with predict, the loss and the last layer's dZ from
        loss_and_output_grad, then for layers L..1: the layer's backward turns its
        dZ into dA (for the layer below), dW and db, and the activation_backward of
        the layer below turns that dA into its own dZ.

        Returns: (loss, grads) with grads keyed like self.params ("W1", "b1", ...).
        """
        # BEGIN SOLUTION: forward with `predict`, the loss and the last-layer gradient from `loss_and_output_grad`, then back through the layers from last to first as the docstring says
        A = self.predict(X)
        loss, dZ = self.loss_and_output_grad(A, y)
        grads = {}
        for i in range(len(self.layers), 0, -1):
            dA, grads[f"W{i}"], grads[f"b{i}"] = self.layers[i - 1].backward(dZ)
            if i > 1:
                dZ = self.layers[i - 2].activation_backward(dA)
        return loss, grads
        # END SOLUTION

    def fit(self, X, y, epochs=1, batch_size=32, seed=0, verbose=False):
        """Train with mini-batches; returns {"loss": [mean training loss of each epoch]}.

        One NumPy Generator made from seed (default_rng) first builds the model
        (if it has no weights yet), then shuffles the batches of every epoch
        through iterate_minibatches. Each batch: loss_and_grads, then one step of
        the optimizer on self.params. An epoch's loss is the batch losses averaged
        with the batch sizes as weights (as in train_mlp). The same seed gives the
        same result.

        Parameters: X, (m, n) array or list of lists; y, targets for the loss;
        epochs, batch_size, seed, ints; verbose, print one line per epoch.

        Pitfalls:
        - fit before compile must fail with a clear error (RuntimeError).
        - Build from the same rng that shuffles, so one seed fixes everything.
        - Some optimizers replace params[k] instead of updating it in place;
          copy params back into the layers after each step.
        """
        # BEGIN SOLUTION: make one Generator from `seed`, build if needed, then per epoch and batch get the loss and gradients, take one optimizer step, copy the parameters back into the layers, and keep the size-weighted mean loss
        if self.loss is None:
            raise RuntimeError("compile(loss, optimizer) the model before fit")
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D, one sample per row, got shape {X.shape}")
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} samples but y has {y.shape[0]}")
        rng = np.random.default_rng(seed)
        if not self.built:
            self.build(X.shape[1], rng)
        history = []
        for epoch in range(epochs):
            total = 0.0
            for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
                loss, grads = self.loss_and_grads(X_batch, y_batch)
                params = self.params
                self.optimizer.step(params, grads)
                for i, layer in enumerate(self.layers, start=1):
                    layer.W, layer.b = params[f"W{i}"], params[f"b{i}"]
                total += loss * X_batch.shape[0]
            history.append(total / X.shape[0])
            if verbose:
                print(f"Epoch {epoch + 1}/{epochs} - loss: {history[-1]:.4f}")
        return {"loss": history}
        # END SOLUTION
