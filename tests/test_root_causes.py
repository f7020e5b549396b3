"""In a copy without the reference, a later exercise that fails because of an earlier one says so first."""

import json

from conftest import grade_folder

GLOBAL_SUM_SOFTMAX = {"softmax.softmax": "def softmax(z, axis=-1):\n    e = np.exp(z - z.max())\n    return e / e.sum()"}
LOSSES_BUG = {"losses.mean_squared_error": "def mean_squared_error(y, y_hat):\n    return float(np.sum((y - y_hat) ** 2))"}


def failing(exercise):
    return [c for c in exercise.checks if c.ran and not c.passed]


def test_the_earlier_module_is_named_first(submission):
    report = grade_folder(submission(replacements=GLOBAL_SUM_SOFTMAX), names=["softmax", "losses"], reference=False)
    softmax, losses = report.exercises
    count = len(failing(softmax))
    assert softmax.status == "partial" and softmax.caused_by == [] and count >= 2
    assert losses.caused_by == [{"exercise": "softmax", "number": 2, "status": "partial", "failing": count}]
    first = f"your softmax (exercise 2) fails {count} checks; losses uses it: fix softmax first."
    assert failing(losses) and all(c.message.startswith(first + "\n") for c in failing(losses))
    assert json.loads(json.dumps(report.to_dict()))["exercises"][1]["caused_by"][0]["exercise"] == "softmax"


def test_an_earlier_exercise_outside_the_run_is_graded_to_judge_it(submission):
    report = grade_folder(submission(replacements=GLOBAL_SUM_SOFTMAX), names=["losses"], reference=False)
    [losses] = report.exercises
    assert [c["exercise"] for c in losses.caused_by] == ["softmax"]


def test_no_cause_when_the_earlier_modules_pass_or_come_from_the_reference(submission):
    own_bug = grade_folder(submission(replacements=LOSSES_BUG), names=["losses"], reference=False).exercises[0]
    assert failing(own_bug) and own_bug.caused_by == []
    assert not any(c.message.startswith("your ") for c in own_bug.checks)
    with_reference = grade_folder(submission(replacements=GLOBAL_SUM_SOFTMAX), names=["softmax", "losses"])
    assert with_reference.exercises[1].status == "passed" and with_reference.exercises[1].caused_by == []


def test_an_earlier_module_that_cannot_be_loaded(submission):
    folder = submission(modules={"softmax": "import numpy as np\ndef softmax(z, axis=-1)\n    return z\n"})
    losses = grade_folder(folder, names=["softmax", "losses"], reference=False).exercises[1]
    assert losses.status == "error"
    assert losses.error.startswith("your softmax (exercise 2) cannot be loaded; losses uses it: fix softmax first.")
    assert losses.caused_by[0]["status"] == "error"
