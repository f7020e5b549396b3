"""What a person sees, in headless Chromium: check()'s output in a notebook, and the feedback page.

Skipped, with the reason, where Chromium cannot run (``.ci/run`` installs Debian's
``chromium``). Screenshots are left beside the pages in the test's temporary folder.
"""

import re
import shutil
import subprocess
import sys

import pytest

import browser
from conftest import SOLUTIONS, grade_folder
from grader.notebooks.support import check
from grader.report import html, plots

WHY_NOT = browser.why_not()
pytestmark = pytest.mark.skipif(WHY_NOT is not None, reason=WHY_NOT or "")

# What JupyterLab does to HTML output that matters here (from its rendermime stylesheet):
# table cells right-aligned, a narrow output area, a font of its own.
JUPYTER_LIKE = """<!DOCTYPE html><html><head><meta charset="utf-8"><style>
body { margin: 0; font-family: sans-serif; font-size: 13px; }
.jp-OutputArea-output { width: 520px; padding: 4px; overflow-x: auto; }
.jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th { text-align: right; white-space: normal; }
.jp-RenderedHTMLCommon pre { word-break: break-all; }
.jp-RenderedHTMLCommon table { table-layout: fixed; margin-left: auto; margin-right: auto; }
</style></head><body><div class="jp-OutputArea-output jp-RenderedHTMLCommon">OUTPUT</div></body></html>"""


def untrusted(markup):
    """What an untrusted notebook keeps of the output: no style attributes, no <style>."""
    return re.sub(r'\sstyle="[^"]*"', "", re.sub(r"<style>.*?</style>", "", markup, flags=re.DOTALL))


@pytest.fixture(scope="module")
def failing_check(tmp_path_factory):
    """check("losses") for a notebook with a bug in one_hot and a traceback in another cell."""
    from test_notebooks import cells, run_like_ipython, tagged

    root = tmp_path_factory.mktemp("check-output")
    run = subprocess.run([sys.executable, "-m", "grader", "notebook", "solutions", "--out", str(root), "-e", "activations",
                          "-e", "softmax", "-e", "losses"], cwd=SOLUTIONS.parent, capture_output=True, timeout=120)
    assert run.returncode == 0
    namespace = {"__name__": "__main__"}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        for cell in cells(root / "03-losses.ipynb"):
            if tagged(cell):
                run_like_ipython(namespace, "".join(cell["source"]))
        run_like_ipython(namespace, "def one_hot(y, num_classes):\n    y = np.asarray(y)\n"
                                    "    return np.eye(num_classes)[y].T  # transposed: a classic mix-up\n")
        return check("losses", namespace=namespace)


@pytest.mark.parametrize("trusted", [True, False], ids=["trusted", "untrusted"])
def test_check_output_reads_well_in_a_notebook(failing_check, tmp_path, trusted):
    markup = failing_check._repr_html_()
    page = JUPYTER_LIKE.replace("OUTPUT", markup if trusted else untrusted(markup))
    seen = browser.look_at(page, tmp_path, width=560)
    assert seen["overflowing"] == [] and seen["scrollWidth"] <= seen["width"]
    assert seen["brokenWords"] == []
    assert set(seen["alignments"]) <= {"left", "start"}
    text = seen["text"]
    assert "✘ FAILED one_hot_encodes_labels" in text  # a symbol and a word: no colour needed
    assert re.search(r"losses: \d+/\d+ points, partial", text)
    assert "hidden check" in text and "losses_match_reference (2 pt)" in text  # named, its message withheld
    assert text.index("FAILED") < text.index("checks passed")  # failures first, the passed ones folded
    assert "⚠ as run, not saved: one_hot." in text
    assert "Hint: " in text
    assert "losses.py" not in text and "--format json" not in text


def test_the_probe_sees_what_went_wrong_before(tmp_path):
    """The measures catch the old table: right-aligned, words cut, a line too long, a missing image."""
    old = ('<div style="width: 160px"><table><tr><td style="text-align: right; word-break: break-all">'
           "the loss went up: too large a learning rate</td></tr></table>"
           '<img alt="a plot" src="data:image/png;base64,AAAA"><pre>' + "x" * 200 + "</pre></div>")
    seen = browser.look_at(old, tmp_path)
    assert "right" in seen["alignments"]
    assert seen["brokenWords"]
    assert seen["overflowing"]
    assert seen["images"] == [dict(seen["images"][0], loaded=False)]


@pytest.fixture(scope="module")
def failing_report(tmp_path_factory):
    """The report of a submission with a bug that warns, a training that diverges, a stub."""
    from conftest import replace_function

    folder = tmp_path_factory.mktemp("failing-submission")
    for path in SOLUTIONS.glob("*.py"):
        shutil.copyfile(path, folder / path.name)
    shutil.copyfile(SOLUTIONS.parent / "exercises" / "minibatch.py", folder / "minibatch.py")
    logistic = folder / "logistic.py"
    logistic.write_text(logistic.read_text(encoding="utf-8").replace("w = w - lr * dw", "w = w + lr * dw")
                        .replace("b = b - lr * db", "b = b + lr * db"),  # up the gradient: it diverges
                        encoding="utf-8")
    softmax = folder / "softmax.py"
    softmax.write_text(replace_function(softmax.read_text(encoding="utf-8"), "softmax", """
        def softmax(z, axis=-1):
            print("softmax of", np.shape(z))
            e = np.exp(z)
            return e / e.sum(axis=axis, keepdims=True)
        """), encoding="utf-8")
    return grade_folder(folder, names=["activations", "softmax", "logistic", "minibatch"])


@pytest.mark.parametrize("width", [1200, 640])
def test_the_feedback_page_shows_everything_whole(failing_report, tmp_path, width):
    seen = browser.look_at(html.to_html(failing_report), tmp_path, width=width, height=2400)
    assert seen["overflowing"] == [] and seen["scrollWidth"] <= seen["width"]
    assert seen["brokenWords"] == []
    if plots.available():
        diverged = [i for i in seen["images"] if i["article"] == "exercise-logistic-train_logistic_separates_blobs"]
        assert len(diverged) == 1  # drawn beside its check, although training diverged
        for image in seen["images"]:
            assert image["loaded"] and image["natural"] == plots.PIXELS[0] and image["right"] <= seen["width"]
    text = seen["text"]
    assert "✘ failed softmax_is_stable_for_large_logits" in text
    assert text.index("✘ failed softmax_is_stable") < text.index("6 checks: 6 passed")  # failures first
    assert html.Hints("softmax").for_check("softmax_is_stable_for_large_logits") in text  # the check's own hint
    assert "what your code printed" in text and "softmax of (3,)" in text
    assert "○ not started" in text and "✘ failed iterate" not in text
    assert "NumPy " in text and "Python " in text and "s in all" in text


def test_failures_only_hides_what_passed_without_javascript(failing_report, tmp_path):
    page = html.to_html(failing_report).replace('id="failures-only">', 'id="failures-only" checked>')
    seen = browser.look_at(page, tmp_path)
    text = seen["text"]
    assert "softmax_is_stable_for_large_logits" in text and "train_logistic_separates_blobs" in text
    assert "1. activations" not in text  # an exercise that passed is gone
    assert "6 checks: 6 passed" not in text and "softmax of (3,)" not in text
