"""Figures that checks attach for the feedback page (see ``core.py``): plain data only."""

import numpy as np


def loss_curve(title, values):
    return {"kind": "loss_curve", "title": title, "values": [float(v) for v in values]}


def decision_regions(title, X, y, classify, steps=60):
    """The classes ``classify`` (points (k, 2) -> labels (k,)) gives over the data's box."""
    low, high = X.min(axis=0) - 1.0, X.max(axis=0) + 1.0
    xs, ys = np.linspace(low[0], high[0], steps), np.linspace(low[1], high[1], steps)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    predictions = np.asarray(classify(grid)).reshape(steps, steps)
    return {"kind": "decision_regions", "title": title, "X": X, "y": y, "xs": xs, "ys": ys,
            "predictions": predictions}


def histogram(title, values, std):
    return {"kind": "histogram", "title": title, "values": np.asarray(values, float).ravel(), "std": float(std)}
