# Exercise `model`: write your code where a function raises NotImplementedError; its TODO
# and its docstring say what to compute. Check it with `nnlab grade -e model`; stuck?
# `nnlab hint model` gives one more hint each time.
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
        raise NotImplementedError(
            "TODO (Dense.build): draw `W` with He's initializer for the relu family and with "
            "Xavier's for every other activation, and start `b` at float zeros")

    def forward(self, X):
        """Z = X · W + b, A = activation(Z); keep (X, Z, A) in self.cache.

        "linear" is A = Z, "softmax" is a softmax over each row (axis 1), the
        other names are in HIDDEN_ACTIVATIONS.

        Parameters: X, (m, n_in).
        Returns: A, ndarray of shape (m, units).
        """
        raise NotImplementedError(
            "TODO (Dense.forward): apply the affine map, then this layer's activation (a softmax "
            "over each row for softmax), and keep the input, the pre-activation and the output in "
            "the cache")

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
        raise NotImplementedError(
            "TODO (Dense.activation_backward): the chain rule of the docstring for each kind of "
            "activation; softmax mixes the units of a row, so it needs its Jacobian product, not "
            "an elementwise slope")

    def backward(self, dZ):
        """Backward pass of the affine part, with the input X saved by forward().

        Parameters: dZ, (m, units), the gradient of the loss with respect to Z.
        Returns: (dX, dW, db) as from dense_backward.
        """
        raise NotImplementedError(
            "TODO (Dense.backward): hand the gradient of `Z` and the input kept in the cache to "
            "your `dense_backward`")


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
        raise NotImplementedError(
            "TODO (Sequential.compile): reject an unknown loss name and an optimizer without a "
            "step method, then remember the loss, the optimizer and `from_logits`")

    def build(self, n_in, rng):
        """Create the weights of every layer for inputs with n_in features.

        Layer 1 gets n_in inputs, each later layer the units of the one before;
        layers are built in order, all drawing from the same rng.
        """
        raise NotImplementedError(
            "TODO (Sequential.build): build the layers in order, each with the number of units of "
            "the layer before it as its input size (the first with `n_in`)")

    def get_weights(self):
        """Copies of the weights, [W1, b1, ..., WL, bL], as Keras's get_weights.

        Returns: a list of float64 arrays, W of shape (n_in, units), b of shape (units,)
        (an empty list while the model is not built).
        """
        raise NotImplementedError(
            "TODO (Sequential.get_weights): copies of every layer's weights and biases, in layer "
            "order; an empty list before the model is built")

    def set_weights(self, weights):
        """Use copies of ``weights`` (a list like get_weights') as the model's weights.

        On a model that is not built yet the layers take their sizes from the shapes.
        A wrong number of arrays, or a wrong shape, raises ValueError.

        Pitfalls:
        - Keep copies: the caller may change its arrays afterwards.
        """
        raise NotImplementedError(
            "TODO (Sequential.set_weights): check the number of arrays and every shape, raising a "
            "ValueError if one is wrong, then keep copies in the layers")

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
        raise NotImplementedError(
            "TODO (Sequential.predict): turn `X` into a two-dimensional float64 array (reject "
            "anything else), build the model from seed zero if it has no weights yet, and pass "
            "`X` through the layers in turn")

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
        raise NotImplementedError(
            "TODO (Sequential.loss_and_output_grad): check the targets, then compute the loss and "
            "the gradient of the last layer's pre-activation for each pairing of loss and output "
            "in the docstring, with the fused forms where they exist")

    def loss_and_grads(self, X, y):
        """Loss on (X, y) and its gradient for every parameter, like mlp_loss_and_grads.

        Forward with predict, the loss and the last layer's dZ from
        loss_and_output_grad, then for layers L..1: the layer's backward turns its
        dZ into dA (for the layer below), dW and db, and the activation_backward of
        the layer below turns that dA into its own dZ.

        Returns: (loss, grads) with grads keyed like self.params ("W1", "b1", ...).
        """
        raise NotImplementedError(
            "TODO (Sequential.loss_and_grads): forward with `predict`, the loss and the "
            "last-layer gradient from `loss_and_output_grad`, then back through the layers from "
            "last to first as the docstring says")

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
        raise NotImplementedError(
            "TODO (Sequential.fit): make one Generator from `seed`, build if needed, then per "
            "epoch and batch get the loss and gradients, take one optimizer step, copy the "
            "parameters back into the layers, and keep the size-weighted mean loss")
