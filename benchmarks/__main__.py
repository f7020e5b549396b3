"""``python -m benchmarks``: run the benchmarks, print the tables, write benchmarks/RESULTS.md."""

import argparse
import datetime
import os
import sys

from grader.report.files import write_atomic

from . import ROOT, gradient_checks, grading_time, overhead, pytest_floor, targets, throughput, torch_compare
from .machine import describe
from .measure import Settings

BENCHMARKS = {"grading": grading_time, "overhead": overhead, "floor": pytest_floor,
              "gradients": gradient_checks, "throughput": throughput, "torch": torch_compare}
RESULTS = ROOT / "benchmarks" / "RESULTS.md"

EXAMPLES = """examples:
  python -m benchmarks                      everything; writes benchmarks/RESULTS.md (a few minutes)
  python -m benchmarks --quick              a smoke run: one repeat, two exercises; writes nothing
  python -m benchmarks --only gradients     one benchmark (repeatable)
  python -m benchmarks --quick -o /tmp/r.md a smoke run, written to /tmp/r.md
"""


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     description="Measure how fast nnlab grades, and where the time goes.")
    parser.add_argument("--quick", action="store_true", help="a smoke run: one repeat, fewer exercises and trials")
    parser.add_argument("--only", action="append", choices=sorted(BENCHMARKS), metavar="NAME",
                        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}")
    parser.add_argument("--repeats", type=int, help="runs per measurement (default 5; 1 with --quick)")
    parser.add_argument("--trials", type=int, help="random trials per bug in the gradient benchmark "
                                                   "(default 200; 10 with --quick)")
    parser.add_argument("-o", "--output", help="write the results here (default: benchmarks/RESULTS.md, "
                                               "not written by --quick or --only)")
    return parser.parse_args(argv)


def main(argv=None):
    options = parse(argv)
    settings = Settings.smoke() if options.quick else Settings()
    settings.repeats = options.repeats or settings.repeats
    settings.trials = options.trials or settings.trials
    output = options.output or (None if options.quick or options.only else RESULTS)
    machine = describe()
    print(machine.markdown(), end="\n\n", flush=True)
    sections, figures = [], {}
    for name in options.only or BENCHMARKS:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        section = BENCHMARKS[name].run(settings)
        print(section.markdown(), end="\n\n", flush=True)
        sections.append(section)
        figures[name] = section.figures
    goals = targets.table(figures)
    print(goals.markdown(), flush=True)
    if output:
        write_atomic(output, results_text(machine, goals, sections, settings, argv))
        print(f"\nwrote {output}", file=sys.stderr)


def results_text(machine, goals, sections, settings, argv):
    command = " ".join(["python -m benchmarks", *(argv if argv is not None else sys.argv[1:])])
    when = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    header = (f"# Benchmark results\n\nWritten by `{command}` on {when}: {settings.repeats} runs per "
              f"measurement, {settings.trials} trials per bug. Load average at the end: {load}.")
    if max(os.getloadavg()) > (os.cpu_count() or 1):
        header += (f" **The machine was busy with other work** (a load above its {os.cpu_count()} cores): "
                   "the times are longer, and the rates lower, than on a quiet machine; ratios of contenders "
                   "measured side by side suffer least.")
    return "\n\n".join([header, machine.markdown(), goals.markdown(), *(s.markdown() for s in sections)]) + "\n"


if __name__ == "__main__":
    main()
