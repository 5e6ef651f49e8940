"""``modelfleet forecast``: one tenant's dates from a JSON file, as the server answers them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .conftest import Served

COVARIATES = ("promo", "open", "holiday")


def test_forecast_of_a_dates_file_prints_the_servers_values_as_json_lines(
    served: Served,
    tmp_path: Path,
    run_cli: Any,
    capsys: pytest.CaptureFixture[str],
    holdout_of: Any,
    path_of: Any,
) -> None:
    tenant = served.tenants[1]
    version = served.client.resolve(f"{served.fleet}/{tenant}@dev")
    dated = [
        {"date": r["date"], **{c: r[c] for c in COVARIATES}}
        for r in holdout_of(served.client, version).records[:5]
    ]
    source = tmp_path / "dates.json"
    source.write_text(json.dumps(dated))
    route = path_of(served.fleet, tenant).replace("/predict", "/forecast")
    expected = [
        p["value"] for p in served.http.post(route, json={"records": dated}).json()["predictions"]
    ]
    capsys.readouterr()

    code = run_cli(
        "forecast",
        f"{served.fleet}/{tenant}",
        "--spec",
        str(served.demo.spec_path),
        "--env",
        "dev",
        "--input",
        str(source),
        "--json",
    )

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0
    assert [line["value"] for line in lines] == pytest.approx(expected, rel=1e-12)
    assert {line["version"] for line in lines} == {str(version.version)}


@pytest.mark.parametrize("content", ["not json", '{"date": "2024-01-01"}'])
def test_a_dates_file_that_is_not_a_json_list_is_refused(
    served: Served, tmp_path: Path, run_cli: Any, content: str
) -> None:
    source = tmp_path / "dates.json"
    source.write_text(content)

    code = run_cli(
        "forecast",
        f"{served.fleet}/1",
        "--spec",
        str(served.demo.spec_path),
        "--env",
        "dev",
        "--input",
        str(source),
    )

    assert code == 2
