"""RunQuery: one value for a run listing, built from keywords or directly, checked once."""

from __future__ import annotations

import pytest

from modelfleet.errors import UsageError
from modelfleet.tracking.queries import RunQuery


def test_an_unknown_run_filter_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown run filter"):
        RunQuery.of(None, {"stats": "failed"})


@pytest.mark.parametrize("fields", [{"status": "done"}, {"limit": -5}])
def test_a_bad_run_filter_is_a_usage_error(fields: dict[str, object]) -> None:
    with pytest.raises(UsageError):
        RunQuery(**fields)  # type: ignore[arg-type]


def test_keyword_filters_build_the_same_query() -> None:
    assert RunQuery.of(None, {"fleet": "demand", "limit": 5}) == RunQuery(fleet="demand", limit=5)
