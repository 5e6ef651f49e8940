"""``modelfleet predict``: a file in the fleet's own format, scored for every tenant.

The input is the demo's own sales export cut to the holdout dates (the format training read),
with the sales column emptied; the calendar's holidays still join from the spec's covariates
source. Batch answers must equal the versions' holdout predictions.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from modelfleet.training.metrics import compute_metrics

from .conftest import Served


def _input(
    served: Served, tmp_path: Path, extra: Sequence[dict[str, str]] = ()
) -> tuple[Path, dict[str, list[str]]]:
    """The sales export's last 28 days per store, target emptied; the dates per store."""
    with (served.demo.out_dir / "sales.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    dates = sorted({r["date"] for r in rows})[-28:]
    picked = [{**r, "sales": ""} for r in rows if r["date"] in set(dates)]
    path = tmp_path / "to-score.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows([*picked, *extra])
    by_store: dict[str, list[str]] = {}
    for r in picked:
        by_store.setdefault(r["store_id"], []).append(r["date"])
    return path, by_store


def test_batch_predictions_of_the_holdout_equal_each_versions_recorded_metrics(
    served: Served, tmp_path: Path, run_cli: Any, holdout_of: Any
) -> None:
    source, by_store = _input(served, tmp_path)
    output = tmp_path / "out" / "predictions.parquet"

    code = run_cli(
        "predict",
        str(served.demo.spec_path),
        "--env",
        "dev",
        "--input",
        str(source),
        "--output",
        str(output),
    )

    assert code == 0
    table = pq.read_table(output)
    assert set(table["_tenant"].to_pylist()) == set(by_store)
    for tenant in by_store:
        version = served.client.resolve(f"{served.fleet}/{tenant}@dev")
        holdout = holdout_of(served.client, version)
        mine = table.filter(np.array(table["_tenant"].to_pylist()) == tenant)
        assert set(mine["version"].to_pylist()) == {str(version.version)}
        values = mine["prediction"].to_numpy()
        assert compute_metrics("regression", holdout.actuals, values) == pytest.approx(
            dict(version.metrics), rel=1e-9
        )


def test_a_tenant_that_cannot_be_scored_is_listed_and_the_others_are_written(
    served: Served,
    tmp_path: Path,
    run_cli: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stranger = {"date": "2023-07-01", "store_id": "999", "sales": "", "promo": "0", "open": "1"}
    source, by_store = _input(served, tmp_path, [stranger])
    output = tmp_path / "predictions.csv"

    code = run_cli(
        "predict",
        str(served.demo.spec_path),
        "--env",
        "dev",
        "--input",
        str(source),
        "--output",
        str(output),
        "--json",
    )

    assert code == 3
    out = capsys.readouterr().out
    assert '"tenant": "999"' in out
    with output.open() as handle:
        written = {row["_tenant"] for row in csv.DictReader(handle)}
    assert written == set(by_store)


@pytest.mark.parametrize("bad", [["--output", "x.txt"], ["--input", "nowhere.csv"]])
def test_bad_paths_are_refused_before_scoring(
    served: Served, tmp_path: Path, run_cli: Any, bad: list[str]
) -> None:
    source, _ = _input(served, tmp_path)
    args = {"--input": str(source), "--output": str(tmp_path / "o.parquet")}
    args[bad[0]] = str(tmp_path / bad[1])

    code = run_cli(
        "predict",
        str(served.demo.spec_path),
        "--env",
        "dev",
        *[part for pair in args.items() for part in pair],
    )

    assert code == 2


def _database(source: Path, tmp_path: Path) -> str:
    """The rows of ``source`` as a table ``to_score`` in a SQLite file (empty cells as NULL,
    as a database holds them); its SQLAlchemy URL."""
    import sqlite3

    with source.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    path = tmp_path / "warehouse.db"
    with sqlite3.connect(path) as db:
        columns = list(rows[0])
        db.execute(f"CREATE TABLE to_score ({', '.join(f'{c} TEXT' for c in columns)})")
        marks = ", ".join("?" for _ in columns)
        db.executemany(
            f"INSERT INTO to_score VALUES ({marks})",
            [tuple(v or None for v in r.values()) for r in rows],
        )
    return f"sqlite:///{path}"


def test_rows_from_a_sql_query_score_as_the_same_rows_from_a_file(
    served: Served, tmp_path: Path, run_cli: Any
) -> None:
    source, by_store = _input(served, tmp_path)
    url = _database(source, tmp_path)
    from_file, from_query = tmp_path / "file.parquet", tmp_path / "query.parquet"
    common = ("predict", str(served.demo.spec_path), "--env", "dev")

    assert run_cli(*common, "--input", str(source), "--output", str(from_file)) == 0
    code = run_cli(
        *common, "--query", "SELECT * FROM to_score", "--url", url, "--output", str(from_query)
    )

    assert code == 0
    key = ["_tenant", "date"]
    expected = pq.read_table(from_file).sort_by([(k, "ascending") for k in key])
    found = pq.read_table(from_query).sort_by([(k, "ascending") for k in key])
    assert set(found["_tenant"].to_pylist()) == set(by_store)
    assert np.allclose(found["prediction"].to_numpy(), expected["prediction"].to_numpy())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--query", "SELECT 1"), "--query needs --url"),
        (("--query", "   ", "--url", "sqlite://"), "--query is empty"),
        (("--url", "sqlite://"), "give the query too"),
        ((), "one of them"),
    ],
)
def test_a_query_without_what_it_needs_is_refused_saying_what_to_add(
    served: Served,
    tmp_path: Path,
    run_cli: Any,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    message: str,
) -> None:
    output = tmp_path / "o.parquet"

    code = run_cli(
        "predict", str(served.demo.spec_path), "--env", "dev", *args, "--output", str(output)
    )

    err = capsys.readouterr().err
    assert code == 2
    assert message in " ".join(err.split())
    assert not output.exists()


def test_a_failing_query_is_a_clear_error_without_a_traceback(
    served: Served, tmp_path: Path, run_cli: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    source, _ = _input(served, tmp_path)
    url = _database(source, tmp_path)

    code = run_cli(
        "predict", str(served.demo.spec_path), "--env", "dev",
        "--query", "SELECT * FROM no_such_table", "--url", url,
        "--output", str(tmp_path / "o.parquet"),
    )  # fmt: skip

    err = capsys.readouterr().err
    assert code in (1, 2)
    assert "no_such_table" in err and "Traceback" not in err
