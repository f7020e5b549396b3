"""Deadlines for git repositories: ``nnlab batch --before TIME [--late-penalty PERCENT]``.

A class cloned from GitHub Classroom is a folder of git repositories, each with its
whole history. With ``--before``, each repository is graded at the last commit made
before the deadline, and the gradebook says which commit that was, when it was made,
and whether later commits exist (``late``). With ``--late-penalty``, the last commit is
graded instead, and a late one loses that percent of its points per started day.

Commit times are the committer dates git records, which the student's machine sets: a
student can date a commit in the past. Where that matters, compare them with the push
times GitHub keeps (the repository's activity, or Classroom's submission time).

The snapshot leaves the repository as it is: the exercise files of the commit are
written to a zip, which the worker takes in like any zip, with the same limits. The
repository's own configuration is the student's, so git only reads history and blobs
(no ``git archive``, whose filters that configuration could name), with hooks and the
file-system monitor turned off.
"""

import math
import subprocess
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from .intake import MAX_FILE_BYTES, MODULE_FILES

SAFE_GIT = ["git", "-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false", "-c", "safe.directory=*"]
DAY_SECONDS = 24 * 3600


class DeadlineError(Exception):
    """The repository has nothing to grade before the deadline, or git could not read it."""


@dataclass
class Snapshot:
    commit: str
    committed: datetime
    later_commits: int  # made after the deadline: not graded, or (--late-penalty) graded late


def parse_time(text):
    """An ISO 8601 time ("2026-12-01T23:59", "2026-12-01 23:59+01:00"); without an offset, UTC."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def is_repository(path):
    return Path(path).is_dir() and (Path(path) / ".git").exists()


def git(repository, *arguments, text=True):
    try:
        run = subprocess.run([*SAFE_GIT, "-C", str(repository), *arguments], capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise DeadlineError(f"{repository}: git could not run: {error}") from None
    if run.returncode != 0:
        problem = run.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
        raise DeadlineError(f"{Path(repository).name}: git {arguments[0]} failed: {' '.join(problem)}")
    return run.stdout.decode("utf-8", "surrogateescape") if text else run.stdout


def commits(repository):
    """``[(sha, committed), ...]`` of the history of HEAD, newest first."""
    lines = git(repository, "log", "--format=%H %cI", "HEAD").split()
    return [(sha, datetime.fromisoformat(when)) for sha, when in zip(lines[::2], lines[1::2])]


def snapshot(repository, deadline, last=False):
    """The commit to grade: the newest made by ``deadline``, or with ``last`` the newest of all."""
    history = commits(repository)
    on_time = [(sha, when) for sha, when in history if when <= deadline]
    if last:
        sha, when = max(history, key=lambda commit: commit[1])
    elif on_time:
        sha, when = max(on_time, key=lambda commit: commit[1])
    else:
        raise DeadlineError(f"{Path(repository).name} has no commit before {deadline.isoformat()} "
                            f"(its first is from {min(w for _, w in history).isoformat()})")
    return Snapshot(sha, when, len(history) - len(on_time))


def archive(repository, commit, target):
    """Write the exercise modules and notebooks of ``commit`` to the zip ``target``.

    The files are read as the blobs git stores (``cat-file``), not through ``git
    archive``, which would run the filters the repository's own configuration names.
    Symbolic links and submodules are left out, like the intake leaves them out.
    """
    listing = git(repository, "ls-tree", "-r", "-l", "-z", "--full-tree", commit)
    with zipfile.ZipFile(target, "w") as out:
        for line in filter(None, listing.split("\0")):
            meta, path = line.split("\t", 1)
            mode, kind, blob, size = meta.split()
            name = PurePosixPath(path).name
            if kind != "blob" or mode not in ("100644", "100755") or not (name in MODULE_FILES or
                                                                          name.endswith(".ipynb")):
                continue
            cap = MAX_FILE_BYTES[PurePosixPath(name).suffix]
            if int(size) > cap:
                raise DeadlineError(f"{Path(repository).name}: {path} at {commit[:12]} "
                                    f"is larger than {cap // 2**10} KB")
            out.writestr(path, git(repository, "cat-file", "blob", blob, text=False))
    return Path(target)


def penalty_percent(snapshot, deadline, per_day):
    """The percent lost: ``per_day`` for each started day after the deadline, at most 100."""
    if snapshot.committed <= deadline or not per_day:
        return 0.0
    days = math.ceil((snapshot.committed - deadline).total_seconds() / DAY_SECONDS)
    return min(100.0, per_day * days)


def record(snapshot, deadline, per_day):
    """What the report's "batch" keeps of the deadline."""
    return {"before": deadline.isoformat(), "commit": snapshot.commit,
            "committed": snapshot.committed.isoformat(), "later_commits": snapshot.later_commits,
            "late": snapshot.later_commits > 0,
            "penalty_percent": penalty_percent(snapshot, deadline, per_day)}
