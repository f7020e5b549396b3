"""Checks for exercise 10, ``model.py``: the Keras-like Dense / Sequential capstone.

Only the contract's surface is used: ``Dense(units, activation)``, ``Sequential(layers)``,
``compile(loss, optimizer, from_logits)``, ``fit(X, y, epochs, batch_size, seed)``,
``predict(X)``, ``get_weights()`` and ``set_weights(weights)``. The model is first verified
as a network (:mod:`.model_network`): with weights the grader chose, predict is the forward
pass of exactly those weights, the gradients fit hands its optimizer are the numeric
gradients of the loss at those weights, and a step of plain SGD moves the weights by
-lr * gradient. The training checks (:mod:`.model_training`) count only for a model that
passed those: a model that is not a network (nearest neighbours, a lookup table) earns
nothing there however well it classifies.
"""

from .core import Exercise

exercise = Exercise(
    "model",
    "A Keras-like model (capstone)",
    timeout=80,
    hints=[
        "A Dense layer is the affine map X @ W + b followed by its activation, and Sequential "
        "chains the layers. Keep what the backward pass needs (the layer's input X, and Z or A) "
        "from the forward pass, and create W and b only when the first data tell you the number "
        "of input features.",
        "fit is the loop of train_mlp: ONE rng = np.random.default_rng(seed) builds the weights "
        "(if they do not exist yet) and shuffles the batches; for each mini-batch: forward, loss, "
        "backward from the last layer to the first, then one optimizer.step(params, grads) on the "
        "layers' own arrays. The epoch's loss is the mean over all its samples.",
        "The backward pass starts from dZ of the last layer: (A - Y) / m for softmax + sparse "
        "cross-entropy or sigmoid + binary cross-entropy, (softmax(Z) - Y) / m and (sigmoid(Z) - y) / m "
        "from logits, 2 (A - Y) / A.size times the activation's slope for mse. Then per layer, last "
        "to first: dW = X.T @ dZ, db = dZ.sum(axis=0), dA_below = dZ @ W.T, dZ_below = dA_below * g'(Z_below).",
    ],
)

from . import model_network, model_training  # noqa: E402,F401  (they declare the checks, in order)
