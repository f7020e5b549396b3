"""The targets of a 2-core machine, checked against this run's figures.

Each row says what was measured against what was wanted and, where it helps, what the
time is made of, so that a missed target points at its cause.
"""

from .measure import Table
from .runs import CONVERGENCE


def table(figures):
    rules = (exercise_time, whole_time, whole_against_numpy, floor_ratio, help_start, overhead, batch, memory,
             torch_ratio)
    rows = [found for rule in rules for found in rule(figures) or not_measured(rule)]
    return Table(["target", "wanted", "measured (worst case)", "met", "made of"], rows, title="Targets")


# the targets, for a row that says so when this run measured them not
UNMEASURED = {
    "whole_against_numpy": ("the whole reference, default sandbox", "<= 0.5 s and <= 8x `python -I -c \"import numpy\"`",
                            "grading, overhead"),
    "floor_ratio": ("softmax + losses, nnlab / in-process pytest", "<= 0.8x (sandbox on)", "floor, on softmax and losses"),
    "help_start": ("`nnlab --help`", "<= 3x `python -I -c pass`", "overhead"),
    "overhead": ("grader overhead per exercise", "<= 0.15 s", "overhead"),
    "batch": ("`nnlab batch --jobs 2`, full reference", ">= 150 submissions/min", "throughput"),
    "memory": ("peak memory per child; of the `nnlab batch` process", "<= 60 MB; <= 80 MB", "throughput"),
}


def not_measured(rule):
    if rule.__name__ not in UNMEASURED:
        return []
    target, wanted, needs = UNMEASURED[rule.__name__]
    return [[target, wanted, "not measured in this run", "?", f"needs the benchmark {needs}"]]


def row(target, wanted, measured, met, made_of="", remedy=""):
    if remedy and not met:
        made_of += f". Would help: {remedy}"
    return [target, wanted, measured, "yes" if met else "**no**", made_of]


CLI_REMEDY = ("a lighter start: before its first child, `nnlab grade` imports click, NumPy and the checks, "
              "and waits for the sandbox's probe (which runs meanwhile, on the other core)")
CHILD_REMEDY = ("cheaper checks: children are forks already (sandbox on and off), so what is left is the "
                "checks' own work: fewer requests (each a round trip of about 0.2 ms) and less training in "
                "the convergence checks (`model`, about 0.7 s alone, is the longest)")


def worst(by_mode):
    mode = max(by_mode, key=by_mode.get)
    return by_mode[mode], mode


def starts(figures):
    start = figures.get("overhead", {}).get("process_start", {})
    child = figures.get("overhead", {}).get("child_start", {})
    if not start:
        return ""
    probe = f", sandbox probe {start['probe']:.2f} s" if "probe" in start else ""
    return (f"CLI start {start['cli']:.2f} s (Python {start['python']:.2f} s, NumPy import "
            f"{start['numpy']:.2f} s){probe}, then a child start {max(child.values()):.2f} s per exercise")


def exercise_time(figures):
    grading = figures.get("grading")
    if not grading:
        return []
    rows = []
    for convergence, limit in ((False, 1.0), (True, 3.0)):
        times = {name: worst(modes) for name, modes in grading["exercise"].items() if (name in CONVERGENCE) == convergence}
        if not times:
            continue
        name = max(times, key=lambda n: times[n][0])
        seconds, mode = times[name]
        share = grading["share"][name][mode]
        rows.append(row(f"one {'convergence ' if convergence else ''}exercise, `nnlab grade -e NAME`",
                        f"<= {limit:g} s", f"{seconds:.2f} s ({name}, sandbox {mode})", seconds <= limit,
                        f"{name} itself {share:.2f} s in-process; {starts(figures)}", CLI_REMEDY))
    return rows


def whole_time(figures):
    grading = figures.get("grading")
    if not grading:
        return []
    seconds, mode = worst(grading["whole"])
    return [row("the whole reference, `nnlab grade solutions`", "<= 6 s", f"{seconds:.2f} s (sandbox {mode})",
               seconds <= 6, f"sum of the exercises in-process: {sum(m[mode] for m in grading['share'].values()):.2f} s "
                             "over 2 jobs, plus the CLI start")]


def overhead(figures):
    found = figures.get("overhead")
    if not found:
        return []
    (name, mode), seconds = max(found["overhead"].items(), key=lambda item: item[1])
    parts = ", ".join(f"{part} {value:.3f} s" for part, value in found["overhead_parts"][name].items())
    by_exercise = {}
    for (exercise, _), value in found["overhead"].items():
        by_exercise[exercise] = max(value, by_exercise.get(exercise, value))
    within = sum(value <= 0.15 for value in by_exercise.values())
    return [row("grader overhead per exercise", "<= 0.15 s", f"{seconds:.3f} s ({name}, sandbox {mode}); "
                f"{within} of {len(by_exercise)} exercises within", seconds <= 0.15, f"{name}: {parts}",
                CHILD_REMEDY)]


def batch(figures):
    found = figures.get("throughput")
    if not found:
        return []
    two = {mode: rate for (jobs, mode), rate in found["per_minute"].items() if jobs == 2}
    mode = min(two, key=two.get)
    graded = "full reference" if not found.get("exercises") else f"only {', '.join(found['exercises'])}"
    return [row(f"`nnlab batch --jobs 2`, {graded}", ">= 150 submissions/min",
                f"{two[mode]:.1f} /min (sandbox {mode})", two[mode] >= 150,
                f"{60 / two[mode]:.2f} s per submission with 2 at a time, in 2 warm workers", CHILD_REMEDY)]


def memory(figures):
    found = figures.get("throughput")
    if not found:
        return []
    child, parent = (found[key] * 2**20 / 1e6 for key in ("child_mib", "batch_mib"))
    return [row("peak memory per child", "<= 60 MB", f"{child:.0f} MB", child <= 60),
            row("peak memory of the `nnlab batch` process", "<= 80 MB", f"{parent:.0f} MB", parent <= 80,
                "the batch process itself, not its workers")]


def torch_ratio(figures):
    found = figures.get("torch", {}).get("ratio")
    if found is None:
        return []
    return [row("reference MLP training time / PyTorch's", "<= 1.5x", f"{found:.2f}x", found <= 1.5)]


def whole_against_numpy(figures):
    """The whole reference, sandbox as by default (on where it runs), against a bare
    ``python -I -c "import numpy"`` of the same run."""
    grading, start = figures.get("grading"), figures.get("overhead", {}).get("process_start", {})
    if not grading or "numpy" not in start:
        return []
    mode = "on" if "on" in grading["whole"] else "off"
    seconds = grading["whole"][mode]
    ratio = seconds / start["numpy"]
    return [row("the whole reference, default sandbox", "<= 0.5 s and <= 8x `python -I -c \"import numpy\"`",
                f"{seconds:.2f} s (sandbox {mode}), {ratio:.1f}x", seconds <= 0.5 and ratio <= 8,
                f"`import numpy` alone {start['numpy']:.3f} s", CHILD_REMEDY)]


def floor_ratio(figures):
    """nnlab against an in-process pytest of the same checks (benchmarks.pytest_floor)."""
    found = (figures.get("floor") or {}).get("softmax + losses")
    if not found:
        return []
    mode = "on" if "ratio_on" in found else "off"
    ratio = found[f"ratio_{mode}"]
    return [row("softmax + losses, nnlab / in-process pytest", "<= 0.8x (sandbox on)",
                f"{ratio:.2f}x (sandbox {mode})", ratio <= 0.8,
                f"pytest {found['pytest']:.2f} s, nnlab {found[mode]:.2f} s", CHILD_REMEDY)]


def help_start(figures):
    start = figures.get("overhead", {}).get("process_start", {})
    if "help" not in start:
        return []
    ratio = start["help"] / start["python"]
    return [row("`nnlab --help`", "<= 3x `python -I -c pass`", f"{ratio:.1f}x ({start['help']:.3f} s)",
                ratio <= 3, f"`python -I -c pass` {start['python']:.3f} s", CLI_REMEDY)]
