"""Grade a folder of submissions in a pool of worker processes, one report file each.

    SUBMISSIONS/alice/          a folder: the modules, or a repository with exercises/
    SUBMISSIONS/bob.zip         a .zip of either
    SUBMISSIONS/carol.ipynb     a notebook
    OUT/reports/alice.json      alice's report, written whole or not at all
    OUT/feedback/alice.html     what to hand back to alice: the page of nnlab grade --report
    OUT/feedback/alice.md       the same as Markdown

Each of ``jobs`` threads keeps a warm worker (``python -m grader.instructor.worker --serve``,
see :mod:`.pool`) that grades submission after submission, each afresh with fresh
children; the batch probes the sandbox once for all of them. A worker whose submission
outlives a wall-clock backstop is killed: a submission that hangs, crashes or attacks the
grader takes only its own worker down (the next submission gets a fresh one), and gets a
report that says so. Only this process writes reports. They are the batch's whole state:
an interrupted batch loses only the submissions being graded at that moment, and a report
is up to date while its fingerprint (the submission's files, the checks and the engine,
the reference solutions and the grading options) is unchanged.
"""

import hashlib
import json
import os
import signal
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from . import deadline, intake, signing
from ..checks import EXERCISES
from ..engine import reaper, sandbox
from .reports import ERROR, GRADED, replace_text
from .runs import nnlab_version
from ..engine.timing import time_bound
from ..report.files import write_atomic
from ..report.model import Report, clean_text
from ..grading.seeds import Seed, as_seed
from ..submission import Reference
from .feedback import FEEDBACK, feedback_texts, write_texts
from .pool import BackstopExpired, WarmWorker
from .worker import FIGURES, NOT_TAKEN_IN, SERVE

GRADER_PACKAGE = Path(__file__).resolve().parents[1]
MOVED_ASIDE = "moved-aside"
STUDENT_FILES = [("reports", ".json"), (FEEDBACK, ".html"), (FEEDBACK, ".md")]
STARTUP_SECONDS = 60  # the worker's own start, the intake of a large zip, the reference's import
FEEDBACK_SECONDS = 60  # a worker drawing a student's figures


@dataclass
class Entry:
    """One student's submission: normally one source, more when names collide."""

    student: str
    sources: list


def discover(folder):
    """``(entries, ignored)``: the submissions in ``folder`` by student id, and the other
    files (hidden ones too: a ``.alice/`` is listed, not graded)."""
    by_student, ignored = {}, []
    for path in sorted(Path(folder).iterdir()):
        if not path.name.startswith(".") and (path.is_dir() or path.suffix in (".zip", ".ipynb")):
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
    before: datetime = None  # grade each git repository at its last commit before this
    late_penalty: float = None  # percent per started day; grades the last commit instead
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
    feedback: tuple  # (html, markdown) for OUT/feedback/


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
        self.record = run_record(options)
        self.key = signing.load_key(out)
        self.untrusted = set()  # students whose report on disk did not verify
        self._workers = set()  # every warm worker alive, whichever thread it serves
        self._local = threading.local()  # .worker: the warm worker of this thread
        # Each worker watches the read end: when this process dies (even by kill -9),
        # the kernel closes the write end and the workers stop instead of grading on.
        self._alive, self._alive_write = os.pipe()
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def report_path(self, entry):
        return self.reports / f"{entry.student}.json"

    def move_aside(self, students):
        """Move the files of every graded student not among ``students`` (no longer in
        SUBMISSIONS) to OUT/moved-aside/; return those students, sorted."""
        out = self.reports.parent
        gone = sorted({path.stem for path in self.reports.glob("*.json")} - set(students))
        for student in gone:
            for folder, suffix in STUDENT_FILES:
                path = out / folder / f"{student}{suffix}"
                if path.exists():
                    (out / MOVED_ASIDE / folder).mkdir(parents=True, exist_ok=True)
                    os.replace(path, out / MOVED_ASIDE / folder / path.name)
        return gone

    def fingerprint(self, entry):
        parts = {"sources": [[p.name, self.source_digest(p)] for p in entry.sources],
                 "grader": [self.record["checks"], self.record["reference"]],
                 "options": self.options.worker_arguments(),
                 "deadline": [self.record["before"], self.record["late_penalty"]],
                 "seed": as_seed(self.options.seed).fingerprint}  # a secret seed's argument is only its name
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()

    def source_digest(self, source):
        """What grading ``source`` reads: its files, or with a deadline, the commit graded."""
        if self.options.before and deadline.is_repository(source):
            try:
                return "commit:" + self.snapshot(source).commit
            except deadline.DeadlineError as error:
                return f"no commit: {error}"
        return intake.fingerprint(source)

    def snapshot(self, repository):
        return deadline.snapshot(repository, self.options.before, last=self.options.late_penalty is not None)

    def current_report(self, entry, fingerprint=None):
        """The entry's report when it is up to date and its signature verifies, else None."""
        try:
            report = json.loads(self.report_path(entry).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        wanted = fingerprint or self.fingerprint(entry)
        facts = report.get("batch") if isinstance(report, dict) else None
        if not isinstance(facts, dict) or facts.get("fingerprint") != wanted:
            return None
        if not signing.verifies(report, self.key):
            self.distrust(entry)
            return None
        return report

    def distrust(self, entry):
        """Say once that ``entry``'s report was changed outside the batch: it is not trusted."""
        if entry.student not in self.untrusted:
            self.untrusted.add(entry.student)
            print(f"{self.report_path(entry)}: its signature does not verify (it was changed outside the "
                  "batch): not trusted, graded again with --resume", file=sys.stderr)

    def run(self, entries, jobs, on_outcome):
        """Grade ``entries``, ``jobs`` at a time; write each report, then call ``on_outcome``.

        On KeyboardInterrupt every running worker is killed and nothing more is written:
        the reports already written stay, whole.
        """
        try:
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                futures = [pool.submit(self.grade, entry) for entry in entries]
                try:
                    for future in as_completed(futures):
                        outcome = future.result()
                        signing.sign(outcome.report, self.key)
                        write_atomic(self.report_path(outcome.entry), json.dumps(outcome.report, indent=2))
                        write_texts(self.reports.parent, outcome.entry.student, outcome.feedback)
                        on_outcome(outcome)
                except BaseException:
                    self.stop(futures)
                    raise
        finally:
            for worker in self._workers:
                worker.close()
            self._workers.clear()

    def stop(self, futures):
        for future in futures:
            future.cancel()
        with self._lock:
            self._stopping.set()
            for worker in self._workers:
                worker.signal_stop()

    def grade(self, entry):
        started = time.monotonic()
        fingerprint = self.fingerprint(entry)
        due = None
        if len(entry.sources) > 1:
            status, reason, report = ERROR, (f"several submissions are named {entry.student} "
                                             f"({', '.join(p.name for p in entry.sources)}): keep one"), None
        else:
            try:
                status, reason, report, due = self.grade_source(entry.sources[0])
            except OSError as error:  # the worker could not even start
                status, reason, report = ERROR, f"the grading process could not start: {error}", None
        figures = report.pop(FIGURES, {}) if report else {}
        if report is None:
            seed = as_seed(self.options.seed)
            report = Report(str(entry.sources[0]), [], seed=seed.shown, seed_fingerprint=seed.fingerprint,
                            hidden_checks_ran=self.options.solutions is not None, notices=[reason]).to_dict()
        report["batch"] = {"student": entry.student, "sources": [p.name for p in entry.sources],
                           "status": status, "reason": reason, "fingerprint": fingerprint,
                           "seconds": round(time.monotonic() - started, 3)}
        if due:
            report["batch"]["deadline"] = due
        if entry.student in self.untrusted:
            report["notices"].append("graded again: the earlier report's signature did not verify "
                                     "(it was changed outside the batch)")
        return Outcome(entry, status, reason, report, self.feedback(entry, report, figures))

    def feedback(self, entry, report, figures):
        """The entry's feedback texts: drawn by this thread's worker when there are figures
        (matplotlib stays out of this process), else, or when the worker could not, here."""
        arguments = {"student": entry.student, "report": report, "figures": figures,
                     "folder": str(entry.sources[0].resolve().parent)}
        worker = getattr(self._local, "worker", None)
        if figures and worker is not None and worker.alive:
            texts = worker.feedback(arguments, FEEDBACK_SECONDS)
            if not worker.alive:
                self.retire(worker)
            if texts:
                return texts
        return feedback_texts(**arguments)

    def grade_source(self, source):
        """``(status, reason, report or None, deadline record or None)`` for one source;
        a git repository is graded at its commit for the deadline, if there is one."""
        if not (self.options.before and deadline.is_repository(source)):
            return (*self.run_worker(source), None)
        try:
            snapshot = self.snapshot(source)
            with tempfile.TemporaryDirectory(prefix="nnlab-commit-") as folder:
                archive = deadline.archive(source, snapshot.commit, Path(folder) / f"{source.name}.zip")
                status, reason, report = self.run_worker(archive)
        except deadline.DeadlineError as error:
            return ERROR, str(error), None, None
        named = f"{source.resolve()}@{snapshot.commit[:12]}"  # the commit, not the temporary zip
        reason = reason.replace(str(archive.resolve()), named)
        if report is not None:
            report = replace_text(report, str(archive.resolve()), named)
        return status, reason, report, deadline.record(snapshot, self.options.before, self.options.late_penalty)

    def run_worker(self, source):
        """``(status, reason, report or None)`` from this thread's warm worker grading ``source``."""
        arguments = [str(source.resolve()), "--format", "json", "--figures", *self.options.worker_arguments()]
        worker = self.warm_worker()
        backstop = self.options.backstop_seconds()
        try:
            code, stdout, stderr = worker.grade(arguments, backstop)
        except BackstopExpired:
            return ERROR, f"grading took longer than {backstop:g} s and was stopped", None
        finally:
            if not worker.alive:
                self.retire(worker)
            reaper.kill_orphans()
        return read_worker_answer(code, stdout, stderr)

    def warm_worker(self):
        """This thread's worker, started afresh when it has none or its worker died."""
        worker = getattr(self._local, "worker", None)
        if worker is not None and worker.alive:
            if self._stopping.is_set():
                raise Stopped
            return worker
        with self._lock:
            if self._stopping.is_set():
                raise Stopped
            reaper.adopt_orphans()  # what a killed worker leaves behind comes to us, and dies
            # cwd: the folder above this grader package, so that the worker imports this very grader
            worker = WarmWorker(self.serve_command(), GRADER_PACKAGE.parent, self._alive)
            self._workers.add(worker)
        self._local.worker = worker
        return worker

    def retire(self, worker):
        worker.kill()
        with self._lock:
            self._workers.discard(worker)

    def serve_command(self):
        """How a warm worker starts: it exits when this process's end of ``_alive`` closes,
        and takes this process's sandbox probe for its own."""
        command = [sys.executable, "-m", "grader.instructor.worker", SERVE, "--batch-fd", str(self._alive),
                   "--batch", str(self.reports.parent.resolve())]
        answer = sandbox_probe(self.options.sandbox)
        return command if answer is None else command + ["--sandbox-probe", answer]


def sandbox_probe(mode):
    """The sandbox probe's answer (``""``: it runs here; else why not), probed once in this
    process; None where there is nothing to probe."""
    if mode == sandbox.OFF or not sys.platform.startswith("linux"):
        return None
    bwrap = sandbox.find_bwrap()
    return sandbox.probe(bwrap) if bwrap else None


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
    last_line = clean_text((stderr.decode("utf-8", "replace").strip().splitlines() or ["no message"])[-1])
    return ERROR, f"the grading process failed (exit status {code}): {last_line}", None


def check_report(report):
    """Raise ValueError unless ``report`` has the fields the gradebook reads."""
    numbers = (int, float)
    if not (isinstance(report["score"], numbers) and isinstance(report["max_score"], numbers)
            and all(isinstance(e["name"], str) and isinstance(e["score"], numbers)
                    and isinstance(e["max_score"], numbers) and isinstance(e["status"], str)
                    for e in report["exercises"])):
        raise ValueError("not a report")


def find_reference(solutions=None):
    """The folder of the reference solutions ``nnlab grade`` would use, or None."""
    reference = Reference.find(solutions)
    return reference.path if reference else None


def run_record(options):
    """What the batch's reports are graded with, for ``OUT/run.json`` (see :mod:`runs`)."""
    return {"exercises": options.names or [exercise.module for exercise in EXERCISES],
            "seed": seed_record(options.seed), "timeout": options.timeout, "memory_mb": options.memory_mb,
            "sandbox": options.sandbox, "checks": checks_digest(options.names),
            "before": options.before.isoformat() if options.before else None, "late_penalty": options.late_penalty,
            "reference": files_digest(sorted(Path(options.solutions).glob("*.py"))) if options.solutions else None,
            "nnlab": nnlab_version()}


def seed_record(seed):
    """The seed as run.json keeps it: a secret one by its variable and fingerprint only."""
    seed = as_seed(seed)
    return f"{seed.shown} #{seed.fingerprint}" if seed.secret else seed.value


def checks_digest(names):
    """A digest of the checks of the exercises ``names`` (all when empty), of the modules
    every check uses and of the engine that runs them: a change to any of them regrades."""
    exercise_modules = {exercise.module for exercise in EXERCISES}
    files = [path for path in sorted((GRADER_PACKAGE / "checks").glob("*.py"))
             if path.stem not in exercise_modules or not names or path.stem in names]
    files += sorted((GRADER_PACKAGE / "engine").glob("*.py")) + sorted((GRADER_PACKAGE / "grading").glob("*.py"))
    return files_digest(files + [GRADER_PACKAGE / "datasets.py"])


def files_digest(files):
    digest = hashlib.sha256()
    for path in files:
        digest.update(f"{path.parent.name}/{path.name}".encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
