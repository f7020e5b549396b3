"""A report on modules made from notebooks, told in the notebooks' terms.

The grader sees ``losses.py``, built from ``03-losses.ipynb`` (see ``extract.py``), and
its messages say "losses.py, line 65". The student wrote a cell: the same place is
"03-losses.ipynb, cell `one_hot`, line 3". :func:`in_notebook_terms` rewrites every
message of a report that way, from the manifest written beside the modules, and adds
the manifest's notes (several notebooks of one exercise) to the report's notices.
"""

import json
import re
from pathlib import Path

from ..submission import MANIFEST
from .extract import EARLIER, SETUP, Place

GRADER_FRAME = re.compile(r"^ *at \.\./_engine/.*\n?", re.MULTILINE)  # the child's own frames: noise here
RELATIVE_IMPORT_ADVICE = re.compile(r"Import earlier exercises relatively, e\.g\. `from \.(\w+) import (\w+)`\.")


def in_notebook_terms(report, folder):
    """Rewrite ``report``'s messages in place for the notebooks recorded in ``folder``."""
    manifest = read_places(folder)
    if manifest is None:
        return report
    notebooks, places = manifest
    for exercise in report.exercises:
        exercise.error = translate(exercise.error, notebooks, places)
        for check in exercise.checks:
            check.message = translate(check.message, notebooks, places)
    for note in manifest_notes(folder):
        if note not in report.notices:
            report.notices.append(note)
    return report


def translate(text, notebooks, places):
    """``text`` with each "module.py, line N" of a notebook's module as that notebook's cell and line."""
    if not text:
        return text
    text = GRADER_FRAME.sub("", text)
    for module, notebook in notebooks.items():
        def place(match, module=module, notebook=notebook):
            return cell_location(notebook, places.get(module, []), int(match[1])) or match[0]

        text = re.sub(rf"(?<![\w./]){module}\.py, line (\d+)", place, text)
        text = re.sub(rf"(?<![\w./]){module}\.py\b", notebook, text)
    return RELATIVE_IMPORT_ADVICE.sub(
        rf"In a notebook, import earlier exercises in the setup cell: `from {EARLIER}.\1 import \2`, "
        "after `use_earlier_exercises()`.", text)


def cell_location(notebook, places, line):
    """"03-losses.ipynb, cell `one_hot`, line 3" for line ``line`` of the module, or None."""
    for place in places:
        in_cell = place.line_in_cell(line)
        if in_cell is not None:
            cell = "the setup cell" if place.label == SETUP else f"cell `{place.label}`"
            return f"{notebook}, {cell}, line {in_cell}"
    return None


def read_places(folder):
    """``({module: notebook file name}, {module: [Place]})`` from the manifest, or None."""
    data = read_manifest_json(folder)
    notebooks = data.get("notebooks") if data else None
    if not isinstance(notebooks, dict):
        return None
    places = {}
    for module, rows in (data.get("places") or {}).items():
        try:
            places[str(module)] = [Place(int(first), str(label), int(lines)) for first, label, lines in rows]
        except (TypeError, ValueError):
            continue
    names = {str(module): Path(str(path)).name for module, path in notebooks.items()}
    return {m: n for m, n in names.items() if re.fullmatch(r"\w+", m)}, places


def manifest_notes(folder):
    data = read_manifest_json(folder) or {}
    notes = data.get("notes")
    found = notes.values() if isinstance(notes, dict) else []
    return [str(note) for some in found if isinstance(some, list) for note in some]


def read_manifest_json(folder):
    try:
        data = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
