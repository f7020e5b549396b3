"""Root causes across exercises: a later exercise failing because an earlier one does.

In a student's copy there is no reference, so ``losses`` runs on the student's own
``softmax``: a softmax bug fails checks of losses too, whose messages point elsewhere.
When an exercise fails and an earlier module it imports (found in its source, never by
importing it) fails its own checks, every failing message of the exercise starts by
saying so, and the exercise's ``caused_by`` names the earlier one.
"""

from ..engine.workspace import relative_imports
from ..report.model import ERROR, NOT_STARTED, PASSED


def link_root_causes(results, submission, names, grade_more):
    """Blame the earlier exercises behind the failures in ``results`` (teaching order ``names``).

    An earlier exercise graded in this run is judged by its result; one that was not is
    graded with ``grade_more(names)`` (it returns their results) and judged by that.
    """
    suspects = {r.name: imported_exercises(submission, r.name, names) for r in results if failing(r)}
    judged = {r.name: r for r in results}
    wanted = sorted({e for imported in suspects.values() for e in imported} - judged.keys(), key=names.index)
    judged.update({r.name: r for r in (grade_more(wanted) if wanted else [])})
    for result in results:
        causes = [judged[e] for e in suspects.get(result.name, []) if e in judged and judged[e].status != PASSED]
        if causes:
            blame(result, causes, names)


def failing(result):
    return result.status not in (PASSED, NOT_STARTED)


def imported_exercises(submission, name, names):
    """The earlier exercises that the student's ``name`` module imports, in teaching order."""
    path = submission.module_file(name)
    imported = relative_imports(path) if path else set()
    return [e for e in names[: names.index(name)] if e in imported]


def blame(result, causes, names):
    result.caused_by = [{"exercise": c.name, "number": names.index(c.name) + 1, "status": c.status,
                         "failing": failing_checks(c)} for c in causes]
    first = " ".join(cause_sentence(c, result.name, names) for c in causes)
    if result.error:
        result.error = f"{first}\n{result.error}"
    for check in result.checks:
        if check.ran and not check.passed:
            check.message = f"{first}\n{check.message}"


def failing_checks(result):
    return sum(1 for c in result.counted if not c.passed)


def cause_sentence(cause, name, names):
    mine = f"your {cause.name} (exercise {names.index(cause.name) + 1})"
    if cause.status == ERROR:
        return f"{mine} cannot be loaded; {name} uses it: fix {cause.name} first."
    if cause.status == NOT_STARTED:
        return f"{mine} is not written yet; {name} uses it: write {cause.name} first."
    count = failing_checks(cause)
    return f"{mine} fails {count} check{'s' if count != 1 else ''}; {name} uses it: fix {cause.name} first."
