"""The import policy: numpy, the standard library and the earlier exercises, nothing else."""

import json
import subprocess
import sys
import zipfile

import pytest

from conftest import ROOT, grade_folder, write_submission
from grader.grading import exercise_names
from notebook_cells import notebook_with_cell
from grader.engine.import_policy import violations
from grader.instructor.batch import Options

SIGMOID_WITH = "def sigmoid(z):\n    {line}\n    return 0.5 * (1 + np.tanh(z / 2))"


def refusals(source, module="losses"):
    earlier = exercise_names()[:exercise_names().index(module)]
    return [(v.line, v.name) for v in violations(source, module, earlier, exercise_names())]


@pytest.mark.parametrize("source, found", [
    ("import numpy as np\nimport torch\n", [(2, "torch")]),
    ("from scipy.special import expit\n", [(1, "scipy.special")]),
    ("import numpy.linalg, math, itertools\nfrom collections import deque\n", []),
    ("from .softmax import softmax\nfrom . import activations\n", []),
    ("from .model import Sequential\n", [(1, "model")]),
    ("from softmax import softmax\n", [(1, "softmax")]),
    ("import softmax\n", [(1, "softmax")]),
    ("from ..grader import checks\n", [(1, "grader")]),
    ("def f():\n    import sklearn.linear_model\n", [(2, "sklearn.linear_model")]),
    ("import importlib\njax = importlib.import_module('jax')\nt = __import__('tensorflow')\n",
     [(2, "jax"), (3, "tensorflow")]),
    ("def broken(:\n", []),  # the child reports the syntax error
])
def test_violations_are_found_in_the_source(source, found):
    assert refusals(source) == found


def test_extra_names_are_allowed():
    assert violations("import click.testing\n", "losses", [], exercise_names(), extra=("click",)) == []


def test_a_forbidden_import_costs_its_exercise_only(submission):
    folder = submission(modules={"losses": "import numpy as np\nimport torch\n\n\ndef one_hot(y, k):\n    pass\n"})
    report = grade_folder(folder, names=["softmax", "losses"])
    softmax, losses = report.exercises
    assert softmax.status == "passed"
    assert losses.status == "error" and losses.score == 0
    assert "losses.py, line 2: `import torch`" in losses.error
    assert "relatively" not in losses.error  # no advice about relative imports for torch
    assert all(not c.ran for c in losses.checks)


def test_the_child_refuses_imports_the_source_hides(submission):
    hidden = "__import__(''.join(['sc', 'ipy']))"
    folder = submission(replacements={"activations.sigmoid": SIGMOID_WITH.format(line=hidden)})
    exercise = grade_folder(folder, names=["activations"]).exercises[0]
    assert exercise.status == "error" and exercise.score == 0
    assert "activations.py, line" in exercise.error and "in sigmoid" in exercise.error
    assert "imports scipy" in exercise.error
    assert not any(c.passed for c in exercise.checks)


def test_the_child_refuses_at_import_time_too(submission):
    folder = submission(modules={"softmax": "import importlib\nm = importlib.import_module('sk' + 'learn')\n"})
    exercise = grade_folder(folder, names=["softmax"]).exercises[0]
    assert exercise.status == "error"
    assert "softmax.py, line 2" in exercise.error and "imports sklearn" in exercise.error


def test_an_allowed_import_is_graded_normally(submission):
    folder = submission(replacements={"activations.sigmoid": SIGMOID_WITH.format(line="import click")})
    assert grade_folder(folder, names=["activations"]).exercises[0].status == "error"
    report = grade_folder(folder, names=["activations"], allowed_imports=("click",))
    assert report.exercises[0].status == "passed"


def test_a_later_exercise_is_named_as_such(submission):
    folder = submission(modules={"losses": "from .model import Sequential\n"})
    error = grade_folder(folder, names=["losses"]).exercises[0].error
    assert "model is not an exercise before losses, which may import only activations, softmax" in error


def nnlab(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_allow_import_on_the_command_line(tmp_path):
    folder = write_submission(tmp_path / "sub")
    path = folder / "activations.py"
    path.write_text("import click\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    refused = json.loads(nnlab("grade", str(path), "--format", "json", "--sandbox", "off").stdout)
    assert refused["exercises"][0]["status"] == "error"
    run = nnlab("grade", str(path), "--format", "json", "--sandbox", "off", "--allow-import", "click")
    assert json.loads(run.stdout)["exercises"][0]["status"] == "passed", run.stderr
    bad = nnlab("grade", str(path), "--allow-import", "scipy.special")
    assert bad.returncode == 2 and "top-level module name" in bad.stderr


def test_allow_import_reaches_the_batch_worker_and_the_autograder(tmp_path):
    assert Options(allowed_imports=("scipy",)).worker_arguments()[-2:] == ["--allow-import", "scipy"]
    assert "--allow-import" in nnlab("batch", "--help").stdout
    export = nnlab("export", "gradescope", str(tmp_path / "a.zip"), "-e", "activations", "--allow-import", "scipy")
    assert export.returncode == 0, export.stderr
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        assert "-e activations --allow-import scipy" in archive.read("run_autograder").decode()


def test_a_notebook_names_the_cell_of_a_forbidden_import(tmp_path):
    path = notebook_with_cell(tmp_path / "nb", "activations", "relu",
                              "def relu(z):\n    import torch\n    return torch.relu(z)\n")
    exercise = grade_folder(tmp_path / "nb", names=["activations"]).exercises[0]
    assert f"{path.name}, cell `relu`, line 2: `import torch`" in exercise.error


def test_an_absolute_import_of_an_exercise_is_told_to_be_relative(submission):
    folder = submission(modules={"losses": "from softmax import softmax\n"})
    error = grade_folder(folder, names=["losses"]).exercises[0].error
    assert "Import earlier exercises relatively, e.g. `from .softmax import softmax`." in error
