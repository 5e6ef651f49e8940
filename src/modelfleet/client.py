"""The Python API: ``modelfleet.connect()`` returns a :class:`Client` over one modelfleet home.

This is a face, like the CLI: it builds :class:`Settings` from the process environment once and
passes them down. Everything the CLI can do goes through here, so scripts and notebooks get the
same behaviour.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelfleet.config.settings import Settings
from modelfleet.config.spec import FleetSpec, load_spec

if TYPE_CHECKING:
    from modelfleet.data.canonical import FleetData
    from modelfleet.pipeline.executors import Executor
    from modelfleet.pipeline.runner import FleetRunSummary, RunListener
    from modelfleet.tracking.records import FleetRunRecord, TenantRunRecord
    from modelfleet.tracking.tracker import Tracker


@dataclass(frozen=True)
class ValidationReport:
    """A checked spec and, when data was checked too, what was found in it."""

    spec: FleetSpec
    data: FleetData | None


class Client:
    """Read runs and train fleets against one home (metadata store + artifact store)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._tracker: Tracker | None = None

    @classmethod
    def open(
        cls,
        home: str | Path | None = None,
        store_url: str | None = None,
        *,
        artifacts_url: str | None = None,
        workers: int | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Client:
        """Settings from ``MODELFLEET_*`` variables, then the arguments given here on top."""
        env = dict(os.environ if environ is None else environ)
        if home is not None:
            env["MODELFLEET_HOME"] = str(home)
        settings = Settings.from_env(env).with_overrides(
            store_url=store_url, artifacts_url=artifacts_url, workers=workers
        )
        return cls(settings)

    @property
    def tracker(self) -> Tracker:
        """The run tracker, opened (and migrated) on first use."""
        if self._tracker is None:
            from modelfleet.tracking.tracker import Tracker

            self._tracker = Tracker.open(self.settings.store_url)
        return self._tracker

    def close(self) -> None:
        """Release database connections."""
        if self._tracker is not None:
            self._tracker.close()
            self._tracker = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ training
    def validate(
        self, spec_path: str | Path, environment: str | None = None, *, data: bool = False
    ) -> ValidationReport:
        """Check a fleet spec and, with ``data=True``, read and validate every tenant's data."""
        spec = load_spec(spec_path, environment)
        if not data:
            return ValidationReport(spec, None)
        from modelfleet.data.ingest import load_fleet_data

        return ValidationReport(spec, load_fleet_data(spec))

    def train(
        self,
        spec_path: str | Path,
        environment: str = "dev",
        *,
        force: bool = False,
        listener: RunListener | None = None,
        executor: Executor | None = None,
        now: datetime | None = None,
    ) -> FleetRunSummary:
        """Train every selected tenant of a fleet in one environment (skipping finished ones)."""
        from modelfleet.pipeline.runner import train_fleet

        spec = load_spec(spec_path, environment)
        return train_fleet(
            spec, self.settings, force=force, executor=executor, listener=listener, now=now
        )

    # ------------------------------------------------------------------ tracking
    def runs(self, **filters: Any) -> list[TenantRunRecord]:
        """Tenant runs, newest first; filters: fleet, tenant, status, environment, limit."""
        return self.tracker.list_runs(**filters)

    def run(self, run_id: str) -> TenantRunRecord:
        """One tenant run by id or unique id prefix."""
        return self.tracker.get_run(run_id)

    def fleet_runs(self, fleet: str | None = None, limit: int | None = 20) -> list[FleetRunRecord]:
        """Fleet runs (one per ``train`` invocation), newest first."""
        return self.tracker.list_fleet_runs(fleet, limit)
