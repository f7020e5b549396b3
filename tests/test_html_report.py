"""The HTML feedback page: parsed, checked for what it shows and hides, and its pictures."""

import base64
import json
import re
import subprocess
import sys
from html import escape
from html.parser import HTMLParser

import numpy as np
import pytest

from grader.report import html, plots
from grader.report.model import HIDDEN, CheckResult, ExerciseResult, Report

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class Page(HTMLParser):
    """The parts of a page the tests look at: tags, text, images, sections."""

    def __init__(self, text):
        super().__init__()
        self.tags, self.text, self.images, self.sections, self.articles = [], [], [], [], []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag == "img":
            self.images.append(attrs["src"])
        if tag == "section":
            self.sections.append(attrs["id"])
        if tag == "article":
            self.articles.append(attrs)

    def handle_data(self, data):
        self.text.append(data)

    @property
    def words(self):
        return " ".join(self.text)


def figures():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    xs, ys = np.linspace(-3, 3, 30), np.linspace(-3, 3, 20)
    return [
        {"kind": "loss_curve", "title": "training loss", "values": list(np.exp(-np.arange(50) / 10))},
        {"kind": "decision_regions", "title": "decision regions", "X": X, "y": (X[:, 0] > 0).astype(int),
         "xs": xs, "ys": ys, "predictions": np.broadcast_to(xs > 0, (20, 30)).astype(int)},
        {"kind": "histogram", "title": "W1 of he_normal", "values": rng.normal(0, 0.1, 1000), "std": 0.1},
        {"kind": "not a kind this report knows"},
    ]


def hand_made_report():
    trained = CheckResult("model_learns_blobs", "A model fits four blobs.", 3, passed=False,
                          message="the loss went up: <script>alert('x')</script> check the sign")
    trained.figures.extend(figures())
    secret = CheckResult("matches_reference", "Compared with the SECRET reference.", 2, visibility=HIDDEN,
                         passed=False, message="SECRET values 1.234 vs 5.678")
    secret.figures.append(figures()[0])
    passing = CheckResult("softmax_known_values", "softmax([0, 1, 2]) is known.", 2, passed=True)
    broken = ExerciseResult("losses", "Loss functions", error="losses.py has a syntax error: invalid syntax")
    return Report("work/", [ExerciseResult("softmax", "Softmax", checks=[passing]), broken,
                            ExerciseResult("model", "A Keras-like model", checks=[trained, secret],
                                           output="printed <b>by the student</b>\n")])


def test_page_has_a_section_per_exercise_and_every_visible_check(tmp_path):
    path = html.write_report(hand_made_report(), tmp_path / "feedback")
    assert path == tmp_path / "feedback" / "report.html"
    page = Page(path.read_text(encoding="utf-8"))
    assert page.sections == ["exercise-softmax", "exercise-losses", "exercise-model"]
    words = page.words
    for text in ["softmax_known_values", "model_learns_blobs", "A model fits four blobs.",
                 "the loss went up", "losses.py has a syntax error", "printed <b>by the student</b>"]:
        assert text in words
    assert "script" not in page.tags and "b" not in page.tags  # the student's text is escaped


def test_hidden_checks_are_listed_by_name_only(tmp_path):
    page = Page(html.to_html(hand_made_report()))
    assert "matches_reference" in page.words
    assert "SECRET" not in page.words


def test_figures_are_embedded_as_png_images():
    if not plots.available():
        pytest.skip("matplotlib is not installed (pip install -e '.[plots]')")
    page = Page(html.to_html(hand_made_report()))
    # loss curve, decision regions, histogram; not the unknown kind, nor the hidden check's figure
    assert len(page.images) == 3
    for source in page.images:
        assert source.startswith("data:image/png;base64,")
        assert base64.b64decode(source.split(",", 1)[1]).startswith(PNG_SIGNATURE)
    assert "matplotlib is not installed" not in page.words


def test_without_matplotlib_the_page_says_how_to_get_pictures(monkeypatch):
    monkeypatch.setattr(plots, "available", lambda: False)
    page = Page(html.to_html(hand_made_report()))
    assert page.images == []
    assert 'pip install -e ".[plots]"' in page.words


def test_figures_that_cannot_be_drawn_are_left_out():
    if not plots.available():
        pytest.skip("matplotlib is not installed (pip install -e '.[plots]')")
    assert plots.render_png({"kind": "loss_curve", "title": "no values"}) is None
    assert plots.render_png({"kind": "histogram", "values": ["a"], "std": 1.0}) is None
    assert plots.render_png("not a figure") is None


def test_grade_report_option_writes_the_page(tmp_path, submission):
    folder = submission(replacements={"softmax.softmax": """
        def softmax(z, axis=-1):
            e = np.exp(z)
            return e / e.sum(axis=axis, keepdims=True)
        """})
    run = subprocess.run([sys.executable, "-m", "grader", "grade", str(folder), "-e", "activations",
                          "-e", "softmax", "--report", str(tmp_path / "out"), "--format", "json"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["exercises"][1]["status"] == "partial"  # stdout is the JSON alone
    page = Page((tmp_path / "out" / "report.html").read_text(encoding="utf-8"))
    assert page.sections == ["exercise-activations", "exercise-softmax"]
    assert "overflow" in page.words and "softmax_is_stable_for_large_logits" in page.words
    assert "report.html" in run.stderr


def test_the_curriculum_checks_attach_their_figures():
    from conftest import SOLUTIONS, grade_folder

    report = grade_folder(SOLUTIONS, names=["logistic", "initialization", "minibatch"])
    kinds = {e.name: {f["kind"] for c in e.checks for f in c.figures} for e in report.exercises}
    assert kinds == {"logistic": {"decision_regions"}, "initialization": {"histogram"},
                     "minibatch": {"loss_curve", "decision_regions"}}


def test_the_top_says_when_and_with_what_it_ran_and_counts_the_checks():
    from datetime import datetime, timezone
    import platform

    page = Page(html.to_html(hand_made_report(), when=datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)))
    words = page.words
    assert "graded 2026-12-01 09:30 UTC" in words
    assert f"Python {platform.python_version()}" in words and f"NumPy {np.__version__}" in words
    assert "nnlab " in words and "s in all" in words
    assert "✔ 1 passed" in words and "✘ 2 failed" in words


def test_failing_checks_come_first_with_a_hint_and_their_figures_beside_them():
    page = Page(html.to_html(hand_made_report()))
    classes = [a["class"] for a in page.articles]
    assert classes == ["check passed", "check failed", "check failed"]  # softmax's, then model's
    text = html.to_html(hand_made_report())
    model = text[text.index('id="exercise-model"'):]
    failing = model[model.index('<article class="check failed"'):model.index("</article>")]
    assert "model_learns_blobs" in failing and "Hint: " not in failing  # the hint's label is CSS
    assert 'class="hint"' in failing and escape(html.Hints("model").for_check("model_learns_blobs")) in failing
    if plots.available():
        assert failing.count("<img") == 3  # drawn beside their check, inside its article


def test_passed_checks_are_folded_and_a_switch_shows_failures_only():
    text = html.to_html(hand_made_report())
    softmax = text[text.index('id="exercise-softmax"'):text.index('id="exercise-losses"')]
    assert '<details class="passed-checks">' in softmax and "softmax_known_values" in softmax
    assert '<input type="checkbox" id="failures-only">' in text
    assert "#failures-only:checked ~ main .passed-checks" in text  # CSS only: no script at all
    assert "<script" not in text


def test_not_started_exercises_are_shown_as_not_started(submission):
    from conftest import grade_folder, ROOT

    report = grade_folder(ROOT / "exercises", names=["activations"])
    text = html.to_html(report)
    assert report.exercises[0].status == "not_started"
    assert "○ not started" in text and '<article class="check failed"' not in text
    assert html.first_hint("activations") in text


def test_printed_output_is_shown_escaped():
    page = Page(html.to_html(hand_made_report()))
    assert "what your code printed (1 line)" in page.words and "printed <b>by the student</b>" in page.words


def test_long_titles_wrap_inside_the_picture_and_axes_are_labelled():
    if not plots.available():
        pytest.skip("matplotlib is not installed (pip install -e '.[plots]')")
    from matplotlib.figure import Figure

    drawn = []
    original = Figure.savefig

    def keep(self, *args, **kwargs):
        drawn.append(self)
        return original(self, *args, **kwargs)

    title = "a two-layer network trained with Adam on the course's four blobs, held-out points only"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Figure, "savefig", keep)
        for figure in figures()[:3]:
            assert plots.render_png(dict(figure, title=title)) is not None
    for picture in drawn:
        axes = picture.axes[0]
        renderer = picture.canvas.get_renderer()
        box = axes.title.get_window_extent(renderer)
        assert 0 <= box.x0 and box.x1 <= picture.bbox.width and box.y1 <= picture.bbox.height
        assert axes.title.get_text().replace("\n", " ") == title  # whole, on two lines
        assert axes.get_xlabel() and axes.get_ylabel()


def test_a_diverging_loss_is_still_drawn():
    if not plots.available():
        pytest.skip("matplotlib is not installed (pip install -e '.[plots]')")
    exploding = [0.7, 3.0, 40.0, 2e4, float("inf"), float("nan")]
    assert plots.render_png({"kind": "loss_curve", "title": "diverged", "values": exploding}).startswith(PNG_SIGNATURE)
    assert plots.render_png({"kind": "loss_curve", "title": "all nan", "values": [float("nan")] * 3}) is not None


def test_the_page_is_one_file_that_fetches_nothing():
    text = html.to_html(hand_made_report())
    sources = re.findall(r'(?:src|href)="([^"]*)"', text)
    assert sources and all(s.startswith(("data:", "#")) for s in sources)
    assert "<script" not in text and "@import" not in text and "url(" not in text


def test_a_failing_check_shows_the_hint_that_names_it_else_the_first_hint_once():
    from grader.checks import EXERCISES

    named = [(e, c.name) for e in EXERCISES for c in e.checks if e.hint_for(c.name)]
    assert named
    for exercise, check in named:
        level, text = exercise.hint_for(check)
        assert html.Hints(exercise.module).for_check(check) == text
    hints = html.Hints("softmax")
    assert hints.for_check("no_hint_names_this_check") == html.first_hint("softmax")
    assert hints.for_check("nor_this_one") is None  # the first hint once per exercise


def test_a_diverging_logistic_training_still_draws_its_decision_regions(submission):
    from conftest import grade_folder

    folder = submission()
    logistic = folder / "logistic.py"
    logistic.write_text(logistic.read_text(encoding="utf-8").replace("w = w - lr * dw", "w = w + lr * dw")
                        .replace("b = b - lr * db", "b = b + lr * db"),  # up the gradient: the loss grows
                        encoding="utf-8")
    report = grade_folder(folder, names=["logistic"])
    blobs = next(c for c in report.exercises[0].checks if c.name == "train_logistic_separates_blobs")
    assert not blobs.passed and "should go down" in blobs.message
    assert [f["kind"] for f in blobs.figures] == ["decision_regions"]
