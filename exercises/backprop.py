# Exercise `backprop`: write your code where a function raises NotImplementedError; its TODO
# and its docstring say what to compute. Check it with `nnlab grade -e backprop`; stuck?
# `nnlab hint backprop` gives one more hint each time.
"""Backpropagation: the gradient of the loss with respect to every parameter.

Walk the layers from last to first with the chain rule. For Z = A_prev · W + b
(· a matrix product, * an elementwise one, ^T a transpose, as in the notes):
dW = A_prev^T · dZ, db = dZ summed over the samples, dA_prev = dZ · W^T, and
through a hidden activation dZ_prev = dA_prev * g'(Z_prev). The 1/m of the mean
loss enters once, in the loss gradient at the top.
"""
import numpy as np

from .activations import leaky_relu_grad, relu_grad, sigmoid_grad, tanh_grad
from .forward import mlp_forward
from .losses import softmax_cross_entropy_grad, softmax_cross_entropy_with_logits

# Derivatives of the hidden activations, by the names mlp_forward accepts.
HIDDEN_ACTIVATION_GRADS = {
    "relu": relu_grad,
    "leaky_relu": leaky_relu_grad,
    "sigmoid": sigmoid_grad,
    "tanh": tanh_grad,
}


def dense_backward(dZ, X, W):
    """Backward pass of Z = X · W + b, given dZ = dLoss/dZ.

        dX = dZ · W^T          (m, n_in)
        dW = X^T · dZ          (n_in, n_out)
        db = dZ summed over the rows (the samples), shape (n_out,)

    Parameters: dZ, (m, n_out); X, (m, n_in) the layer's input; W, (n_in, n_out).
    Returns: (dX, dW, db).

    Pitfalls:
    - No 1/m here: dZ already carries it (it is the gradient of a mean).
    - The notes' formulas (dZ A^T, sum over axis 1) are column-major; with one
      sample per row the transposes move and the sum is over axis 0.
    - Check shapes: dW must have W's shape and db b's shape.
    """
    raise NotImplementedError(
        "TODO (dense_backward): apply the three formulas of the docstring, one sample per row; "
        "each gradient has the shape of what it is the gradient of")


def mlp_loss_and_grads(params, X, y, hidden_activation="relu"):
    """Mean softmax cross-entropy of an MLP and its gradient for every parameter.

    1. The forward pass (mlp_forward) gives the logits Z_L and the cache.
    2. The loss is the mean softmax cross-entropy of Z_L against y, and dZ_L,
       its gradient with respect to the logits, is softmax_cross_entropy_grad's.
    3. For l = L..1, dense_backward turns dZ_l into dA_(l-1), dW_l and db_l; below
       the top, dZ_(l-1) = dA_(l-1) * g'(Z_(l-1)), g' the derivative that
       HIDDEN_ACTIVATION_GRADS holds under the name hidden_activation.

    Parameters: params, dict "W1".."bL"; X, (m, n_0); y, int (m,); hidden_activation, str.
    Returns: (loss, grads): loss a float; grads a dict with the same keys and
    shapes as params ("W1" -> dLoss/dW1, ...).

    Pitfalls:
    - g' is evaluated at the previous layer's Z (its pre-activation), not at
      its output A.
    - The last layer is linear: no activation derivative on top of the loss gradient.
    - Check with finite differences: (loss(W + h) - loss(W - h)) / 2h, entry by entry.
    """
    raise NotImplementedError(
        "TODO (mlp_loss_and_grads): follow the three steps of the docstring: the forward pass, "
        "the loss and the gradient of the logits, then the layers from last to first with "
        "`dense_backward` and the hidden activation's derivative at each pre-activation")
