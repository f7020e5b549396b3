"""Repeated wall-clock measurements, their summary (median and spread) and result tables."""

import statistics
import time
from dataclasses import dataclass, field


@dataclass
class Sample:
    """Values measured over repeated runs: seconds, or a rate per minute."""

    values: list

    @property
    def median(self):
        return statistics.median(self.values)

    def show(self, unit="s"):
        """``0.41 s (0.39-0.44, n=5)``: the median and the range of the runs."""
        scale, digits = {"s": (1, 3), "ms": (1e3, 1), "us": (1e6, 0), "/min": (1, 1)}[unit]
        low, high = min(self.values) * scale, max(self.values) * scale
        text = f"{self.median * scale:.{digits}f} {unit}"
        if len(self.values) > 1:
            text += f" ({low:.{digits}f}-{high:.{digits}f}, n={len(self.values)})"
        return text


def measure(function, repeats):
    """Run ``function()`` ``repeats`` times; return the Sample of its wall times."""
    values = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        values.append(time.perf_counter() - start)
    return Sample(values)


def measure_interleaved(functions, repeats):
    """``{key: Sample}`` for ``{key: function}``, each run once per round: a busy moment of the
    machine then slows every contender a little rather than one of them a lot."""
    values = {key: [] for key in functions}
    for _ in range(repeats):
        for key, function in functions.items():
            values[key] += measure(function, 1).values
    return {key: Sample(found) for key, found in values.items()}


class Stopwatch:
    """``with Stopwatch() as watch: ...``; then ``watch.seconds``."""

    def __enter__(self):
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started


@dataclass
class Table:
    columns: list
    rows: list = field(default_factory=list)
    title: str = ""

    def markdown(self):
        lines = [f"**{self.title}**", ""] if self.title else []
        lines.append("| " + " | ".join(self.columns) + " |")
        lines.append("|" + "---|" * len(self.columns))
        lines += ["| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |" for row in self.rows]
        return "\n".join(lines)


@dataclass
class Section:
    """One benchmark's results: tables, notes, and the headline figures the targets use."""

    title: str
    tables: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    figures: dict = field(default_factory=dict)

    def markdown(self):
        parts = [f"## {self.title}", *(table.markdown() for table in self.tables)]
        if self.notes:
            parts.append("\n".join(f"- {note}" for note in self.notes))
        return "\n\n".join(parts)


@dataclass
class Settings:
    """How much to measure: the full run, or a quick smoke run."""

    repeats: int = 5
    trials: int = 200
    exercises: tuple = ()          # () for every exercise
    submissions: int = 10
    epochs: int = 20
    quick: bool = False

    @classmethod
    def smoke(cls):
        return cls(repeats=1, trials=10, exercises=("activations", "backprop"), submissions=2, epochs=1,
                   quick=True)
