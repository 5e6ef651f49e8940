"""Small SVG charts of monitoring figures, from plain arrays (report, dashboard, model card).

Each function takes numbers and labels, never a report record, so any page can reuse it, and
returns one ``<svg>`` element as text, ready to inline in HTML: matplotlib draws it off screen
(a bare :class:`~matplotlib.figure.Figure` on the Agg canvas, no pyplot and so no global figure
state), with text kept as text (``svg.fonttype: none``) and no metadata. The element refers to
nothing outside itself: the XML prolog and DOCTYPE (which names the DTD by URL) are dropped,
and ``xlink:href`` becomes SVG 2's plain ``href``, so the one URL left is the SVG namespace.
Labels are drawn as given: mathtext parsing is off, so a ``$`` in a feature name is a dollar.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator

from modelfleet.errors import UsageError

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

REFERENCE_COLOR: Final = "#8da0cb"
CURRENT_COLOR: Final = "#d95f02"
SIZE: Final = (4.2, 2.2)  # inches; at 72 points an inch, about 300 x 160 in the page
MAX_TICKS: Final = 6  # labelled ticks on a bin axis: more would overlap at this width
MAX_PERIOD_TICKS: Final = 4  # period labels are dates, ten characters each
MAX_BINS: Final = 1024  # a profile has at most this many bins (training.profiles.MAX_BINS)
MAX_POINTS: Final = 400  # points of a series: a year of days; more is a bigger page
MARKED_POINTS: Final = 60  # a series this short gets a marker per point (one SVG use each)

# Text as text in one short font list (the default list is repeated on every label).
_RC: Final[dict[RcKeyType, Any]] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "modelfleet",  # stable element ids: the same figures give the same bytes
    "font.size": 8,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial"],
}
_NO_METADATA: Final = {"Date": None, "Creator": None, "Format": None, "Type": None}
_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)
# Coordinates (paths, text and marker positions) in points: a tenth of a point is finer than
# a screen pixel, and matplotlib writes six decimals, a fifth of a chart's bytes.
_COORDINATES = re.compile(r'(?<= (?:d|x|y)=")[-0-9. MLCQZzmlcqhvHV\n]*(?=")')
_DECIMALS = re.compile(r"(\.\d)\d+")


def distribution_svg(
    labels: Sequence[str], reference: np.ndarray, current: np.ndarray, *, axis: str = ""
) -> str:
    """Reference vs current share of values per bin (one label per bin), as inline SVG.

    Bins sit side by side at equal width whatever their range: profile bins are quantiles of
    the training values, so the reference is near flat and where the current rows pile up is
    what the eye reads."""
    ref = _shares(reference, "reference")
    cur = _shares(current, "current")
    if not 1 <= ref.size <= MAX_BINS or ref.size != cur.size or len(labels) != ref.size:
        raise UsageError(
            f"a distribution chart needs 1 to {MAX_BINS} bins with one label and one share "
            f"each; got {len(labels)} label(s), {ref.size} reference and {cur.size} current "
            "share(s)"
        )
    # rc settings apply to texts as they are made, so the whole figure is built inside them.
    with matplotlib.rc_context(_RC):
        figure, ax = _figure()
        edges = np.arange(ref.size + 1) - 0.5
        ax.stairs(ref, edges, fill=True, color=REFERENCE_COLOR, alpha=0.6, label="reference")
        ax.stairs(cur, edges, color=CURRENT_COLOR, linewidth=1.5, label="current")
        # At most MAX_TICKS evenly spread bin labels: 64 labels at this width are a smear.
        ticks = np.unique(np.linspace(0, ref.size - 1, min(ref.size, MAX_TICKS)).round())
        ax.set_xticks(ticks.tolist(), [str(labels[int(i)]) for i in ticks])
        ax.set_ylabel("share of rows")
        ax.set_xlabel(axis)
        ax.set_ylim(0, max(float(ref.max()), float(cur.max()), 0.01) * 1.1)
        ax.legend(frameon=False)
        return _svg(figure)


def series_svg(
    periods: Sequence[str],
    values: np.ndarray,
    *,
    reference: float | None = None,
    label: str = "WMAPE",
    reference_label: str = "holdout",
) -> str:
    """A metric over periods (one label each, in order) with a dashed reference line, such as
    live WMAPE per week against the holdout WMAPE, as inline SVG."""
    points = np.asarray(values, dtype=np.float64)
    if points.ndim != 1 or not 1 <= points.size <= MAX_POINTS or len(periods) != points.size:
        raise UsageError(
            f"a series chart needs 1 to {MAX_POINTS} values with one period label each; got "
            f"{len(periods)} label(s) and {points.size} value(s)"
        )
    if np.isinf(points).any() or (reference is not None and not math.isfinite(reference)):
        raise UsageError("a series chart's values and reference must be finite (NaN: a gap)")
    with matplotlib.rc_context(_RC):
        figure, ax = _figure()
        x = np.arange(points.size)
        marker = "o" if points.size <= MARKED_POINTS else None
        ax.plot(x, points, color=CURRENT_COLOR, marker=marker, markersize=3, label=label)
        if reference is not None:
            ax.axhline(reference, color=REFERENCE_COLOR, linestyle="--", label=reference_label)
        shown = min(points.size, MAX_PERIOD_TICKS)
        ticks = np.unique(np.linspace(0, points.size - 1, shown).round())
        ax.set_xticks(ticks.tolist(), [str(periods[int(i)]) for i in ticks])
        ax.set_ylabel(label)
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_locator(MaxNLocator(4))
        ax.legend(frameon=False)
        return _svg(figure)


def profile_svg(
    kind: str,
    edges: np.ndarray,
    reference: np.ndarray,
    current: np.ndarray,
    names: Sequence[str] | None = None,
) -> str:
    """A distribution chart of one column binned by a reference profile: numeric bins by the
    cut they start at (``edges`` are the cuts), categories by ``names`` (by code without)."""
    if kind == "categorical":
        size = len(reference)
        labels = [names[i] if names and i < len(names) else f"code {i}" for i in range(size)]
        return distribution_svg(labels, reference, current, axis="category")
    axis = "training quantile bins"
    return distribution_svg(bin_labels(edges), reference, current, axis=axis)


def bin_labels(cuts: np.ndarray) -> list[str]:
    """One label per bin of a profile's ``cuts`` (bin ``i`` holds ``cuts[i-1] <= v <
    cuts[i]``): the first bin is everything below the first cut, the others start at a cut."""
    shown = [format(float(c), ".3g") for c in np.asarray(cuts, dtype=np.float64)]
    return [f"<{shown[0]}" if shown else "all", *(f">={c}" for c in shown)]


def _shares(values: np.ndarray, name: str) -> np.ndarray:
    """``values`` as float shares; UsageError for negative or non-finite ones."""
    shares = np.asarray(values, dtype=np.float64).ravel()
    if not np.isfinite(shares).all() or (shares < 0).any():
        raise UsageError(f"a distribution chart's {name} shares must be finite and >= 0")
    return shares


def _figure() -> tuple[Figure, Axes]:
    figure = Figure(figsize=SIZE)
    FigureCanvasAgg(figure)  # the Agg canvas: off screen, whatever backend pyplot would pick
    # Fixed margins, not constrained layout: it would cost a third of each chart's time, and
    # these axes' labels (shares, WMAPE, short bin and date labels) have known widths.
    figure.subplots_adjust(left=0.14, right=0.98, top=0.95, bottom=0.2)
    ax = figure.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    return figure, ax


def _svg(figure: Figure) -> str:
    """The figure as one self-contained ``<svg>`` element (see the module doc)."""
    for text in figure.findobj(Text):
        text.set_parse_math(False)  # labels are user data: no mathtext, no TeX
    out = io.StringIO()
    figure.savefig(out, format="svg", metadata=_NO_METADATA)
    svg = _PROLOG.sub("", out.getvalue(), count=1)
    svg = _COORDINATES.sub(lambda m: _DECIMALS.sub(r"\1", m.group(0)), svg)
    return svg.replace(' xmlns:xlink="http://www.w3.org/1999/xlink"', "").replace(
        "xlink:href=", "href="
    )
