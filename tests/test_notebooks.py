"""Exercise notebooks: built for every exercise, valid, graded exactly like the modules.

The notebooks are built once per test session, by the real `nnlab notebook` command;
grading goes through the real Submission and grader, with student code in child processes.
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT, SOLUTIONS, grade_folder
from grader import grading
from grader.checks import EXERCISES
from grader.notebooks.build import read_module, setup_code
from grader.notebooks.support import NotebookCheck, check, use_earlier_exercises
from grader.notebooks.extract import NotebookError, module_header, submission_from_notebook, without_magics
from grader.submission import NotASubmission, Submission

NAMES = grading.exercise_names()
QUICK = ["activations", "softmax", "losses"]


def nnlab(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """``{"exercises": folder, "solutions": folder}`` of notebooks made by `nnlab notebook`."""
    root = tmp_path_factory.mktemp("notebooks")
    folders = {}
    for source in ("exercises", "solutions"):
        run = nnlab("notebook", source, "--out", str(root / source))
        assert run.returncode == 0, run.stderr
        folders[source] = root / source
    return folders


def copy_of(folder, tmp_path, names=None):
    """A copy of a folder of notebooks (tests change their copy, never the shared one)."""
    target = tmp_path / folder.name
    target.mkdir()
    for path in folder.glob("*.ipynb"):
        if names is None or any(path.stem.endswith(name) for name in names):
            shutil.copyfile(path, target / path.name)
    return target


def cells(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))["cells"]


def tagged(cell):
    return cell.get("metadata", {}).get("nnlab", {})


def save(path, notebook_cells):
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    data["cells"] = notebook_cells
    Path(path).write_text(json.dumps(data), encoding="utf-8")


# ---------------------------------------------------------------- building

def test_a_valid_notebook_per_exercise_with_a_tagged_cell_per_function(built):
    for version, folder in built.items():
        files = sorted(p.name for p in folder.glob("*.ipynb"))
        assert files == [f"{n:02d}-{e.module}.ipynb" for n, e in enumerate(EXERCISES, start=1)]
        for path in folder.glob("*.ipynb"):
            notebook = nbformat.read(path, as_version=4)
            nbformat.validate(notebook)
            exercise = notebook.metadata["nnlab"]["exercise"]
            module = read_module((ROOT / version / f"{exercise}.py"))
            functions = [tagged(c)["function"] for c in notebook.cells if tagged(c).get("function")]
            assert functions == [d.name for d in module.definitions]
            assert [tagged(c).get("role") for c in notebook.cells].count("setup") == 1
            assert any(f'check("{exercise}")' in c.source for c in notebook.cells)
            assert any("$" in c.source for c in notebook.cells if c.cell_type == "markdown")


def test_stub_cells_raise_and_solution_cells_hold_the_reference(built):
    stub = [c for c in cells(built["exercises"] / "02-softmax.ipynb") if tagged(c).get("function")]
    solution = [c for c in cells(built["solutions"] / "02-softmax.ipynb") if tagged(c).get("function")]
    assert all("NotImplementedError" in "".join(c["source"]) for c in stub)
    assert all("BEGIN SOLUTION" not in "".join(c["source"]) and "np.exp" in "".join(c["source"])
               for c in solution)


def test_building_twice_gives_the_same_files_and_keeps_existing_work(built, tmp_path):
    run = nnlab("notebook", "--out", str(tmp_path), "-e", "softmax")
    assert run.returncode == 0
    written = tmp_path / "02-softmax.ipynb"
    assert written.read_bytes() == (built["exercises"] / "02-softmax.ipynb").read_bytes()
    written.write_text("my work", encoding="utf-8")
    run = nnlab("notebook", "--out", str(tmp_path), "-e", "softmax")
    assert "kept" in run.stdout and written.read_text(encoding="utf-8") == "my work"
    run = nnlab("notebook", "--out", str(tmp_path), "-e", "softmax", "--overwrite")
    assert "wrote" in run.stdout and written.read_bytes() == (built["exercises"] / "02-softmax.ipynb").read_bytes()


def test_a_module_that_does_not_parse_is_skipped_with_its_name(tmp_path):
    source = tmp_path / "mine"
    source.mkdir()
    (source / "softmax.py").write_text("def softmax(z:\n", encoding="utf-8")
    run = nnlab("notebook", str(source), "--out", str(tmp_path / "out"), "-e", "softmax", "-e", "losses")
    assert run.returncode == 0
    assert f"{source / 'softmax.py'} has a syntax error (line 1)" in run.stderr
    assert f"{source / 'losses.py'} is missing" in run.stderr
    assert not (tmp_path / "out" / "02-softmax.ipynb").exists()


def test_setup_cell_turns_back_into_the_module_header():
    for path in sorted(SOLUTIONS.glob("*.py")):
        if path.name == "__init__.py":
            continue
        header = read_module(path).header
        notebook_setup = setup_code(path.stem, header)
        assert "from ." not in notebook_setup
        assert module_header(notebook_setup).splitlines()[-len(header.splitlines()):] == header.splitlines()


# ---------------------------------------------------------------- grading notebooks

def scores(report):
    return {e.name: (e.score, e.max_score, e.status) for e in report.exercises}


def test_solution_notebooks_score_like_the_solutions_and_stubs_score_zero(built):
    from_notebooks = grade_folder(built["solutions"])
    assert scores(from_notebooks) == scores(grade_folder(SOLUTIONS))
    assert from_notebooks.score == from_notebooks.max_score > 0
    assert from_notebooks.submission == str(built["solutions"])
    stubs = grade_folder(built["exercises"])
    assert stubs.score == 0 and {e.status for e in stubs.exercises} <= {"not_started", "passed"}
    assert {e.status for e in stubs.exercises if e.max_score} == {"not_started"}


def test_grade_one_notebook_from_the_command_line(built):
    run = nnlab("grade", str(built["solutions"] / "03-losses.ipynb"), "--format", "json")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert [e["name"] for e in report["exercises"]] == ["losses"]
    assert report["score"] == report["max_score"] > 0


def test_magics_shell_escapes_and_untagged_cells_are_left_out(built, tmp_path):
    folder = copy_of(built["solutions"], tmp_path, ["softmax"])
    path = folder / "02-softmax.ipynb"
    notebook_cells = cells(path)
    for cell in notebook_cells:
        if tagged(cell).get("function") == "softmax":
            cell["source"] = "%load_ext autoreload\n!pip install nothing\n" + "".join(cell["source"])
    notebook_cells.append(nbformat.v4.new_code_cell("def softmax(z, axis=-1):\n    return z  # an experiment"))
    notebook_cells.append(nbformat.v4.new_code_cell("this cell does not parse ("))
    save(path, notebook_cells)
    module = submission_from_notebook(path, tmp_path / "modules")
    text = module.read_text(encoding="utf-8")
    assert module.name == "softmax.py" and "%load_ext" not in text and "!pip" not in text
    assert "an experiment" not in text and "does not parse" not in text
    report = grade_folder(folder, names=["softmax"])
    assert report.score == report.max_score > 0


def test_a_bug_in_a_tagged_cell_costs_points(built, tmp_path):
    folder = copy_of(built["solutions"], tmp_path, ["softmax"])
    path = folder / "02-softmax.ipynb"
    notebook_cells = cells(path)
    for cell in notebook_cells:
        if tagged(cell).get("function") == "softmax":
            cell["source"] = "def softmax(z, axis=-1):\n    e = np.exp(z)\n    return e / e.sum(axis=axis, keepdims=True)\n"
    save(path, notebook_cells)
    report = grade_folder(folder, names=["softmax"])
    assert 0 < report.score < report.max_score
    assert any("overflow" in c.message for c in report.exercises[0].checks if not c.passed)


@pytest.mark.parametrize("content, expected", [
    ("{not json", "not valid JSON"),
    ('{"hello": "world"}', "not a Jupyter notebook"),
    (json.dumps(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])), "not an exercise notebook"),
])
def test_a_notebook_that_cannot_be_graded_is_a_usage_error_naming_it(tmp_path, content, expected):
    path = tmp_path / "03-losses.ipynb"
    path.write_text(content, encoding="utf-8")
    run = nnlab("grade", str(path))
    assert run.returncode == 2
    assert str(path) in run.stderr and expected in run.stderr
    with pytest.raises(NotASubmission, match=expected):
        Submission(path, NAMES)


def test_a_notebook_whose_tags_were_removed_says_so(built, tmp_path):
    folder = copy_of(built["solutions"], tmp_path, ["losses"])
    path = folder / "03-losses.ipynb"
    notebook_cells = cells(path)
    for cell in notebook_cells:
        if tagged(cell).get("function"):
            cell["metadata"] = {}
    save(path, notebook_cells)
    with pytest.raises(NotebookError, match="has no tagged cells for losses"):
        submission_from_notebook(path, tmp_path / "out")


def test_in_a_folder_a_broken_notebook_costs_only_its_exercise(built, tmp_path):
    folder = copy_of(built["solutions"], tmp_path, QUICK)
    (folder / "02-softmax.ipynb").write_text('{"cells": [', encoding="utf-8")
    (folder / "scratch.ipynb").write_text("not even JSON", encoding="utf-8")  # not an exercise: ignored
    report = grade_folder(folder, names=QUICK + ["logistic"])
    by_name = {e.name: e for e in report.exercises}
    assert by_name["activations"].status == by_name["losses"].status == "passed"
    assert by_name["softmax"].status == "error"
    assert "02-softmax.ipynb" in by_name["softmax"].error and "not valid JSON" in by_name["softmax"].error
    assert by_name["logistic"].status == "error" and "has no notebook for logistic" in by_name["logistic"].error


def test_grading_a_saved_notebook_speaks_of_cells_and_of_helpers_to_move(built, tmp_path):
    folder = copy_of(built["solutions"], tmp_path, ["activations", "softmax", "losses"])
    path = folder / "03-losses.ipynb"
    notebook_cells = cells(path)
    for cell in notebook_cells:
        if tagged(cell).get("function") == "one_hot":
            cell["source"] = "def one_hot(y, num_classes):\n    y = np.asarray(y)\n    return 1 / 0\n"
        if tagged(cell).get("function") == "mean_squared_error":
            cell["source"] = "def mean_squared_error(y_pred, y_true):\n    return squared(y_pred - y_true).mean()\n"
    notebook_cells.append(nbformat.v4.new_code_cell("def squared(x):\n    return x * x\n"))
    save(path, notebook_cells)
    report = grade_folder(folder, names=["losses"])
    messages = "\n".join(c.message for c in report.exercises[0].checks)
    assert "03-losses.ipynb, cell `one_hot`, line 3, in one_hot" in messages
    assert "losses.py" not in messages
    [note] = [n for n in report.notices if "squared" in n]
    assert note.startswith("03-losses.ipynb: `squared`, used in the cell `mean_squared_error`, is defined in a "
                           "cell that is not graded: move it into the cell `mean_squared_error`")


def test_messages_about_a_notebook_module_name_its_cells_and_give_notebook_advice():
    from grader.notebooks.extract import Place
    from grader.notebooks.terms import translate

    places = {"losses": [Place(2, "setup", 4), Place(9, "one_hot", 5)]}
    notebooks = {"losses": "03-losses.ipynb"}
    assert translate("at losses.py, line 11, in one_hot: 1 / 0", notebooks, places) == \
        "at 03-losses.ipynb, cell `one_hot`, line 3, in one_hot: 1 / 0"
    assert translate("losses.py has a syntax error (losses.py, line 3)", notebooks, places) == \
        "03-losses.ipynb has a syntax error (03-losses.ipynb, the setup cell, line 2)"
    advice = translate("losses.py could not import what it needs: No module named 'softmax'. Import earlier "
                       "exercises relatively, e.g. `from .softmax import softmax`.", notebooks, places)
    assert "`from earlier.softmax import softmax`" in advice and "from ." not in advice
    assert translate("at ../_engine/child.py, line 199, in handle\nat mylosses.py, line 3", notebooks, places) == \
        "at mylosses.py, line 3"  # the grader's own frames go; another file is left alone


def test_magics_are_left_out_as_typed_and_as_ipython_runs_them():
    typed = "%time _ = 1\n!ls\ndef f():\n    return a != b\n"
    assert without_magics(typed) == "def f():\n    return a != b\n"
    ran = "get_ipython().run_line_magic('time', '_ = 1')\nfiles = get_ipython().getoutput('ls')\ndef f():\n    pass\n"
    assert without_magics(ran) == "def f():\n    pass\n"
    documented = 'def f():\n    """Scale:\n% of the total."""\n'
    assert without_magics(documented) == documented


# ---------------------------------------------------------------- inside Jupyter

def run_like_ipython(namespace, source):
    """Run one cell as IPython does: keep it in the input history ``In``, then execute it."""
    namespace.setdefault("In", [""]).append(source)
    exec(compile(source, f"<cell {len(namespace['In']) - 1}>", "exec"), namespace)


def kernel_for(notebook, monkeypatch):
    """A namespace that ran the notebook's setup cell and function cells, in its folder."""
    monkeypatch.chdir(notebook.parent)
    namespace = {"__name__": "__main__"}
    for cell in cells(notebook):
        if tagged(cell):
            run_like_ipython(namespace, "".join(cell["source"]))
    return namespace


def test_check_grades_the_cells_as_run_not_the_live_objects(built, tmp_path, monkeypatch):
    """Without cell ids (a bare namespace with ``In``), cells are matched by what they define."""
    folder = copy_of(built["solutions"], tmp_path, ["activations", "softmax"])
    namespace = kernel_for(folder / "02-softmax.ipynb", monkeypatch)
    result = check("softmax", namespace=namespace)
    assert isinstance(result, NotebookCheck) and result.passed
    assert "softmax: 12/12 points, passed" in repr(result) and "12/12" in result._repr_html_()

    run_like_ipython(namespace, "def softmax(z, axis=-1):\n    return np.exp(z) / np.exp(z).sum()\n")
    namespace["softmax"] = lambda z, axis=-1: z  # a live object no cell defines: never graded
    result = check("softmax", namespace=namespace)
    assert not result.passed
    assert "whole batch" in repr(result) and "⚠ as run, not saved: softmax." in repr(result)
    assert (folder / ".nnlab" / "state.json").is_file()  # check records progress too


def test_a_saved_scratch_cell_run_without_cell_ids_is_not_the_tagged_cell(built, tmp_path, monkeypatch):
    """A front end without cell ids (nbclient) runs a saved, untagged scratch cell that
    redefines a function after its tagged cell: the tagged cell is graded, as nnlab grade does."""
    folder = copy_of(built["solutions"], tmp_path, ["activations", "softmax"])
    path = folder / "02-softmax.ipynb"
    scratch = "def softmax(z, axis=-1):\n    return 0 * z\n"
    notebook_cells = cells(path)
    notebook_cells.append({"cell_type": "code", "id": "scratch", "metadata": {}, "outputs": [],
                           "execution_count": None, "source": scratch})
    save(path, notebook_cells)
    namespace = kernel_for(path, monkeypatch)
    run_like_ipython(namespace, scratch)
    result = check("softmax", namespace=namespace)
    assert result.passed, repr(result)
    assert "not saved" not in repr(result)
    assert "defined again by another cell" in repr(result)


def test_a_cell_run_with_a_syntax_error_is_graded_as_run(built, tmp_path, monkeypatch):
    folder = copy_of(built["solutions"], tmp_path, ["activations"])
    namespace = kernel_for(folder / "01-activations.ipynb", monkeypatch)
    broken = "def relu(z):\n    return np.maximum(0, z\n"
    namespace.setdefault("In", [""]).append(broken)  # IPython keeps it, then fails to compile it
    result = check("activations", namespace=namespace)
    assert not result.passed and result.report.exercises[0].status == "error"
    assert "never run" not in repr(result) and "syntax error" in repr(result)


def test_check_grades_cells_never_run_as_saved_and_says_so(built, tmp_path, monkeypatch):
    folder = copy_of(built["exercises"], tmp_path, ["activations", "softmax"])
    monkeypatch.chdir(folder)
    namespace = {"__name__": "__main__"}
    setup = next(c for c in cells(folder / "02-softmax.ipynb") if tagged(c).get("role") == "setup")
    run_like_ipython(namespace, "".join(setup["source"]))
    result = check("softmax", namespace=namespace)
    assert not result.passed and result.report.exercises[0].status == "not_started"
    assert "⚠ as saved, never run: softmax, log_softmax." in repr(result)
    assert "Not run in this kernel, so graded as saved." in repr(result)


def test_two_notebooks_of_one_exercise_the_newer_is_graded_and_both_are_named(built, tmp_path, monkeypatch):
    folder = copy_of(built["solutions"], tmp_path, ["activations"])
    copy = folder / "01-activations-Copy1.ipynb"
    notebook_cells = cells(folder / "01-activations.ipynb")
    for cell in notebook_cells:
        if tagged(cell).get("function") == "relu":
            cell["source"] = "def relu(x):\n    return x\n"
    shutil.copyfile(folder / "01-activations.ipynb", copy)
    save(copy, notebook_cells)
    os.utime(folder / "01-activations.ipynb", (1_000_000_000, 1_000_000_000))  # the copy is newer
    report = grade_folder(folder, names=["activations"])
    assert report.score < report.max_score  # the copy, with its bug, is graded
    [notice] = [n for n in report.notices if "several notebooks" in n]
    assert "graded 01-activations-Copy1.ipynb, saved last; not 01-activations.ipynb" in notice

    monkeypatch.chdir(folder)
    result = check("activations", namespace={"__name__": "__main__"})
    assert "graded 01-activations-Copy1.ipynb, saved last" in repr(result)


def test_check_reports_locations_as_notebook_cells(built, tmp_path, monkeypatch):
    folder = copy_of(built["solutions"], tmp_path, ["activations", "softmax", "losses"])
    namespace = kernel_for(folder / "03-losses.ipynb", monkeypatch)
    run_like_ipython(namespace, "def one_hot(y, num_classes):\n    y = np.asarray(y)\n    return 1 / 0\n")
    text = repr(check("losses", namespace=namespace))
    assert "03-losses.ipynb, cell `one_hot`, line 3" in text
    assert "losses.py" not in text and "--format json" not in text


def test_cells_with_ids_of_the_front_ends_own_are_told_apart_by_what_they_ran(built):
    """VS Code sends ids of its own: an id that ran a tagged cell's saved source is that cell."""
    from grader.notebooks.extract import parse_notebook
    from grader.notebooks.runs import CellHistory, cells_to_grade

    notebook = parse_notebook(built["solutions"] / "01-activations.ipynb")
    saved = {name: source for _, name, source in notebook.functions}
    history = CellHistory()
    history.add("vscode-setup", notebook.setup)
    for name, source in saved.items():
        history.add(f"vscode-{name}", source)
    history.add("vscode-relu", "def relu(x):\n    return np.abs(x)\n")  # the tagged cell, changed
    history.add("vscode-scratch", "def relu(x):\n    return np.maximum(x, 0)\n")  # a scratch cell
    setup, functions, notes = cells_to_grade(notebook, history)
    relu = next(c for c in functions if c.label == "relu")
    assert relu.source == "def relu(x):\n    return np.abs(x)\n" and relu.how == "as run, not saved"
    assert setup.how == "as run" and {c.how for c in functions if c.label != "relu"} == {"as run"}
    assert notes == ["`relu` was defined again by another cell (run 11 of this kernel) after its tagged cell: "
                     "check() grades only the tagged cell `relu`. Copy your change into it and run it."]


def test_use_earlier_exercises_imports_the_saved_notebooks(built, tmp_path):
    folder = copy_of(built["solutions"], tmp_path, ["activations", "softmax"])
    assert use_earlier_exercises(folder) == ["activations", "softmax"]
    from earlier.softmax import softmax  # noqa: PLC0415 -- made importable just above

    assert softmax([0.0, 0.0]).tolist() == [0.5, 0.5]


def test_check_in_a_real_ipython_shell(built, tmp_path, monkeypatch):
    interactiveshell = pytest.importorskip("IPython.core.interactiveshell",
                                           reason="IPython is not installed (not needed by nnlab)")
    folder = copy_of(built["solutions"], tmp_path, ["activations"])
    monkeypatch.chdir(folder)
    shell = interactiveshell.InteractiveShell.instance()
    for cell in cells(folder / "01-activations.ipynb"):
        if tagged(cell):
            magic = "%time _ = 1\n" if tagged(cell).get("function") == "relu" else ""
            assert shell.run_cell(magic + "".join(cell["source"]), store_history=True).success
    assert "get_ipython()" in "".join(shell.user_ns["In"])  # IPython keeps magics as calls
    shell.run_cell("from grader import check\nresult = check('activations')", store_history=True)
    assert shell.user_ns["result"].passed


EXECUTE = textwrap.dedent('''
    """Run every code cell of the notebooks given, in order, as Jupyter would; print outputs."""
    import ast, json, sys
    for path in sys.argv[1:]:
        namespace = {"__name__": "__main__", "In": [""]}
        print("=====", path)
        for cell in json.load(open(path))["cells"]:
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            namespace["In"].append(source)
            tree = ast.parse(source)
            last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            exec(compile(tree, "<cell>", "exec"), namespace)
            if last is not None:
                value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace)
                if value is not None:
                    print(repr(value))
''')


def test_solution_notebooks_run_from_top_to_bottom(built, tmp_path):
    """Setup, functions, check and worked examples of every notebook run as they would in Jupyter."""
    folder = copy_of(built["solutions"], tmp_path)
    script = tmp_path / "execute.py"
    script.write_text(EXECUTE, encoding="utf-8")
    notebooks = sorted(p.name for p in folder.glob("*.ipynb"))
    run = subprocess.run([sys.executable, str(script), *notebooks], cwd=folder, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    outputs = run.stdout.split("=====")[1:]
    assert len(outputs) == len(EXERCISES)
    for output in outputs:
        assert "points, passed" in output, output  # each notebook's check()
    assert "class: 3" in run.stdout  # the blobs example of the notes predicts class 3
