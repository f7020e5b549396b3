"""Grading a submission: every exercise's checks against a child process, verdicts decided here.

    run.py      one child process per exercise, a time budget per check, results
    causes.py   root causes across exercises ("your softmax fails 3 checks; fix it first")
    seeds.py    --seed N or env:NAME, and the fingerprint a report keeps of it
"""

from .run import exercise_names, find_exercise, grade, grade_exercise

__all__ = ["exercise_names", "find_exercise", "grade", "grade_exercise"]
