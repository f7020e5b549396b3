"""Generate the student stubs in ``exercises/`` from the reference in ``solutions/``.

A solution marks the code students write:

    def sigmoid(z):
        \"\"\"...teaching docstring...\"\"\"
        # BEGIN SOLUTION: return 1 / (1 + e^-z) without overflow
        ...
        # END SOLUTION

An indented block becomes ``raise NotImplementedError("TODO (sigmoid): <the text>")``;
a block at column 0 (a private helper) is left out of the stub entirely.
"""

import re
from pathlib import Path

BEGIN = re.compile(r"^(?P<indent>[ \t]*)# BEGIN SOLUTION(?::\s*(?P<todo>.*))?$")
END = re.compile(r"^[ \t]*# END SOLUTION\s*$")
DEF = re.compile(r"^[ \t]*(?:async\s+)?(?:def|class)\s+(?P<name>\w+)")
HEADER = "# Generated from solutions/{name} by `nnlab make-stubs`: edit the solutions, not this header.\n"


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
                out.append(f'{block["indent"]}raise NotImplementedError({f"TODO ({enclosing}): {todo}"!r})\n')
            block = None
        elif BEGIN.match(line.rstrip("\n")):
            raise MarkerError(f"{filename}:{number}: BEGIN SOLUTION inside another block")
    if block is not None:
        raise MarkerError(f"{filename}: BEGIN SOLUTION without END SOLUTION")
    return re.sub(r"\n{4,}", "\n\n\n", "".join(out))


def generate(solutions, exercises):
    """Stub text for every module of ``solutions``, keyed by the path it belongs at."""
    stubs = {}
    for path in sorted(Path(solutions).glob("*.py")):
        text = make_stub(path.read_text(encoding="utf-8"), str(path))
        stubs[Path(exercises) / path.name] = HEADER.format(name=path.name) + text if path.name != "__init__.py" else text
    return stubs


def out_of_date(solutions, exercises):
    """Paths under ``exercises`` that differ from what ``generate`` would write."""
    return [path for path, text in generate(solutions, exercises).items()
            if not path.is_file() or path.read_text(encoding="utf-8") != text]
