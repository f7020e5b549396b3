"""What a batch run was graded with, recorded in ``OUT/run.json``.

    {"exercises": ["activations", "softmax"], "seed": 0, "timeout": null, "memory_mb": null,
     "sandbox": "auto", "checks": "3f2a...", "reference": "9c1e...", "nnlab": "0.1.0",
     "shard": "2/4"}

A gradebook is only worth something when every row was graded the same way. So the
batch refuses to add to a folder (``--resume``, ``--only``) graded with other options,
and ``gradebook merge`` refuses shards graded differently; the message names what
differs. ``checks`` is a digest of the checks and the engine that runs them,
``reference`` one of the reference solutions (None: the hidden checks did not run).
The shard is recorded but not compared: shards of one run differ in it by design.
"""

import json
from importlib import metadata
from pathlib import Path

from ..report.files import write_atomic

RUN_FILE = "run.json"
LABELS = {"exercises": "the exercises", "seed": "the seed", "timeout": "the time limit",
          "memory_mb": "the memory limit", "sandbox": "the sandbox mode", "before": "the deadline",
          "late_penalty": "the late penalty",
          "checks": "the checks (grader/checks, the engine)", "reference": "the reference solutions",
          "nnlab": "the nnlab version"}


class Inconsistent(Exception):
    """Grading into, or merging, folders graded with other options; the message says how."""


def nnlab_version():
    try:
        return metadata.version("nnlab")
    except metadata.PackageNotFoundError:
        return "unknown"


def read_run(folder):
    """The run record of the batch output ``folder``, or None when it has none (or it is unreadable)."""
    try:
        record = json.loads((Path(folder) / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def write_run(folder, record):
    write_atomic(Path(folder) / RUN_FILE, json.dumps(record, indent=2, sort_keys=True) + "\n")


def differences(recorded, current, here="here", there="there"):
    """What differs between two run records, one phrase each: "the seed: 0 here, 1 there"."""
    return [f"{label}: {shown(current.get(key))} {here}, {shown(recorded.get(key))} {there}"
            for key, label in LABELS.items() if recorded.get(key) != current.get(key)]


def shown(value):
    if value is None:
        return "none"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    if isinstance(value, str) and len(value) == 64:  # a digest: its start tells them apart
        return value[:12]
    return str(value)


def check_consistent(folder, current, what):
    """Raise Inconsistent unless ``folder``'s recorded run matches ``current``.

    ``what`` says what was asked ("--resume"), for the message. A folder without a
    record (nothing graded yet) is consistent with anything.
    """
    recorded = read_run(folder)
    found = differences(recorded, current, "now", f"in {Path(folder) / RUN_FILE}") if recorded else []
    if found:
        raise Inconsistent(f"{what}: {folder} was graded with other options ("
                           + "; ".join(found) + "). Use the same options, or add --force to grade "
                           "every submission again with these.")


def common_run(folders):
    """The run record the folders (shards) share, without the shard; Inconsistent if they differ."""
    records = {folder: read_run(folder) for folder in folders}
    missing = [str(folder) for folder, record in records.items() if record is None]
    if missing:
        raise Inconsistent(f"{', '.join(missing)} has no {RUN_FILE} (graded by an older nnlab, or not a "
                           "batch output): grade it again, so that every shard is known to match")
    first, *others = folders
    for folder in others:
        found = differences(records[first], records[folder], f"in {folder}", f"in {first}")
        if found:
            raise Inconsistent(f"{folder} and {first} were graded with different options ("
                               + "; ".join(found) + "): grade the shards again with the same options")
    return {key: value for key, value in records[first].items() if key != "shard"}
