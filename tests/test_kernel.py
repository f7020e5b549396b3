"""check() in a real Jupyter kernel, driven the way JupyterLab drives it.

Each cell goes to an IPython kernel (ipykernel) as an ``execute_request`` whose metadata
carries the cell's id (``cellId``), as JupyterLab and Notebook 7 send it; nbclient runs
whole notebooks as a front end that sends no cell id. What check() says is compared with
`nnlab grade` on the notebook as saved. A few kernels only: each scenario re-runs cells
of one kernel.
"""

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import ON_LINUX, ROOT

jupyter_client = pytest.importorskip("jupyter_client", reason="jupyter_client is not installed (pip install -e '.[test]')")
pytest.importorskip("ipykernel", reason="ipykernel is not installed (pip install -e '.[test]')")

REPORT_MARK = "NNLAB-REPORT "
CHECK = ("from grader import check\nimport json\nresult = check({exercise!r})\n"
         f"print({REPORT_MARK!r} + json.dumps(result.report.to_dict()))\nresult")


class Kernel:
    """An IPython kernel in ``folder``, its session named after ``notebook`` (as jupyter-server does)."""

    def __init__(self, notebook):
        self.notebook = Path(notebook)
        env = dict(os.environ, JPY_SESSION_NAME=str(self.notebook))
        self.manager = jupyter_client.KernelManager(kernel_name="python3")
        self.manager.start_kernel(cwd=str(self.notebook.parent), env=env)
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def run(self, source, cell_id=None, timeout=120):
        """Run one cell; return its outputs as ``[(msg_type, content)]``."""
        content = {"code": source, "silent": False, "store_history": True, "user_expressions": {},
                   "allow_stdin": False, "stop_on_error": True}
        message = self.client.session.msg("execute_request", content,
                                          metadata={"cellId": cell_id} if cell_id else {})
        self.client.shell_channel.send(message)
        outputs, deadline = [], time.monotonic() + timeout
        while True:
            reply = self.client.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") != message["header"]["msg_id"]:
                continue
            kind = reply["msg_type"]
            if kind == "status" and reply["content"]["execution_state"] == "idle":
                return outputs
            if kind in ("stream", "execute_result", "display_data", "error"):
                outputs.append((kind, reply["content"]))

    def run_cell(self, cell, source=None):
        """Run a cell of the notebook (a dict), as saved or with ``source``, with its id."""
        return self.run(source if source is not None else "".join(cell["source"]), cell["id"])

    def check(self, exercise):
        """``(report dict, text/plain, text/html)`` of check(exercise) run in a new cell."""
        outputs = self.run(CHECK.format(exercise=exercise), "the-check-cell")
        printed = "".join(c["text"] for kind, c in outputs if kind == "stream")
        errors = [c for kind, c in outputs if kind == "error"]
        assert not errors, errors
        report = json.loads(printed.split(REPORT_MARK, 1)[1].splitlines()[0])
        shown = next(c["data"] for kind, c in outputs if kind == "execute_result")
        return report, shown["text/plain"], shown["text/html"]

    def children(self):
        """The processes the kernel started that are still alive."""
        pid = self.manager.provisioner.process.pid
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                if int(stat.read_text(encoding="utf-8").rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(stat.parent.name))
            except (OSError, ValueError, IndexError):
                pass
        return found

    def stop(self):
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory):
    root = tmp_path_factory.mktemp("kernel")
    for source in ("solutions", "exercises"):
        run = subprocess.run([sys.executable, "-m", "grader", "notebook", source, "--out", str(root / source),
                              "-e", "activations", "-e", "softmax"], cwd=ROOT, capture_output=True, text=True,
                             timeout=120)
        assert run.returncode == 0, run.stderr
    return root


def cells_of(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))["cells"]


def tagged(cells, label):
    """The cell tagged for function ``label`` (or the setup cell, for "setup")."""
    return next(c for c in cells if c["metadata"].get("nnlab", {}).get("function" if label != "setup" else "role")
                == label)


def save(path, cell, source):
    """Save the notebook at ``path`` with ``cell``'s source replaced, as Ctrl-S would."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    for saved in data["cells"]:
        if saved["id"] == cell["id"]:
            saved["source"] = source
    Path(path).write_text(json.dumps(data), encoding="utf-8")


def grade_saved(path, exercise):
    """`nnlab grade` of the saved notebook (which holds ``exercise`` only)."""
    run = subprocess.run([sys.executable, "-m", "grader", "grade", str(path), "--format", "json"],
                         cwd=Path(path).parent, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert [e["name"] for e in report["exercises"]] == [exercise]
    return report


def verdict(report):
    """What must agree: the score and, check by check, passed or not."""
    [exercise] = report["exercises"]
    return exercise["score"], exercise["status"], {c["name"]: c["passed"] for c in exercise["checks"]}


BROKEN_RELU = "def relu(x):\n    return np.maximum(x, 0\n"  # line 2 does not parse
BUGGY_RELU = "def relu(x):\n    return np.abs(x)\n"
FIXED_RELU = "def relu(x):\n    return np.maximum(x, 0)\n"


@pytest.fixture
def activations(notebooks, tmp_path):
    """A fresh copy of the solved activations notebook, with a kernel that ran its tagged cells."""
    path = tmp_path / "01-activations.ipynb"
    path.write_bytes((notebooks / "solutions" / path.name).read_bytes())
    kernel = Kernel(path)
    cells = cells_of(path)
    for cell in cells:
        if cell["metadata"].get("nnlab"):
            kernel.run_cell(cell)
    yield kernel, path, cells
    kernel.stop()


def test_check_grades_each_tagged_cell_as_last_run_and_agrees_with_the_saved_notebook(activations):
    kernel, path, cells = activations
    relu = tagged(cells, "relu")

    report, text, html = kernel.check("activations")
    assert verdict(report) == verdict(grade_saved(path, "activations"))
    assert report["score"] == report["max_score"] == 15
    assert "not saved" not in text and "never run" not in text
    assert "Graded the setup cell and the 8 tagged cells as you last ran them" in html

    # the relu cell re-run with a syntax error: graded as run, and told in the cell's terms
    kernel.run_cell(relu, BROKEN_RELU)
    report, text, _ = kernel.check("activations")
    assert report["exercises"][0]["status"] == "error"
    assert "01-activations.ipynb, cell `relu`, line 2" in text
    assert "⚠ as run, not saved: relu." in text and "activations.py" not in text
    save(path, relu, BROKEN_RELU)
    assert verdict(report) == verdict(grade_saved(path, "activations"))

    # a buggy tagged cell and a fix tried in a scratch cell: the tagged cell counts
    kernel.run_cell(relu, BUGGY_RELU)
    kernel.run(FIXED_RELU, "a-scratch-cell")
    report, text, _ = kernel.check("activations")
    save(path, relu, BUGGY_RELU)
    assert verdict(report) == verdict(grade_saved(path, "activations"))
    assert 0 < report["score"] < 15
    assert "grades only the tagged cell `relu`" in text

    # the other way round: the fix in the tagged cell, a bug in a scratch cell
    kernel.run_cell(relu, FIXED_RELU)
    kernel.run(BUGGY_RELU, "a-scratch-cell")
    report, text, _ = kernel.check("activations")
    save(path, relu, FIXED_RELU)
    assert report["score"] == 15 and verdict(report) == verdict(grade_saved(path, "activations"))


def test_the_setup_cell_and_helpers_count_as_run(activations):
    kernel, path, cells = activations
    setup, relu = tagged(cells, "setup"), tagged(cells, "relu")
    uses_import = "def relu(x):\n    return maximum(x, 0)\n"
    kernel.run_cell(setup, "".join(setup["source"]) + "\nfrom numpy import maximum\n")  # run, not saved
    kernel.run_cell(relu, uses_import)
    save(path, relu, uses_import)
    report, text, _ = kernel.check("activations")
    assert report["score"] == 15
    assert "⚠ as run, not saved: setup." in text
    assert grade_saved(path, "activations")["score"] < 15  # the saved setup cell lacks the import
    save(path, setup, "".join(setup["source"]) + "\nfrom numpy import maximum\n")
    assert verdict(grade_saved(path, "activations")) == verdict(report)  # saved as run: they agree

    kernel.run("def clip_below(x):\n    return np.maximum(x, 0)\n", "an-untagged-cell")
    kernel.run_cell(relu, "def relu(x):\n    return clip_below(x)\n")
    report, text, _ = kernel.check("activations")
    assert report["score"] < 15
    assert "`clip_below`, used in the cell `relu`, is defined in a cell that is not graded" in text
    assert "move it into the cell `relu` (or the setup cell)" in text


def test_cells_never_run_are_graded_as_saved_and_stubs_score_zero(notebooks, tmp_path):
    path = tmp_path / "01-activations.ipynb"
    path.write_bytes((notebooks / "exercises" / path.name).read_bytes())
    copy = tmp_path / "01-activations-Copy1.ipynb"  # newer, solved: the kernel's own notebook still counts
    copy.write_bytes((notebooks / "solutions" / path.name).read_bytes())
    kernel = Kernel(path)
    try:
        kernel.run_cell(tagged(cells_of(path), "setup"))
        report, text, html = kernel.check("activations")
    finally:
        kernel.stop()
    assert report["score"] == 0 and report["exercises"][0]["status"] == "not_started"
    assert "several notebooks" not in text
    copy.unlink()
    assert verdict(report) == verdict(grade_saved(path, "activations"))
    assert "⚠ as saved, never run: sigmoid, sigmoid_grad, relu," in text
    assert "Not run in this kernel, so graded as saved." in html


def test_interrupt_stops_grading_at_once_and_kills_the_children(activations):
    kernel, path, cells = activations
    kernel.run_cell(tagged(cells, "relu"), "def relu(x):\n    while True:\n        pass\n")
    interrupted = []

    def interrupt():
        interrupted.append(time.monotonic())
        kernel.manager.interrupt_kernel()

    timer = threading.Timer(3.0, interrupt)  # by then the relu check runs (it would until the time limit)
    timer.start()
    outputs = kernel.run("from grader import check\ncheck('activations')", "the-check-cell")
    took = time.monotonic() - interrupted[0]
    timer.cancel()
    [error] = [c for kind, c in outputs if kind == "error"]
    assert error["traceback"] == ["check('activations') was interrupted: grading stopped and its processes "
                                  "were killed; nothing was recorded."]
    assert took < 3  # stopped at once, not at the exercise's time limit (10 s)
    if ON_LINUX:  # children() reads /proc
        assert kernel.children() == []


def test_a_front_end_without_cell_ids_runs_the_notebook_top_to_bottom(notebooks, tmp_path):
    """nbclient sends no cell id: cells are matched by their content, and the check passes."""
    nbclient = pytest.importorskip("nbclient")
    import nbformat

    for name in ("01-activations.ipynb", "02-softmax.ipynb"):
        (tmp_path / name).write_bytes((notebooks / "solutions" / name).read_bytes())
    notebook = nbformat.read(tmp_path / "02-softmax.ipynb", as_version=4)
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    check_cell = next(c for c in notebook.cells if 'check("softmax")' in c.source)
    [shown] = [o for o in check_cell.outputs if o.output_type == "execute_result"]
    assert "softmax: 12/12 points, passed" in shown.data["text/plain"]
    assert "Graded the setup cell and the 2 tagged cells as you last ran them" in shown.data["text/plain"]
