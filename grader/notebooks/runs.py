"""Which cell ran what: the tagged cells as last run in this kernel, found by their cell id.

The setup cell calls :func:`follow_cells`, which registers an IPython ``pre_run_cell``
hook. IPython calls it before each cell runs (even one that does not parse), with the
cell's source and, from JupyterLab, Notebook 7 and VS Code, the id of the cell that runs
(``info.cell_id``). :func:`cells_to_grade` then picks, for each tagged cell of the saved
notebook and for its setup cell, the source it last ran with:

- when the front end gives the notebook's own cell ids (JupyterLab, Notebook 7), the
  cell's runs are those with its id: a scratch cell is never mistaken for it;
- when it gives no ids (nbclient, older front ends) or ids of its own (VS Code), cells
  are matched by content: an id that once ran a tagged cell's saved source is that cell;
  otherwise the last run that defines the cell's function (for the setup cell: that
  starts with the saved setup cell's first line);
- a cell never run is graded as saved, and the result says so.

A definition of the same name run later in another cell is not graded, with a note.
"""

import ast
import builtins
import re
from dataclasses import dataclass, field

from .extract import DEFINITIONS, SETUP, parse, without_magics

AS_RUN, NOT_SAVED, NEVER_RUN = "as run", "as run, not saved", "as saved, never run"


@dataclass
class Run:
    """One cell execution: its order, the cell id the front end gave (or None), its source."""

    number: int
    cell_id: str | None
    source: str


@dataclass
class CellHistory:
    """Every cell execution of a kernel, from when :func:`follow_cells` was first called."""

    runs: list = field(default_factory=list)

    def add(self, cell_id, source):
        self.runs.append(Run(len(self.runs) + 1, cell_id or None, source))

    def pre_run_cell(self, info):
        if not getattr(info, "silent", False) and getattr(info, "store_history", True):
            self.add(getattr(info, "cell_id", None), info.raw_cell)


@dataclass
class GradedCell:
    """A tagged cell as it will be graded."""

    label: str  # "setup" or the function's name
    number: int  # the cell's number in the saved notebook
    source: str
    how: str  # AS_RUN, NOT_SAVED or NEVER_RUN


def follow_cells(shell=None):
    """Record every cell this IPython kernel runs, with its cell id; return the history.

    Idempotent: a second call (the setup cell run again) returns the same history. The
    runs before the first call come from the input history ``In``, without cell ids;
    the cell running now gets its id from IPython's current execution.
    """
    shell = shell or current_shell()
    if shell is None:
        return None
    history = getattr(shell, "nnlab_cell_history", None)
    if history is not None:
        return history
    history = CellHistory()
    earlier = [cell for cell in shell.user_ns.get("In", []) if isinstance(cell, str)][1:]
    running = getattr(getattr(shell.displayhook, "exec_result", None), "info", None)
    for source in earlier[:-1] if running is not None else earlier:
        history.add(None, source)
    if running is not None:
        history.add(getattr(running, "cell_id", None), running.raw_cell)
    shell.events.register("pre_run_cell", history.pre_run_cell)
    shell.nnlab_cell_history = history
    return history


def current_shell():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def history_of(namespace):
    """The cell history of the running kernel, else one made from ``namespace["In"]`` (no ids)."""
    shell = current_shell()
    if shell is not None and shell.user_ns is namespace:
        return follow_cells(shell)
    history = CellHistory()
    for source in [cell for cell in namespace.get("In") or [] if isinstance(cell, str)][1:]:
        history.add(None, source)
    return history


# ---------------------------------------------------------------- choosing the runs

def cells_to_grade(notebook, history):
    """``(setup GradedCell, [function GradedCell], notes)`` for ``notebook`` as run in ``history``."""
    saved = [(SETUP, 0, notebook.setup or "")] + [(name, number, source)
                                                  for number, name, source in notebook.functions]
    known = {i for i in notebook.ids.values() if i} | {i for _, i, _ in notebook.others if i}
    by_id = any(run.cell_id in known for run in history.runs)  # the front end gives the notebook's ids
    linked = {} if by_id else linked_ids(history.runs, {source: label for label, _, source in saved})
    untagged = {source for _, _, source in notebook.others}
    graded, notes = [], []
    for label, number, source in saved:
        own = notebook.ids.get(label)
        runs = [run for run in history.runs if is_run_of(run, label, source, own, by_id, linked, untagged)]
        if not runs:
            graded.append(GradedCell(label, number, source, NEVER_RUN))
            continue
        last = runs[-1]
        graded.append(GradedCell(label, number, last.source, AS_RUN if last.source == source else NOT_SAVED))
        if label != SETUP:
            notes += redefined_elsewhere(label, last, history.runs)
    return graded[0], graded[1:], notes


def is_run_of(run, label, saved_source, own_id, by_id, linked, untagged=frozenset()):
    """Whether ``run`` ran the tagged cell ``label`` (whose id is ``own_id``); ``untagged``
    holds the saved sources of the untagged cells, whose runs are theirs, not a tagged cell's."""
    if run.cell_id is None:
        return same_cell(run, label, saved_source, untagged)
    if by_id:
        return run.cell_id == own_id
    if run.cell_id in linked:
        return linked[run.cell_id] == label
    return label not in linked.values() and same_cell(run, label, saved_source, untagged)


def linked_ids(runs, saved_sources):
    """Cell ids of the front end's own (VS Code's), tied to a tagged cell by a run of its saved source."""
    linked = {}
    for run in runs:
        if run.cell_id and run.source in saved_sources:
            linked.setdefault(run.cell_id, saved_sources[run.source])
    return linked


def same_cell(run, label, saved_source, untagged=frozenset()):
    """Whether a run with no known cell id is, by its content, the tagged cell ``label``.

    A run of exactly the saved source of an untagged cell (a scratch cell) is that cell."""
    if run.source == saved_source:
        return True
    if run.source in untagged:
        return False
    if label == SETUP:
        first = saved_source.strip().splitlines()[:1]
        return bool(first) and run.source.strip().splitlines()[:1] == first
    return label in defined_names(run.source)


def redefined_elsewhere(name, graded_run, runs):
    """A note when the kernel's ``name`` now comes from another cell than the one graded."""
    later = [r for r in runs if r.number > graded_run.number and name in defined_names(r.source)]
    if not later:
        return []
    return [f"`{name}` was defined again by another cell (run {later[-1].number} of this kernel) after its "
            f"tagged cell: check() grades only the tagged cell `{name}`. Copy your change into it and run it."]


def defined_names(source):
    """Names the cell defines at its top level; for a cell that does not parse (a syntax
    error), the names its ``def`` and ``class`` lines start, so its run is still its own."""
    tree = parse(without_magics(source))
    if tree is None:
        return set(re.findall(r"^(?:async\s+def|def|class)\s+([A-Za-z_]\w*)", source, flags=re.MULTILINE))
    return {node.name for node in tree.body if isinstance(node, DEFINITIONS)}


# ---------------------------------------------------------------- helpers outside the tagged cells

def missing_helpers(module_source, cells, elsewhere):
    """Notes for names the graded cells use but do not define, which ``elsewhere`` (sources) defines.

    ``cells`` is ``[(label, source)]`` of the tagged cells; a name is reported with the
    first cell that uses it.
    """
    tree = parse(module_source)
    if tree is None:
        return []
    defined = names_bound(tree) | set(dir(builtins))
    offered = set().union(*(top_level_names(source) for source in elsewhere)) if elsewhere else set()
    notes, seen = [], set()
    for label, source in cells:
        cell_tree = parse(without_magics(source))
        used = {n.id for n in ast.walk(cell_tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} \
            if cell_tree else set()
        for name in sorted(used - defined - seen):
            if name in offered:
                seen.add(name)
                notes.append(f"`{name}`, used in the cell `{label}`, is defined in a cell that is not graded: "
                             f"move it into the cell `{label}` (or the setup cell), since only the tagged "
                             "cells and the setup cell are graded.")
    return notes


def names_bound(tree):
    """Every name the module binds anywhere (over-generous: a missing name is surely missing)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, DEFINITIONS):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names.update(node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


def top_level_names(source):
    """The names a cell binds at top level: its definitions, imports and assignments."""
    tree = parse(without_magics(source))
    names = set()
    for node in tree.body if tree else []:
        if isinstance(node, DEFINITIONS):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            names.update(n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
    return names
