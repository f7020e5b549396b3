"""Generate the student stubs in ``exercises/`` from the reference in ``solutions/``.

A solution marks the code students write:

    def sigmoid(z):
        \"\"\"...teaching docstring...\"\"\"
        # BEGIN SOLUTION: return 1 / (1 + e^-z) without overflow
        ...
        # END SOLUTION

An indented block becomes ``raise NotImplementedError("TODO (sigmoid): <the text>")``
(over several lines when it is long); a block at column 0 (a private helper) is left out
of the stub entirely. The TODO text says in words what to compute, never the code
(tests/test_stubs.py holds every TODO to that). The stubs and ``exercises/__init__.py``
are the student's files: what they say is written for the student.
"""

import re
from pathlib import Path

BEGIN = re.compile(r"^(?P<indent>[ \t]*)# BEGIN SOLUTION(?::\s*(?P<todo>.*))?$")
END = re.compile(r"^[ \t]*# END SOLUTION\s*$")
DEF = re.compile(r"^[ \t]*(?:async\s+)?(?:def|class)\s+(?P<name>\w+)")
HEADER = (
    "# Exercise `{module}`: write your code where a function raises NotImplementedError; its TODO\n"
    "# and its docstring say what to compute. Check it with `nnlab grade -e {module}`; stuck?\n"
    "# `nnlab hint {module}` gives one more hint each time.\n"
)
PACKAGE_DOC = '''"""Your nnlab exercises: one module per exercise, in the order `nnlab list` shows.

Each function to write raises NotImplementedError with a TODO saying what to compute;
its docstring gives the formula, the shapes and the classic pitfalls. `nnlab grade`
checks your code, `nnlab watch` checks it on every save, `nnlab hint NAME` helps.
"""
'''
LINE_LENGTH = 100


class MarkerError(ValueError):
    """A solution file's markers are unbalanced."""


def make_stub(source, filename="<solution>"):
    """The stub text for one solution file's ``source``."""
    out, block, owner, enclosing = [], None, "", "this function"
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        if block is None:
            begin = BEGIN.match(line.rstrip("\n"))
            if begin:
                block = begin
                continue
            if END.match(line):
                raise MarkerError(f"{filename}:{number}: END SOLUTION without BEGIN")
            definition = DEF.match(line)
            if definition and not line[0].isspace():
                owner = enclosing = definition["name"]
            elif definition:
                enclosing = f"{owner}.{definition['name']}"
            out.append(line)
        elif END.match(line):
            if block["indent"]:
                todo = (block["todo"] or "write this function").strip()
                out.append(raise_not_implemented(block["indent"], f"TODO ({enclosing}): {todo}"))
            block = None
        elif BEGIN.match(line.rstrip("\n")):
            raise MarkerError(f"{filename}:{number}: BEGIN SOLUTION inside another block")
    if block is not None:
        raise MarkerError(f"{filename}: BEGIN SOLUTION without END SOLUTION")
    return re.sub(r"\n{4,}", "\n\n\n", "".join(out))


def raise_not_implemented(indent, message):
    """The stub's ``raise NotImplementedError(message)`` line, wrapped when it is too long."""
    line = f"{indent}raise NotImplementedError({message!r})\n"
    if len(line) <= LINE_LENGTH:
        return line
    width = LINE_LENGTH - len(indent) - 8  # the indent, the quotes and the closing ")"
    pieces = [""]
    for word in re.findall(r"\S+\s*", message):  # each word keeps the space after it
        if pieces[-1] and len(pieces[-1] + word.rstrip()) > width:
            pieces.append("")
        pieces[-1] += word
    literals = ('"' + piece.replace("\\", "\\\\").replace('"', '\\"') + '"' for piece in pieces)
    return f"{indent}raise NotImplementedError(\n" + "\n".join(indent + "    " + lit for lit in literals) + ")\n"


def generate(solutions, exercises):
    """Stub text for every module of ``solutions``, keyed by the path it belongs at."""
    stubs = {}
    for path in sorted(Path(solutions).glob("*.py")):
        if path.name == "__init__.py":
            stubs[Path(exercises) / path.name] = PACKAGE_DOC
            continue
        text = make_stub(path.read_text(encoding="utf-8"), str(path))
        stubs[Path(exercises) / path.name] = HEADER.format(module=path.stem) + text
    return stubs


def out_of_date(solutions, exercises):
    """Paths under ``exercises`` that differ from what ``generate`` would write."""
    return [path for path, text in generate(solutions, exercises).items()
            if not path.is_file() or path.read_text(encoding="utf-8") != text]
