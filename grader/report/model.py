"""What grading produces: plain results that every output format is made from.

Text enters here from student code (messages, printed output, the names of files) and
is made safe once, as it is set: valid Unicode without lone surrogates (each becomes
U+FFFD) or control characters (dropped; newline and tab kept, a carriage return becomes
a newline). Every format and every file can then write whatever a report holds.
"""

import re
from dataclasses import dataclass, field
from typing import ClassVar

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
NOT_TEXT = re.compile("[\ud800-\udfff\ufffe\uffff]")  # lone surrogates (bytes that were not UTF-8)


def clean_text(text):
    """``text`` as valid Unicode: lone surrogates become U+FFFD, control characters but
    newline and tab are dropped (a carriage return becomes a newline)."""
    if type(text) is not str:
        text = str(text)
    if CONTROL.search(text) is None and NOT_TEXT.search(text) is None:
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return NOT_TEXT.sub("\ufffd", CONTROL.sub("", text))


class TextList(list):
    """A list of text whose items are cleaned as they are added."""

    def __init__(self, items=()):
        super().__init__(map(clean_text, items))

    def append(self, item):
        super().append(clean_text(item))

    def insert(self, index, item):
        super().insert(index, clean_text(item))

    def extend(self, items):
        super().extend(map(clean_text, items))

    def __iadd__(self, items):
        self.extend(items)
        return self

    def __setitem__(self, index, value):
        super().__setitem__(index, list(map(clean_text, value)) if isinstance(index, slice) else clean_text(value))


class CleanText:
    """Base of the results: the fields named in TEXT (text) and TEXT_LISTS (lists of
    text) are cleaned whenever they are set."""

    TEXT: ClassVar[tuple] = ()
    TEXT_LISTS: ClassVar[tuple] = ()

    def __setattr__(self, name, value):
        if name in self.TEXT:
            value = clean_text(value)
        elif name in self.TEXT_LISTS:
            value = TextList(value)
        super().__setattr__(name, value)


VISIBLE, HIDDEN = "visible", "hidden"
PASSED, PARTIAL, FAILED, NOT_STARTED, ERROR = "passed", "partial", "failed", "not_started", "error"


@dataclass
class CheckResult(CleanText):
    TEXT: ClassVar[tuple] = ("name", "description", "message", "refused_import")

    name: str
    description: str
    max_score: float
    visibility: str = VISIBLE
    passed: bool = False
    message: str = ""
    ran: bool = True
    counted: bool = True  # False for a hidden check in a copy without the reference solutions
    not_implemented: bool = False
    judged: bool = True  # False: the property was not judged (see its message), 0 points
    figures: list = field(default_factory=list)
    seconds: float = 0.0
    refused_import: str = ""  # the child refused an import this check's call made (not in the JSON)
    timed_out: bool = False  # it ran out of its time budget (not in the JSON: the message says so)

    @property
    def score(self):
        return float(self.max_score) if self.passed else 0.0

    def to_dict(self):
        return {"name": self.name, "description": self.description, "score": self.score,
                "max_score": self.max_score, "passed": self.passed, "message": self.message,
                "visibility": self.visibility, "ran": self.ran, "counted": self.counted,
                "judged": self.judged}


@dataclass
class ExerciseResult(CleanText):
    TEXT: ClassVar[tuple] = ("name", "title", "error", "output")
    TEXT_LISTS: ClassVar[tuple] = ("reference_modules",)

    name: str
    title: str
    checks: list = field(default_factory=list)
    error: str = ""
    output: str = ""
    reference_modules: list = field(default_factory=list)
    seconds: float = 0.0
    caused_by: list = field(default_factory=list)  # earlier exercises of the student's that fail (causes.py)
    child: dict = field(default_factory=dict)  # how student code ran: {"sandbox": bool, "uid": int}

    @property
    def counted(self):
        """Checks that count towards the score: all but the hidden checks of a student's copy."""
        return [c for c in self.checks if c.counted]

    @property
    def score(self):
        return sum(c.score for c in self.counted)

    @property
    def max_score(self):
        return sum(c.max_score for c in self.counted)

    @property
    def status(self):
        if self.error:
            return ERROR
        if self.score == self.max_score:
            return PASSED
        if self.score > 0:
            return PARTIAL
        failing = [c for c in self.counted if not c.passed and c.judged]  # not judged: a consequence
        if failing and all(c.not_implemented for c in failing):
            return NOT_STARTED
        return FAILED

    def to_dict(self):
        return {"name": self.name, "title": self.title, "score": self.score,
                "max_score": self.max_score, "status": self.status, "error": self.error,
                "reference_modules": list(self.reference_modules), "output": self.output,
                "seconds": round(self.seconds, 3), "caused_by": self.caused_by, "child": dict(self.child),
                "checks": [c.to_dict() for c in self.checks]}


@dataclass
class Report(CleanText):
    TEXT: ClassVar[tuple] = ("submission",)
    TEXT_LISTS: ClassVar[tuple] = ("notices",)

    submission: str
    exercises: list
    seed: object = 0  # the seed, or "env:NAME" when it is a secret read from that variable
    hidden_checks_ran: bool = True
    sandboxed: bool = False
    notices: list = field(default_factory=list)
    seed_fingerprint: str = ""  # see grader.grading.seeds.Seed.fingerprint
    student_work: bool = True  # False for the reference solutions: their grades are not the student's progress

    @property
    def score(self):
        return sum(e.score for e in self.exercises)

    @property
    def max_score(self):
        return sum(e.max_score for e in self.exercises)

    @property
    def percent(self):
        return 100.0 * self.score / self.max_score if self.max_score else 0.0

    def to_dict(self):
        return {"submission": self.submission, "score": self.score, "max_score": self.max_score,
                "percent": round(self.percent, 2), "seed": self.seed,
                "seed_fingerprint": self.seed_fingerprint,
                "hidden_checks_ran": self.hidden_checks_ran, "sandboxed": self.sandboxed,
                "notices": list(self.notices),
                "exercises": [e.to_dict() for e in self.exercises]}
