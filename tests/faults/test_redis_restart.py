"""The Redis online store dies during ``modelfleet features materialize`` and comes back.

The test owns the Redis server (a free port, no persistence). It pauses the server's writes
(``CLIENT PAUSE ... WRITE``) before materializing, so the command has read the fleet, computed
its rows and is blocked sending the first batch when the server is SIGKILLed: the fault lands
mid-write every time, not by luck of timing. The command must stop with the online store's
error, and after a restart on the same port (empty: nothing was persisted) a re-run must write
every entity's latest values, the same ones the SQLite online store gets from the same spec.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from tests.faults.conftest import Cli, OwnRedis, SlowFleet, wait_until

pytestmark = pytest.mark.faults

STORES = 6
PAUSE_MILLISECONDS = 60_000  # longer than the test: only the kill ends the pause
VIEW = {
    "name": "store_sales",
    "entities": ["tenant"],
    "timestamp": "date",
    "features": [
        {"name": "sales", "expr": "sales"},
        {"name": "sales_mean_28d", "rolling": {"column": "sales", "window": "28d", "agg": "mean"}},
        {"name": "sales_7d_ago", "lag": {"column": "sales", "by": "7d"}},
    ],
}


def _with_feature_view(spec_path: Path) -> None:
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    spec["feature_views"] = [VIEW]
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")


def _blocked_clients(server: OwnRedis) -> int:
    import redis

    client = redis.Redis(port=server.port, socket_connect_timeout=1, socket_timeout=2)
    try:
        return int(client.info("clients")["blocked_clients"])
    finally:
        client.close()


def _online_values(cli: Cli, spec: str, url: str, tenants: tuple[str, ...]) -> list[object]:
    """Every tenant's online features read back through ``features get``."""
    done = cli.run(
        "features",
        "get",
        spec,
        "--online-url",
        url,
        "--entities-json",
        json.dumps({"tenant": list(tenants)}),
        "--json",
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def test_redis_killed_mid_materialize_fails_clearly_and_a_rerun_writes_the_right_values(
    cli: Cli,
    slow_fleet: Callable[[int, float], SlowFleet],
    own_redis: OwnRedis,
    tmp_path: Path,
) -> None:
    import redis

    fleet = slow_fleet(STORES, 0.0)
    _with_feature_view(fleet.demo.spec_path)
    pauser = redis.Redis(port=own_redis.port, socket_connect_timeout=1)
    pauser.execute_command("CLIENT", "PAUSE", PAUSE_MILLISECONDS, "WRITE")
    pauser.close()
    running = cli.start("features", "materialize", fleet.spec, "--online-url", own_redis.url)
    wait_until(lambda: _blocked_clients(own_redis) >= 1, "materialize is blocked writing")
    running.watch()
    own_redis.kill()
    failed = running.finish()
    own_redis.start()

    again = cli.run("features", "materialize", fleet.spec, "--online-url", own_redis.url)
    reference = f"sqlite:///{tmp_path / 'reference' / 'online.db'}"
    cli.run("features", "materialize", fleet.spec, "--online-url", reference)

    assert failed.returncode != 0
    assert "Traceback" not in failed.stderr
    assert f"cannot reach Redis at {own_redis.url} while writing" in failed.stderr
    assert failed.orphans == []
    assert again.returncode == 0, again.stderr
    expected = _online_values(cli, fleet.spec, reference, fleet.tenants)
    assert _online_values(cli, fleet.spec, own_redis.url, fleet.tenants) == expected
    assert all(row["sales_mean_28d"] is not None for row in expected)  # real values compared
