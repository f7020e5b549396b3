"""Who reads which notice: the grading machine's are for the instructor, not the student.

A student handed a Gradescope result or a batch's feedback page should read about their
code, not that bubblewrap failed on the grading machine and which ``sysctl`` fixes it:
those notices go to the instructor's log instead (Gradescope keeps run_autograder's
output "for displaying back to the instructor for debugging purposes": its autograder
specifications, gradescope-autograders.readthedocs.io/en/latest/specs/).
"""

# The notices grader/engine/sandbox.py gives when --sandbox auto falls back, and
# grader/grading/run.py on how student code ran (as root, as a user who could read secrets).
MACHINE_NOTICE_STARTS = ("graded without the Linux sandbox", "student code ran as")


def machine_notices(notices):
    return [notice for notice in notices if notice.startswith(MACHINE_NOTICE_STARTS)]


def student_notices(notices):
    return [notice for notice in notices if not notice.startswith(MACHINE_NOTICE_STARTS)]
