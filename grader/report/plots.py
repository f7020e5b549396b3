"""PNG pictures of the figures that checks attach: loss curves, decision regions, histograms.

matplotlib is optional (``pip install -e ".[plots]"``). Without it :func:`available` is
False and the feedback page goes without pictures. Figures are drawn on their own
``Figure`` objects with the Agg canvas, never through pyplot, so nothing global changes
and no window opens.
"""

import functools
import importlib.util
import io
import textwrap

import numpy as np

SIZE = (4.8, 3.4)  # inches
DPI = 80
PIXELS = (round(SIZE[0] * DPI), round(SIZE[1] * DPI))
TITLE_WIDTH = 52  # characters per line of a title: a long one wraps, never runs off the picture


def available():
    """Whether matplotlib is installed (found without importing it: that takes 0.4 s, and
    every command that merely imports the report modules would pay it)."""
    return importlib.util.find_spec("matplotlib") is not None


@functools.lru_cache(maxsize=1)
def agg():
    """``(Figure, FigureCanvasAgg)``, imported on first use."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    return Figure, FigureCanvasAgg


def render_png(figure):
    """The PNG bytes of one figure dict (see ``grader/checks/core.py``), or None.

    None when matplotlib is missing, the kind is unknown, or the data cannot be drawn.
    """
    draw = DRAWERS.get(figure.get("kind")) if isinstance(figure, dict) else None
    if not available() or draw is None:
        return None
    Figure, FigureCanvasAgg = agg()
    canvas_figure = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(canvas_figure)
    axes = canvas_figure.add_subplot()
    try:
        draw(axes, figure)
        axes.set_title(textwrap.fill(str(figure.get("title", "")), TITLE_WIDTH), fontsize=10)
        out = io.BytesIO()
        canvas_figure.savefig(out, format="png", metadata={"Software": None})
    except (ValueError, TypeError, KeyError, IndexError):
        return None
    return out.getvalue()


def draw_loss_curve(axes, figure):
    """The loss per epoch; where it stops being finite (training diverged) a red line says so."""
    values = np.asarray(figure["values"], dtype=float)
    if values.ndim != 1 or values.size == 0:
        raise ValueError("a loss curve needs values")
    epochs = np.arange(1, len(values) + 1)
    finite = np.isfinite(values)
    axes.plot(epochs, np.where(finite, values, np.nan), color="tab:blue", marker="." if len(values) < 30 else None)
    if finite.any() and values[finite].min() > 0 and values[finite].max() / values[finite].min() > 100:
        axes.set_yscale("log")
    if not finite.all():
        first = int(epochs[~finite][0])
        axes.axvline(first, color="tab:red", linestyle="--")
        axes.text(first, 0.5, f" not finite from epoch {first}", color="tab:red", transform=axes.get_xaxis_transform(),
                  fontsize=8, ha="left" if first < len(values) / 2 else "right")
    axes.set_xlim(0.5, len(values) + 0.5)
    axes.set_xlabel("epoch")
    axes.set_ylabel("loss")


def draw_decision_regions(axes, figure):
    X = np.asarray(figure["X"], dtype=float)
    y = np.asarray(figure["y"]).astype(int)
    predictions = np.asarray(figure["predictions"]).astype(int)
    classes = int(max(predictions.max(initial=0), y.max(initial=0))) + 1
    levels = np.arange(classes + 1) - 0.5
    axes.contourf(figure["xs"], figure["ys"], predictions, levels=levels, cmap="tab10", vmin=0, vmax=9,
                  alpha=0.3)
    axes.scatter(X[:, 0], X[:, 1], c=y, cmap="tab10", vmin=0, vmax=9, s=12, edgecolors="black",
                 linewidths=0.3)
    axes.set_xlabel("feature 1 (x₁)")
    axes.set_ylabel("feature 2 (x₂)")


def draw_histogram(axes, figure):
    values = np.asarray(figure["values"], dtype=float).ravel()
    std = float(figure["std"])
    axes.hist(values[np.isfinite(values)], bins=40, density=True, color="tab:blue", alpha=0.6,
              label="your values")
    x = np.linspace(-4 * std, 4 * std, 200)
    axes.plot(x, np.exp(-0.5 * (x / std) ** 2) / (std * np.sqrt(2 * np.pi)), color="tab:orange",
              label=f"normal, std {std:.3g}")
    axes.legend(fontsize=8)
    axes.set_xlabel("weight value")
    axes.set_ylabel("density")


DRAWERS = {"loss_curve": draw_loss_curve, "decision_regions": draw_decision_regions,
           "histogram": draw_histogram}
