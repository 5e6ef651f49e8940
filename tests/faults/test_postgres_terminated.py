"""PostgreSQL drops the runner's connections mid-run (``pg_terminate_backend``, as a server
restart or a failover does).

The test terminates every backend of its own database every 50 ms while a slow fleet trains
on two workers, so the runner loses connections between and inside its batched writes (runs,
registration, the lease's heartbeat). Either the engine reconnects and the run finishes, or it
stops with the store's one-paragraph error; either way the store stays sound and the next
``train`` finishes every tenant exactly once.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

import pytest
from tests.faults.conftest import Cli, SlowFleet, libpq, wait_until

pytestmark = [pytest.mark.faults, pytest.mark.postgres]

STORES = 8
FIT_SECONDS = 0.4
TERMINATE_EVERY_SECONDS = 0.05
TERMINATE = (
    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


def test_terminated_connections_leave_a_sound_store_and_the_next_train_finishes_every_tenant(
    cli: Cli,
    slow_fleet: Callable[[int, float], SlowFleet],
    own_postgres_database: str,
) -> None:
    import psycopg

    fleet = slow_fleet(STORES, FIT_SECONDS)
    cli.env["MODELFLEET_STORE_URL"] = own_postgres_database
    running = cli.start("train", fleet.spec, "--workers", "2")
    wait_until(lambda: fleet.fits_started() >= 1, "the first tenant starts fitting")
    terminated = 0
    with psycopg.connect(libpq(own_postgres_database), autocommit=True) as admin:
        while running.process.poll() is None:
            running.watch()
            terminated += admin.execute(TERMINATE).fetchone()[0]  # type: ignore[index]
            time.sleep(TERMINATE_EVERY_SECONDS)
    crashed = running.finish()

    doctor = cli.doctor_after_repair()
    again = cli.run("train", fleet.spec, "--workers", "2")
    versions = Counter(v["tenant"] for v in cli.json_lines("models", "list"))

    assert terminated > 0, "no connection of the run was ever terminated"
    assert "Traceback" not in crashed.stderr
    if crashed.returncode != 0:  # the run gave up: it must say why, in the store's words
        assert crashed.returncode == 1, crashed.stderr
        said = " ".join(crashed.stderr.split())  # Rich wraps long lines at the console width
        assert "metadata store" in said
        assert "check that the server is running" in said
    assert crashed.orphans == []
    assert doctor.returncode == 0, doctor.stdout
    assert again.returncode == 0, again.stderr
    assert versions == dict.fromkeys(fleet.tenants, 1)
