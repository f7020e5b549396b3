"""Peak memory of the child processes that grade one exercise of the reference.

Run as its own process, so that ``RUSAGE_CHILDREN`` counts only the children of this
grading (the largest of them: Linux keeps the high-water mark of every waited-for
descendant):

    python -m benchmarks.peak_memory backprop --sandbox off     # prints JSON, in MiB
"""

import argparse
import json
import resource

from grader import grading

from .runs import grade_in_process


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", choices=grading.exercise_names())
    parser.add_argument("--sandbox", choices=["on", "off"], default="off")
    options = parser.parse_args(argv)
    grade_in_process([options.name], sandbox=options.sandbox)
    print(json.dumps({"child": mib(resource.RUSAGE_CHILDREN), "grader": mib(resource.RUSAGE_SELF)}))


def mib(who):
    return resource.getrusage(who).ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


if __name__ == "__main__":
    main()
