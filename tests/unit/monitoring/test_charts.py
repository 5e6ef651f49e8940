"""Monitoring charts: one self-contained ``<svg>`` each, small, with labels drawn as given."""

from __future__ import annotations

import re

import numpy as np
import pytest

from modelfleet.errors import UsageError
from modelfleet.monitoring.charts import (
    MAX_BINS,
    MAX_POINTS,
    bin_labels,
    distribution_svg,
    profile_svg,
    series_svg,
)

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
HOSTILE = "<script>alert(1)</script>"


def _flat(bins: int = 64) -> np.ndarray:
    return np.full(bins, 1 / bins)


def _piled(bins: int = 64) -> np.ndarray:
    shares = np.zeros(bins)
    shares[-1] = 1.0
    return shares


def _distribution(labels: list[str] | None = None) -> str:
    return distribution_svg(labels or [str(i) for i in range(64)], _flat(), _piled())


def _weeks(n: int) -> list[str]:
    return [str(np.datetime64("2026-01-05") + np.timedelta64(7 * i, "D")) for i in range(n)]


def _urls(svg: str) -> set[str]:
    return set(re.findall(r"https?://[^\s\"'<>)]+", svg))


def test_a_distribution_chart_is_one_svg_element() -> None:
    svg = _distribution()

    assert svg.startswith("<svg ") and svg.rstrip().endswith("</svg>")
    assert svg.count("<svg") == 1


def test_a_series_chart_is_one_svg_element() -> None:
    svg = series_svg(_weeks(8), np.linspace(0.1, 0.3, 8), reference=0.15)

    assert svg.startswith("<svg ") and svg.rstrip().endswith("</svg>")


@pytest.mark.parametrize(
    "svg",
    [
        pytest.param(_distribution(), id="distribution"),
        pytest.param(series_svg(_weeks(12), np.linspace(0.1, 0.3, 12), reference=0.2), id="series"),
    ],
)
def test_a_chart_names_no_url_but_the_svg_namespace(svg: str) -> None:
    assert _urls(svg) == {SVG_NAMESPACE}
    assert "xlink" not in svg and "DOCTYPE" not in svg and "<?xml" not in svg


def test_a_chart_carries_no_script_image_or_metadata() -> None:
    svg = _distribution()

    assert "<script" not in svg and "<image" not in svg and "<metadata" not in svg


def test_a_chart_keeps_its_text_as_text() -> None:
    svg = _distribution([f"bin{i}" for i in range(64)])

    assert ">bin0</text>" in svg


def test_a_64_bin_distribution_chart_stays_below_16_kb() -> None:
    assert len(_distribution().encode()) < 16_000


def test_a_largest_distribution_chart_stays_below_64_kb() -> None:
    svg = distribution_svg([str(i) for i in range(MAX_BINS)], _flat(MAX_BINS), _piled(MAX_BINS))

    assert len(svg.encode()) < 64_000


def test_a_year_of_weekly_wmape_stays_below_16_kb() -> None:
    svg = series_svg(_weeks(52), np.linspace(0.1, 0.3, 52), reference=0.2)

    assert len(svg.encode()) < 16_000


def test_a_longest_series_stays_below_64_kb() -> None:
    rng = np.random.default_rng(0)

    svg = series_svg(_weeks(MAX_POINTS), rng.uniform(0, 1, MAX_POINTS), reference=0.5)

    assert len(svg.encode()) < 64_000


def test_the_same_figures_give_the_same_bytes() -> None:
    assert _distribution() == _distribution()


def test_a_hostile_label_is_escaped_in_the_svg() -> None:
    labels = [HOSTILE] * 64

    svg = _distribution(labels)

    assert HOSTILE not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg


def test_dollar_signs_in_a_label_are_drawn_not_parsed_as_mathtext() -> None:
    svg = _distribution([f"$x_{i}$" for i in range(64)])

    assert ">$x_0$</text>" in svg


def test_a_series_with_a_gap_is_drawn() -> None:
    svg = series_svg(_weeks(4), np.array([0.1, np.nan, 0.2, 0.3]))

    assert svg.startswith("<svg ")


@pytest.mark.parametrize(
    ("labels", "reference", "current"),
    [
        pytest.param(["a", "b"], np.array([0.5, 0.5]), np.array([1.0]), id="lengths differ"),
        pytest.param(["a"], np.array([0.5, 0.5]), np.array([0.5, 0.5]), id="labels short"),
        pytest.param([], np.array([]), np.array([]), id="no bins"),
        pytest.param(["a", "b"], np.array([-0.5, 1.5]), np.array([0.5, 0.5]), id="negative"),
        pytest.param(["a", "b"], np.array([np.nan, 1.0]), np.array([0.5, 0.5]), id="nan"),
        pytest.param(["a", "b"], np.array([0.5, 0.5]), np.array([np.inf, 0]), id="infinite"),
        pytest.param(
            [str(i) for i in range(MAX_BINS + 1)],
            _flat(MAX_BINS + 1),
            _flat(MAX_BINS + 1),
            id="too many bins",
        ),
    ],
)
def test_a_malformed_distribution_is_refused_saying_what_it_needs(
    labels: list[str], reference: np.ndarray, current: np.ndarray
) -> None:
    with pytest.raises(UsageError, match="distribution chart"):
        distribution_svg(labels, reference, current)


@pytest.mark.parametrize(
    ("periods", "values", "reference"),
    [
        pytest.param([], np.array([]), None, id="empty"),
        pytest.param(["w1"], np.array([0.1, 0.2]), None, id="labels short"),
        pytest.param(["w1", "w2"], np.array([0.1, np.inf]), None, id="infinite value"),
        pytest.param(["w1"], np.array([0.1]), float("nan"), id="nan reference"),
        pytest.param(["w"] * (MAX_POINTS + 1), np.zeros(MAX_POINTS + 1), None, id="too long"),
        pytest.param(["w1"], np.array([[0.1]]), None, id="two dimensions"),
    ],
)
def test_a_malformed_series_is_refused_saying_what_it_needs(
    periods: list[str], values: np.ndarray, reference: float | None
) -> None:
    with pytest.raises(UsageError, match="series chart"):
        series_svg(periods, values, reference=reference)


def test_bin_labels_name_the_first_bin_below_the_first_cut_and_the_others_by_theirs() -> None:
    assert bin_labels(np.array([1.0, 2.5, 1000.0])) == ["<1", ">=1", ">=2.5", ">=1e+03"]


def test_a_profile_without_cuts_has_one_bin_for_everything() -> None:
    assert bin_labels(np.array([])) == ["all"]


def test_a_categorical_profile_chart_labels_bins_by_category_name() -> None:
    svg = profile_svg("categorical", np.arange(2.0), _flat(2), _piled(2), ["north", "south"])

    assert ">north</text>" in svg and ">south</text>" in svg


def test_a_categorical_profile_chart_without_names_labels_bins_by_code() -> None:
    svg = profile_svg("categorical", np.arange(2.0), _flat(2), _piled(2))

    assert ">code 0</text>" in svg
