"""What grading produces: plain results that every output format is made from."""

from dataclasses import dataclass, field

VISIBLE, HIDDEN = "visible", "hidden"
PASSED, PARTIAL, FAILED, NOT_STARTED, ERROR = "passed", "partial", "failed", "not_started", "error"


@dataclass
class CheckResult:
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

    @property
    def score(self):
        return float(self.max_score) if self.passed else 0.0

    def to_dict(self):
        return {"name": self.name, "description": self.description, "score": self.score,
                "max_score": self.max_score, "passed": self.passed, "message": self.message,
                "visibility": self.visibility, "ran": self.ran, "counted": self.counted,
                "judged": self.judged}


@dataclass
class ExerciseResult:
    name: str
    title: str
    checks: list = field(default_factory=list)
    error: str = ""
    output: str = ""
    reference_modules: list = field(default_factory=list)
    seconds: float = 0.0

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
                "reference_modules": self.reference_modules, "output": self.output,
                "seconds": round(self.seconds, 3),
                "checks": [c.to_dict() for c in self.checks]}


@dataclass
class Report:
    submission: str
    exercises: list
    seed: int = 0
    hidden_checks_ran: bool = True
    sandboxed: bool = False
    notices: list = field(default_factory=list)

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
                "hidden_checks_ran": self.hidden_checks_ran, "sandboxed": self.sandboxed,
                "notices": self.notices,
                "exercises": [e.to_dict() for e in self.exercises]}
