"""Grade a submission: one child process per exercise, every verdict decided here.

For each exercise: lay out a fresh workspace, start a child that imports the module, run
the checks in order against it, and turn whatever happens (a wrong answer, an exception,
a crash, a hang) into results. Each check has its own time budget; a child that died or
ran out of it is restarted for the next check (see :class:`~grader.engine.timing.Clock`).
"""

import functools
import inspect
import json
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from ..engine import import_policy
from .causes import link_root_causes
from ..checks import EXERCISES
from ..checks.core import CheckFailed, NotJudged
from ..engine import runtime, sandbox as sandbox_module
from ..engine.forkserver import ForkServer
from ..engine.process import ByteBudget, ChildGone, ChildProcess, ChildTimeout, child_identity
from ..engine.sandbox import AUTO
from ..engine.student import OwnFrames, StudentCode, StudentError
from ..engine.workspace import Workspace, relative_imports
from ..report.model import HIDDEN, VISIBLE, CheckResult, ExerciseResult, Report
from .seeds import as_seed
from ..engine.timing import BLACK_BOX_SLOWDOWN, CHECK_SHARE, TIMEOUT_ALLOWANCE, Clock

QUOTED_LINES = 3
TODO_NAME = re.compile(r"TODO \(([\w.]+)\)")  # the function a stub's NotImplementedError names
CHILD_CONFIG = "config.json"  # beside the child's script: see child.read_config
ALIVE, GONE, TIMED_OUT = "alive", "gone", "timed out"


def exercise_names():
    return [exercise.module for exercise in EXERCISES]


def find_exercise(name):
    for exercise in EXERCISES:
        if exercise.module == name:
            return exercise
    raise KeyError(name)


def grade(submission, names=None, reference=None, seed=0, timeout=None, memory_mb=None,
          sandbox=AUTO, jobs=2, progress=None, allowed_imports=()):
    """Grade ``submission`` (a :class:`~grader.submission.Submission`); return a Report.

    ``sandbox`` is "auto", "on" or "off" (see :mod:`grader.engine.sandbox`); "on" raises
    SandboxUnavailable where bubblewrap cannot run. ``progress``, if given, is told when
    each exercise starts and ends: ``progress.started(name)``, ``progress.finished(result)``.
    ``seed`` is an int or a :class:`~grader.grading.seeds.Seed` (a secret one is never written
    into the report, only its fingerprint). ``allowed_imports`` are the top-level modules
    an exercise may import besides numpy, the standard library and the earlier exercises
    (see :mod:`grader.engine.import_policy`). Without the reference, a failure caused by an
    earlier exercise of the student's says so (see :mod:`grader.grading.causes`).
    """
    if names is None:
        names = [submission.only] if submission.only else exercise_names()
    exercises = [e for e in EXERCISES if e.module in names]
    hidden = [submission.path] + ([reference.path] if reference else [])
    runtime.include_packages(allowed_imports)  # the child's Python holds what may be imported
    box, sandbox_notice = sandbox_module.choose(sandbox, hidden)
    forks = ForkServer.start(sandbox=box)
    try:
        if box is None and runtime.refusal():
            raise runtime.RootRefused(runtime.refusal())
        seed = as_seed(seed)
        return grade_with(submission, exercises, reference, seed, box, sandbox_notice, progress, jobs,
                          dict(reference=reference, seed=seed.value, timeout=timeout, memory_mb=memory_mb,
                               sandbox=box, allowed_imports=tuple(allowed_imports), forks=forks))
    finally:
        if forks is not None:
            forks.close()


def grade_with(submission, exercises, reference, seed, box, sandbox_notice, progress, jobs, options):
    """The rest of :func:`grade`, once the sandbox and the fork server are settled."""

    def one(exercise, own_earlier=(), reported=True):
        if progress and reported:
            progress.started(exercise.module)
        result = grade_exercise(exercise, submission, own_earlier=own_earlier, **options)
        if progress and reported:
            progress.finished(result)
        return result

    def quietly(name):  # an earlier exercise not asked for: graded to judge it, not reported
        return grade_exercise(find_exercise(name), submission, **options)

    if reference is None:  # the student's earlier modules are used as they are: name the root causes
        results = map_jobs(one, exercises, jobs, cost=time_limit)
        link_root_causes(results, submission, exercise_names(), lambda more: map_jobs(quietly, more, jobs))
    else:
        results = in_waves(exercises, submission, reference, one, jobs)
    report = Report(str(submission), results, seed=seed.shown, seed_fingerprint=seed.fingerprint,
                    hidden_checks_ran=reference is not None, sandboxed=box is not None,
                    student_work=not submission.is_reference(reference))
    for notice in [sandbox_notice] + child_notices(results, reference):
        if notice:
            report.notices.append(notice)
    if any(c.timed_out for e in results for c in e.checks):
        report.notices.append(time_budget_notice())
    if reference is None and any(c.hidden for e in exercises for c in e.checks):
        report.notices.append("Hidden checks were not run: your instructor runs them with the "
                              "reference solutions. The score above counts the visible checks only.")
    if submission.from_notebooks:  # "losses.py, line 65" is "03-losses.ipynb, cell `one_hot`, line 3"
        from ..notebooks.terms import in_notebook_terms
        in_notebook_terms(report, submission.path)
    return report


def in_waves(exercises, submission, reference, one, jobs):
    """Grade ``exercises`` with the reference present, each after the earlier exercises its
    module imports (directly, or through the student's own earlier files). An earlier
    module that earned full marks in its own exercise is used as the student wrote it; any
    other is the reference's black box, so a bug there does not fail this exercise for the
    wrong reason. (Black boxes cost a round trip per call: a model trained through them is
    several times slower to grade.) A module that is the reference's, byte for byte, needs
    no judging. Earlier exercises that were not asked for are graded too, to judge them,
    and left out of the results."""
    names = exercise_names()
    asked = {exercise.module for exercise in exercises}
    needs, todo = {}, sorted(asked, key=names.index)
    for name in todo:  # grows while it is walked: what the modules need, and what that needs
        needs[name] = {used for used in imported_earlier(name, submission) | called_by_checks(name)
                       if not same_as_reference(used, submission, reference)}
        todo += sorted(needs[name] - set(todo), key=names.index)
    done = {}
    while len(done) < len(needs):
        wave = [name for name in sorted(needs, key=names.index) if name not in done and needs[name] <= done.keys()]
        full = [own_modules(name, needs[name], done) for name in wave]
        graded = map_jobs(lambda job: one(find_exercise(job[0]), frozenset(job[1]), job[0] in asked),
                          list(zip(wave, full)), jobs, cost=lambda job: time_limit(find_exercise(job[0])))
        done.update(zip(wave, graded))
    return [done[exercise.module] for exercise in exercises]


def same_as_reference(name, submission, reference):
    mine, theirs = submission.module_file(name), reference.module_file(name)
    return bool(mine and theirs and mine.is_file() and theirs.is_file() and mine.read_bytes() == theirs.read_bytes())


def own_modules(module, needed, done):
    """The earlier modules that ``module`` gets as the student wrote them: those it needs
    that earned full marks, and the others (nothing imports them, or they are the
    reference's own text)."""
    names = exercise_names()
    unused = set(names[:names.index(module)]) - needed
    return unused | {d for d in needed if done[d].max_score and done[d].score == done[d].max_score}


@functools.cache
def called_by_checks(module):
    """The earlier exercises' modules that the checks of ``module`` call themselves (e.g.
    the minibatch checks train with ``"optimizers:Adam"``), read from the checks' source."""
    names, exercise = exercise_names(), find_exercise(module)
    sources = {inspect.getsource(sys.modules[check.function.__module__]) for check in exercise.checks}
    called = {found for source in sources for found in re.findall(r'"(\w+):\w', source)}
    return called & set(names[:names.index(module)])


def imported_earlier(module, submission):
    """The earlier exercises' modules that the student's ``module`` imports, directly or
    through the student's own earlier files."""
    names = exercise_names()
    found, todo = set(), [module]
    while todo:
        name = todo.pop()
        path = submission.module_file(name)
        if path is None or not path.is_file():
            continue
        for used in relative_imports(path) & set(names[:names.index(name)]):
            if used not in found:
                found.add(used)
                todo.append(used)
    return found


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


def map_jobs(function, items, jobs, cost=None):
    """``function`` over ``items``, ``jobs`` at a time; with one job in this thread, so that
    Ctrl-C stops grading at once (check() in Jupyter). With several, the items of the
    highest ``cost`` start first (the longest last would finish alone), and the results
    keep the items' order."""
    if jobs > 1 and len(items) > 1:
        order = sorted(range(len(items)), key=lambda i: -cost(items[i])) if cost else range(len(items))
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = {i: pool.submit(function, items[i]) for i in order}
            return [futures[i].result() for i in range(len(items))]
    return [function(item) for item in items]


def time_limit(exercise):
    """What an exercise may take: how long grading it is expected to take, relatively."""
    return exercise.timeout


def grade_exercise(exercise, submission, reference=None, seed=0, timeout=None, memory_mb=None,
                   sandbox=None, allowed_imports=(), forks=None, own_earlier=()):
    """Grade one exercise of ``submission`` in a workspace of its own; return its ExerciseResult.
    Its children are forks of ``forks`` (a :class:`~grader.engine.forkserver.ForkServer`) when given.
    With the reference, the earlier modules are its black boxes, but for ``own_earlier``:
    those are the student's own."""
    return ExerciseRun(exercise, submission, reference, seed, Clock(timeout or exercise.timeout), memory_mb,
                       sandbox, allowed_imports, forks, own_earlier).grade()


class ExerciseRun:
    """One exercise graded: its workspace, the child running the student's code, its clock."""

    def __init__(self, exercise, submission, reference, seed, clock, memory_mb, sandbox, allowed_imports,
                 forks=None, own_earlier=()):
        self.exercise, self.submission, self.reference, self.seed = exercise, submission, reference, seed
        self.clock, self.memory_mb, self.sandbox = clock, memory_mb, sandbox
        self.module = exercise.module
        self.earlier = exercise_names()[: exercise_names().index(self.module)]
        self.allowed_imports = allowed_imports
        self.own_earlier = frozenset(own_earlier)
        self.own_files = student_files(self.module, self.earlier, submission, reference, self.own_earlier)
        self.frames = OwnFrames(self.own_files)
        self.workspace = None
        self.child = None
        self.restart_error = ""  # a restarted child could not import the module: no more restarts
        self.budget = ByteBudget()  # the bytes of answers the exercise's children may send, together
        self.forks = forks  # the submission's fork server, if any: children are forks of it

    def grade(self):
        workspace, from_reference = Workspace.create(self.module, self.earlier, self.submission, self.reference,
                                                      own=self.own_earlier,
                                                      parent=self.forks.workspaces if self.forks else None)
        self.workspace = workspace
        if workspace.references is not None:  # each call to a black box is a round trip
            self.clock.stretch(BLACK_BOX_SLOWDOWN)
        result = ExerciseResult(self.module, self.exercise.title, reference_modules=from_reference,
                                child=child_identity(self.sandbox))
        write_child_config(workspace, self.allowed_imports, self.own_files)
        try:
            result.error = self.load()
            result.child = getattr(self, "ran_as", None) or result.child
            ref = self.reference.module(self.module) if self.reference else None
            for check in self.exercise.checks:
                outcome = CheckResult(check.name, check.description, check.points,
                                      HIDDEN if check.hidden else VISIBLE)
                result.checks.append(outcome)
                self.run(check, outcome, ref, result)
        finally:
            self.stop_child(result)
            workspace.remove()
        refuse_if_an_import_was_refused(result)
        result.output = result.output[-4000:]
        if self.reference is not None:
            withhold_quoted_reference(result, self.reference, self.earlier)
        result.seconds = self.clock.elapsed()
        return result

    def load(self):
        """Start the first child; return why the module cannot be graded, or ""."""
        if self.submission.module_file(self.module) is None:
            return self.submission.missing(self.module)
        refused = refused_imports(self.submission, self.module, self.earlier, self.allowed_imports)
        if refused:
            return refused
        self.child, error = self.start_child()
        return error

    def run(self, check, outcome, ref, result):
        """Run ``check`` unless it cannot run (hidden, module not loaded, out of time)."""
        if check.hidden and self.reference is None:
            outcome.ran = outcome.counted = False
            outcome.message = "hidden check: run by your instructor, with the reference solutions"
        elif result.error:
            outcome.ran, outcome.message = False, "not run: the module could not be loaded"
        elif not self.clock.can_start():
            outcome.ran, outcome.message = False, self.clock.out_of_time_message()
        elif unmet_requirements(check, result):
            outcome.ran = outcome.judged = False
            outcome.message = unmet_requirements(check, result)
        else:
            if self.child is None and not self.restart_error:  # the last check's child is gone
                self.child, self.restart_error = self.start_child()
            if self.child is None:
                outcome.ran, outcome.message = False, f"not run: {self.restart_error}"
                return
            budget = self.clock.budget(check)
            self.child.deadline = self.clock.check_deadline(budget)
            began = time.monotonic()
            ended = self.run_check(check, StudentCode(self.child, self.frames), ref if check.hidden else None,
                                   outcome, budget)
            if ended == TIMED_OUT:
                self.clock.lose(time.monotonic() - began)
            if ended != ALIVE:
                self.stop_child(result)

    def run_check(self, check, sub, ref, outcome, budget):
        """Run one check, filling ``outcome``; return ALIVE, GONE or TIMED_OUT (the child's state)."""
        started = time.monotonic()
        try:
            check.run(sub, self.seed, ref, outcome.figures)
            outcome.passed = True
        except NotJudged as failure:
            outcome.judged, outcome.message = False, str(failure)
        except CheckFailed as failure:
            outcome.message = str(failure)
        except StudentError as error:
            outcome.not_implemented = error.not_implemented
            outcome.message = error.describe()
            if error.forbidden_import:
                outcome.refused_import = forbidden_import_message(error)
            if error.not_implemented:
                outcome.message = not_started_message(error, self.module)
        except ChildTimeout:
            outcome.timed_out = True
            outcome.message = (f"timed out: your code was still running after this check's {budget:.3g} s "
                               "(an infinite loop, or a loop over every sample instead of array operations?)")
            return TIMED_OUT
        except ChildGone as gone:
            outcome.message = f"the process running your code {gone}"
            return GONE
        except Exception as error:  # noqa: BLE001 -- data the check could not make sense of
            outcome.message = f"the grader could not make sense of the result: {type(error).__name__}: {error}"
        finally:
            outcome.seconds = time.monotonic() - started
        return ALIVE

    def start_child(self):
        """Start a child importing the module; return ``(child, "")`` or ``(None, error)``."""
        module = self.module
        try:
            child = ChildProcess(self.workspace, module, self.clock.start_deadline(), self.memory_mb,
                                 self.sandbox, self.budget, self.forks)
            self.ran_as = child.ran_as  # without the sandbox, each child has a uid of its own
        except ChildTimeout:
            return None, f"importing {module}.py took longer than the time limit (a loop at module level?)"
        except ChildGone as gone:
            return None, f"importing {module}.py: the process {gone}"
        if not child.hello.get("ok"):
            error = StudentError(f"importing {module}.py", child.hello.get("error", {}), self.frames)
            child.close()
            return None, import_error_message(module, error)
        return child, ""

    def stop_child(self, result):
        if self.child is not None:
            self.child.close()  # first: what the child printed last is read as it closes
            result.output += self.child.output.text()
            self.child = None


def unmet_requirements(check, result):
    """"not judged: ..." when a check this one ``requires`` did not pass, else ""."""
    passed = {c.name for c in result.checks if c.passed}
    unmet = [name for name in check.requires if name not in passed]
    if not unmet:
        return ""
    return (f"not judged: this property means something only once {' and '.join(unmet)} "
            f"{'passes' if len(unmet) == 1 else 'pass'}; fix that first")


def write_child_config(workspace, allowed_imports, student_files):
    """What the child lets through: imports (its import hook), and files (in tracebacks)."""
    names = sorted(import_policy.allowed_names(allowed_imports) | {workspace.package})
    config = {"allowed_imports": names, "student_files": sorted(student_files)}
    workspace.child_script.with_name(CHILD_CONFIG).write_text(json.dumps(config), encoding="utf-8")


def student_files(module, earlier, submission, reference, own_earlier=frozenset()):
    """The files in the workspace that are the student's: the module, and the earlier ones
    that did not come from the reference (see ``Workspace.create``)."""
    theirs = [name for name in earlier if name in own_earlier or not (reference and reference.module_file(name))]
    return {f"{name}.py" for name in [module, *theirs] if submission.module_file(name) is not None}


def refused_imports(submission, module, earlier, allowed_imports):
    """The message when the module's source imports what the policy forbids, else ""."""
    source = submission.module_file(module).read_bytes()
    found = import_policy.violations(source, module, earlier, exercise_names(), allowed_imports)
    if not found:
        return ""
    lines = [v.message(f"{module}.py, line {v.line}") for v in found[:3]]
    lines += [f"... and {len(found) - 3} more"] if len(found) > 3 else []
    return "0 for this exercise: " + "\n".join(lines)


def refuse_if_an_import_was_refused(result):
    """An import the child's hook refused during a check costs the whole exercise too."""
    refused = next((c.refused_import for c in result.checks if c.refused_import), "")
    if refused and not result.error:
        result.error = f"0 for this exercise: {refused}"
        for check in result.checks:
            check.passed = False


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


def time_budget_notice():
    return (f"A check that times out costs only itself: each check may run for {100 / CHECK_SHARE:.0f}% of its "
            f"exercise's time limit (unless it sets its own), then the next one runs in a fresh process; "
            f"an exercise ends within {TIMEOUT_ALLOWANCE + 1:g} times its limit, timed-out checks included.")


def not_started_message(error, exercise):
    """Where the function to write is, and the hint to ask for: never the stub's TODO text."""
    frame = error.where[-1] if error.where else ""
    place, _, function = frame.partition(", in ")
    named = TODO_NAME.search(error.text)
    function = named[1] if named else function.split(": ", 1)[0]
    if not place:
        return f"not started: a function still raises NotImplementedError; `nnlab hint {exercise}` when stuck"
    file = place.split(", ")[0]
    if file.endswith(".py") and file[:-3] in exercise_names():
        exercise = file[:-3]
    return (f"not started: write {function} ({place}), as its docstring describes; "
            f"`nnlab hint {exercise}` when stuck")


def forbidden_import_message(error):
    """``losses.py, line 3, in <module>: imports torch, ...`` from the child's refusal."""
    place = error.where[-1].split(": ", 1)[0] if error.where else "your code"
    return (f"{place}: imports {error.text.split(' ')[0][:60]}, which an exercise may not use: only numpy, the "
            "standard library and the earlier exercises; the point is to write this piece yourself")


def import_error_message(module, error):
    if error.forbidden_import:
        return f"0 for this exercise: {forbidden_import_message(error)}"
    if error.type == "SyntaxError":
        return f"{module}.py has a syntax error: {error.text}\n" + "\n".join(f"  at {w}" for w in error.where[-1:])
    if error.type in ("ModuleNotFoundError", "ImportError"):
        exercise = next((name for name in exercise_names() if f"'{name}'" in error.text), None)
        advice = f" Import earlier exercises relatively: `from .{exercise} import ...`." if exercise else ""
        return f"{module}.py could not import what it needs: {error.text}.{advice}"
    if error.type in ("SystemExit", "KeyboardInterrupt"):
        return f"{module}.py stops the program when it is imported ({error.type}); remove the exit at module level"
    return f"{module}.py raised an error when imported: " + error.describe().split(" raised ", 1)[-1]


