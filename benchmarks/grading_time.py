"""Wall time to grade the reference solutions: all exercises, and each exercise alone.

With the CLI in a subprocess, as a user runs it (``nnlab grade solutions -e NAME --format
json``; this includes starting Python and importing the grader), sandbox on and off; and
in-process with ``grading.grade``, whose per-exercise seconds break a whole run down.
"""

from grader import grading

from .measure import Sample, Section, Table, measure_interleaved
from .runs import CONVERGENCE, exercise_names, grade_cli, grade_in_process, sandbox_modes, score


def run(settings):
    names, modes = exercise_names(settings), sandbox_modes()
    section = Section("Grading the reference")
    whole, scores = whole_runs(names, modes, settings)
    per_exercise, breakdown = exercise_runs(names, modes, settings)
    section.tables = [whole_table(whole, modes, scores), exercise_table(names, modes, per_exercise, breakdown)]
    section.figures = {"whole": {mode: sample.median for (jobs, mode), sample in whole.items() if jobs == 2},
                       "exercise": {name: {mode: per_exercise[name, mode].median for mode in modes}
                                    for name in names},
                       "share": {name: {mode: breakdown[name, mode].median for mode in modes} for name in names}}
    if "on" not in modes:
        section.notes.append("bubblewrap cannot run here: sandbox-on figures are missing.")
    section.notes.append("Times are the median of the runs, (min-max, n=runs). \"alone\" is one "
                         "`nnlab grade solutions -e NAME` process; \"in a whole run\" is that exercise's "
                         "share of an in-process `grading.grade` of every exercise with jobs=1.")
    return section


def whole_runs(names, modes, settings):
    """``nnlab grade solutions`` with every exercise, per (jobs, sandbox); and the scores."""
    reports = {}

    def grade(jobs, mode):
        def once():
            reports[mode] = grade_cli(names=names, sandbox=mode, jobs=jobs)
        return once

    samples = measure_interleaved({(jobs, mode): grade(jobs, mode) for jobs in (2, 1) for mode in modes},
                                  settings.repeats)
    return samples, {mode: score(report) for mode, report in reports.items()}


def exercise_runs(names, modes, settings):
    """Each exercise alone with the CLI, and its share of an in-process run of all of them."""
    def grade(name, mode):
        return lambda: grade_cli(names=[name], sandbox=mode)

    alone = measure_interleaved({(name, mode): grade(name, mode) for name in names for mode in modes},
                                settings.repeats)
    shares = {}
    for _ in range(settings.repeats):
        for mode in modes:
            for result in grade_in_process(names, sandbox=mode, jobs=1)["exercises"]:
                shares.setdefault((result["name"], mode), []).append(result["seconds"])
    return alone, {key: Sample(values) for key, values in shares.items()}


def whole_table(samples, modes, scores):
    table = Table(["command", *(f"sandbox {mode}" for mode in modes)], title="All exercises")
    for jobs in (2, 1):
        table.rows.append([f"`nnlab grade solutions --jobs {jobs}`"] + [samples[jobs, mode].show() for mode in modes])
    table.rows.append(["score"] + [scores[mode] for mode in modes])
    return table


def exercise_table(names, modes, alone, shares):
    columns = ["exercise", "checks"] + [f"alone, sandbox {mode}" for mode in modes]
    columns += [f"in a whole run, sandbox {mode}" for mode in modes] + ["target (alone)"]
    table = Table(columns, title="Each exercise")
    for name in names:
        row = [name, len(grading.find_exercise(name).checks)]
        row += [alone[name, mode].show() for mode in modes] + [shares[name, mode].show() for mode in modes]
        table.rows.append(row + [f"<= {target(name):g} s"])
    table.rows.append(["sum of the medians", ""] + [f"{sum(alone[n, m].median for n in names):.3f} s" for m in modes]
                      + [f"{sum(shares[n, m].median for n in names):.3f} s" for m in modes] + [""])
    return table


def target(name):
    return 3.0 if name in CONVERGENCE else 1.0
