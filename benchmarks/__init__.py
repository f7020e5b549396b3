"""Performance figures of nnlab: how long grading takes and where the time goes.

    python -m benchmarks            # every benchmark; prints the tables, writes benchmarks/RESULTS.md
    python -m benchmarks --quick    # a smoke run: one repeat, fewer exercises and trials

One module per benchmark, each with ``run(settings) -> Section``:

    grading_time     wall time to grade the reference, with the CLI and in-process
    overhead         the grader's own cost: child start, round trips, check logic
    gradient_checks  coordinate-wise vs randomized directional gradient checks
    throughput       submissions per minute, and the peak memory of a child
    torch_compare    the reference MLP's training speed against PyTorch's
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
