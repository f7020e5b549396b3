"""A notebook of the reference with one function's cell replaced, for tests of messages in notebook terms."""

import json
import subprocess
import sys

from conftest import ROOT


def notebook_with_cell(folder, exercise, function, source):
    """Write ``exercise``'s notebook into ``folder``, the cell of ``function`` holding ``source``."""
    built = subprocess.run([sys.executable, "-m", "grader", "notebook", "solutions", "--out", str(folder),
                            "-e", exercise], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    [path] = folder.glob(f"*{exercise}.ipynb")
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cell = next(c for c in notebook["cells"] if c.get("metadata", {}).get("nnlab", {}).get("function") == function)
    cell["source"] = source
    path.write_text(json.dumps(notebook), encoding="utf-8")
    return path
