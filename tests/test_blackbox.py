"""The reference's earlier modules as black boxes: a later exercise calls them, through
proxies that hold none of their source, and gets exactly what the modules themselves give
(values, in-place updates, objects with state, generators, random streams, errors)."""

import hashlib
import time

import numpy as np
import pytest

from conftest import EXERCISE_NAMES, SOLUTIONS
from grader.engine.process import ChildProcess, ChildTimeout
from grader.engine.workspace import Workspace
from grader.grading.run import write_child_config
from grader.submission import Reference, Submission

EARLIER = EXERCISE_NAMES[:-1]

# The student's model.py: the reference's (so that training is the reference's, call for
# call), and a few functions that use the proxies the way student code does.
PROBES = '''

from .activations import relu
from .initialization import init_params
from .logistic import train_logistic
from .optimizers import Adam, sgd_step


def sgd_keeps_the_arrays(params, grads, lr):
    arrays = {k: id(v) for k, v in params.items()}
    sgd_step(params, grads, lr)
    return params, all(id(v) == arrays[k] for k, v in params.items())


def adam_steps(params, grads, n):
    optimizer = Adam(lr=0.1)
    for _ in range(n):
        optimizer.step(params, grads)
    optimizer.lr = 0.5
    return params, optimizer.t, optimizer.lr, isinstance(optimizer, Adam)


def batches_and_next_draw(X, y, size, seed):
    rng = np.random.default_rng(seed)
    batches = list(iterate_minibatches(X, y, size, rng))
    return batches, rng.random()


def init_and_next_draw(sizes, seed):
    rng = np.random.default_rng(seed)
    params = init_params(sizes, rng)
    return params, he_normal(2, 3, rng), rng.random()


def train(X, y, seed):
    model = Sequential([Dense(5, "relu"), Dense(3)])
    model.compile("sparse_categorical_crossentropy", Adam(0.01), from_logits=True)
    history = model.fit(X, y, epochs=4, batch_size=7, seed=seed)
    return history["loss"], model.get_weights()


def reference_error():
    try:
        init_params([2, 3], np.random.default_rng(0), method="nope")
    except ValueError as error:
        return str(error)


def raise_through_the_proxy():
    return relu("not an array")


def caught_as_a_type_error():
    try:
        relu("not an array")
    except TypeError as error:
        return type(error).__name__


def allocate_too_much():
    try:
        he_normal(10**6, 10**6, np.random.default_rng(0))
    except MemoryError as error:
        return "MemoryError"


def run_forever(X, y):
    return train_logistic(X, y, epochs=10**12)


def private_names():
    import blackbox
    refused = []
    for fields in ({"target": "forward:mlp_forward", "action": "getattr", "name": "__doc__"},
                   {"target": "forward:mlp_forward", "action": "getattr", "name": "__globals__"},
                   {"target": "optimizers:Adam", "action": "getattr", "name": "__init__"}):
        try:
            blackbox.request(fields)
        except Exception as error:
            refused.append(type(error).__name__)
    batches = iterate_minibatches(np.ones((4, 2)), np.ones(4), 2)
    optimizer = Adam(0.1)
    for reach in (lambda: batches.gi_frame, lambda: batches.gi_code, lambda: optimizer.nothing,
                  lambda: blackbox.request({"target": "optimizers:Adam", "action": "getattr", "name": "mro"}),
                  lambda: blackbox.request({"target": "optimizers:Adam", "name": "mro"})):
        try:
            reach()
        except (AttributeError, Exception) as error:
            refused.append(type(error).__name__)
    for fields in ({"target": "forward:np"}, {"target": "os:system"}):
        try:
            blackbox.request(fields)
        except OSError:
            refused.append("closed")
    return refused, float(relu(np.array([-1.0, 2.0])).sum())  # and it works again afterwards
'''


@pytest.fixture(scope="module")
def reference():
    return Reference(SOLUTIONS)


@pytest.fixture(scope="module")
def child(tmp_path_factory, reference):
    folder = tmp_path_factory.mktemp("blackbox")
    for name in EARLIER:
        (folder / f"{name}.py").write_text("", encoding="utf-8")
    (folder / "model.py").write_text((SOLUTIONS / "model.py").read_text(encoding="utf-8") + PROBES, encoding="utf-8")
    workspace, _ = Workspace.create("model", EARLIER, Submission(folder, EXERCISE_NAMES), reference)
    write_child_config(workspace, (), {"model.py"})
    child = ChildProcess(workspace, "model", time.monotonic() + 120)
    assert child.hello["ok"], child.hello
    yield child
    child.close()
    workspace.remove()


def call(child, name, *args, seconds=60):
    child.deadline = time.monotonic() + seconds
    answer = child.request({"op": "call", "target": name, "args": list(args), "kwargs": {}})
    assert answer["ok"], answer
    return answer["value"]


@pytest.mark.posix_only("needs POSIX: the reference runs behind a Unix socket (on Windows the modules are copies)")
def test_the_proxies_hold_no_line_of_the_reference(child, reference):
    package = child.workspace.root / "submission"
    lines = reference.solution_lines(EARLIER)
    for name in EARLIER:
        proxy = (package / f"{name}.py").read_text(encoding="utf-8")
        assert "blackbox.install" in proxy
        assert hashlib.sha256(proxy.encode()).digest() != hashlib.sha256(reference.module_file(name).read_bytes()).digest()
        assert not lines & {line.strip() for line in proxy.splitlines()}
    assert len(lines) > 100


@pytest.mark.posix_only("needs POSIX: the reference runs behind a Unix socket (on Windows the modules are copies)")
def test_a_call_in_place_updates_the_callers_own_arrays(child, reference):
    params, grads = {"W": np.ones((2, 3)), "b": np.zeros(3)}, {"W": np.full((2, 3), 0.5), "b": np.ones(3)}
    after, same_arrays = call(child, "sgd_keeps_the_arrays", params, grads, 0.1)
    want = {k: v.copy() for k, v in params.items()}
    reference.module("optimizers").sgd_step(want, grads, 0.1)
    assert same_arrays
    assert all(np.array_equal(after[k], want[k]) for k in want)


@pytest.mark.posix_only("needs POSIX: the reference runs behind a Unix socket (on Windows the modules are copies)")
def test_an_object_of_the_reference_keeps_its_state_there(child, reference):
    params, grads = {"W": np.ones((2, 2))}, {"W": np.array([[1.0, -2.0], [0.5, 3.0]])}
    after, steps, lr, is_adam = call(child, "adam_steps", params, grads, 3)
    want, adam = {"W": np.ones((2, 2))}, reference.module("optimizers").Adam(lr=0.1)
    for _ in range(3):
        adam.step(want, grads)
    assert np.array_equal(after["W"], want["W"])
    assert (steps, lr, is_adam) == (3, 0.5, True)


@pytest.mark.posix_only("needs POSIX: the reference runs behind a Unix socket (on Windows the modules are copies)")
def test_generators_and_random_streams_advance_exactly_as_the_modules_own(child, reference):
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    batches, draw = call(child, "batches_and_next_draw", X, y, 4, 7)
    rng = np.random.default_rng(7)
    want = list(reference.module("minibatch").iterate_minibatches(X, y, 4, rng))
    assert [b[0].tolist() for b in batches] == [b[0].tolist() for b in want]
    assert draw == rng.random()

    params, W, draw = call(child, "init_and_next_draw", [3, 4, 2], 1)
    rng = np.random.default_rng(1)
    want = reference.module("initialization").init_params([3, 4, 2], rng)
    assert all(np.array_equal(params[k], want[k]) for k in want)
    assert np.array_equal(W, reference.module("initialization").he_normal(2, 3, rng))
    assert draw == rng.random()


@pytest.mark.posix_only("needs POSIX: the reference runs behind a Unix socket (on Windows the modules are copies)")
def test_training_through_the_proxies_is_the_reference_bit_for_bit(child, reference):
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(30, 4)), rng.integers(0, 3, 30)
    losses, weights = call(child, "train", X, y, 5)
    model = reference.module("model")
    twin = model.Sequential([model.Dense(5, "relu"), model.Dense(3)])
    twin.compile("sparse_categorical_crossentropy", reference.module("optimizers").Adam(0.01), from_logits=True)
    assert losses == twin.fit(X, y, epochs=4, batch_size=7, seed=5)["loss"]
    assert all(np.array_equal(a, b) for a, b in zip(weights, twin.get_weights()))


@pytest.mark.posix_only("needs POSIX: the reference runs behind a Unix socket (on Windows the modules are copies)")
def test_an_error_of_the_reference_is_its_type_and_message_with_only_the_students_frames(child):
    assert "nope" in call(child, "reference_error")
    child.deadline = time.monotonic() + 60
    answer = child.request({"op": "call", "target": "raise_through_the_proxy", "args": [], "kwargs": {}})
    assert not answer["ok"] and answer["error"]["type"] == "UFuncTypeError"  # as the module raises it
    assert call(child, "caught_as_a_type_error") == "UFuncTypeError"
    assert answer["error"]["where"] and all(w.startswith("model.py, line ") for w in answer["error"]["where"])


@pytest.mark.posix_only("needs POSIX: the reference runs behind a Unix socket (on Windows the modules are copies)")
def test_private_names_other_targets_and_what_the_reference_does_not_define_are_refused(child):
    """No dunder name, no name that is not proxied, and behind a handle only what the
    reference defines: a generator's gi_frame would lead to f_globals and builtins.open."""
    refused, works = call(child, "private_names")
    assert refused == ["CallError"] * 3 + ["AttributeError"] * 3 + ["CallError"] * 2 + ["closed"] * 2
    assert works == 2.0


@pytest.mark.posix_only("needs POSIX: the reference runs behind a Unix socket (on Windows the modules are copies)")
def test_hostile_arguments_cost_the_reference_process_not_the_grader(child):
    assert call(child, "allocate_too_much") == "MemoryError"
    started = time.monotonic()
    with pytest.raises(ChildTimeout):
        call(child, "run_forever", np.ones((4, 2)), np.array([0.0, 1.0, 0.0, 1.0]), seconds=1)
    assert time.monotonic() - started < 5


@pytest.mark.posix_only("needs POSIX: the reference runs behind a Unix socket (on Windows the modules are copies)")
def test_closing_the_workspace_stops_the_reference_process(tmp_path, reference):
    (tmp_path / "losses.py").write_text("from .softmax import softmax\n", encoding="utf-8")
    workspace, used = Workspace.create("losses", ["activations", "softmax"], Submission(tmp_path, EXERCISE_NAMES),
                                       reference)
    assert used == ["softmax"]
    process = workspace.references.process
    workspace.remove()
    assert process.poll() is not None


def test_without_the_reference_the_earlier_modules_are_the_students_own(tmp_path):
    (tmp_path / "softmax.py").write_text("def softmax(z, axis=-1):\n    return 'mine'\n", encoding="utf-8")
    (tmp_path / "losses.py").write_text("from .softmax import softmax\n", encoding="utf-8")
    workspace, used = Workspace.create("losses", ["activations", "softmax"], Submission(tmp_path, EXERCISE_NAMES))
    try:
        assert used == [] and workspace.references is None
        copied = (workspace.root / "submission" / "softmax.py").read_text(encoding="utf-8")
        assert copied == (tmp_path / "softmax.py").read_text(encoding="utf-8")
    finally:
        workspace.remove()


def test_a_forked_child_reaches_its_own_workspaces_reference(tmp_path, reference):
    """The fork server's copy of blackbox.py finds the socket of the child's workspace."""
    from grader.engine.forkserver import ForkServer, available

    if not available():
        pytest.skip("no fork server here")
    forks = ForkServer.start()
    (tmp_path / "losses.py").write_text("from .softmax import softmax\n\n\ndef f(z):\n    return softmax(z)\n",
                                        encoding="utf-8")
    workspace, _ = Workspace.create("losses", ["activations", "softmax"], Submission(tmp_path, EXERCISE_NAMES),
                                    reference)
    write_child_config(workspace, (), {"losses.py"})
    try:
        child = ChildProcess(workspace, "losses", time.monotonic() + 60, forks=forks)
        assert forks is None or type(child.process).__name__ == "ForkedProcess"
        z = np.array([[1.0, 2.0, 1000.0]])
        assert np.array_equal(call(child, "f", z), reference.module("softmax").softmax(z))
        child.close()
    finally:
        workspace.remove()
        if forks is not None:
            forks.close()
