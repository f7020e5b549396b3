"""Grade a folder of submissions: one worker process per submission, one report file each.

    SUBMISSIONS/alice/          a folder: the modules, or a repository with exercises/
    SUBMISSIONS/bob.zip         a .zip of either
    SUBMISSIONS/carol.ipynb     a notebook
    OUT/reports/alice.json      alice's report, written whole or not at all

Each submission is graded by ``python -m grader.instructor.worker`` in a process of its own, which
this module kills when it outlives a wall-clock backstop: a submission that hangs,
crashes or attacks the grader takes only its own process down, and gets a report that
says so. Only this process writes reports. They are the batch's whole state: an
interrupted batch loses only the submissions being graded at that moment, and a report
is up to date while its fingerprint (the submission's files, the checks and the engine, the reference
solutions and the grading options) is unchanged.
"""

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from . import intake
from ..checks import EXERCISES
from ..timing import time_bound
from .gradebook import ERROR, GRADED
from ..report.files import write_atomic
from ..report.model import Report
from ..seeds import Seed, as_seed
from ..submission import Reference
from .worker import NOT_TAKEN_IN

GRADER_PACKAGE = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 60  # the worker's own start, the intake of a large zip, the reference's import


@dataclass
class Entry:
    """One student's submission: normally one source, more when names collide."""

    student: str
    sources: list


def discover(folder):
    """``(entries, ignored)``: the submissions in ``folder`` by student id, and the other files."""
    by_student, ignored = {}, []
    for path in sorted(Path(folder).iterdir()):
        if path.name.startswith("."):
            continue
        if path.is_dir() or path.suffix in (".zip", ".ipynb"):
            student = path.name if path.is_dir() else path.stem
            by_student.setdefault(student, []).append(path)
        else:
            ignored.append(path)
    return [Entry(student, sources) for student, sources in sorted(by_student.items())], ignored


def select_shard(entries, shard, shards):
    """Shard ``shard`` of ``shards`` (1-based): every ``shards``-th entry, in name order."""
    return entries[shard - 1::shards]


@dataclass
class Options:
    """How every submission of a batch is graded (``nnlab grade``'s options)."""

    names: list = field(default_factory=list)
    seed: Seed = Seed(0)
    timeout: float = None
    memory_mb: int = None
    solutions: Path = None
    sandbox: str = "auto"
    allowed_imports: tuple = ()

    def worker_arguments(self):
        arguments = ["--seed", as_seed(self.seed).argument(), "--sandbox", self.sandbox]
        for name in self.names:
            arguments += ["-e", name]
        if self.timeout:
            arguments += ["--timeout", str(self.timeout)]
        if self.memory_mb:
            arguments += ["--memory", str(self.memory_mb)]
        if self.solutions:
            arguments += ["--solutions", str(self.solutions)]
        for name in self.allowed_imports:
            arguments += ["--allow-import", name]
        return arguments

    def backstop_seconds(self):
        """The worker's wall-clock limit: every exercise's longest time, one after the other."""
        exercises = [e for e in EXERCISES if not self.names or e.module in self.names]
        return STARTUP_SECONDS + sum(time_bound(self.timeout or e.timeout) for e in exercises)


@dataclass
class Outcome:
    entry: Entry
    status: str
    reason: str
    report: dict


class Stopped(Exception):
    """The batch is stopping: start no more workers."""


class Batch:
    """The reports of a batch in ``out``/reports, and the grading that writes them.

    ``options.solutions`` is the reference for the hidden checks, or None to grade the
    visible checks only.
    """

    def __init__(self, out, options):
        self.reports = Path(out) / "reports"
        self.options = options
        self.grader_digest = grader_digest(options.names, options.solutions)
        self._running = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def report_path(self, entry):
        return self.reports / f"{entry.student}.json"

    def fingerprint(self, entry):
        parts = {"sources": [[p.name, intake.fingerprint(p)] for p in entry.sources],
                 "grader": self.grader_digest, "options": self.options.worker_arguments(),
                 "seed": as_seed(self.options.seed).fingerprint}  # a secret seed's argument is only its name
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()

    def current_report(self, entry, fingerprint=None):
        """The entry's report when it is up to date, else None."""
        try:
            report = json.loads(self.report_path(entry).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        wanted = fingerprint or self.fingerprint(entry)
        return report if report.get("batch", {}).get("fingerprint") == wanted else None

    def run(self, entries, jobs, on_outcome):
        """Grade ``entries``, ``jobs`` at a time; write each report, then call ``on_outcome``.

        On KeyboardInterrupt every running worker is killed and nothing more is written:
        the reports already written stay, whole.
        """
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(self.grade, entry) for entry in entries]
            try:
                for future in as_completed(futures):
                    outcome = future.result()
                    write_atomic(self.report_path(outcome.entry), json.dumps(outcome.report, indent=2))
                    on_outcome(outcome)
            except BaseException:
                self.stop(futures)
                raise

    def stop(self, futures):
        for future in futures:
            future.cancel()
        with self._lock:
            self._stopping.set()
            for process in self._running:
                kill_group(process)

    def grade(self, entry):
        started = time.monotonic()
        fingerprint = self.fingerprint(entry)
        if len(entry.sources) > 1:
            status, reason, report = ERROR, (f"several submissions are named {entry.student} "
                                             f"({', '.join(p.name for p in entry.sources)}): keep one"), None
        else:
            try:
                status, reason, report = self.run_worker(entry.sources[0])
            except OSError as error:  # the worker could not even start
                status, reason, report = ERROR, f"the grading process could not start: {error}", None
        if report is None:
            seed = as_seed(self.options.seed)
            report = Report(str(entry.sources[0]), [], seed=seed.shown, seed_fingerprint=seed.fingerprint,
                            hidden_checks_ran=self.options.solutions is not None, notices=[reason]).to_dict()
        report["batch"] = {"student": entry.student, "sources": [p.name for p in entry.sources],
                           "status": status, "reason": reason, "fingerprint": fingerprint,
                           "seconds": round(time.monotonic() - started, 3)}
        return Outcome(entry, status, reason, report)

    def run_worker(self, source):
        """``(status, reason, report or None)`` from one worker process grading ``source``."""
        command = [sys.executable, "-m", "grader.instructor.worker", str(source.resolve()), "--format", "json",
                   *self.options.worker_arguments()]
        with self._lock:
            if self._stopping.is_set():
                raise Stopped
            # cwd: the folder above this grader package, so that the worker imports this very grader
            process = subprocess.Popen(command, cwd=GRADER_PACKAGE.parent, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, start_new_session=True)
            self._running.add(process)
        backstop = self.options.backstop_seconds()
        try:
            stdout, stderr = process.communicate(timeout=backstop)
        except subprocess.TimeoutExpired:
            kill_group(process)
            process.communicate()
            return ERROR, f"grading took longer than {backstop:g} s and was stopped", None
        finally:
            with self._lock:
                self._running.discard(process)
        return read_worker_answer(process.returncode, stdout, stderr)


def read_worker_answer(code, stdout, stderr):
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        return ERROR, f"the grading process was killed by {name}", None
    if code in (0, NOT_TAKEN_IN):
        try:
            report = json.loads(stdout)
            check_report(report)
            reason = "" if code == 0 else report["notices"][0].removeprefix("not graded: ")
        except (ValueError, TypeError, KeyError, IndexError, AttributeError):
            return ERROR, "the grading process sent an unreadable report", None
        return (GRADED if code == 0 else ERROR), reason, report
    last_line = (stderr.decode("utf-8", "replace").strip().splitlines() or ["no message"])[-1]
    return ERROR, f"the grading process failed (exit status {code}): {last_line}", None


def check_report(report):
    """Raise ValueError unless ``report`` has the fields the gradebook reads."""
    numbers = (int, float)
    if not (isinstance(report["score"], numbers) and isinstance(report["max_score"], numbers)
            and all(isinstance(e["name"], str) and isinstance(e["score"], numbers)
                    and isinstance(e["max_score"], numbers) and isinstance(e["status"], str)
                    for e in report["exercises"])):
        raise ValueError("not a report")


def kill_group(process):
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def find_reference(solutions=None):
    """The folder of the reference solutions ``nnlab grade`` would use, or None."""
    reference = Reference.find(solutions)
    return reference.path if reference else None


def grader_digest(names, solutions):
    """A digest of the checks of the exercises ``names`` (all when empty), of the modules
    every check uses, of the engine that runs them, and of the reference solutions: a
    change to any of them regrades."""
    exercise_modules = {exercise.module for exercise in EXERCISES}
    files = [path for path in sorted((GRADER_PACKAGE / "checks").glob("*.py"))
             if path.stem not in exercise_modules or not names or path.stem in names]
    files += sorted((GRADER_PACKAGE / "engine").glob("*.py"))
    files += [GRADER_PACKAGE / "grading.py", GRADER_PACKAGE / "datasets.py"]
    files += sorted(Path(solutions).glob("*.py")) if solutions else []
    digest = hashlib.sha256()
    for path in files:
        digest.update(f"{path.parent.name}/{path.name}".encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
