"""Train the same MLP with the reference solutions and with PyTorch, in one process.

64-25-15-10, relu, softmax cross-entropy on the logits, Adam(1e-3), batches of 32, on
the digits' training split: the same number of steps for both. The caller sets the
threads (OPENBLAS_NUM_THREADS before NumPy is imported: run this as its own process):

    python -m benchmarks.mlp_training --epochs 10 --repeats 3 [--single-thread]   # prints JSON
"""

import argparse
import json
import sys
import time

import numpy as np

from grader.datasets import load_digits
from grader.submission import Reference

from . import SOLUTIONS

HIDDEN = (25, 15)
CLASSES = 10
BATCH = 32
LEARNING_RATE = 1e-3


def reference_sequential(X, y, epochs):
    """The capstone: Sequential([Dense(25, relu), Dense(15, relu), Dense(10)]).fit(...)."""
    reference = Reference(SOLUTIONS)
    model_module, optimizers = reference.module("model"), reference.module("optimizers")
    model = model_module.Sequential([*(model_module.Dense(units, activation="relu") for units in HIDDEN),
                                     model_module.Dense(CLASSES)])
    model.compile(loss="sparse_categorical_crossentropy", optimizer=optimizers.Adam(LEARNING_RATE), from_logits=True)
    return model.fit(X, y, epochs=epochs, batch_size=BATCH, seed=0)["loss"][-1]


def reference_train_mlp(X, y, epochs):
    """Exercise 9's loop: train_mlp on a params dict from init_params."""
    reference = Reference(SOLUTIONS)
    rng = np.random.default_rng(0)
    params = reference.module("initialization").init_params([X.shape[1], *HIDDEN, CLASSES], rng)
    optimizer = reference.module("optimizers").Adam(LEARNING_RATE)
    return reference.module("minibatch").train_mlp(params, X, y, optimizer, epochs, BATCH, rng)[-1]


def torch_training(dtype):
    import torch

    def train(X, y, epochs):
        torch.manual_seed(0)
        X_t, y_t = torch.as_tensor(X, dtype=dtype), torch.as_tensor(y)
        sizes = [X.shape[1], *HIDDEN]
        layers = [layer for n_in, n_out in zip(sizes, sizes[1:]) for layer in (torch.nn.Linear(n_in, n_out),
                                                                                   torch.nn.ReLU())]
        model = torch.nn.Sequential(*layers, torch.nn.Linear(sizes[-1], CLASSES)).to(dtype)
        optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
        loss_function = torch.nn.CrossEntropyLoss()
        for _ in range(epochs):
            total = 0.0
            for batch in torch.randperm(len(X_t)).split(BATCH):
                optimizer.zero_grad()
                loss = loss_function(model(X_t[batch]), y_t[batch])
                loss.backward()
                optimizer.step()
                total += loss.item() * len(batch)
        return total / len(X_t)

    return train


def kernels():
    """What runs the matrix products: threadpoolctl's view of the BLAS libraries loaded."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return ["threadpoolctl not installed"]
    return sorted({f"{pool.get('internal_api')} {pool.get('version') or ''} {pool.get('architecture') or ''}"
                   f" ({pool['num_threads']} threads, {pool['filepath'].split('/')[-1]})"
                   for pool in threadpool_info()})


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--single-thread", action="store_true", help="torch.set_num_threads(1) too")
    options = parser.parse_args(argv)
    import torch

    if options.single_thread:
        torch.set_num_threads(1)
    X, y = load_digits("train")
    contenders = {"reference Sequential.fit": reference_sequential, "reference train_mlp": reference_train_mlp,
                  "torch float64": torch_training(torch.float64), "torch float32": torch_training(torch.float32)}
    for train in contenders.values():
        train(X, y, 1)  # warm up: imports, allocations, torch's first-call costs
    seconds, losses = {name: [] for name in contenders}, {}
    for _ in range(options.repeats):
        for name, train in contenders.items():  # interleaved, so that a busy moment hits all alike
            started = time.perf_counter()
            losses[name] = float(train(X, y, options.epochs))
            seconds[name].append(time.perf_counter() - started)
    steps = options.epochs * -(-len(X) // BATCH)
    json.dump({"seconds": seconds, "final_loss": losses, "steps": steps, "torch": torch.__version__,
               "torch_threads": torch.get_num_threads(), "kernels": kernels()}, sys.stdout)


if __name__ == "__main__":
    main()
