"""One smoke test per benchmark: a tiny run of the real thing that prints its figures.

No timing assertions (the figures depend on the machine and its load): each test checks
that the benchmark measured what it says, on a reference graded with full marks.
"""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/ runs from the source tree

from benchmarks import gradient_checks, grading_time, overhead, pytest_floor, throughput, torch_compare  # noqa: E402
from benchmarks.__main__ import main  # noqa: E402
from benchmarks.measure import Settings  # noqa: E402

TINY = Settings(repeats=1, trials=2, exercises=("activations",), submissions=1, epochs=1, quick=True)


def show(section):
    print(section.markdown())
    return section


def test_grading_time_grades_the_reference_with_the_cli_and_in_process():
    section = show(grading_time.run(TINY))
    whole, each = section.tables
    score = next(row for row in whole.rows if row[0] == "score")
    assert all(cell == "15/15" for cell in score[1:])  # activations: full marks in every sandbox mode
    assert [row[0] for row in each.rows] == ["activations", "sum of the medians"]
    assert set(section.figures["exercise"]["activations"]) == set(section.figures["whole"]) >= {"off"}


def test_overhead_splits_an_exercise_into_functions_and_the_grader():
    section = show(overhead.run(TINY))
    steps = [row[0] for row in section.tables[0].rows]
    assert steps == ["workspace", "start (forked)", "start (spawned)", "round trip", "1 MiB round trip", "close"]
    (activations,) = section.tables[-1].rows
    assert activations[0] == "activations" and activations[1] > 0  # requests the checks made
    assert set(section.figures["overhead_parts"]["activations"]) == {"child start+close", "pipe round trips",
                                                                     "serialization", "checks"}


def test_floor_runs_the_same_checks_in_pytest_and_in_nnlab():
    section = show(pytest_floor.run(TINY))
    (row,) = section.tables[0].rows
    assert row[0] == "activations"
    figures = section.figures["activations"]
    assert figures["pytest"] > 0 and figures["ratio_off"] > 0


def test_directional_check_catches_a_wrong_gradient_and_passes_the_right_one():
    rng = np.random.default_rng(0)
    x = rng.normal(size=50)
    f = lambda v: float(np.sum(v ** 3))  # noqa: E731
    assert gradient_checks.directional_check(f, x, 3 * x ** 2, rng, directions=2) < 1e-6
    assert gradient_checks.directional_check(f, x, 2 * x ** 2, rng, directions=1) > 0.1


def test_gradient_benchmark_writes_its_results(tmp_path):
    main(["--quick", "--only", "gradients", "--trials", "2", "-o", str(tmp_path / "RESULTS.md")])
    text = (tmp_path / "RESULTS.md").read_text(encoding="utf-8")
    print(text)
    assert "## Gradient checks" in text and "**Machine**" in text
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in text.splitlines() if line.startswith("| ")]
    by_bug = {row[0]: row for row in rows}
    assert by_bug["softmax cross-entropy gradient without 1/m"][3:] == ["100%"] * 5  # both methods, every k
    assert "caught before any comparison" in by_bug["mlp gradients named dW1, db1"][3]
    false_alarms = [row[3:] for row in rows if row[0] == "the reference (false alarms)"]
    assert len(false_alarms) == len(gradient_checks.problems())
    assert all(rates == ["0%"] * 5 for rates in false_alarms)


@pytest.mark.linux_only("needs Linux: nnlab batch, and peaks read from /proc (VmHWM) and resource")
def test_batch_throughput_and_peak_memory():
    section = show(throughput.run(TINY))
    assert section.figures["child_mib"] > 0
    assert {jobs for jobs, _ in section.figures["per_minute"]} == {1, 2}


def test_pytorch_comparison_runs_or_says_why_not():
    section = show(torch_compare.run(TINY))
    if importlib.util.find_spec("torch") is None:
        assert "skipped" in section.notes[0]
        pytest.skip("PyTorch is not installed: the benchmark says so")
    (row,) = section.tables[0].rows
    assert row[0].startswith("single") and section.figures["ratio"] > 0
