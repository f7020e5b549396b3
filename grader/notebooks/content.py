"""What the exercise notebooks add to the modules' docstrings: formulas and worked examples.

``FORMULAS[exercise]`` pairs each function (or class) with its formula in LaTeX; the
notebook shows them as a table under the exercise's introduction and each one again
above its function. ``EXAMPLES[exercise]`` is a list of (markdown, code) cells run at
the end of the notebook, on the student's own functions.
"""

FORMULAS = {
    "activations": [
        ("sigmoid", r"\sigma(z) = \frac{1}{1 + e^{-z}}"),
        ("sigmoid_grad", r"\sigma'(z) = \sigma(z)\,\bigl(1 - \sigma(z)\bigr)"),
        ("relu", r"\operatorname{relu}(z) = \max(0, z)"),
        ("relu_grad", r"\operatorname{relu}'(z) = \begin{cases} 1 & z > 0 \\ 0 & z \le 0 \end{cases}"),
        ("leaky_relu", r"\operatorname{leaky}(z) = \begin{cases} z & z > 0 \\ \alpha z & z \le 0 \end{cases}"),
        ("leaky_relu_grad", r"\operatorname{leaky}'(z) = \begin{cases} 1 & z > 0 \\ \alpha & z \le 0 \end{cases}"),
        ("tanh", r"\tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}} = 2\sigma(2z) - 1"),
        ("tanh_grad", r"\tanh'(z) = 1 - \tanh^2(z)"),
    ],
    "softmax": [
        ("softmax", r"\operatorname{softmax}(z)_k = \frac{e^{z_k - c}}{\sum_j e^{z_j - c}}, \quad c = \max_j z_j"),
        ("log_softmax", r"\log \operatorname{softmax}(z)_k = (z_k - c) - \log \sum_j e^{z_j - c}"),
    ],
    "losses": [
        ("one_hot", r"Y_{ik} = \begin{cases} 1 & k = y_i \\ 0 & \text{otherwise} \end{cases}"),
        ("binary_cross_entropy", r"L = \frac{1}{m} \sum_i \bigl(-y_i \log p_i - (1 - y_i) \log(1 - p_i)\bigr)"),
        ("binary_cross_entropy_with_logits",
         r"L = \frac{1}{m} \sum_i \bigl(\max(z_i, 0) - z_i y_i + \log(1 + e^{-\lvert z_i \rvert})\bigr)"),
        ("categorical_cross_entropy", r"L = -\frac{1}{m} \sum_i \sum_k Y_{ik} \log P_{ik}"),
        ("sparse_categorical_cross_entropy", r"L = -\frac{1}{m} \sum_i \log P_{i, y_i}"),
        ("softmax_cross_entropy_with_logits", r"L = -\frac{1}{m} \sum_i \log \operatorname{softmax}(Z_i)_{y_i}"),
        ("softmax_cross_entropy_grad", r"\frac{\partial L}{\partial Z} = \frac{1}{m} \bigl(\operatorname{softmax}(Z) - Y\bigr)"),
        ("mean_squared_error", r"L = \frac{1}{N} \sum (y - \hat y)^2, \quad N = \text{number of elements}"),
        ("mean_squared_error_grad", r"\frac{\partial L}{\partial \hat y} = \frac{2}{N} (\hat y - y)"),
    ],
    "logistic": [
        ("predict_proba", r"p = \sigma(X w + b)"),
        ("logistic_loss_and_grads",
         r"dz = \frac{1}{m}(p - y), \quad \frac{\partial L}{\partial w} = X^\top dz, \quad \frac{\partial L}{\partial b} = \sum_i dz_i"),
        ("train_logistic", r"w \leftarrow w - \eta \frac{\partial L}{\partial w}, \quad b \leftarrow b - \eta \frac{\partial L}{\partial b}"),
    ],
    "forward": [
        ("dense_forward", r"Z = X W + b"),
        ("mlp_forward", r"A_0 = X, \quad Z_l = A_{l-1} W_l + b_l, \quad A_l = g(Z_l) \ (l < L), \quad \text{logits} = Z_L"),
        ("mlp_predict", r"\hat y_i = \arg\max_k \, (Z_L)_{ik}"),
        ("accuracy", r"\frac{1}{m} \sum_i [\hat y_i = y_i]"),
    ],
    "backprop": [
        ("dense_backward", r"dX = dZ\, W^\top, \quad dW = X^\top dZ, \quad db = \sum_i dZ_{i,:}"),
        ("mlp_loss_and_grads",
         r"dZ_L = \frac{1}{m}\bigl(\operatorname{softmax}(Z_L) - Y\bigr), \quad dZ_{l-1} = (dZ_l W_l^\top) \odot g'(Z_{l-1})"),
    ],
    "initialization": [
        ("xavier_normal", r"W_{ij} \sim \mathcal{N}\Bigl(0, \frac{2}{n_{in} + n_{out}}\Bigr)"),
        ("he_normal", r"W_{ij} \sim \mathcal{N}\Bigl(0, \frac{2}{n_{in}}\Bigr)"),
        ("init_params", r"W_l \in \mathbb{R}^{n_{l-1} \times n_l}, \quad b_l = 0 \in \mathbb{R}^{n_l}"),
    ],
    "optimizers": [
        ("sgd_step", r"\theta \leftarrow \theta - \eta\, g"),
        ("Adam", r"\begin{aligned} m &\leftarrow \beta_1 m + (1 - \beta_1) g, & v &\leftarrow \beta_2 v + (1 - \beta_2) g^2 \\"
                 r" \hat m &= \frac{m}{1 - \beta_1^t}, & \hat v &= \frac{v}{1 - \beta_2^t} \\"
                 r" \theta &\leftarrow \theta - \eta \frac{\hat m}{\sqrt{\hat v} + \epsilon} \end{aligned}"),
    ],
    "minibatch": [
        ("iterate_minibatches", r"\lceil m / B \rceil \text{ batches of } B \text{ rows per epoch, the last one smaller}"),
        ("train_mlp", r"L_{\text{epoch}} = \frac{1}{m} \sum_{\text{batches } b} m_b L_b"),
    ],
    "model": [
        ("Dense", r"A = g(X W + b)"),
        ("Sequential", r"A^{[l]} = g^{[l]}\bigl(A^{[l-1]} W^{[l]} + b^{[l]}\bigr), \quad \theta \leftarrow \operatorname{step}(\theta, \nabla_\theta L)"),
    ],
}

EXAMPLES = {
    "activations": [(
        "Large inputs are where the textbook formulas break. Your functions should give clean "
        "0s and 1s at ±1000, with no warning printed.",
        '''\
z = np.array([-1000.0, -2.0, 0.0, 2.0, 1000.0])
print("sigmoid     ", sigmoid(z))
print("relu        ", relu(z))
print("leaky_relu  ", leaky_relu(z))
print("tanh        ", tanh(z))
print("sigmoid_grad", sigmoid_grad(z), "- at most 0.25, reached at 0")''')],
    "softmax": [(
        "Logits in, probabilities out. The second row overflows unless you shift by the row's "
        "maximum first.",
        '''\
logits = np.array([[2.0, 4.0, 2.0, 1.0],
                   [1000.0, 1001.0, 1002.0, 0.0]])
probabilities = softmax(logits)
print(probabilities.round(4))
print("each row sums to", probabilities.sum(axis=1))
print("log_softmax([0, 2000]) =", log_softmax(np.array([0.0, 2000.0])))''')],
    "losses": [(
        "Three predictions of a binary classifier, then a batch of three samples with four "
        "classes, given as logits.",
        '''\
y, p = np.array([1, 1, 0]), np.array([0.8, 0.7, 0.1])
print("binary cross-entropy:", binary_cross_entropy(y, p))   # 0.2284, a mean over 3 samples

labels = np.array([3, 0, 1])
logits = np.array([[0.1, 0.2, 0.3, 2.5],
                   [3.0, 0.5, 0.2, 0.1],
                   [0.0, 0.0, 0.0, 0.0]])
print("one-hot labels:\\n", one_hot(labels, 4))
print("loss from the logits:    ", softmax_cross_entropy_with_logits(labels, logits))
print("same from probabilities: ", sparse_categorical_cross_entropy(labels, softmax(logits, axis=1)))
print("gradient rows sum to 0:  ", softmax_cross_entropy_grad(labels, logits).sum(axis=1))''')],
    "logistic": [(
        "Two clouds of points, one per class, and a single neuron that learns the line between them.",
        '''\
from grader.datasets import make_blobs

X, y = make_blobs(n_samples=200, centers=[[-2, -1], [2, 1]], cluster_std=1.0, random_state=0)
w, b = train_logistic(X, y, lr=0.1, epochs=500)
p = predict_proba(X, w, b)
print("w =", w.round(3), " b =", round(b, 3))
print("training accuracy:", np.mean((p > 0.5) == y))''')],
    "forward": [(
        "A network with 2 inputs, 3 hidden relu units and 2 outputs, on a batch of 4 samples: "
        "follow the shapes from layer to layer.",
        '''\
rng = np.random.default_rng(0)
params = {"W1": rng.normal(size=(2, 3)), "b1": np.zeros(3),
          "W2": rng.normal(size=(3, 2)), "b2": np.zeros(2)}
X = rng.normal(size=(4, 2))
logits, cache = mlp_forward(X, params)
for l, (A_prev, Z) in enumerate(cache, start=1):
    print(f"layer {l}: input {A_prev.shape} -> Z {Z.shape}")
predicted = mlp_predict(X, params)
print("predicted classes:", predicted, " accuracy against [0, 1, 0, 1]:", accuracy(np.array([0, 1, 0, 1]), predicted))''')],
    "backprop": [(
        "Backpropagation must agree with the slope you can measure: nudge one weight by a tiny "
        "h in both directions and compare.",
        '''\
rng = np.random.default_rng(1)
params = {"W1": rng.normal(size=(3, 4)), "b1": np.zeros(4),
          "W2": rng.normal(size=(4, 2)), "b2": np.zeros(2)}
X, y = rng.normal(size=(5, 3)), np.array([0, 1, 1, 0, 1])
loss, grads = mlp_loss_and_grads(params, X, y, "tanh")


def loss_with_W1_00_moved_by(h):
    moved = {key: value.copy() for key, value in params.items()}
    moved["W1"][0, 0] += h
    return mlp_loss_and_grads(moved, X, y, "tanh")[0]


h = 1e-6
measured = (loss_with_W1_00_moved_by(h) - loss_with_W1_00_moved_by(-h)) / (2 * h)
print(f"backprop: dW1[0, 0] = {grads['W1'][0, 0]:.8f}, measured: {measured:.8f}")''')],
    "initialization": [(
        "Push a batch through 20 relu layers of 256 units. With He initialization the "
        "activations keep their scale; with weights ten times smaller they all but vanish.",
        '''\
rng = np.random.default_rng(0)
X = rng.normal(size=(500, 256))
for name, scale in [("he_normal", 1.0), ("he_normal / 10", 0.1)]:
    A = X
    for _ in range(20):
        A = np.maximum(A @ (scale * he_normal(256, 256, rng)), 0.0)
    print(f"{name:>15}: standard deviation after 20 layers = {A.std():.3g}")
print({key: value.shape for key, value in init_params([2, 25, 15, 10], rng).items()})''')],
    "optimizers": [(
        "Minimise f(w) = (w - 3)² from w = 0, whose gradient is 2(w - 3), with plain gradient "
        "descent and with Adam.",
        '''\
for name, optimizer in [("gradient descent", None), ("Adam", Adam(lr=0.1))]:
    params = {"w": np.array([0.0])}
    for step in range(100):
        grads = {"w": 2 * (params["w"] - 3.0)}
        if optimizer is None:
            sgd_step(params, grads, lr=0.1)
        else:
            optimizer.step(params, grads)
    print(f"{name}: w = {params['w'][0]:.4f} after 100 steps")''')],
    "minibatch": [(
        "Three spiral arms, which no straight line separates, learned by a small MLP trained "
        "with mini-batches and Adam (your earlier exercises).",
        '''\
from earlier.forward import accuracy, mlp_predict
from earlier.initialization import init_params
from earlier.optimizers import Adam
from grader.datasets import make_spiral

X, y = make_spiral(n_per_class=100, n_classes=3, rng=0)
rng = np.random.default_rng(0)
params = init_params([2, 64, 3], rng)
history = train_mlp(params, X, y, Adam(lr=0.01), epochs=200, batch_size=32, rng=rng)
print(f"loss {history[0]:.3f} after the first epoch, {history[-1]:.3f} after the last")
print("training accuracy:", accuracy(y, mlp_predict(X, params)))''')],
    "model": [
        ("Four blobs of points, four classes: two relu units, then four linear outputs (the "
         "logits), trained with the loss applied to the logits, as in the course notes. "
         "`predict` returns logits, so a softmax turns them into probabilities.",
         '''\
from earlier.optimizers import Adam
from grader.datasets import make_blobs

X_train, y_train = make_blobs(n_samples=100, centers=[[-5, 2], [-2, -2], [1, 2], [5, -2]],
                              cluster_std=1.0, random_state=30)
model = Sequential([Dense(2, activation="relu"), Dense(4, activation="linear")])
model.compile(loss="sparse_categorical_crossentropy", optimizer=Adam(0.01), from_logits=True)
history = model.fit(X_train, y_train, epochs=200)
print(f"loss {history['loss'][0]:.3f} -> {history['loss'][-1]:.3f}")

logits = model.predict([[4.33, -1.99]])
print("probabilities:", softmax(logits, axis=1).round(3), " class:", np.argmax(logits[0]))  # class 3'''),
        ("Handwritten zeros and ones (8x8 pixels, 64 inputs): 25 and 15 relu units and one "
         "linear output, with the binary cross-entropy applied to the logit. A positive logit "
         "means a one. Try all ten digits next: ten outputs and the sparse categorical loss.",
         '''\
from grader.datasets import load_digits

X_train, y_train = load_digits("train", classes=(0, 1))
X_test, y_test = load_digits("test", classes=(0, 1))
model = Sequential([Dense(25, activation="relu"), Dense(15, activation="relu"),
                    Dense(1, activation="linear")])
model.compile(loss="binary_crossentropy", optimizer=Adam(1e-3), from_logits=True)
history = model.fit(X_train, y_train, epochs=20)
print(f"loss {history['loss'][0]:.3f} -> {history['loss'][-1]:.3f}")
print("test accuracy:", np.mean((model.predict(X_test)[:, 0] > 0) == y_test))'''),
    ],
}
