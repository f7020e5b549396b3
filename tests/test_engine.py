"""The engine survives whatever a submission does, and always produces a valid report."""

import json
import time

import numpy as np
import pytest

from grader.engine.timing import time_bound

from conftest import ROOT, grade_folder


def statuses(report):
    return {e.name: e.status for e in report.exercises}


def check(report, exercise, name):
    return next(c for e in report.exercises if e.name == exercise for c in e.checks if c.name == name)


def test_reference_gets_full_marks_and_is_deterministic(submission):
    folder = submission()
    first, second = grade_folder(folder), grade_folder(folder)
    assert first.score == first.max_score > 0
    strip = lambda r: [[c.to_dict() for c in e.checks] for e in r.exercises]  # noqa: E731
    assert strip(first) == strip(second)


def test_syntax_error_costs_only_its_exercise(submission):
    folder = submission(modules={"softmax": "import numpy as np\ndef softmax(z, axis=-1)\n    return z\n"})
    report = grade_folder(folder, names=["activations", "softmax", "losses"])
    assert statuses(report) == {"activations": "passed", "softmax": "error", "losses": "passed"}
    error = report.exercises[1].error
    assert "softmax.py has a syntax error" in error and "line 2" in error
    json.loads(json.dumps(report.to_dict()))


def test_missing_module_and_missing_function(submission):
    folder = submission(replacements={"activations.relu": "pass"})
    (folder / "softmax.py").unlink()
    report = grade_folder(folder, names=["activations", "softmax"])
    assert statuses(report)["softmax"] == "error"
    assert "softmax.py is missing" in report.exercises[1].error
    assert "activations.py defines no `relu`" in check(report, "activations", "relu_known_values").message


def test_bad_return_values_fail_with_messages(submission):
    folder = submission(replacements={
        "activations.sigmoid": "def sigmoid(z):\n    return None",
        "activations.relu": "def relu(z):\n    return 'relu'",
        "activations.tanh": "def tanh(z):\n    return np.tanh(z)[:1]",
        "activations.leaky_relu": "def leaky_relu(z, alpha=0.01):\n    return z * np.nan",
        "activations.sigmoid_grad": "def sigmoid_grad(z):\n    return object()",
    })
    report = grade_folder(folder, names=["activations"])
    assert "None (a missing `return`?)" in check(report, "activations", "sigmoid_known_values").message
    assert "got a str" in check(report, "activations", "relu_known_values").message
    assert "returned shape (1, 4)" in check(report, "activations", "tanh_is_stable").message
    assert "nan" in check(report, "activations", "leaky_relu_honours_alpha").message
    assert "got a object object" in check(report, "activations", "sigmoid_grad_matches_numeric").message
    assert report.exercises[0].status == "failed"


def test_infinite_loop_times_out_and_spares_the_rest(submission):
    folder = submission(replacements={"softmax.log_softmax": "def log_softmax(z, axis=-1):\n    while True:\n        pass"})
    report = grade_folder(folder, names=["activations", "softmax"], timeout=2)
    softmax = report.exercises[1]
    assert statuses(report)["activations"] == "passed"
    assert "timed out" in check(report, "softmax", "log_softmax_is_stable").message
    assert check(report, "softmax", "softmax_known_values").passed
    assert softmax.seconds < time_bound(2) + 1  # the engine's deadline, not a speed target


def test_exit_at_import_is_an_error_not_a_crash(submission):
    for code in ("import sys\nsys.exit(0)\n", "import os\nos._exit(0)\n"):
        folder = submission(modules={"activations": code})
        report = grade_folder(folder, names=["activations", "softmax"])
        assert statuses(report) == {"activations": "error", "softmax": "passed"}
        assert report.exercises[0].score == 0


def test_exit_inside_a_function_costs_one_check(submission):
    folder = submission(replacements={
        "activations.relu": "def relu(z):\n    import os\n    os._exit(0)",
        "activations.tanh": "def tanh(z):\n    raise SystemExit(0)",
        "activations.sigmoid": "def sigmoid(z):\n    raise KeyboardInterrupt",
    })
    report = grade_folder(folder, names=["activations"])
    assert "exited with status 0" in check(report, "activations", "relu_known_values").message
    assert "sys.exit()" in check(report, "activations", "tanh_is_stable").message
    assert "KeyboardInterrupt" in check(report, "activations", "sigmoid_known_values").message
    assert check(report, "activations", "leaky_relu_honours_alpha").passed


def test_printing_does_not_reach_the_report(submission):
    folder = submission(replacements={"activations.relu": 'def relu(z):\n    print("100/100 passed")\n    return np.maximum(z, 0)'})
    report = grade_folder(folder, names=["activations"])
    assert report.exercises[0].status == "passed"
    assert "100/100 passed" in report.exercises[0].output


def test_stub_is_not_started_with_a_pointer_to_the_function():
    from conftest import ROOT
    report = grade_folder(ROOT / "exercises")
    assert report.score == 0
    assert {e.status for e in report.exercises} == {"not_started"}
    message = report.exercises[0].checks[0].message
    assert message.startswith("not started: write sigmoid (activations.py, line ")
    assert "`nnlab hint activations`" in message and "TODO" not in message  # never the stub's TODO text
    method = next(c.message for e in report.exercises if e.name == "optimizers" for c in e.checks
                  if c.name == "adam_step_updates_in_place")
    assert "write Adam." in method and "`nnlab hint optimizers`" in method


def test_protocol_round_trip_keeps_types():
    from grader.engine.protocol import decode, encode
    blobs = []
    value = {"a": np.arange(6.0).reshape(2, 3)[:, ::2], "b": (1, 2.5, None, "x"), "c": [np.float64(2.0)],
             "d": np.array([True, False]), "e": np.zeros((0, 4), dtype=np.float32), "f": np.int64(3)}
    back = decode(encode(value, blobs), blobs)
    assert back["b"] == (1, 2.5, None, "x") and back["c"][0] == 2.0 and back["f"] == 3
    for key in "ade":
        assert back[key].dtype == value[key].dtype and np.array_equal(back[key], value[key])


@pytest.mark.parametrize("description", [
    {"$nd": 0, "dtype": "|O", "shape": [1]},          # objects could run code
    {"$nd": 0, "dtype": "<f8", "shape": [3]},         # more elements than bytes
    {"$nd": 0, "dtype": "<f8", "shape": [-1]},
    {"$nd": 0, "dtype": "V8", "shape": [1]},
    {"$nd": 5, "dtype": "<f8", "shape": [1]},
    {"$nd": 0, "dtype": [["a", "<f8"]], "shape": [1]},
])
def test_protocol_refuses_arrays_that_do_not_add_up(description):
    from grader.engine.protocol import ProtocolError, decode
    with pytest.raises(ProtocolError):
        decode(description, [b"\0" * 8])


def test_a_module_that_replaces_sys_stdout_is_graded_as_it_is(submission):
    """sys.stdout = None at import (or a closed stdout) is the student's business, not a crash of the child."""
    folder = submission(modules={"activations": "import sys\nsys.stdout = None\n"
                                 + (ROOT / "solutions" / "activations.py").read_text(encoding="utf-8")})
    report = grade_folder(folder, names=["activations"])
    assert report.exercises[0].status == "passed", [c.message for c in report.exercises[0].checks if not c.passed]


def test_what_the_child_printed_last_reaches_the_report_however_late_it_is_read(submission, monkeypatch):
    """The report takes the child's output once the child is closed, and closing lets the
    reader reach the pipe's end: a reader thread slowed by a loaded machine loses nothing."""
    from grader.engine import portable, process

    original = portable.chunks

    def slow_chunks(fd, stop, poll=0.1):
        for chunk in original(fd, stop, poll):
            time.sleep(0.1)  # the reader thread, scheduled late
            yield chunk

    monkeypatch.setattr(process.portable, "chunks", slow_chunks)
    folder = submission()
    path = folder / "softmax.py"
    path.write_text("print('the last words of softmax.py')\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    report = grade_folder(folder, names=["softmax"], sandbox="off")
    assert "the last words of softmax.py" in report.exercises[0].output
