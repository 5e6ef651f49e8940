"""VersionQuery: one value for a version search, built from keywords or directly, checked once."""

from __future__ import annotations

import pytest

from modelfleet.errors import UsageError
from modelfleet.registry.queries import VersionQuery
from modelfleet.registry.records import MetricFilter


def test_metric_text_is_parsed_into_filters() -> None:
    query = VersionQuery(metrics=["wmape>0.3", MetricFilter("mae", "<", 5)])

    assert [str(m) for m in query.metric_filters] == ["wmape>0.3", "mae<5"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"status": "live"}, "status 'live'"),
        ({"limit": -1}, "limit=-1"),
        ({"metrics": ["wmape>>1"]}, "wmape>>1"),
        ({"environment": "Prod!"}, "Prod!"),
    ],
)
def test_a_bad_version_filter_is_a_usage_error_naming_it(
    fields: dict[str, object], message: str
) -> None:
    with pytest.raises(UsageError, match="(?i)" + message.replace("(", r"\(")):
        VersionQuery(**fields)  # type: ignore[arg-type]


def test_keywords_and_a_query_object_together_are_refused() -> None:
    with pytest.raises(UsageError, match="not both"):
        VersionQuery.of(VersionQuery(), {"fleet": "demand"})


def test_an_unknown_keyword_filter_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown version search filter"):
        VersionQuery.of(None, {"flet": "demand"})
