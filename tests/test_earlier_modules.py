"""With the reference, which earlier modules an exercise gets: the student's own where they
earned full marks (or are the reference's text), the reference's black boxes otherwise."""

from conftest import grade_folder
from grader.grading import run

WRONG_SOFTMAX = """
def softmax(z, axis=-1):
    e = np.exp(z)
    return e / e.sum()
"""


def graded_modules(monkeypatch):
    graded = []
    real = run.grade_exercise

    def counting(exercise, submission, **options):
        graded.append(exercise.module)
        return real(exercise, submission, **options)

    monkeypatch.setattr(run, "grade_exercise", counting)
    return graded


def test_a_copy_of_the_reference_needs_no_judging(submission, monkeypatch):
    graded = graded_modules(monkeypatch)
    report = grade_folder(submission(), names=["losses"])
    assert graded == ["losses"] and report.exercises[0].reference_modules == []


def test_a_wrong_earlier_module_is_judged_first_and_replaced_by_the_black_box(submission, monkeypatch):
    graded = graded_modules(monkeypatch)
    report = grade_folder(submission(replacements={"softmax.softmax": WRONG_SOFTMAX}), names=["losses"])
    assert graded == ["softmax", "losses"]  # softmax first, to judge it; not reported
    assert [e.name for e in report.exercises] == ["losses"]
    assert report.exercises[0].reference_modules == ["softmax"]
    assert report.exercises[0].score == report.exercises[0].max_score  # its bug costs losses nothing
