"""Registry reads: search, model detail, versions, alias resolution, history and cards."""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.api.seed import FLEET


@pytest.fixture
def api(read_only_api: Any) -> Any:
    """The session's shared app: every test here only reads (or is refused before writing)."""
    return read_only_api


def _models(api: Any, **params: Any) -> list[str]:
    response = api.get("/api/v1/models", params=params)
    assert response.status_code == 200, response.text
    return sorted(row["model"] for row in response.json())


def test_search_without_filters_lists_every_version(api: Any) -> None:
    assert _models(api) == [f"{FLEET}/s1", f"{FLEET}/s2", f"{FLEET}/s3"]


def test_search_by_repeated_tags_needs_all_of_them(api: Any) -> None:
    assert _models(api, tag=["tier:gold"]) == [f"{FLEET}/s1", f"{FLEET}/s3"]
    assert _models(api, tag=["tier:gold", "customer:acme"]) == [f"{FLEET}/s1"]


def test_search_by_metric_threshold(api: Any) -> None:
    assert _models(api, metric="wmape>0.3") == [f"{FLEET}/s2"]
    assert _models(api, metric=["wmape<0.3", "baseline.wmape>=0.3"]) == [
        f"{FLEET}/s1",
        f"{FLEET}/s3",
    ]


def test_search_by_environment_and_status(api: Any) -> None:
    assert len(_models(api, env="dev", status="active")) == 3
    assert _models(api, env="prod") == []


def test_search_by_tenant_with_latest_only(api: Any) -> None:
    assert _models(api, tenant="s3", latest_only="true") == [f"{FLEET}/s3"]


def test_model_detail_lists_versions_and_aliases(api: Any) -> None:
    body = api.get(f"/api/v1/models/{FLEET}/s1").json()

    assert body["model"] == f"{FLEET}/s1"
    assert body["aliases"] == {"dev": "1.0.0"}
    assert [v["version"] for v in body["versions"]] == ["1.0.0"]
    assert body["versions"][0]["signature"]["inputs"][1] == {
        "name": "region",
        "type": "string",
        "categorical": True,
    }


def test_resolve_alias(api: Any) -> None:
    body = api.get(f"/api/v1/models/{FLEET}/s1/resolve/dev").json()

    assert (body["version"], body["aliases"], body["status"]) == ("1.0.0", ["dev"], "active")


def test_resolve_missing_alias_is_404_naming_what_exists(api: Any) -> None:
    response = api.get(f"/api/v1/models/{FLEET}/s1/resolve/prod")

    assert response.status_code == 404
    assert "dev" in response.json()["detail"]


def test_version_by_number_and_latest(api: Any) -> None:
    by_number = api.get(f"/api/v1/models/{FLEET}/s2/versions/1.0.0").json()
    latest = api.get(f"/api/v1/models/{FLEET}/s2/latest").json()

    assert by_number == latest


def test_unknown_model_is_404(api: Any) -> None:
    response = api.get(f"/api/v1/models/{FLEET}/nobody")

    assert response.status_code == 404
    assert response.json()["error"] == "not found"


def test_history_is_newest_first_and_limited(api: Any) -> None:
    events = api.get(f"/api/v1/models/{FLEET}/s1/history").json()
    newest = api.get(f"/api/v1/models/{FLEET}/s1/history", params={"limit": 1}).json()

    assert events[-1]["kind"] == "registered"
    assert {"alias_set", "status_changed"} <= {e["kind"] for e in events}
    assert newest == events[:1]


def test_card_markdown_by_alias(api: Any) -> None:
    response = api.get(f"/api/v1/models/{FLEET}/s1/card", params={"alias": "dev"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/markdown")
    assert response.text.startswith(f"# Model card: {FLEET}/s1 1.0.0")
    assert "Daily demand per store." in response.text  # purpose from the served spec


def test_card_html_forbids_scripts(api: Any) -> None:
    response = api.get(f"/api/v1/models/{FLEET}/s1/card", params={"format": "html"})

    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert "<h2>Metrics vs baseline</h2>" in response.text


def test_card_with_alias_and_the_version_it_points_at_is_that_card(api: Any) -> None:
    response = api.get(
        f"/api/v1/models/{FLEET}/s1/card", params={"alias": "dev", "version": "1.0.0"}
    )

    assert response.status_code == 200
    assert "1.0.0" in response.text


def test_card_with_alias_and_another_version_is_409_naming_both(api: Any) -> None:
    response = api.get(
        f"/api/v1/models/{FLEET}/s1/card", params={"alias": "dev", "version": "2.0.0"}
    )

    assert response.status_code == 409
    assert "demand/s1@dev is version 1.0.0, not 2.0.0" in response.json()["detail"]
