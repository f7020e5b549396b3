"""Batch throughput and memory.

- ``nnlab batch`` on N copies of the reference with ``--jobs 1`` and ``--jobs 2``:
  submissions per minute; meanwhile /proc is polled for the RSS high-water mark
  (VmHWM) of the batch process itself and of every process it starts: its workers
  and their children.
- Per exercise, the exact peak of the child processes that grade it
  (``RUSAGE_CHILDREN``, see :mod:`benchmarks.peak_memory`).
"""

import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from . import ROOT, SOLUTIONS
from .measure import Sample, Section, Table
from .runs import BenchmarkError, exercise_names, nnlab_command, sandbox_modes

JOBS = (1, 2)
BATCH_REPEATS = 3


def run(settings):
    modes = sandbox_modes()
    section = Section("Batch throughput and memory")
    rates, peaks = {}, {}
    with tempfile.TemporaryDirectory(prefix="nnlab-bench-batch-") as scratch:
        folder = copies_of_reference(Path(scratch) / "submissions", settings.submissions)
        runs = {(jobs, mode): [] for jobs in JOBS for mode in modes}
        for i in range(min(settings.repeats, BATCH_REPEATS)):  # interleaved, as measure_interleaved
            for (jobs, mode), found in runs.items():
                out = Path(scratch) / f"out-{jobs}-{mode}-{i}"
                found.append(timed_batch(folder, out, jobs, mode, settings.exercises))
        for key, found in runs.items():
            rates[key] = Sample([settings.submissions / seconds * 60 for seconds, _ in found])
            peaks[key] = {kind: max(peak.get(kind, 0) for _, peak in found) for kind in KINDS}
    section.tables.append(batch_table(rates, peaks, modes, settings.submissions, settings.exercises))
    exercise_peaks = {(name, mode): child_peak(name, mode) for name in exercise_names(settings) for mode in modes}
    section.tables.append(memory_table(exercise_peaks, exercise_names(settings), modes))
    section.figures = {"per_minute": {key: sample.median for key, sample in rates.items()},
                       "child_mib": max(peak["child"] for peak in exercise_peaks.values()),
                       "batch_mib": max(peak["batch"] for peak in peaks.values()),
                       "exercises": list(settings.exercises)}
    section.notes += [
        "`nnlab batch --jobs N` keeps N warm workers (`python -m grader.instructor.worker --serve`), each "
        "grading submission after submission; a worker starts one child per exercise, one at a time (the "
        "worker's default). Peaks are VmHWM, polled every 10 ms from /proc, the largest of any process of "
        "that kind; \"batch\" is the `nnlab batch` process itself; \"child\" counts the fork servers too, "
        "whose forks (the children) keep their command line.",
        "Per exercise: the largest child's ru_maxrss from getrusage(RUSAGE_CHILDREN) in a process that "
        "grades only that exercise (so sandbox-on figures include bwrap's own processes if larger).",
    ]
    return section


def copies_of_reference(folder, count):
    for i in range(count):
        student = folder / f"student{i:02d}"
        student.mkdir(parents=True)
        for path in SOLUTIONS.glob("*.py"):
            if path.name != "__init__.py":
                shutil.copyfile(path, student / path.name)
    return folder


def timed_batch(folder, out, jobs, mode, names=()):
    """``(seconds, peak MiB by kind)`` of one ``nnlab batch`` run; every report checked."""
    argv = nnlab_command() + ["batch", str(folder), "--out", str(out), "--jobs", str(jobs), "--sandbox", mode]
    argv += [arg for name in names for arg in ("-e", name)]
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with PeakMemory(process.pid) as memory:
        _, stderr = process.communicate()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise BenchmarkError(f"{' '.join(argv)} exited with {process.returncode}: {stderr[-500:]}")
    for report in (out / "reports").glob("*.json"):
        data = json.loads(report.read_text())
        if data["batch"]["status"] == "error":
            raise BenchmarkError(f"{report.name}: {data['batch']['reason']}")
    return seconds, memory.peaks


KINDS = ("batch", "worker", "child")


def kind_of(cmdline):
    if b"grader.instructor.worker" in cmdline:
        return "worker"
    if b"child.py" in cmdline or b"serve_forks.py" in cmdline:  # a fork keeps its server's command line
        return "child"
    return "other"


class PeakMemory:
    """``with PeakMemory(pid) as memory:`` -- ``memory.peaks``: the largest VmHWM (MiB) of
    the descendants of ``pid``, by kind, polled while the block runs."""

    def __init__(self, pid, interval=0.01):
        self.pid = pid
        self.interval = interval
        self.peaks = {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._done.set()
        self._thread.join()

    def _poll(self):
        while not self._done.is_set():
            for pid in [self.pid, *descendants(self.pid)]:
                try:
                    kind = "batch" if pid == self.pid else kind_of(Path(f"/proc/{pid}/cmdline").read_bytes())
                    hwm = high_water_mib(pid)
                except OSError:
                    continue
                self.peaks[kind] = max(self.peaks.get(kind, 0), hwm)
            time.sleep(self.interval)


def descendants(root):
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        below = children.get(todo.pop(), [])
        found += below
        todo += below
    return found


def high_water_mib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def child_peak(name, mode):
    completed = subprocess.run([sys.executable, "-m", "benchmarks.peak_memory", name, "--sandbox", mode],
                               cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(completed.stdout)


def batch_table(rates, peaks, modes, count, names):
    table = Table(["command", "sandbox", "submissions per minute", "peak batch process", "peak worker", "peak child"],
                  title=f"`nnlab batch` of {count} copies of the reference" + (f" ({', '.join(names)} only)" if names else ""))
    for jobs in JOBS:
        for mode in modes:
            peak = peaks[jobs, mode]
            table.rows.append([f"`--jobs {jobs}`", mode, rates[jobs, mode].show("/min"), f"{peak['batch']:.0f} MiB",
                               f"{peak['worker']:.0f} MiB", f"{peak['child']:.0f} MiB"])
    return table


def memory_table(peaks, names, modes):
    table = Table(["exercise", *(f"peak child, sandbox {mode}" for mode in modes), "grader process (off)"],
                  title="Peak memory (RSS high-water mark) per exercise")
    for name in names:
        table.rows.append([name] + [f"{peaks[name, mode]['child']:.0f} MiB" for mode in modes]
                          + [f"{peaks[name, 'off']['grader']:.0f} MiB"])
    return table
