"""A Python for the child that holds only the standard library and NumPy.

The grader's own Python knows too much: its site-packages hold the grader itself (hidden
checks included, when nnlab is installed non-editably, as on Gradescope), and it may live
where an unprivileged user cannot read it (/root/.pyenv). So the child runs on a copy of
the interpreter's prefix made once per machine, in a cache folder only its owner writes:

    <cache>/python-<key>/
        bin/python3.X                 the interpreter
        lib/libpython3.X.so*          its shared library, when it has one
        lib/python3.X/...             the standard library, without site-packages
        lib/python3.X/numpy/          NumPy (and numpy.libs), beside the standard library

Files are hard links where the file system allows (a copy otherwise), so the cache costs
directory entries, not disk. The child starts it with ``-I -S``: no site-packages at all.

Without the sandbox and as root, the child runs as an unprivileged user (``nobody``, or
the user named by ``$NNLAB_CHILD_USER``) on this copy; where that user cannot run it,
untrusted code is not graded unless the instructor allows root (``--allow-root``).
"""

import functools
import hashlib
import importlib.util
import os
import secrets as secrets_module
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from .limits import NOBODY

ROOT_CACHE = Path("/var/cache/nnlab")
SKIPPED = {"site-packages", "dist-packages", "test", "idlelib", "tkinter", "turtledemo", "ensurepip"}


class RootRefused(Exception):
    """Grading as root without the sandbox, and no unprivileged user can run the child."""


def child_user():
    """``(uid, gid)`` of the user student code runs as without the sandbox when the grader
    is root: ``$NNLAB_CHILD_USER`` (a dedicated user, as on Gradescope), else nobody."""
    name = os.environ.get("NNLAB_CHILD_USER", "")
    if not name:
        return NOBODY, NOBODY
    import pwd  # Unix only, as are other users

    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise RuntimeError(f"there is no user {name!r} (NNLAB_CHILD_USER)") from None
    return entry.pw_uid, entry.pw_gid


# Without the sandbox every child gets a uid of its own from this range (no account needed),
# so that no child can read another's workspace: the reference modules an exercise is
# graded with, or another student's code in a batch. Where the range cannot be used (a
# user namespace that maps fewer ids), children share the child user.
OWN_UIDS = range(1_500_000_000, 1_600_000_000)


def own_user():
    """``(uid, gid)`` for one child without the sandbox: a fresh uid of ``OWN_UIDS`` when
    the child user is nobody and such uids work here, else the child user."""
    if os.environ.get("NNLAB_CHILD_USER") or not own_uids_work():
        return child_user()
    uid = OWN_UIDS.start + secrets_module.randbelow(len(OWN_UIDS))
    return uid, uid


@functools.lru_cache(maxsize=1)
def own_uids_work():
    """Whether a process can become a uid of ``OWN_UIDS`` here (tried once)."""
    python, _ = unprivileged_python()
    if python is None:
        return False
    try:
        run = subprocess.run([str(python), "-I", "-S", "-c", "pass"], user=OWN_UIDS.start, group=OWN_UIDS.start,
                             extra_groups=[], capture_output=True, timeout=30, cwd="/",
                             env=runtime_environment(python))
    except (OSError, subprocess.SubprocessError, ValueError):
        return False
    return run.returncode == 0


def is_root():
    return hasattr(os, "geteuid") and os.geteuid() == 0


def root_allowed():
    """Whether the instructor said ``--allow-root`` (the CLI sets this for its workers too)."""
    return os.environ.get("NNLAB_ALLOW_ROOT") == "1"


def allow_root():
    """``--allow-root``: for this process and the workers it starts."""
    os.environ["NNLAB_ALLOW_ROOT"] = "1"


def include_packages(names):
    """Also put these top-level packages (an instructor's ``--allow-import``) in the child's
    Python, for this process and the workers it starts. Names not installed here are left
    out: importing them fails in the child as it would on the student's machine."""
    names = sorted(set(names) | set(included_packages()))
    os.environ["NNLAB_CHILD_PACKAGES"] = ",".join(names)


def included_packages():
    return tuple(name for name in os.environ.get("NNLAB_CHILD_PACKAGES", "").split(",") if name)


def unprivileged_python():
    """``(python, "")`` where the child user can run the prepared Python and import NumPy,
    else ``(None, why)``."""
    return _unprivileged_python(included_packages())


@functools.lru_cache(maxsize=8)
def _unprivileged_python(packages):
    try:
        uid, gid = child_user()
        python = prepared_python()
    except (OSError, RuntimeError) as error:
        return None, f"no Python an unprivileged user can run could be prepared ({error})"
    try:
        run = subprocess.run([str(python), "-I", "-S", "-c", "import numpy"], user=uid, group=gid,
                             extra_groups=[], capture_output=True, timeout=60, cwd="/",
                             env=runtime_environment(python))
    except (OSError, subprocess.SubprocessError) as error:
        return None, f"uid {uid} cannot run {python} ({error})"
    if run.returncode != 0:
        last = (run.stderr.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
        return None, f"uid {uid} cannot run {python} ({last})"
    return python, ""


def refusal():
    """Why untrusted code may not be graded here without the sandbox, or "" when it may."""
    if not is_root() or root_allowed():
        return ""
    python, why = unprivileged_python()
    if python is not None:
        return ""
    return (f"refusing to run student code as root: {why}; grade with --sandbox on, "
            "or pass --allow-root if you trust the code")


def secrets(reference=None):
    """What student code must not read: the grader (hidden checks included) and the
    reference solutions."""
    return [Path(__file__).resolve().parents[1]] + ([Path(reference.path).resolve()] if reference else [])


def readable_by_others(path):
    """Whether a user who is neither the owner nor in the group can read ``path``: every
    folder above it lets others through, and it lets them read."""
    path = Path(path)
    try:
        if not path.stat().st_mode & stat.S_IROTH:
            return False
        return all(parent.stat().st_mode & stat.S_IXOTH for parent in path.parents)
    except OSError:
        return False


def runtime_environment(python):
    """What the prepared interpreter needs in its environment: its shared library's folder
    (the original's RUNPATH names a folder the child user may not read)."""
    return {"LD_LIBRARY_PATH": str(Path(python).parents[1] / "lib")}


# -- preparing the copy ----------------------------------------------------------------

def cache_folder():
    if is_root():
        return ROOT_CACHE
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "nnlab"


def numpy_folder():
    folder = package_folder("numpy")
    if folder is None:
        raise RuntimeError("NumPy is not installed")
    return folder


def package_folder(name):
    """The folder of the installed top-level package ``name``, or None (a module file, or
    not installed here)."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]).resolve()


def cache_key(executable, numpy, extra=()):
    version = (numpy / "version.py").read_bytes() if (numpy / "version.py").exists() else b""
    parts = [str(executable), str(executable.stat().st_mtime_ns), sys.version, str(numpy),
             hashlib.sha256(version).hexdigest(), *(str(folder) for folder in extra)]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def prepared_python():
    """The child's interpreter in the cache, made (once, atomically) if missing."""
    executable = Path(sys.executable).resolve()
    numpy = numpy_folder()
    extra = [folder for folder in map(package_folder, included_packages()) if folder is not None]
    cache = cache_folder()
    safe_folder(cache)
    target = cache / f"python-{cache_key(executable, numpy, extra)}"
    python = target / "bin" / executable.name
    if python.exists():
        return python
    building = Path(tempfile.mkdtemp(prefix=".building-", dir=cache))
    try:
        build(building, executable, numpy, extra)
        os.chmod(building, 0o755)
        try:
            building.rename(target)
        except OSError:  # another grader built it first
            pass
    finally:
        shutil.rmtree(building, ignore_errors=True)
    if not python.exists():
        raise RuntimeError(f"could not prepare {target}")
    return python


def safe_folder(folder):
    """Create ``folder`` (0755), and make sure nobody else can write into it."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o755)
    info = folder.stat()
    if info.st_uid != os.geteuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise RuntimeError(f"{folder} is writable by other users")


def build(prefix, executable, numpy, extra=()):
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    (prefix / "bin").mkdir(mode=0o755)
    place(executable, prefix / "bin" / executable.name)
    library = prefix / "lib"
    library.mkdir(mode=0o755)
    for shared in Path(sys.base_prefix, "lib").glob(f"libpython{sys.version_info.major}*.so*"):
        place(shared.resolve(), library / shared.name)
    copy_tree(stdlib, library / version)
    for package in [numpy, *extra]:
        copy_tree(package, library / version / package.name)
        libs = package.with_name(f"{package.name}.libs")  # the shared libraries a wheel ships
        if libs.is_dir():
            copy_tree(libs, library / version / libs.name)


def copy_tree(source, target):
    target.mkdir(mode=0o755)
    for entry in os.scandir(source):
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            if entry.name not in SKIPPED:
                copy_tree(path, target / entry.name)
        elif entry.is_file():
            place(path.resolve(), target / entry.name)


def place(source, target):
    """A hard link to ``source`` when everyone may read it, else a readable copy."""
    mode = source.stat().st_mode
    if mode & stat.S_IROTH and (not mode & stat.S_IXUSR or mode & stat.S_IXOTH):
        try:
            os.link(source, target)
            return
        except OSError:
            pass
    shutil.copyfile(source, target)
    os.chmod(target, 0o755 if mode & stat.S_IXUSR else 0o644)


if __name__ == "__main__":  # setup.sh prepares it once, when the image is built
    print(prepared_python())
