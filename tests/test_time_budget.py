"""A time budget per check: a function that hangs costs the checks that call it, and no others."""

import pytest

from conftest import grade_folder
from grader.checks.core import Check
from grader.engine.timing import Clock, time_bound

LIMIT = 4  # seconds per exercise: each check's default budget is then 4/3 s

HANGS = "while True:\n    pass"
RAISES = 'raise RuntimeError("broken on purpose")'


def with_body(signature, body):
    return f"def {signature}:\n" + "".join(f"    {line}\n" for line in body.splitlines())


def failing(exercise):
    return {c.name for c in exercise.checks if c.ran and not c.passed}


@pytest.mark.parametrize("module, signature, spared", [
    ("optimizers", "sgd_step(params, grads, lr)", ("adam",)),
    ("activations", "sigmoid(z)", ("relu", "tanh")),
    ("losses", "one_hot(y, num_classes)", ("binary", "mean_squared")),
])
def test_a_hang_costs_exactly_the_checks_that_call_the_function(submission, module, signature, spared):
    function = signature.split("(")[0]
    report = grade_folder(submission(replacements={f"{module}.{function}": with_body(signature, HANGS)}),
                          names=[module], timeout=LIMIT)
    hung = report.exercises[0]
    broken = grade_folder(submission(replacements={f"{module}.{function}": with_body(signature, RAISES)}),
                          names=[module], timeout=LIMIT).exercises[0]
    assert failing(hung) == failing(broken) != set()  # as if it had raised: no other check is lost
    for check in hung.checks:
        assert check.ran, check.message
        if not check.passed:
            assert check.message.startswith("timed out") and "1.33 s" in check.message, check.message
    others = [c for c in hung.checks if any(word in c.name for word in spared)]
    assert others and all(c.passed for c in others)
    assert hung.seconds < time_bound(LIMIT) + 1
    assert any("A check that times out costs only itself" in notice for notice in report.notices)


def test_the_exercise_ends_within_its_bound_whatever_hangs(submission):
    everything = {f"activations.{name}": with_body(f"{name}(z, alpha=0.01)", HANGS)
                  for name in ("sigmoid", "sigmoid_grad", "relu", "relu_grad", "leaky_relu",
                               "leaky_relu_grad", "tanh", "tanh_grad")}
    exercise = grade_folder(submission(replacements=everything), names=["activations"], timeout=2).exercises[0]
    assert exercise.score == 0
    assert exercise.seconds < time_bound(2) + 1
    assert any("not run: the exercise's time (2 s, and 4 s more" in c.message for c in exercise.checks)


def test_a_check_may_declare_its_own_budget():
    clock = Clock(10)
    plain = Check("plain", 1, lambda: None)
    assert clock.budget(plain) == 10 / 3  # a third of the exercise's limit
    declared = Check("slow", 1, lambda: None)
    declared.timeout = 6  # exercise.check(..., timeout=6)
    assert clock.budget(declared) == 6
    declared.timeout = 60
    assert clock.budget(declared) == 10  # never more than the exercise's own limit
    assert Clock(1.5).budget(plain) == 1.0  # at least a second


def test_black_boxes_stretch_every_budget():
    clock = Clock(10)
    clock.stretch(4)  # the exercise calls the reference's black boxes: a round trip per call
    plain, declared = Check("plain", 1, lambda: None), Check("slow", 1, lambda: None)
    declared.timeout = 6
    assert clock.budget(plain) == 40 / 3 and clock.budget(declared) == 24
    assert clock.end() == clock.started + time_bound(40)
