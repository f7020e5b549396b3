"""Build the exercise notebooks from a folder of exercise modules (``nnlab notebook``).

One notebook per exercise, in teaching order (``01-activations.ipynb``, ...)::

    # Exercise 3 of 10: ...      the module's docstring, its formulas in LaTeX
    setup cell                   the module's imports; earlier exercises come from `earlier`
    ### `one_hot(y, num_classes)`   per function (or class): its docstring, its formula,
    def one_hot(...): ...           and a code cell tagged nnlab:losses.one_hot
    ## Check your work           check("losses"): graded in a separate process
    ## Try it                    a short worked example

From ``exercises/`` the code cells hold the stubs, from ``solutions/`` the reference code
(the instructor's version). ``extract.py`` turns a notebook back into a module.
"""

import ast
import inspect
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from ..checks import EXERCISES
from .content import EXAMPLES, FORMULAS
from .extract import EARLIER, KEY, SETUP
from ..report.files import write_atomic
from ..authoring.stubs import BEGIN, END

DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
LABEL = re.compile(r"^(Parameters|Returns|Yields|Raises|Example|Examples|Pitfalls):\s*")
CODE_SPAN = re.compile(r"(`[^`]*`)")
MARKDOWN_SPECIAL = re.compile(r"([\\*_<>\[\]#|$~])")

HOW_IT_WORKS = """\
**How this notebook works**

- Run the setup cell first: it imports what `{module}.py` imports. Imports you add there \
count too.
- Write each function in the code cell under its description. Those cells carry the \
tag `{key}:{module}.<function>`: they are what gets graded, as you last ran them, so keep \
your experiments in new cells, and put helpers in the tagged cell that uses them.
- Run the check at the end as often as you like; save the notebook too: `nnlab grade` and \
`nnlab watch` grade the saved notebook from a terminal."""

CHECK_TEXT = """\
## Check your work

Run your function cells, then this one. `check` grades each tagged cell as you last ran it \
(one never run, as saved), in a separate process, with the same checks as `nnlab grade`, and \
says which cells were not saved or not run. Interrupt the kernel to stop it."""


@dataclass
class Definition:
    """One function or class the student writes."""

    name: str
    heading: str
    doc: str
    code: str
    methods: list = field(default_factory=list)  # (heading, docstring) of a class's methods


@dataclass
class ModuleParts:
    doc: str
    header: str
    definitions: list


# ---------------------------------------------------------------- reading a module

def read_module(path):
    """Split an exercise module into its docstring, its header and its definitions."""
    source = "".join(line for line in Path(path).read_text(encoding="utf-8").splitlines(keepends=True)
                     if not (BEGIN.match(line.rstrip("\n")) or END.match(line)))
    tree = ast.parse(source, filename=str(path))
    lines = source.splitlines(keepends=True)
    taken = set()
    docstring = ast.get_docstring(tree) or ""
    if docstring:
        taken.update(range(0, tree.body[0].end_lineno))
    definitions = []
    for node in tree.body:
        if isinstance(node, DEFINITIONS):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
            taken.update(range(start, node.end_lineno))
            definitions.append(definition(node, "".join(lines[start:node.end_lineno])))
    header = "".join(line for number, line in enumerate(lines) if number not in taken)
    return ModuleParts(docstring, re.sub(r"\n{3,}", "\n\n", header).strip() + "\n", definitions)


def definition(node, code):
    methods = []
    if isinstance(node, ast.ClassDef):
        init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
        heading = f"class {node.name}({signature(init)})" if init else f"class {node.name}"
        methods = [(f"{node.name}.{n.name}({signature(n)})", ast.get_docstring(n))
                   for n in node.body
                   if isinstance(n, ast.FunctionDef) and n.name != "__init__" and ast.get_docstring(n)]
    else:
        heading = f"{node.name}({signature(node)})"
    return Definition(node.name, heading, ast.get_docstring(node) or "", short_docstrings(code), methods)


def signature(function):
    text = ast.unparse(function.args)
    return re.sub(r"^self(, )?", "", text)


def short_docstrings(code):
    """``code`` with every docstring cut to its first line: the notebook shows the whole text."""
    tree = ast.parse(code)
    lines = code.splitlines(keepends=True)
    documented = [n for n in ast.walk(tree) if isinstance(n, DEFINITIONS) and ast.get_docstring(n)]
    for node in sorted(documented, key=lambda n: n.body[0].lineno, reverse=True):
        text = node.body[0]
        first = ast.get_docstring(node).splitlines()[0].strip()
        if '"""' in first or "\\" in first or first.endswith('"'):
            continue
        lines[text.lineno - 1:text.end_lineno] = [f'{" " * text.col_offset}"""{first}"""\n']
    return "".join(lines).rstrip() + "\n"


# ---------------------------------------------------------------- docstrings as markdown

def docstring_markdown(doc):
    """A teaching docstring as Markdown: labels in bold, indented blocks as code, lists kept."""
    out, code = [], []
    for line in inspect.cleandoc(doc).splitlines():
        if line.startswith("    "):
            code.append(line[4:])
            continue
        if code:
            out += ["", "```", *code, "```", ""]
            code = []
        label = LABEL.match(line)
        if label:
            rest = escape(line[label.end():])
            out += ["", f"**{label[1]}:** {rest}".rstrip()] if rest else ["", f"**{label[1]}:**", ""]
        else:
            out.append(escape(line))
    if code:
        out += ["", "```", *code, "```"]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()


def escape(text):
    """Text that Markdown shows as written; `code spans` stay as they are."""
    return "".join(part if CODE_SPAN.fullmatch(part) else MARKDOWN_SPECIAL.sub(r"\\\1", part)
                   for part in CODE_SPAN.split(text))


# ---------------------------------------------------------------- cells

def setup_code(module, header):
    """The setup cell: the module's header, importing earlier exercises from ``earlier``."""
    notebook_header = re.sub(r"^from \.", f"from {EARLIER}.", header, flags=re.MULTILINE)
    notebook_header = re.sub(rf"^from {EARLIER}\. import", f"from {EARLIER} import", notebook_header,
                             flags=re.MULTILINE)
    intro = (f"# Setup: what {module}.py imports. Run this cell first.\n"
             "# follow_cells() lets check() grade each tagged cell as you last ran it.\n")
    if notebook_header == header:
        return intro + "from grader.notebooks.support import follow_cells\n\nfollow_cells()\n\n" + header
    return (intro + "# use_earlier_exercises() makes the notebooks of the earlier exercises in this folder\n"
            f"# importable as the package `{EARLIER}`; run this cell again after changing one of them.\n"
            "from grader.notebooks.support import follow_cells, use_earlier_exercises\n\n"
            "follow_cells()\nuse_earlier_exercises()\n\n" + notebook_header)


def formula_table(module):
    rows = [f"| `{name}` | ${latex}$ |" for name, latex in FORMULAS.get(module, [])]
    return "\n".join(["| | formula |", "|---|---|", *rows]) if rows else ""


def formula_of(module, name):
    return next((latex for key, latex in FORMULAS.get(module, []) if key == name), None)


def definition_markdown(module, item):
    parts = [f"### `{item.heading}`"]
    latex = formula_of(module, item.name)
    if latex:
        parts.append(f"$$\n{latex}\n$$")
    parts.append(docstring_markdown(item.doc))
    for heading, doc in item.methods:
        parts += [f"#### `{heading}`", docstring_markdown(doc)]
    return "\n\n".join(part for part in parts if part)


class CellMaker:
    """Cells with ids that are the same on every build: ``losses-01``, ``losses-02``, ..."""

    def __init__(self, module):
        self.module = module
        self.cells = []

    def _id(self):
        return f"{self.module}-{len(self.cells) + 1:02d}"

    def markdown(self, text):
        self.cells.append(nbformat.v4.new_markdown_cell(text, id=self._id()))

    def code(self, text, function=None, role=None):
        metadata = {}
        if function or role:
            label = function or role
            ours = {"exercise": self.module, "function": function} if function else \
                {"exercise": self.module, "role": role}
            metadata = {KEY: ours, "tags": [f"{KEY}:{self.module}.{label}"]}
        self.cells.append(nbformat.v4.new_code_cell(text.rstrip("\n"), id=self._id(), metadata=metadata))


# ---------------------------------------------------------------- notebooks

def build_notebook(module_file, number, exercise):
    """The notebook of ``exercise`` (an :class:`~grader.checks.core.Exercise`) from its module."""
    module = exercise.module
    parts = read_module(module_file)
    cells = CellMaker(module)
    intro = [f"# Exercise {number} of {len(EXERCISES)}: {exercise.title}", docstring_markdown(parts.doc)]
    if FORMULAS.get(module):
        intro += ["**Formulas**", formula_table(module)]
    intro.append(HOW_IT_WORKS.format(module=module, key=KEY))
    cells.markdown("\n\n".join(intro))
    cells.code(setup_code(module, parts.header), role=SETUP)
    for item in parts.definitions:
        cells.markdown(definition_markdown(module, item))
        cells.code(item.code, function=item.name)
    cells.markdown(CHECK_TEXT)
    cells.code(f'from grader import check\n\ncheck("{module}")')
    for index, (text, code) in enumerate(EXAMPLES.get(module, [])):
        cells.markdown(("## Try it\n\n" if index == 0 else "") + text)
        cells.code(code)
    notebook = nbformat.v4.new_notebook(cells=cells.cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        KEY: {"exercise": module, "number": number, "built_from": Path(module_file).parent.name}})
    nbformat.validate(notebook)
    return notebook


def notebook_name(number, module):
    return f"{number:02d}-{module}.ipynb"


def write_notebooks(source, out, names=None, overwrite=False):
    """Write a notebook per exercise module of ``source`` into ``out``.

    Returns ``[(path, what happened)]``: "wrote", "kept" (the notebook exists and
    ``overwrite`` is off: a student's work is never replaced), or why it was skipped.
    """
    done = []
    for number, exercise in enumerate(EXERCISES, start=1):
        if names and exercise.module not in names:
            continue
        target = Path(out) / notebook_name(number, exercise.module)
        module_file = Path(source) / f"{exercise.module}.py"
        if not module_file.is_file():
            done.append((target, f"{module_file} is missing"))
        elif target.exists() and not overwrite:
            done.append((target, "kept"))
        else:
            try:
                notebook = build_notebook(module_file, number, exercise)
            except SyntaxError as error:
                done.append((target, f"{module_file} has a syntax error (line {error.lineno}): {error.msg}"))
                continue
            write_atomic(target, nbformat.writes(notebook))
            done.append((target, "wrote"))
    return done
