"""Checks for exercise 10, ``model.py``: the Keras-like Dense / Sequential capstone.

Only the contract's surface is used: ``Dense(units, activation)``, ``Sequential(layers)``,
``compile(loss, optimizer, from_logits)``, ``fit(X, y, epochs, batch_size, seed)``,
``predict(X)``, ``get_weights()`` and ``set_weights(weights)``. The model is first verified
as a network (:mod:`.model_network`): with weights the grader chose, predict is the forward
pass of exactly those weights, the gradients fit hands its optimizer are the numeric
gradients of the loss at those weights, and a step of a known optimizer moves the weights
by -lr * sign(gradient). The training checks (:mod:`.model_training`) count only for a model that
passed those: a model that is not a network (nearest neighbours, a lookup table) earns
nothing there however well it classifies.
"""

from .core import Exercise, Hint

exercise = Exercise(
    "model",
    "A Keras-like model (capstone)",
    timeout=80,
    hints=[
        Hint("A Dense layer is an affine map followed by its activation, and Sequential chains the "
             "layers. Create W and b only when the first data tell you the number of input features, "
             "and keep from the forward pass what the backward pass needs.",
             helps=("predict_shape_and_input_size",
                    "predict_is_the_forward_pass_of_set_weights",
                    "weights_round_trip",
                    "large_inputs_stay_finite")),
        Hint("compile checks the loss name at once, and fit refuses to run before compile. fit is "
             "the loop of train_mlp: ONE Generator made from seed builds the weights (if there are "
             "none yet) and shuffles the batches; for each mini-batch come forward, loss, backward, "
             "and one optimizer step on the layers' own arrays.",
             helps=("unknown_loss_or_missing_compile_is_an_error",
                    "fit_is_reproducible",
                    "one_optimizer_step_per_minibatch",
                    "history_has_one_falling_loss_per_epoch",
                    "sgd_steps_move_the_weights")),
        Hint("The backward pass starts from dZ of the last layer. For a softmax layer with sparse "
             "cross-entropy, and a sigmoid layer with binary cross-entropy, the fused form, "
             "predicted minus true over the number of samples, is exact and stable; from logits it "
             "is the same with the softmax or sigmoid of the logits.",
             helps=("softmax_cross_entropy_gradients", "binary_cross_entropy_gradients")),
        Hint("Last layer: dZ = (A - Y_onehot) / m, or (sigmoid(Z) - y) / N from one logit; for mse, "
             "dA = 2 (A - y) / N times the activation's slope. Then per layer, last to first: dW = "
             "X^T dZ, db = dZ summed over the rows, dA_below = dZ W^T, dZ_below = dA_below * "
             "g'(Z_below); a softmax layer below the top needs its Jacobian product.",
             helps=("mse_gradients",
                    "gradients_match_numeric_in_every_layer",
                    "linear_model_reaches_least_squares",
                    "notes_blobs_example",
                    "digits_zero_or_one",
                    "digits_ten_classes")),
    ],
)

from . import model_network, model_training  # noqa: E402,F401  (they declare the checks, in order)
