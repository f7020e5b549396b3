"""Writing report files so that a reader never sees half a file."""

import os
import tempfile
from pathlib import Path


def write_atomic(path, text):
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename.

    Text that cannot be UTF-8 (a lone surrogate, from a file name or a report read back)
    is written as "?" rather than lost with the whole file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.chmod(temporary, 0o666 & ~current_umask())  # mkstemp's 0600 would hide reports from others
        with os.fdopen(handle, "w", encoding="utf-8", errors="replace") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def current_umask():
    """The process's umask, read without setting it (os.umask would race with threads)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    return 0o022
