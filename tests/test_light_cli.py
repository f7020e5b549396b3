"""The commands that grade nothing import neither NumPy nor a check module, and what they
show without importing them is what the imported check modules declare."""

import ast
import json
import subprocess
import sys

import click
import pytest

from conftest import ROOT
from grader import checks
from grader.checks import EXERCISES, MODULES
from grader.cli import COMMANDS, catalog, main

LIGHT = [["--help"], ["list"], ["hint", "softmax", "--level", "1"], ["--version"]]
REPORT_MODULES = ("import sys, json, runpy; sys.argv = ['nnlab', *{args!r}]\n"
                  "try:\n    runpy.run_module('grader', run_name='__main__')\n"
                  "except SystemExit:\n    pass\n"
                  "print(json.dumps(sorted(sys.modules)), file=sys.stderr)")


def imported_by(args, cwd):
    run = subprocess.run([sys.executable, "-c", REPORT_MODULES.format(args=args)], cwd=cwd, capture_output=True,
                         text=True, timeout=60)
    return set(json.loads(run.stderr.strip().splitlines()[-1])), run.stdout


@pytest.mark.parametrize("args", LIGHT, ids=" ".join)
def test_commands_that_grade_nothing_import_no_numpy_and_no_check(args, tmp_path):
    modules, stdout = imported_by(args, tmp_path)
    assert stdout  # the command ran, and said something
    heavy = sorted(m for m in modules if m == "numpy" or m.startswith(("numpy.", "grader.checks.")))
    assert heavy == []


def test_a_grading_command_does_import_them(tmp_path):  # the probe above sees imports
    modules, _ = imported_by(["grade", "--help"], tmp_path)
    assert "numpy" in modules and "grader.checks.softmax" in modules


def test_list_shows_what_the_check_modules_declare():
    assert catalog.read_all() == catalog.imported()  # the source read as the modules declare it
    assert [s.module for s in catalog.imported()] == list(MODULES) == [e.module for e in EXERCISES]


@pytest.mark.parametrize("name", MODULES)
def test_hint_shows_the_hints_the_check_module_declares(name):
    exercise = next(e for e in EXERCISES if e.module == name)
    assert catalog.hints(name) == tuple(exercise.hints) and exercise.hints


def test_a_declaration_that_is_not_literal_is_imported_instead(tmp_path, monkeypatch):
    for path in catalog.CHECKS.glob("*.py"):
        (tmp_path / path.name).write_text(path.read_text())
    source = (tmp_path / "softmax.py").read_text().replace('"Softmax and log-softmax"', '"Softmax" + " and more"')
    (tmp_path / "softmax.py").write_text(source)
    monkeypatch.setattr(catalog, "CHECKS", tmp_path)
    with pytest.raises(catalog.Unreadable):
        catalog.read_all()
    assert catalog.summaries() == catalog.imported()  # the checks themselves, not a guess
    assert catalog.hints("softmax") == tuple(EXERCISES[1].hints)


def test_a_check_registered_other_than_by_a_decorator_is_not_guessed(tmp_path):
    path = tmp_path / "softmax.py"
    path.write_text("exercise = Exercise('softmax', 'Softmax')\nfor p in (1, 2):\n    exercise.check(points=p)(f)\n")
    with pytest.raises(catalog.Unreadable):
        catalog.read_module(path, path.read_text())


def test_the_help_lines_are_the_commands_own():
    for name, (module, attribute, line) in COMMANDS.items():
        command = main.get_command(None, name)
        assert isinstance(command, click.Command) and command.name == name
        for limit in (45, 1000):
            assert main.help_line(name, limit) == command.get_short_help_str(limit), name


def test_exercises_are_imported_once_in_teaching_order():
    assert checks.EXERCISES is EXERCISES
    assert [e.module for e in EXERCISES] == list(MODULES)
    declared = [node.value.args[0].value for path in sorted(catalog.CHECKS.glob("*.py"))
                for node in ast.parse(path.read_text()).body
                if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "exercise"]
    assert sorted(declared) == sorted(MODULES)  # every check module's exercise is in MODULES


def test_the_cli_runs_numpy_single_threaded(tmp_path):
    code = ("import os, runpy, sys; sys.argv = ['nnlab', '--version']\n"
            "try:\n    runpy.run_module('grader', run_name='__main__')\n"
            "except SystemExit:\n    pass\n"
            "print(os.environ['OPENBLAS_NUM_THREADS'], os.environ['OMP_NUM_THREADS'], os.environ['MKL_NUM_THREADS'])")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.stdout.split()[-3:] == ["1", "1", "1"]
