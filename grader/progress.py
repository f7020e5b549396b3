"""The student's progress: how many hints each exercise revealed, and its last grade.

Kept in ``.nnlab/state.json`` in the working folder (the folder nnlab runs in), which
holds its own ``.gitignore`` so that git never picks it up::

    {"version": 1,
     "hints": {"softmax": 2},
     "exercises": {"softmax": {"status": "partial", "score": 8.0, "max_score": 12.0}}}

The file is written whole or not at all. A file that cannot be read (hand-edited, or
from a newer nnlab) is set aside as a fresh start and rewritten on the next save.
"""

import json
from pathlib import Path

from .report.files import write_atomic

STATE_DIR = ".nnlab"
STATE_FILE = "state.json"
VERSION = 1


class Progress:
    def __init__(self, folder="."):
        self.path = Path(folder) / STATE_DIR / STATE_FILE
        self.hints = {}
        self.exercises = {}
        self.problem = ""  # why the file on disk was not used, for a warning
        self._load()

    def _load(self):
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as error:
            self.problem = f"{self.path} could not be read ({error}); starting afresh"
            return
        if not isinstance(data, dict) or data.get("version") != VERSION:
            self.problem = f"{self.path} is not a state file of this nnlab; starting afresh"
            return
        self.hints = {k: v for k, v in (data.get("hints") or {}).items() if isinstance(v, int)}
        self.exercises = {k: v for k, v in (data.get("exercises") or {}).items() if isinstance(v, dict)}

    def save(self):
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True)
        if not (folder / ".gitignore").exists():
            write_atomic(folder / ".gitignore", "# nnlab's progress: personal, never committed\n*\n")
        write_atomic(self.path, json.dumps({"version": VERSION, "hints": self.hints,
                                            "exercises": self.exercises}, indent=2, sort_keys=True) + "\n")

    # -- hints -------------------------------------------------------------------------

    def hints_seen(self, name):
        return self.hints.get(name, 0)

    def reveal_hints(self, name, level, available):
        """Record that hints 1..``level`` of ``name`` were shown (never fewer than before)."""
        self.hints[name] = min(max(level, self.hints_seen(name)), available)

    # -- grades ------------------------------------------------------------------------

    def record(self, report):
        """Remember the status and score of every exercise in ``report``."""
        for exercise in report.exercises:
            self.exercises[exercise.name] = {"status": exercise.status, "score": exercise.score,
                                             "max_score": exercise.max_score}

    def last_grade(self, name):
        """``{"status", "score", "max_score"}`` from the last grade of ``name``, or None."""
        return self.exercises.get(name)


def record_grades(report, folder="."):
    """Record ``report`` in the state file of ``folder``; return a warning or "".

    Only the student's own work is their progress: a report of the reference solutions
    (``nnlab grade solutions``) is not recorded. A batch or its worker never records.
    """
    if not report.student_work:
        return ""
    progress = Progress(folder)
    progress.record(report)
    try:
        progress.save()
    except OSError as error:
        return f"progress not saved: {error}"
    return progress.problem
