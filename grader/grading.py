"""Grade a submission: one child process per exercise, every verdict decided here.

For each exercise: lay out a fresh workspace, start a child that imports the module, run
the checks in order against it, and turn whatever happens (a wrong answer, an exception,
a crash, a hang) into results. A dead child is restarted for the next check; a child
that used up the exercise's time takes the remaining checks with it.
"""

import time
from concurrent.futures import ThreadPoolExecutor

from .checks import EXERCISES
from .checks.core import CheckFailed, NotJudged
from .engine import runtime, sandbox as sandbox_module
from .engine.process import ByteBudget, ChildGone, ChildProcess, ChildTimeout, child_identity
from .engine.sandbox import AUTO
from .engine.student import StudentCode, StudentError
from .engine.workspace import Workspace
from .report.model import HIDDEN, VISIBLE, CheckResult, ExerciseResult, Report

MAX_RESTARTS = 3
QUOTED_LINES = 3


def exercise_names():
    return [exercise.module for exercise in EXERCISES]


def find_exercise(name):
    for exercise in EXERCISES:
        if exercise.module == name:
            return exercise
    raise KeyError(name)


def grade(submission, names=None, reference=None, seed=0, timeout=None, memory_mb=None,
          sandbox=AUTO, jobs=2, progress=None):
    """Grade ``submission`` (a :class:`~grader.submission.Submission`); return a Report.

    ``sandbox`` is "auto", "on" or "off" (see :mod:`grader.engine.sandbox`); "on" raises
    SandboxUnavailable where bubblewrap cannot run. ``progress``, if given, is told when
    each exercise starts and ends: ``progress.started(name)``, ``progress.finished(result)``.
    """
    if names is None:
        names = [submission.only] if submission.only else exercise_names()
    exercises = [e for e in EXERCISES if e.module in names]
    hidden = [submission.path] + ([reference.path] if reference else [])
    box, sandbox_notice = sandbox_module.choose(sandbox, hidden)
    if box is None and runtime.refusal():
        raise runtime.RootRefused(runtime.refusal())
    options = dict(reference=reference, seed=seed, timeout=timeout, memory_mb=memory_mb,
                   sandbox=box)

    def one(exercise):
        if progress:
            progress.started(exercise.module)
        result = grade_exercise(exercise, submission, **options)
        if progress:
            progress.finished(result)
        return result

    if jobs > 1:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(one, exercises))
    else:  # in this thread, so that Ctrl-C stops grading at once (check() in Jupyter)
        results = [one(exercise) for exercise in exercises]
    report = Report(str(submission), results, seed=seed, hidden_checks_ran=reference is not None,
                    sandboxed=box is not None)
    for notice in [sandbox_notice] + child_notices(results, reference):
        if notice:
            report.notices.append(notice)
    if reference is None and any(c.hidden for e in exercises for c in e.checks):
        report.notices.append("Hidden checks were not run: your instructor runs them with the "
                              "reference solutions. The score above counts the visible checks only.")
    if submission.from_notebooks:  # "losses.py, line 65" is "03-losses.ipynb, cell `one_hot`, line 3"
        from .notebooks.terms import in_notebook_terms
        in_notebook_terms(report, submission.path)
    return report


def child_notices(results, reference):
    """What the report says about how student code ran: as root, or as a user who could
    read the grader or the reference solutions (without the sandbox, file modes are the
    only wall)."""
    notices = []
    ran = {(r.child.get("sandbox"), r.child.get("uid")) for r in results if r.child}
    if (False, 0) in ran:
        notices.append("student code ran as root (--allow-root): it could read and change "
                       "anything on this machine")
    readable = sorted({str(path) for sandboxed, uid in ran if not sandboxed and uid
                       for path in runtime.secrets(reference) if runtime.readable_by_others(path)})
    if readable and runtime.is_root():
        notices.append(f"student code ran as another user, who can read {', '.join(readable)}: "
                       "close them (chmod 700 on a folder above) or grade with --sandbox on")
    return notices


def grade_exercise(exercise, submission, reference=None, seed=0, timeout=None, memory_mb=None,
                   sandbox=None):
    started = time.monotonic()
    deadline = started + (timeout or exercise.timeout)
    earlier = exercise_names()[: exercise_names().index(exercise.module)]
    workspace, from_reference = Workspace.create(exercise.module, earlier, submission, reference)
    result = ExerciseResult(exercise.module, exercise.title, reference_modules=from_reference,
                            child=child_identity(sandbox))
    child, budget = None, ByteBudget()
    try:
        if submission.module_file(exercise.module) is None:
            result.error = submission.missing(exercise.module)
        else:
            child, result.error = start_child(workspace, exercise.module, deadline, memory_mb, sandbox, budget)
        ref = reference.module(exercise.module) if reference else None
        restarts, stopped = 0, ""
        for check in exercise.checks:
            outcome = CheckResult(check.name, check.description, check.points,
                                  HIDDEN if check.hidden else VISIBLE)
            result.checks.append(outcome)
            if check.hidden and reference is None:
                outcome.ran = outcome.counted = False
                outcome.message = "hidden check: run by your instructor, with the reference solutions"
            elif result.error:
                outcome.ran, outcome.message = False, "not run: the module could not be loaded"
            elif stopped or time.monotonic() >= deadline:
                outcome.ran = False
                outcome.message = stopped or out_of_time_message(timeout or exercise.timeout)
            elif unmet_requirements(check, result):
                outcome.ran = outcome.judged = False
                outcome.message = unmet_requirements(check, result)
            elif not run_check(check, child, seed, ref if check.hidden else None, outcome):
                result.output += child.output.text()
                child.close()
                child, restarts = None, restarts + 1
                if time.monotonic() >= deadline:
                    stopped = out_of_time_message(timeout or exercise.timeout)
                elif restarts > MAX_RESTARTS:
                    stopped = "not run: the process running your code died too many times"
                else:
                    child, error = start_child(workspace, exercise.module, deadline, memory_mb, sandbox, budget)
                    stopped = f"not run: {error}" if error else ""
    finally:
        if child is not None:
            result.output += child.output.text()
            child.close()
        workspace.remove()
    result.output = result.output[-4000:]
    if reference is not None:
        withhold_quoted_reference(result, reference, earlier)
    result.seconds = time.monotonic() - started
    return result


def start_child(workspace, module, deadline, memory_mb, sandbox, budget=None):
    """Start a child importing ``module``; return ``(child, "")`` or ``(None, error)``."""
    try:
        child = ChildProcess(workspace, module, deadline, memory_mb, sandbox, budget)
    except ChildTimeout:
        return None, f"importing {module}.py took longer than the time limit (a loop at module level?)"
    except ChildGone as gone:
        return None, f"importing {module}.py: the process {gone}"
    if not child.hello.get("ok"):
        error = StudentError(f"importing {module}.py", child.hello.get("error", {}))
        child.close()
        return None, import_error_message(module, error)
    return child, ""


def unmet_requirements(check, result):
    """"not judged: ..." when a check this one ``requires`` did not pass, else ""."""
    passed = {c.name for c in result.checks if c.passed}
    unmet = [name for name in check.requires if name not in passed]
    if not unmet:
        return ""
    return (f"not judged: this property means something only once {' and '.join(unmet)} "
            f"{'passes' if len(unmet) == 1 else 'pass'}; fix that first")


def run_check(check, child, seed, ref, outcome):
    """Run one check, filling ``outcome``; return False when the child is gone."""
    started = time.monotonic()
    try:
        check.run(StudentCode(child), seed, ref, outcome.figures)
        outcome.passed = True
    except NotJudged as failure:
        outcome.judged, outcome.message = False, str(failure)
    except CheckFailed as failure:
        outcome.message = str(failure)
    except StudentError as error:
        outcome.not_implemented = error.not_implemented
        outcome.message = error.describe()
        if error.not_implemented:
            place = error.where[-1].split(", in ")[0] + ": " if error.where else ""
            outcome.message = f"not started: {place}{error.text}"
    except ChildTimeout:
        outcome.message = ("timed out: your code was still running when the exercise's time ran out "
                           "(an infinite loop, or a loop over every sample instead of array operations?)")
        return False
    except ChildGone as gone:
        outcome.message = f"the process running your code {gone}"
        return False
    except Exception as error:  # noqa: BLE001 -- data the check could not make sense of
        outcome.message = f"the grader could not make sense of the result: {type(error).__name__}: {error}"
    finally:
        outcome.seconds = time.monotonic() - started
    return True


def withhold_quoted_reference(result, reference, modules):
    """Blank out student output and messages that quote the reference's earlier modules.

    Those modules sit in the child's workspace (so that each exercise is graded on its
    own), where student code can read them; printing them, or raising them as an error
    message, must not carry them into a report a student may see.
    """
    lines = reference.solution_lines(modules)

    def quotes_reference(text):
        return len(lines & {line.strip() for line in text.splitlines()}) >= QUOTED_LINES

    withheld = "(withheld: it quoted the reference solutions of earlier exercises)"
    if quotes_reference(result.output):
        result.output = withheld
    for check in result.checks:
        if quotes_reference(check.message):
            check.message = withheld


def import_error_message(module, error):
    if error.type == "SyntaxError":
        return f"{module}.py has a syntax error: {error.text}\n" + "\n".join(f"  at {w}" for w in error.where[-1:])
    if error.type in ("ModuleNotFoundError", "ImportError"):
        return (f"{module}.py could not import what it needs: {error.text}. "
                "Import earlier exercises relatively, e.g. `from .softmax import softmax`.")
    if error.type in ("SystemExit", "KeyboardInterrupt"):
        return f"{module}.py stops the program when it is imported ({error.type}); remove the exit at module level"
    return f"{module}.py raised an error when imported: " + error.describe().split(" raised ", 1)[-1]


def out_of_time_message(seconds):
    return f"not run: the exercise's time limit ({seconds:g} s) ran out before this check"
