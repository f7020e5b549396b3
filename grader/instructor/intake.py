"""Take in one student's submission, whatever its layout, as a clean folder to grade.

A submission is a folder (the exercise modules themselves, or a repository holding them
in ``exercises/``), a ``.zip`` of either (or a folder holding just that zip), or
notebooks (one ``.ipynb``, or a folder or a zip of them;
:class:`~grader.submission.Submission` turns them into modules). Only the
exercise modules, or else the notebooks, are taken, copied into a fresh folder: nothing
else of the submission is read. Symbolic links are not followed (a link to the
instructor's ``solutions/`` would otherwise be graded), and a ``.zip`` is read within
limits: no member may point outside the archive, and caps on the number of members and
their sizes keep a zip bomb from filling the disk.
"""

import hashlib
import os
import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath, PureWindowsPath

from ..grading import exercise_names

MODULE_FILES = {f"{name}.py" for name in exercise_names()}
MAX_MEMBERS = 10_000
MAX_UNCOMPRESSED_BYTES = 200 * 2**20
MAX_FILE_BYTES = {".py": 2**20, ".ipynb": 20 * 2**20}
MAX_DEPTH = 5
SKIPPED_FOLDERS = {"__pycache__", "node_modules", "site-packages"}


class IntakeError(Exception):
    """The submission cannot be graded at all; the message says why, naming the file."""


def take_in(source, staging):
    """Copy what is graded of ``source`` into ``staging``/submission.

    Returns ``(folder, origin, notices)``: the folder to grade, where in ``source`` its
    files came from (for messages), and remarks for the report (files left out and
    why). Raises IntakeError when there is nothing to grade.
    """
    source, folder = Path(source), Path(staging) / "submission"
    folder.mkdir(parents=True)
    archive = lone_archive(source) if source.is_dir() else None
    if archive:
        origin, notices = take_in_zip(archive, folder)
    elif source.is_dir():
        origin, notices = take_in_folder(source, folder)
    elif source.suffix == ".zip":
        origin, notices = take_in_zip(source, folder)
    elif source.suffix == ".ipynb":
        copy_capped(source, folder / source.name)
        origin, notices = str(source.parent), []
    else:
        raise IntakeError(f"{source} is not a submission: expected a folder, a .zip or a .ipynb")
    if not any(folder.iterdir()):
        raise IntakeError("; ".join(notices))
    return folder, origin, notices


def graded_files(paths, source):
    """The paths among ``paths`` to grade: the exercise modules of one folder, else its notebooks.

    The shallowest folder wins (a repository's ``exercises/`` rather than its
    ``grader/checks/``), then the one with the most files, then one named ``exercises``.
    """
    for wanted in (lambda p: p.name in MODULE_FILES, lambda p: p.suffix == ".ipynb"):
        counts = {}
        for path in filter(wanted, paths):
            counts[path.parent] = counts.get(path.parent, 0) + 1
        if counts:
            chosen = min(counts, key=lambda f: (len(f.parts), -counts[f], f.name != "exercises", str(f)))
            return chosen, [p for p in paths if p.parent == chosen and wanted(p)]
    raise IntakeError(f"{source} holds none of the exercise modules ({', '.join(sorted(MODULE_FILES))}) "
                      "and no notebook")


# -- folders -------------------------------------------------------------------------

def lone_archive(source):
    """The one ``.zip`` of a folder that holds no exercise module nor notebook, or None.

    A Moodle download gives each student a folder holding what they uploaded, often a
    zip; Gradescope's submission folder may hold one too. Either is taken in like a
    zip of the batch. Several zips are refused: which one to grade is the student's call.
    """
    if candidate_files(source):
        return None
    archives = top_level_archives(source)
    if len(archives) > 1:
        raise IntakeError(f"{source} holds no exercise module but several zip files "
                          f"({', '.join(p.name for p in archives)}): submit one")
    return archives[0] if archives else None


def top_level_archives(source):
    """The regular ``.zip`` files directly in ``source`` (a symbolic link is not followed)."""
    return [path for path in sorted(Path(source).glob("*.zip"))
            if not path.name.startswith(".") and stat.S_ISREG(os.lstat(path).st_mode)]


def take_in_folder(source, folder):
    chosen, paths = graded_files(candidate_files(source), source)
    notices = []
    for path in paths:
        mode = os.lstat(source / path).st_mode
        if stat.S_ISLNK(mode):
            notices.append(f"{path} is a symbolic link and was not graded: submit the file itself")
        elif not stat.S_ISREG(mode):
            notices.append(f"{path} is not a regular file and was not graded")
        else:
            copy_capped(source / path, folder / path.name)
    return str(source / chosen), notices


def candidate_files(source):
    """Exercise modules and notebooks under ``source``, as relative paths."""
    found = []
    for folder, subfolders, files in os.walk(source):
        relative = Path(folder).relative_to(source)
        if len(relative.parts) >= MAX_DEPTH:
            subfolders.clear()
        subfolders[:] = sorted(d for d in subfolders if not d.startswith(".") and d not in SKIPPED_FOLDERS)
        found += [relative / name for name in sorted(files) if name in MODULE_FILES or name.endswith(".ipynb")]
    return found


def copy_capped(source, target):
    cap = MAX_FILE_BYTES[source.suffix]
    if source.stat().st_size > cap:
        raise IntakeError(f"{source} is larger than {cap // 2**10} KB")
    shutil.copyfile(source, target)


# -- zip archives ---------------------------------------------------------------------

def take_in_zip(source, folder):
    try:
        with zipfile.ZipFile(source) as archive:
            members = {PurePosixPath(m.filename): m for m in checked_members(source, archive) if not m.is_dir()}
            chosen, paths = graded_files(list(members), source)
            for path in paths:
                extract_capped(archive, members[path], folder / path.name, source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, NotImplementedError, EOFError,
            ValueError) as error:  # corrupt, encrypted, or an unknown compression method
        raise IntakeError(f"{source} could not be read as a zip file: {error}") from None
    return f"{source}:{chosen}", []


def checked_members(source, archive):
    """The archive's members, after refusing the archive if any of them is unsafe."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise IntakeError(f"{source} has {len(members)} files; at most {MAX_MEMBERS} are accepted")
    declared = sum(m.file_size for m in members)
    if declared > MAX_UNCOMPRESSED_BYTES:
        raise IntakeError(f"{source} unpacks to {declared / 2**20:.0f} MB; "
                          f"at most {MAX_UNCOMPRESSED_BYTES / 2**20:.0f} MB are accepted")
    for member in members:
        path = PurePosixPath(member.filename.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or PureWindowsPath(member.filename).drive:
            raise IntakeError(f"{source}: the member {member.filename!r} points outside the archive")
    return members


def extract_capped(archive, member, target, source):
    """Extract ``member``, reading no more than its cap whatever its header claims."""
    cap = MAX_FILE_BYTES[target.suffix]
    with archive.open(member) as data:
        content = data.read(cap + 1)
    if len(content) > cap:
        raise IntakeError(f"{source}: {member.filename} is larger than {cap // 2**10} KB")
    target.write_bytes(content)


# -- fingerprints ---------------------------------------------------------------------

def fingerprint(source):
    """A digest of what grading ``source`` reads: its candidate files, or the whole file."""
    digest = hashlib.sha256()
    source = Path(source)
    if not source.is_dir():
        return digest_file(digest, source).hexdigest()
    for path in candidate_files(source) + [p.relative_to(source) for p in top_level_archives(source)]:
        full = source / path
        digest.update(f"{path}\0".encode())
        if full.is_symlink():
            digest.update(b"link:" + os.readlink(full).encode())
        elif full.is_file():
            digest_file(digest, full)
        digest.update(b"\0")
    return digest.hexdigest()


def digest_file(digest, path):
    try:
        with open(path, "rb") as data:
            for block in iter(lambda: data.read(2**20), b""):
                digest.update(block)
    except OSError as error:  # grading will say so; the digest only has to be stable
        digest.update(f"unreadable: {error.strerror}".encode())
    return digest
