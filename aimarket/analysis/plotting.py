"""Figure helpers: figures are `matplotlib.figure.Figure` objects (no pyplot state, no backend
switch); the report's look is applied per figure (`styled`), never globally on import."""

from __future__ import annotations

import base64
import functools
import io
from collections.abc import Callable

import matplotlib
import seaborn as sns
from matplotlib.figure import Figure

PALETTE = "colorblind"
#: rcParams of the report's figures: seaborn's "whitegrid" style at "notebook" scale.
STYLE = {**sns.axes_style("whitegrid"), **sns.plotting_context("notebook")}


def colours(n: int) -> list:
    """`n` distinguishable colours: the colour-blind palette up to its 10, else evenly spaced
    hues (never a repeated colour for two settings)."""
    return sns.color_palette(PALETTE if n <= 10 else "husl", n)


def styled[**P, R](plot: Callable[P, R]) -> Callable[P, R]:
    """Run `plot` (which builds a figure) under `STYLE`, leaving global rcParams unchanged."""

    @functools.wraps(plot)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with matplotlib.rc_context(STYLE):
            return plot(*args, **kwargs)

    return wrapper


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
