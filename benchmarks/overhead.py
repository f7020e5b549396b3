"""The grader's own cost, apart from the student's code.

- A child's life: lay out its workspace, start it (forked from the submission's fork
  server, as every child of a submission is; and spawned, a fresh Python importing NumPy,
  where no fork can be made), the round trip of a trivial call and of a 1 MiB array,
  close it.
- What bounds a start: ``python -I -c pass``, ``python -I -c "import numpy"``, the CLI's
  own start (``nnlab --version``) and the sandbox probe; what one array costs on the wire.
- Per exercise: its grade time minus the time spent inside the reference's functions
  (measured by :mod:`benchmarks.in_process`), split into child start and close, pipe
  round trips (requests x the trivial round trip), serialization and the checks' own
  computing.
"""

import io
import json
import os
import subprocess
import sys
import time

import numpy as np

from grader import grading
from grader.engine import protocol
from grader.engine import sandbox as sandbox_module
from grader.engine.forkserver import ForkServer
from grader.engine.process import ChildProcess
from grader.engine.student import StudentCode
from grader.engine.workspace import Workspace
from grader.submission import Reference, Submission

from . import ROOT, SOLUTIONS
from .measure import Sample, Section, Stopwatch, Table, measure, measure_interleaved
from .runs import exercise_names, grade_in_process, nnlab_command, sandbox_modes

TRIVIAL_CALLS = 200
MiB = 2**20


def run(settings):
    names, modes = exercise_names(settings), sandbox_modes()
    section = Section("Grader overhead")
    lifecycle = {mode: child_lifecycle(mode, settings.repeats) for mode in modes}
    section.tables.append(lifecycle_table(lifecycle, modes))
    starts = process_starts(settings.repeats)
    if "on" in modes:
        starts["probe"] = sandbox_probe(settings.repeats)
    section.tables.append(startup_table(starts))
    section.tables.append(encoding_table())
    functions = function_times(names, settings.repeats)
    section.notes += [f"In-process, the reference failed {name}: {', '.join(found['failed'])}: its split is suspect."
                      for name, found in functions.items() if found["failed"]]
    grades = exercise_grades(names, modes, settings.repeats)
    table, overheads, parts = exercise_overhead_table(names, modes, grades, functions, lifecycle)
    section.tables.append(table)
    section.figures = {"overhead": overheads, "overhead_parts": parts,
                       "child_start": {mode: lifecycle[mode]["start (forked)"].median for mode in modes},
                       "process_start": {label: sample.median for label, sample in starts.items()}}
    section.notes += [
        "overhead = the exercise's grade time (`grading.grade`, that exercise alone, jobs=1) minus the "
        "time inside the reference's functions. Its parts: pipe round trips = requests x the trivial round "
        "trip; serialization = encoding and decoding every request and answer (JSON and array bytes, both "
        "sides), and checks = the checks' own computing, both measured by running the checks against the "
        "child's server in-process (`python -m benchmarks.in_process`). The parts are medians of separate "
        "runs: they need not add up exactly.",
        "In-process function times use OPENBLAS_NUM_THREADS=1, as the child does.",
    ]
    return section


# -- one child's life --------------------------------------------------------------

def child_lifecycle(mode, repeats):
    """Samples of: workspace, start (forked, as a submission's children are; and spawned,
    where no fork can be made), trivial round trip, 1 MiB round trip, close."""
    box, _ = sandbox_module.choose(mode, [SOLUTIONS])
    submission = Submission(SOLUTIONS, grading.exercise_names())
    parts = {key: [] for key in ("workspace", "start (forked)", "start (spawned)", "round trip",
                                 "1 MiB round trip", "close")}
    forks = ForkServer.start(sandbox=box)
    try:
        for _ in range(repeats):
            with Stopwatch() as watch:
                workspace, _ = Workspace.create("activations", [], submission, Reference(SOLUTIONS),
                                                parent=forks.workspaces if forks else None)
            parts["workspace"].append(watch.seconds)
            try:
                if forks is not None and not parts["start (forked)"]:  # the server's own start: once per submission
                    ChildProcess(workspace, "activations", time.monotonic() + 60, sandbox=box, forks=forks).close()
                for kind, server in (("spawned", None), ("forked", forks)):
                    with Stopwatch() as watch:
                        child = ChildProcess(workspace, "activations", time.monotonic() + 60, sandbox=box,
                                             forks=server)
                    parts[f"start ({kind})"].append(watch.seconds)
                    if kind == "spawned":
                        child.close()
                try:
                    sub = StudentCode(child)
                    zero, big = np.zeros(1), np.zeros(MiB // 8)
                    parts["round trip"] += measure(lambda: sub.relu(zero), TRIVIAL_CALLS).values
                    parts["1 MiB round trip"] += measure(lambda: sub.relu(big), 10).values
                finally:
                    with Stopwatch() as watch:
                        child.close()
                    parts["close"].append(watch.seconds)
            finally:
                workspace.remove()
    finally:
        if forks is not None:
            forks.close()
    return {key: Sample(values) for key, values in parts.items() if values}


def lifecycle_table(lifecycle, modes):
    table = Table(["step", *(f"sandbox {mode}" for mode in modes)], title="One child process (activations)")
    units = {"round trip": "us", "1 MiB round trip": "ms"}
    for step in lifecycle[modes[0]]:
        table.rows.append([step] + [lifecycle[mode][step].show(units.get(step, "ms")) for mode in modes])
    return table


# -- what bounds a start -------------------------------------------------------------

PROCESS_STARTS = {
    "python": [sys.executable, "-I", "-c", "pass"],
    "numpy": [sys.executable, "-I", "-c", "import numpy"],
    "cli": nnlab_command() + ["--version"],
    "help": nnlab_command() + ["--help"],
}
LABELS = {"python": "`python -I -c pass`", "numpy": "`python -I -c \"import numpy\"`",
          "cli": "`nnlab --version` (the CLI's own start)",
          "help": "`nnlab --help`",
          "probe": "the sandbox probe, once per grading process (bwrap runs `python -I -c \"import numpy\"`)"}
PROBE = ("import time; from grader.engine import sandbox; started = time.perf_counter(); "
         "sandbox.choose('on'); print(time.perf_counter() - started)")


def process_starts(repeats):
    def start(argv):
        return lambda: subprocess.run(argv, cwd=ROOT, capture_output=True, check=True)

    return measure_interleaved({name: start(argv) for name, argv in PROCESS_STARTS.items()}, repeats + 2)


def sandbox_probe(repeats):
    """``sandbox.choose`` tries bwrap once per process: its cost, timed inside fresh processes."""
    return Sample([float(subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True,
                                        check=True).stdout) for _ in range(repeats + 2)])


def startup_table(starts):
    return Table(["command", "wall time"], [[LABELS[name], sample.show("ms")] for name, sample in starts.items()],
                 title="What bounds a start")


# -- one array on the wire -----------------------------------------------------------

def encoding_table():
    """The protocol's cost for one small array (most requests carry several), against .npy."""
    array = np.random.default_rng(0).normal(size=(6, 3))
    blobs = []
    data = protocol.encode(array, blobs)
    npy = io.BytesIO()
    np.save(npy, array, allow_pickle=False)
    ways = [("the protocol's `encode`", lambda: protocol.encode(array, [])),
            ("the protocol's `decode`", lambda: protocol.decode(data, blobs)),
            ("for comparison, `.npy`: `np.save`", lambda: np.save(io.BytesIO(), array, allow_pickle=False)),
            ("for comparison, `.npy`: `np.load` (allow_pickle=False)",
             lambda: np.load(io.BytesIO(npy.getvalue()), allow_pickle=False))]
    return Table(["one (6, 3) float64 array", "time"],
                 [[label, measure(way, 2000).show("us")] for label, way in ways], title="Encoding one array")


# -- per exercise ----------------------------------------------------------------------

def function_times(names, repeats):
    """``{name: {"function", "serialization", "checks": Sample, "requests": int}}`` from benchmarks.in_process."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    completed = subprocess.run([sys.executable, "-m", "benchmarks.in_process", *names, "--repeats", str(repeats)],
                               cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    runs = json.loads(completed.stdout)
    return {name: {"function": Sample([r["function_seconds"] for r in runs[name]]),
                   "serialization": Sample([r["request_seconds"] - r["function_seconds"] for r in runs[name]]),
                   "checks": Sample([r["seconds"] - r["request_seconds"] for r in runs[name]]),
                   "requests": runs[name][0]["requests"],
                   "failed": sorted({check for r in runs[name] for check in r["failed"]})}
            for name in names}


def exercise_grades(names, modes, repeats):
    """Each exercise's own seconds when ``grading.grade`` grades it alone, per sandbox mode."""
    seconds = {(name, mode): [] for name in names for mode in modes}
    for _ in range(repeats):
        for name, mode in seconds:
            seconds[name, mode].append(grade_in_process([name], sandbox=mode)["exercises"][0]["seconds"])
    return {key: Sample(values) for key, values in seconds.items()}


def exercise_overhead_table(names, modes, grades, functions, lifecycle):
    columns = ["exercise", "requests", "in functions"]
    for mode in modes:
        columns += [f"grade, sandbox {mode}", f"overhead, sandbox {mode}"]
    columns += ["of which: child start+close (off)", "pipe round trips", "serialization", "checks"]
    table = Table(columns, title="Per exercise: grade time minus time in the reference's functions")
    latency = lifecycle["off"]["round trip"].median
    start_close = lifecycle["off"]["start (forked)"].median + lifecycle["off"]["close"].median
    overheads, parts = {}, {}
    for name in names:
        function = functions[name]["function"].median
        row = [name, functions[name]["requests"], f"{function * 1e3:.1f} ms"]
        for mode in modes:
            overheads[name, mode] = grades[name, mode].median - function
            row += [grades[name, mode].show(), f"{overheads[name, mode]:.3f} s"]
        parts[name] = {"child start+close": start_close, "pipe round trips": functions[name]["requests"] * latency,
                       "serialization": functions[name]["serialization"].median,
                       "checks": functions[name]["checks"].median}
        table.rows.append(row + [f"{seconds:.3f} s" for seconds in parts[name].values()])
    return table, overheads, parts
