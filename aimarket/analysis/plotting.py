"""Figure helpers: figures are built with `matplotlib.figure.Figure` (Agg, no pyplot state)."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")

import seaborn as sns
from matplotlib.figure import Figure

sns.set_theme(style="whitegrid", context="notebook")

PALETTE = "colorblind"


def grid(n: int, ncols: int = 3, size: tuple[float, float] = (4.2, 3.2)) -> tuple[Figure, list]:
    """A figure with `n` panels in rows of `ncols`; unused panels are hidden."""
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig = Figure(figsize=(size[0] * ncols, size[1] * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel().tolist()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def to_data_uri(fig: Figure, dpi: int = 110) -> str:
    """PNG of `fig` as a ``data:image/png;base64,...`` URI."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
