"""A fresh temporary folder per exercise, holding only what the child may run.

    <tmp>/
        _engine/child.py, protocol.py,   the child's server (copied, so nothing else is importable)
                blackbox.py
        _engine/reference.sock           the way to the reference's process (when proxies need it)
        home/                            HOME and TMPDIR of the child, writable scratch
        submission/__init__.py           the package the student's modules are loaded as
        submission/<module>.py ...       the exercise's module and the earlier ones it may import

When the reference solutions are available, the earlier modules come from them, so a bug
in an early exercise does not fail a later one for the wrong reason. They come as black
boxes: each is a proxy that holds none of the reference's source, whose functions and
classes forward their calls to a trusted process holding the reference (see
``reference_calls.py`` and ``blackbox.py``; where there are no Unix sockets, Windows,
they are still copies). Without the reference, the earlier modules are the student's own
files.
"""

import ast
import hashlib
import os
import shutil
import tempfile
import threading
from pathlib import Path

from . import reference_calls
from .reference_calls import OPEN_SOCKET, ReferenceCalls, is_socket, proxy_source

ENGINE_FILES = ("child.py", "protocol.py", "blackbox.py")
# CPython 3.11's parser is not safe in two threads at once ("AST constructor recursion
# depth mismatch"), and exercises are laid out from threads.
_parsing = threading.Lock()
PARSER_STACK_BYTES = 512 * 2**20  # reserved, not used: enough for a million-term expression on 3.10
MAX_PARSED_BYTES = 4 * 2**20      # a larger module is not read here (the child still reports its errors)
PACKAGE = "submission"


class Workspace:
    def __init__(self, root):
        self.root = Path(root)
        self.package = PACKAGE
        self.child_script = self.root / "_engine" / "child.py"
        self.home = self.root / "home"
        self.references = None  # the reference's process, when earlier modules are its proxies

    @classmethod
    def create(cls, module, earlier, submission, reference=None, own=(), parent=None):
        """Lay out ``module`` from ``submission`` and the ``earlier`` modules it may import:
        the reference's, but for the names in ``own``, which are the student's own files.
        The workspace is a new folder in ``parent`` (by default, the system's temporary one).

        Returns the workspace and the names of earlier modules taken from ``reference``.
        """
        workspace = cls(tempfile.mkdtemp(prefix=f"nnlab-{module}-", dir=parent))
        engine = workspace.child_script.parent
        engine.mkdir()
        for name in ENGINE_FILES:
            shutil.copyfile(Path(__file__).with_name(name), engine / name)
        workspace.home.mkdir()
        package = workspace.root / PACKAGE
        package.mkdir()
        (package / "__init__.py").write_text("")
        from_reference, targets = [], set()
        for name in earlier:
            if reference is None or name in own or not reference_calls.available():
                source = (submission if reference is None or name in own else reference).module_file(name)
                if source is not None and source.is_file():
                    shutil.copyfile(source, package / f"{name}.py")
                    if reference and name not in own:
                        from_reference.append(name)
            elif reference.module_file(name) is not None:
                text, forwarded = proxy_source(reference.module(name), name)
                (package / f"{name}.py").write_text(text, encoding="utf-8")
                from_reference.append(name)
                targets |= forwarded
        if targets:
            workspace.references = ReferenceCalls(reference.path, targets, engine)
        own = submission.module_file(module)
        if own is not None and own.is_file():
            shutil.copyfile(own, package / f"{module}.py")
        used = relative_imports(package / f"{module}.py")
        return workspace, [name for name in from_reference if name in used]

    def open_to(self, uid, gid=None, root_mode=0o755):
        """Let ``uid`` read the workspace and write its home (the child drops to it)."""
        for folder, _, files in os.walk(self.root):
            os.chmod(folder, root_mode if folder == str(self.root) else 0o755)
            for name in files:
                path = os.path.join(folder, name)
                os.chmod(path, OPEN_SOCKET if is_socket(path) else 0o644)
        os.chown(self.home, uid, uid if gid is None else gid)

    def give_to(self, uid, gid):
        """Open the workspace to ``uid`` (with a group of its own, ``gid``) and close it to
        every other user: a child without the sandbox runs as a uid of its own, and no
        other child may look in. The files stay root's, so the child cannot change the
        engine that a restarted child would run. The workspace is closed to others before
        its inside opens: a child forked beside it may be looking already."""
        os.chown(self.root, 0, gid)
        self.open_to(uid, gid, root_mode=0o750)

    def usage(self, max_bytes, max_files):
        """``(bytes, files)`` on disk under the workspace, counted until either passes its cap."""
        used = files = 0
        folders = [self.root]
        while folders and used <= max_bytes and files <= max_files:
            try:
                entries = list(os.scandir(folders.pop()))
            except OSError:
                continue
            for entry in entries:
                files += 1
                try:
                    if entry.is_dir(follow_symlinks=False):
                        folders.append(entry.path)
                    else:
                        used += disk_bytes(entry.stat(follow_symlinks=False))
                except OSError:
                    pass
        return used, files

    def clear_home(self):
        """Empty the child's home (after it was stopped for writing too much there)."""
        shutil.rmtree(self.home, ignore_errors=True)
        self.home.mkdir(exist_ok=True)

    def remove(self):
        if self.references is not None:
            self.references.close()
        shutil.rmtree(self.root, ignore_errors=True)


def disk_bytes(info):
    """What a file takes on disk: its blocks (a sparse file takes few), or its size on
    Windows, whose ``os.stat`` has no ``st_blocks``."""
    blocks = getattr(info, "st_blocks", None)
    return blocks * 512 if blocks is not None else info.st_size


def parse(source):
    """The syntax tree of student ``source``, or None when it does not parse: a syntax
    error, or a source too deep for the parser (RecursionError, MemoryError), which must
    cost only its exercise; the child reports the real error.

    The parser runs in a thread of its own with a large stack: before 3.11, CPython's
    parser has no depth check, and ``x = 1+1+...+1`` (200,000 terms) overflowed the C stack
    of the grader itself (a segmentation fault, not an exception)."""
    if len(source) > MAX_PARSED_BYTES:
        return None
    found = []

    def run():
        try:
            found.append(ast.parse(source))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            pass

    with _parsing:
        previous = threading.stack_size(PARSER_STACK_BYTES)
        try:
            parser = threading.Thread(target=run, name="nnlab-parse")
            parser.start()
        finally:
            threading.stack_size(previous)
        parser.join()
    return found[0] if found else None


_imports_by_source = {}  # SHA-256 of a source -> the sibling modules it imports


def relative_imports(path):
    """Names of sibling modules that ``path`` imports (``from .softmax import ...``).
    Each text is parsed once: grading asks this of every earlier module per exercise."""
    try:
        source = path.read_bytes()
    except OSError:
        return set()
    key = hashlib.sha256(source).digest()
    if key not in _imports_by_source:
        if len(_imports_by_source) >= 1024:  # a batch grades many submissions
            _imports_by_source.clear()
        _imports_by_source[key] = frozenset(imports_in(parse(source)))
    return set(_imports_by_source[key])


def imports_in(tree):
    names = set()
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                names.add(node.module.split(".")[0])
            else:
                names.update(alias.name for alias in node.names)
    return names
