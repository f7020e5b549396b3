"""Tracebacks show the student's own code only: never the grader, never the reference."""

from conftest import grade_folder
from grader.engine.student import OwnFrames, StudentError
from notebook_cells import notebook_with_cell

RAISES_IN_REFERENCE = """
def softmax_cross_entropy_grad(y, Z):
    m, K = Z.shape
    return (softmax(Z, axis=5) - one_hot(y, K)) / m
"""


def messages(exercise):
    return "\n".join(c.message for c in exercise.checks if not c.passed) + exercise.error


UNSTABLE_LOG_SOFTMAX = """
def log_softmax(z, axis=-1):
    return np.log(softmax(z, axis=axis))
"""


def test_the_reference_and_the_grader_are_left_out(submission):
    folder = submission(replacements={"losses.softmax_cross_entropy_grad": RAISES_IN_REFERENCE,
                                      "softmax.log_softmax": UNSTABLE_LOG_SOFTMAX})
    exercise = grade_folder(folder, names=["losses"]).exercises[0]
    assert exercise.reference_modules == ["softmax"]  # theirs lost points: the reference's black box
    text = messages(exercise)
    assert "losses.py, line" in text and "in softmax_cross_entropy_grad" in text
    assert "softmax.py" not in text
    assert "_engine" not in text and "child.py" not in text and "blackbox" not in text


def test_an_earlier_module_with_full_marks_is_the_students_own(submission):
    folder = submission(replacements={"losses.softmax_cross_entropy_grad": RAISES_IN_REFERENCE})
    report = grade_folder(folder, names=["losses"])
    assert [e.name for e in report.exercises] == ["losses"]  # softmax was graded to judge it, not reported
    exercise = report.exercises[0]
    assert exercise.reference_modules == []
    assert "softmax.py, line" in messages(exercise)


def test_the_students_own_earlier_module_is_kept_without_the_reference(submission):
    folder = submission(replacements={"losses.softmax_cross_entropy_grad": RAISES_IN_REFERENCE})
    text = messages(grade_folder(folder, names=["losses"], reference=False).exercises[0])
    assert "losses.py, line" in text and "softmax.py, line" in text and "_engine" not in text


def test_the_parent_filters_again_whatever_the_child_sends():
    where = ["../_engine/child.py, line 199, in serve: value = target(*args)",
             "softmax.py, line 3, in softmax: return e / e.sum()",
             "losses.py, line 40, in one_hot: raise ValueError(y)",
             "/etc/passwd, line 1", "losses.py, line x", 42, "losses.py, line 41" + "!" * 1000]
    kept = StudentError("one_hot(...)", {"type": "ValueError", "message": "m", "where": where},
                        OwnFrames({"losses.py"})).where
    assert kept == ["losses.py, line 40, in one_hot: raise ValueError(y)"]
    assert StudentError("f()", ["not a dict"]).where == []


def test_a_notebook_names_its_cell(tmp_path):
    path = notebook_with_cell(tmp_path / "nb", "activations", "relu",
                              "def relu(z):\n    scale = 1.0\n    raise ValueError('boom')\n")
    exercise = grade_folder(tmp_path / "nb", names=["activations"]).exercises[0]
    message = next(c.message for c in exercise.checks if c.name == "relu_known_values")
    assert f"{path.name}, cell `relu`, line 3, in relu" in message, message
    assert "_engine" not in message and "activations.py" not in message
