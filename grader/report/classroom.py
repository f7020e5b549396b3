"""The runner result GitHub Classroom's autograding reporter reads: points per exercise.

GitHub Classroom takes an assignment's points from the reporter action
(classroom-resources/autograding-grading-reporter), which reads each "runner"'s result
from an environment variable ``<RUNNER>_RESULTS``: base64 of a JSON object in the
format of Classroom's own graders (autograding-command-grader and the others)::

    {"version": 1, "status": "pass", "max_score": 43,
     "tests": [{"name": "softmax: Softmax and log-softmax", "status": "fail", "score": 9,
                "message": "...", "test_code": "", "filename": "exercises/softmax.py", "line_no": 0,
                "execution_time": "0.41s"}]}

The reporter adds the tests' scores up against ``max_score`` and hands "Points 37/43" to
Classroom, whose grade view and CSV export show it; its log lists every test. Here each
exercise is one test with its points. The top-level status stays "pass" whenever grading
ran (the reporter fails the job on "fail"): whether the run passes is nnlab grade
--fail-under's call, as before. Messages name the failing checks (hidden ones by name
and points only) and never a note about the grading machine.
"""

import json

from .model import ERROR, HIDDEN, PASSED

TEST_STATUS = {PASSED: "pass", ERROR: "error"}  # anything else: "fail"


def to_classroom(report, colour=False):
    tests = [{"name": f"{e.name}: {e.title}", "status": TEST_STATUS.get(e.status, "fail"), "score": e.score,
              "message": exercise_message(e), "test_code": "", "filename": f"exercises/{e.name}.py", "line_no": 0,
              "execution_time": f"{e.seconds:.2f}s"} for e in report.exercises]
    return json.dumps({"version": 1, "status": "pass", "max_score": report.max_score, "tests": tests}) + "\n"


def exercise_message(exercise):
    if exercise.error:
        return exercise.error.splitlines()[0]
    lines = [f"{exercise.score:g}/{exercise.max_score:g} points"]
    for check in exercise.counted:
        if check.passed:
            continue
        if check.visibility == HIDDEN:
            lines.append(f"- {check.name} ({check.max_score:g} pt, hidden check): failed")
        else:
            first = check.message.splitlines()[0] if check.message else "failed"
            lines.append(f"- {check.name} ({check.max_score:g} pt): {first}")
    return "\n".join(lines)
