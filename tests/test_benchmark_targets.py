"""The benchmark's table of targets names every target of the issue, measured or not."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/ runs from the source tree

from benchmarks import targets  # noqa: E402

FIGURES = {
    "grading": {"whole": {"off": 0.9, "on": 1.0}, "exercise": {}, "share": {}},
    "overhead": {"process_start": {"python": 0.02, "numpy": 0.1, "cli": 0.1, "help": 0.05},
                 "child_start": {"off": 0.08}, "overhead": {("softmax", "on"): 0.1},
                 "overhead_parts": {"softmax": {"checks": 0.01}}},
    "floor": {"softmax + losses": {"pytest": 1.0, "on": 0.7, "ratio_on": 0.7}},
    "throughput": {"per_minute": {(1, "on"): 20.0, (2, "on"): 40.0}, "child_mib": 40, "batch_mib": 90,
                   "exercises": []},
}
ISSUE_TARGETS = ["the whole reference, default sandbox", "softmax + losses, nnlab / in-process pytest",
                 "`nnlab --help`", "grader overhead per exercise", "`nnlab batch --jobs 2`, full reference",
                 "peak memory per child"]


def rows(figures):
    return {row[0]: row for row in targets.table(figures).rows}


def test_each_target_has_its_figure_and_verdict():
    found = rows(FIGURES)
    assert set(ISSUE_TARGETS) | {"peak memory of the `nnlab batch` process"} <= set(found)
    assert found["the whole reference, default sandbox"][2:4] == ["1.00 s (sandbox on), 10.0x", "**no**"]
    assert found["softmax + losses, nnlab / in-process pytest"][2:4] == ["0.70x (sandbox on)", "yes"]
    assert found["`nnlab --help`"][2:4] == ["2.5x (0.050 s)", "yes"]
    assert found["`nnlab batch --jobs 2`, full reference"][2:4] == ["40.0 /min (sandbox on)", "**no**"]
    assert found["peak memory of the `nnlab batch` process"][2:4] == ["94 MB", "**no**"]


def test_a_target_this_run_did_not_measure_says_so():
    found = rows({})
    assert len(found) == len(targets.UNMEASURED)
    assert all(row[2] == "not measured in this run" and row[3] == "?" for row in found.values())
